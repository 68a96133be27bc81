package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/ingest/demo"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// The scale benchmark (make bench): a synthetic province (demo.Province:
// 100 counties, 10 years, about 10 million disputes) loaded in three steps
// (6, 25 and 100 counties: about 1×, 4× and 16× the data) into DuckDB, one
// ClickHouse server and a two-shard ClickHouse cluster; after each step every
// panel's latency for the whole province and for one county, beside the same
// SQL run by the engine's own client; and the dashboard pages of the demo
// county under 20 concurrent readers against a running sifa serve.

func percentile(d []time.Duration, p float64) time.Duration {
	s := append([]time.Duration{}, d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64)
}

// provinceFiles writes the scale province once per machine (it takes a
// minute and 1.4 GB) into the temp folder, and returns the files of
// counties [from, to).
func provinceFiles(b *testing.B, from, to int) []string {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("sifa-province-%dx%dx%d", demo.Province.Counties, demo.Province.Years, demo.Province.DisputesPerYear))
	var out []string
	for n := from; n < to; n++ {
		cdir := filepath.Join(dir, demo.ScaleCounty(n))
		if _, err := os.Stat(filepath.Join(cdir, ".done")); err != nil {
			if _, err := demo.WriteScale(cdir, demo.Province, n, n+1); err != nil {
				b.Fatal(err)
			}
			os.WriteFile(filepath.Join(cdir, ".done"), nil, 0o644)
		}
		out = append(out, cdir)
	}
	return out
}

// clientTime runs SQL with clickhouse-client and returns the time the
// client reports (--time: the queries alone, not the client's start).
func clientTime(port int, qs []string) (time.Duration, error) {
	cmd := exec.Command("clickhouse-client", "--port", strconv.Itoa(port), "-d", "sifa", "--time", "--multiquery", "--query", strings.Join(qs, ";\n"))
	cmd.Stdout = io.Discard
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	b, _ := io.ReadAll(stderr)
	if err := cmd.Wait(); err != nil {
		return 0, fmt.Errorf("%v: %s", err, b)
	}
	var total float64
	for _, line := range strings.Fields(string(b)) {
		if f, err := strconv.ParseFloat(line, 64); err == nil {
			total += f
		}
	}
	return time.Duration(total * float64(time.Second)), nil
}

type panelRow struct {
	engine, scale, panel string
	p50, p95, client     time.Duration
}

