package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"sifa/warehouse"
)

// requestMetrics counts requests and their latencies, per route group.
type requestMetrics struct {
	mu      sync.Mutex
	buckets []float64 // seconds
	counts  map[string][]uint64
	sums    map[string]float64
	totals  map[string]uint64
	codes   map[string]uint64
	// cspReports counts Content-Security-Policy violations browsers reported
	cspReports atomic.Int64
}

func newRequestMetrics() *requestMetrics {
	return &requestMetrics{buckets: []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5},
		counts: map[string][]uint64{}, sums: map[string]float64{}, totals: map[string]uint64{}, codes: map[string]uint64{}}
}

// group names a request for the metrics without unbounded labels.
func group(path string) string {
	switch {
	case strings.HasPrefix(path, "/api/"):
		return "api"
	case strings.HasPrefix(path, "/assets/"):
		return "assets"
	case strings.HasPrefix(path, "/upload"):
		return "upload"
	case path == "/healthz" || path == "/readyz" || path == "/metrics":
		return "ops"
	}
	return "page"
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) { s.code = code; s.ResponseWriter.WriteHeader(code) }

func (m *requestMetrics) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: 200}
		next.ServeHTTP(sw, r)
		d := time.Since(start).Seconds()
		g := group(r.URL.Path)
		m.mu.Lock()
		if m.counts[g] == nil {
			m.counts[g] = make([]uint64, len(m.buckets))
		}
		for i, b := range m.buckets {
			if d <= b {
				m.counts[g][i]++
			}
		}
		m.sums[g] += d
		m.totals[g]++
		m.codes[fmt.Sprintf("%s|%d", g, sw.code)]++
		m.mu.Unlock()
	})
}

func (m *requestMetrics) write(b *strings.Builder) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintf(b, "# HELP sifa_csp_violations_total Content-Security-Policy violations reported by browsers (should stay 0).\n# TYPE sifa_csp_violations_total counter\nsifa_csp_violations_total %d\n", m.cspReports.Load())
	b.WriteString("# HELP sifa_http_requests_total HTTP requests answered, by route group and status code.\n# TYPE sifa_http_requests_total counter\n")
	keys := make([]string, 0, len(m.codes))
	for k := range m.codes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, code, _ := strings.Cut(k, "|")
		fmt.Fprintf(b, "sifa_http_requests_total{group=%q,code=%q} %d\n", g, code, m.codes[k])
	}
	b.WriteString("# HELP sifa_http_request_duration_seconds Time to answer a request, by route group.\n# TYPE sifa_http_request_duration_seconds histogram\n")
	groups := make([]string, 0, len(m.totals))
	for g := range m.totals {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		for i, le := range m.buckets {
			fmt.Fprintf(b, "sifa_http_request_duration_seconds_bucket{group=%q,le=\"%g\"} %d\n", g, le, m.counts[g][i])
		}
		fmt.Fprintf(b, "sifa_http_request_duration_seconds_bucket{group=%q,le=\"+Inf\"} %d\n", g, m.totals[g])
		fmt.Fprintf(b, "sifa_http_request_duration_seconds_sum{group=%q} %g\n", g, m.sums[g])
		fmt.Fprintf(b, "sifa_http_request_duration_seconds_count{group=%q} %d\n", g, m.totals[g])
	}
}

// opsHandlers serves /healthz (the process is up), /readyz (the warehouse
// answers) and /metrics (Prometheus text format).
// localOnly answers only requests from this machine that no proxy
// forwarded: /readyz and /metrics are for the monitoring agent beside
// sifa, not for the intranet (they need no account; /healthz says only "ok").
func localOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(rw http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() || forwarded(r) {
			http.Error(rw, "只能从本机访问", http.StatusForbidden)
			return
		}
		h(rw, r)
	}
}