// measurePanels times every panel (uncached) for a filter, and the same
// SQL through the engine's own client (clickhouse-client; for DuckDB, which
// has no client installed here, the same queries straight through its
// driver, one after another).
func measurePanels(b *testing.B, engine, scale string, w *warehouse.Warehouse, port int, f panels.Filter, runs int, only ...string) []panelRow {
	ctx := context.Background()
	var rows []panelRow
	for _, p := range panels.Panels() {
		if p.ID == "jobs.recent" || p.ID == "meta.years" || len(only) > 0 && !slices.Contains(only, p.ID) {
			continue
		}
		e := &panels.Engine{Store: w}
		qs, err := e.Queries(ctx, p.ID, f) // also warms the engine's caches for both sides
		if err != nil {
			b.Fatal(err)
		}
		clientRun := func() time.Duration {
			if port > 0 {
				d, err := clientTime(port, qs)
				if err != nil {
					b.Fatalf("clickhouse-client %s: %v", p.ID, err)
				}
				return d
			}
			start := time.Now()
			for _, q := range qs {
				if _, err := w.Query(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
			return time.Since(start)
		}
		clientRun()
		// sifa and the client take turns, so neither gets the warmer caches
		var lat, client []time.Duration
		for i := 0; i < runs; i++ {
			start := time.Now()
			if _, err := e.Run(ctx, p.ID, f); err != nil {
				b.Fatalf("%s %s: %v", engine, p.ID, err)
			}
			lat = append(lat, time.Since(start))
			client = append(client, clientRun())
		}
		rows = append(rows, panelRow{engine, scale, p.ID, percentile(lat, 0.5), percentile(lat, 0.95), percentile(client, 0.5)})
	}
	return rows
}

type pageRow struct {
	engine, page string
	p50, p95     time.Duration
}

// measurePages times each dashboard page for the whole province, 2016,
// uncached, as a 领导 of the province opens it: the page's panels run
// together on the server, as they do in sifa serve.
func measurePages(b *testing.B, engine string, w *warehouse.Warehouse, runs int) []pageRow {
	ctx := context.Background()
	srv := httptest.NewServer((&dashboards.Site{Engine: &panels.Engine{Store: w}, Accounts: w}).Handler())
	defer srv.Close()
	name := fmt.Sprintf("scale%d", time.Now().UnixNano())
	if err := dashboards.ChangeAccount(ctx, w, nil, dashboards.PasswordRules{}, dashboards.AccountChange{Action: "add", Name: name, Role: string(panels.RoleLeader),
		Password: testPassword, By: "bench"}); err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(srv.URL+"/login", url.Values{"user": {name}, "password": {testPassword}})
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	get := func(path string) time.Duration {
		start := time.Now()
		resp, err := c.Get(srv.URL + path + "?year=2016")
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || strings.HasSuffix(resp.Request.URL.Path, "/login") || strings.Contains(string(body), "查询出错") {
			b.Fatalf("%s %s: %d", engine, path, resp.StatusCode)
		}
		return time.Since(start)
	}
	var rows []pageRow
	for _, path := range panels.RoleLeader.Pages() {
		get(path) // warms the engine's own caches, as measurePanels does
		var lat []time.Duration
		for i := 0; i < runs; i++ {
			lat = append(lat, get(path))
		}
		rows = append(rows, pageRow{engine, path, percentile(lat, 0.5), percentile(lat, 0.95)})
	}
	return rows
}

// BenchmarkScale prints the tables docs/bench.md keeps.
func BenchmarkScale(b *testing.B) {
	if _, err := exec.LookPath("clickhouse-client"); err != nil {
		b.Skip("clickhouse-client is needed for the scale benchmark")
	}
	ctx := context.Background()
	counties := demo.Province.Counties
	if n, err := strconv.Atoi(os.Getenv("SIFA_BENCH_COUNTIES")); err == nil && n >= 16 && n < counties {
		counties = n // a smaller province for a quick look
	}
	q1, q4 := (counties+8)/16, counties/4
	steps := []struct {
		name     string
		from, to int
	}{{fmt.Sprintf("1×（%d 县）", q1), 0, q1}, {fmt.Sprintf("4×（%d 县）", q4), q1, q4}, {fmt.Sprintf("16×（%d 县）", counties), q4, counties}}
	type loadRow struct {
		engine, step string
		rows         int
		took         time.Duration
	}
	var loads []loadRow
	var panelRows []panelRow
	var pageRows []pageRow
	single, err := whtest.Start(b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer single.Stop()
	shards, err := whtest.StartCluster(2, "sifa2")
	if err != nil {
		b.Fatal(err)
	}
	defer func() {
		for _, s := range shards {
			s.Stop()
			os.RemoveAll(s.Dir)
		}
	}()
	engines := []struct {
		name, dsn string
		port      int
	}{
		{"DuckDB", "duckdb:" + filepath.Join(b.TempDir(), "p.duckdb"), 0},
		{"ClickHouse", single.DSN("sifa"), single.TCPPort},
		{"ClickHouse 2 分片", fmt.Sprintf("clickhouse://127.0.0.1:%d/sifa?cluster=sifa2&http_port=%d", shards[0].TCPPort, shards[0].HTTPPort), shards[0].TCPPort},
	}
	county := demo.ScaleCounty(0)
	var failed []string // an engine whose load failed: reported, and the others still measured
engines:
	for _, eng := range engines {
		w, err := warehouse.Open(ctx, eng.dsn)
		if err != nil {
			b.Fatal(err)
		}
		p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: b.TempDir()}, Config: transform.Config{Secret: []byte("bench")}}
		for _, st := range steps {
			files := provinceFiles(b, st.from, st.to)
			start := time.Now()
			reps, err := p.Run(ctx, files)
			took := time.Since(start)
			n, bad := 0, []string{}
			for _, r := range reps {
				if r.Err != nil {
					bad = append(bad, fmt.Sprintf("%s: %v", r.File, r.Err))
				}
				n += r.Accepted()
			}
			if err != nil || len(bad) > 0 {
				failed = append(failed, fmt.Sprintf("%s, %s: %v %d files failed %s", eng.name, st.name, err, len(bad), strings.Join(bad[:min(3, len(bad))], "; ")))
				w.Close()
				continue engines
			}
			loads = append(loads, loadRow{eng.name, st.name, n, took})
			panelRows = append(panelRows, measurePanels(b, eng.name, st.name+" 全省", w, eng.port, panels.Filter{Year: 2016}, 5)...)
			if st.to == counties {
				panelRows = append(panelRows, measurePanels(b, eng.name, "一个县", w, eng.port, panels.Filter{Org: county, Year: 2016}, 5)...)
				panelRows = append(panelRows, measurePanels(b, eng.name, compareScale, w, eng.port, compareFilter, 5, "compare.orgs")...)
				pageRows = append(pageRows, measurePages(b, eng.name, w, 10)...)
			}
		}
		w.Close()
	}
	fmt.Printf("\nScale benchmark, %s (same run, same machine)\n\n", time.Now().Format("2006-01-02"))
	for _, f := range failed {
		fmt.Printf("LOAD FAILED: %s\n", f)
	}
	fmt.Printf("| engine | step | rows loaded | seconds | rows/s |\n|---|---|---:|---:|---:|\n")
	for _, l := range loads {
		fmt.Printf("| %s | %s | %d | %.1f | %.0f |\n", l.engine, l.step, l.rows, l.took.Seconds(), float64(l.rows)/l.took.Seconds())
	}
	fmt.Printf("\nPanel latency (uncached), 2016; client = the same SQL by the engine's own client\n\n| engine | scale | panel | p50 ms | p95 ms | client ms | ratio |\n|---|---|---|---:|---:|---:|---:|\n")
	for _, r := range panelRows {
		fmt.Printf("| %s | %s | %s | %s | %s | %s | %.2f |\n", r.engine, r.scale, r.panel, ms(r.p50), ms(r.p95), ms(r.client), float64(r.p50)/float64(max(r.client, time.Microsecond)))
	}
	// the measure: each panel's p95 for the whole province on each
	// engine, and ClickHouse's over DuckDB's
	whole := steps[2].name + " 全省"
	p95 := map[string]time.Duration{}
	for _, r := range panelRows {
		if r.scale == whole {
			p95[r.engine+"|"+r.panel] = r.p95
		}
	}
	fmt.Printf("\nWhole province, p95 ms per panel, and ClickHouse over DuckDB\n\n| panel | DuckDB | ClickHouse | ratio | 2 分片 | ratio |\n|---|---:|---:|---:|---:|---:|\n")
	for _, p := range panels.Panels() {
		d, ok := p95["DuckDB|"+p.ID]
		if !ok {
			continue
		}
		c, s2 := p95["ClickHouse|"+p.ID], p95["ClickHouse 2 分片|"+p.ID]
		fmt.Printf("| %s | %s | %s | %.2f | %s | %.2f |\n", p.ID, ms(d), ms(c), float64(c)/float64(max(d, time.Microsecond)), ms(s2), float64(s2)/float64(max(d, time.Microsecond)))
	}
	printCompare(panelRows)
	fmt.Printf("\nDashboard pages for the whole province (uncached), 2016, 10 loads each after one\n\n| engine | page | p50 ms | p95 ms |\n|---|---|---:|---:|\n")
	for _, r := range pageRows {
		fmt.Printf("| %s | %s | %s | %s |\n", r.engine, r.page, ms(r.p50), ms(r.p95))
	}
	// growth: each panel's p50 at 1×, 4×, 16× per engine
	fmt.Printf("\nGrowth: p50 ms of each panel for the whole province at 1×, 4× and 16× the data\n\n| engine | panel | 1× | 4× | 16× |\n|---|---|---:|---:|---:|\n")
	by := map[string]map[string]time.Duration{}
	for _, r := range panelRows {
		k := r.engine + "|" + r.panel
		if by[k] == nil {
			by[k] = map[string]time.Duration{}
		}
		by[k][r.scale] = r.p50
	}
	for _, eng := range engines {
		for _, p := range panels.Panels() {
			m := by[eng.name+"|"+p.ID]
			if m == nil {
				continue
			}
			fmt.Printf("| %s | %s | %s | %s | %s |\n", eng.name, p.ID, ms(m[steps[0].name+" 全省"]), ms(m[steps[1].name+" 全省"]), ms(m[steps[2].name+" 全省"]))
		}
	}
}

// The comparison of issue 18: every county of the province side by side
// over the ten years, beside its SQL by the engine's client.
var (
	compareFilter = panels.Filter{From: fmt.Sprintf("%d-01", 2016-demo.Province.Years+1), To: "2016-12"}
	compareScale  = "全省各县十年对比"
)

func printCompare(rows []panelRow) {
	fmt.Printf("\ncompare.orgs: all counties of the province, %s to %s (uncached), beside the same SQL by the engine's client\n\n| engine | p50 ms | p95 ms | client ms | ratio |\n|---|---:|---:|---:|---:|\n",
		compareFilter.From, compareFilter.To)
	for _, r := range rows {
		if r.scale == compareScale {
			fmt.Printf("| %s | %s | %s | %s | %.2f |\n", r.engine, ms(r.p50), ms(r.p95), ms(r.client), float64(r.p50)/float64(max(r.client, time.Microsecond)))
		}
	}
}

// BenchmarkCompare loads the whole province into DuckDB and one ClickHouse
// server and times compare.orgs over the ten years (the part of
// BenchmarkScale issue 18 asks for, without the three load steps and the
// cluster: SIFA_BENCH_COUNTIES makes it smaller).
func BenchmarkCompare(b *testing.B) {
	if _, err := exec.LookPath("clickhouse-client"); err != nil {
		b.Skip("clickhouse-client is needed for the comparison benchmark")
	}
	ctx := context.Background()
	counties := demo.Province.Counties
	if n, err := strconv.Atoi(os.Getenv("SIFA_BENCH_COUNTIES")); err == nil && n > 1 && n < counties {
		counties = n
	}
	single, err := whtest.Start(b.TempDir(), "")
	if err != nil {
		b.Fatal(err)
	}
	defer single.Stop()
	var rows []panelRow
	for _, eng := range []struct {
		name, dsn string
		port      int
	}{{"DuckDB", "duckdb:" + filepath.Join(b.TempDir(), "p.duckdb"), 0}, {"ClickHouse", single.DSN("sifa"), single.TCPPort}} {
		w, err := warehouse.Open(ctx, eng.dsn)
		if err != nil {
			b.Fatal(err)
		}
		p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: b.TempDir()}, Config: transform.Config{Secret: []byte("bench")}}
		start := time.Now()
		reps, err := p.Run(ctx, provinceFiles(b, 0, counties))
		n := 0
		for _, r := range reps {
			if r.Err != nil {
				b.Fatalf("%s: %v", r.File, r.Err)
			}
			n += r.Accepted()
		}
		if err != nil {
			b.Fatal(err)
		}
		fmt.Printf("%s: %d counties, %d rows loaded in %.1f s\n", eng.name, counties, n, time.Since(start).Seconds())
		rows = append(rows, measurePanels(b, eng.name, compareScale, w, eng.port, compareFilter, 10, "compare.orgs")...)
		w.Close()
	}
	printCompare(rows)
}

// BenchmarkServeUnderLoad runs sifa serve on the demo county and reads the
// six dashboard pages with 20 concurrent readers for 30 seconds. The server
// is the sifa binary make builds (SIFA_BIN), installed by copying it the way
// docs/sifa.service says, in its own process, so the memory measured is what
// a county's server would hold.
func BenchmarkServeUnderLoad(b *testing.B) {
	built := os.Getenv("SIFA_BIN")
	if built == "" {
		b.Skip("SIFA_BIN names the sifa binary to serve with; make bench builds it and sets it")
	}
	dir := b.TempDir()
	bin := filepath.Join(dir, "opt", "sifa", "sifa")
	if err := installBinary(built, bin); err != nil {
		b.Fatal(err)
	}
	dsn := "duckdb:" + filepath.Join(dir, "w.duckdb")
	ctx := context.Background()
	w, err := warehouse.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	cfg := &Config{DataDir: filepath.Join(dir, "var"), Warehouse: dsn}
	if err := loadDemoIfEmpty(ctx, cfg, w, io.Discard); err != nil {
		b.Fatal(err)
	}
	// twenty readers are twenty people: one account each (an account has at
	// most four requests in progress at once)
	const readers = 20
	for r := 0; r < readers; r++ {
		if err := dashboards.ChangeAccount(ctx, w, nil, dashboards.PasswordRules{}, dashboards.AccountChange{Action: "add", Name: fmt.Sprintf("bench%d", r), Role: "领导",
			Password: testPassword, By: "bench"}); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	port, _ := whtest.FreePort()
	cfgPath := filepath.Join(dir, "sifa.toml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("warehouse = %q\ndata_dir = %q\naddr = \"127.0.0.1:%d\"\nlog_level = \"warn\"\n", dsn, cfg.DataDir, port)), 0o644)
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; i < 300; i++ {
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	transport := &http.Transport{MaxIdleConnsPerHost: 32}
	clients := make([]*http.Client, readers)
	for r := range clients {
		jar, _ := cookiejar.New(nil)
		clients[r] = &http.Client{Jar: jar, Transport: transport}
		resp, err := clients[r].PostForm(base+"/login", url.Values{"user": {fmt.Sprintf("bench%d", r)}, "password": {testPassword}})
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
	}
	pages := []string{"/", "/disputes", "/staffing", "/funding", "/buildout", "/work"}
	var mu sync.Mutex
	var lat []time.Duration
	var errs atomic.Int64
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := clients[r]
			var mine []time.Duration
			for i := r; time.Now().Before(deadline); i++ {
				start := time.Now()
				resp, err := client.Get(base + pages[i%len(pages)] + "?org=990121&year=2014")
				if err != nil || resp.StatusCode != 200 {
					errs.Add(1)
				}
				if resp != nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	goHeap := ""
	if resp, err := http.Get(base + "/metrics"); err == nil {
		mb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(mb), "\n") {
			if v, ok := strings.CutPrefix(line, "sifa_go_sys_bytes "); ok {
				n, _ := strconv.ParseFloat(v, 64)
				goHeap = fmt.Sprintf("%.0f MB", n/1e6)
			}
		}
	}
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	peak := ""
	var parts []string
	for _, line := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			peak = strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
		if strings.HasPrefix(line, "RssAnon:") || strings.HasPrefix(line, "RssFile:") {
			parts = append(parts, strings.Join(strings.Fields(line), " "))
		}
	}
	fmt.Printf("\nDashboard pages under load: sifa serve (DuckDB, demo, 青山县 2014), 20 concurrent readers, 30 s\n\n")
	fmt.Printf("| requests | errors | requests/s | p50 ms | p95 ms | peak RSS | at the end | Go runtime |\n|---:|---:|---:|---:|---:|---|---|---|\n")
	fmt.Printf("| %d | %d | %.0f | %s | %s | %s | %s | %s |\n", len(lat), errs.Load(), float64(len(lat))/30, ms(percentile(lat, 0.5)), ms(percentile(lat, 0.95)), peak,
		strings.Join(parts, ", "), goHeap)
}