func opsHandlers(mux *http.ServeMux, w *warehouse.Warehouse, m *requestMetrics) {
	mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, r *http.Request) { rw.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", localOnly(func(rw http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := w.Ping(ctx); err != nil {
			http.Error(rw, "仓库连不上："+err.Error(), http.StatusServiceUnavailable)
			return
		}
		rw.Write([]byte("ok\n"))
	}))
	mux.HandleFunc("GET /metrics", localOnly(func(rw http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		defer cancel()
		var b strings.Builder
		up := 1
		tot, err := w.Totals(ctx)
		if err != nil {
			up = 0
		}
		fmt.Fprintf(&b, "# HELP sifa_warehouse_up Whether the warehouse answered this scrape (1) or not (0).\n# TYPE sifa_warehouse_up gauge\nsifa_warehouse_up %d\n", up)
		if err == nil {
			fmt.Fprintf(&b, "# HELP sifa_loads_total Ledger tables loaded (a workbook of two ledger sheets counts two).\n# TYPE sifa_loads_total counter\nsifa_loads_total %d\n", tot.Loads)
			fmt.Fprintf(&b, "# HELP sifa_files_ingested_total Distinct files (by SHA-256) loaded.\n# TYPE sifa_files_ingested_total counter\nsifa_files_ingested_total %d\n", tot.Files)
			fmt.Fprintf(&b, "# HELP sifa_rows_accepted_total Ledger rows loaded into the warehouse.\n# TYPE sifa_rows_accepted_total counter\nsifa_rows_accepted_total %d\n", tot.Accepted)
			fmt.Fprintf(&b, "# HELP sifa_rows_rejected_total Ledger rows rejected with a reason.\n# TYPE sifa_rows_rejected_total counter\nsifa_rows_rejected_total %d\n", tot.Rejected)
			if runs, err := w.JobHistory(ctx); err == nil {
				type jobResult struct{ job, result string }
				byResult := map[jobResult]int{}
				var keys []jobResult
				sum, count, last := map[string]float64{}, map[string]int{}, map[string]int64{}
				var names []string
				for _, x := range runs {
					k := jobResult{x.Job, x.Result}
					if byResult[k] == 0 {
						keys = append(keys, k)
					}
					byResult[k]++
					if count[x.Job] == 0 {
						names = append(names, x.Job)
					}
					sum[x.Job] += x.Ended.Sub(x.Started).Seconds()
					count[x.Job]++
					if x.Result != "失败" {
						last[x.Job] = x.Ended.Unix()
					}
				}
				sort.Slice(keys, func(i, j int) bool {
					if keys[i].job != keys[j].job {
						return keys[i].job < keys[j].job
					}
					return keys[i].result < keys[j].result
				})
				b.WriteString("# HELP sifa_job_runs_total Runs of scheduled jobs that found work, by job and result (成功/部分失败/失败).\n# TYPE sifa_job_runs_total counter\n")
				for _, k := range keys {
					fmt.Fprintf(&b, "sifa_job_runs_total{job=%q,result=%q} %d\n", k.job, k.result, byResult[k])
				}
				sort.Strings(names)
				b.WriteString("# HELP sifa_job_duration_seconds Time scheduled runs took (whole seconds).\n# TYPE sifa_job_duration_seconds summary\n")
				for _, job := range names {
					fmt.Fprintf(&b, "sifa_job_duration_seconds_sum{job=%q} %g\nsifa_job_duration_seconds_count{job=%q} %d\n", job, sum[job], job, count[job])
				}
				b.WriteString("# HELP sifa_job_last_success_timestamp_seconds When a job last ran without failing (Unix time).\n# TYPE sifa_job_last_success_timestamp_seconds gauge\n")
				for _, job := range names {
					if last[job] > 0 {
						fmt.Fprintf(&b, "sifa_job_last_success_timestamp_seconds{job=%q} %d\n", job, last[job])
					}
				}
			}
		}
		m.write(&b)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(&b, "# HELP sifa_go_heap_bytes Bytes of the Go heap in use (DuckDB's own memory is not in it).\n# TYPE sifa_go_heap_bytes gauge\nsifa_go_heap_bytes %d\n", ms.HeapInuse)
		fmt.Fprintf(&b, "# HELP sifa_go_sys_bytes Bytes the Go runtime obtained from the system.\n# TYPE sifa_go_sys_bytes gauge\nsifa_go_sys_bytes %d\n", ms.Sys)
		rw.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		rw.Write([]byte(b.String()))
	}))
}

// forwardHeaders are the headers a reverse proxy (nginx, Apache, Caddy,
// HAProxy) adds for the client it forwards: any of them means the request
// came through a proxy on this machine, not from the machine itself.
var forwardHeaders = []string{"X-Forwarded-For", "Forwarded", "X-Real-IP", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Client-IP", "True-Client-IP", "X-Original-Forwarded-For"}

func forwarded(r *http.Request) bool {
	for _, h := range forwardHeaders {
		if r.Header.Get(h) != "" {
			return true
		}
	}
	return false
}