// installBinary copies the built binary into place as an install would.
// (Run straight from the linker's output, Linux 6.18 maps the binary in the
// large page-cache folios the linker wrote, and sifa shows some 28 MB more
// resident file pages than the same binary copied: docs/bench.md.)
func installBinary(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if err := ingest.CopyFile(from, to); err != nil {
		return fmt.Errorf("the sifa binary to serve with: %w", err)
	}
	return os.Chmod(to, 0o755)
}

// BenchmarkPanelsOn times every panel and page on a warehouse already
// loaded (SIFA_BENCH_WAREHOUSE, a DSN; SIFA_BENCH_PORT, a ClickHouse
// server's native port for its client), for the whole province in 2016:
// the loop of a change to the panels' SQL, without loading the province
// again; also compare.orgs over the ten years as BenchmarkScale does.
// SIFA_BENCH_PANELS limits it to some panels (comma-separated).
func BenchmarkPanelsOn(b *testing.B) {
	dsn := os.Getenv("SIFA_BENCH_WAREHOUSE")
	if dsn == "" {
		b.Skip("SIFA_BENCH_WAREHOUSE names the warehouse to measure")
	}
	ctx := context.Background()
	w, err := warehouse.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	port, _ := strconv.Atoi(os.Getenv("SIFA_BENCH_PORT"))
	var only []string
	if s := os.Getenv("SIFA_BENCH_PANELS"); s != "" {
		only = strings.Split(s, ",")
	}
	rows := measurePanels(b, w.Dialect().Name(), "全省", w, port, panels.Filter{Year: 2016}, 5, only...)
	fmt.Printf("\n| panel | p50 ms | p95 ms | client ms | ratio |\n|---|---:|---:|---:|---:|\n")
	for _, r := range rows {
		fmt.Printf("| %s | %s | %s | %s | %.2f |\n", r.panel, ms(r.p50), ms(r.p95), ms(r.client), float64(r.p50)/float64(max(r.client, time.Microsecond)))
	}
	if len(only) == 0 || slices.Contains(only, "compare.orgs") {
		printCompare(measurePanels(b, w.Dialect().Name(), compareScale, w, port, compareFilter, 10, "compare.orgs"))
	}
	if len(only) == 0 {
		fmt.Printf("\n| page | p50 ms | p95 ms |\n|---|---:|---:|\n")
		for _, r := range measurePages(b, w.Dialect().Name(), w, 5) {
			fmt.Printf("| %s | %s | %s |\n", r.page, ms(r.p50), ms(r.p95))
		}
	}
}
