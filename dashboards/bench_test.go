package dashboards_test

import (
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

var assetRe = regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`)

// fetch GETs a URL as a browser would (gzip accepted) and returns the bytes on the wire.
func fetch(b *testing.B, url string) (int, string) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	for _, c := range adminOf(b, url).c.Jar.Cookies(req.URL) {
		req.AddCookie(c) // signed in, as every reader is
	}
	resp, err := http.DefaultTransport.RoundTrip(req) // the raw transport: no transparent gunzip
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		b.Fatalf("%s: %d", url, resp.StatusCode)
	}
	return len(body), resp.Header.Get("Content-Encoding")
}

// BenchmarkPages measures each dashboard page's server time (p50, p95 over
// b.N requests, DuckDB, demo data) and the bytes of a first load (the page
// and every asset it names, gzip as a browser receives them).
func BenchmarkPages(b *testing.B) {
	cold, warm := demoSiteCache(b, false), demoSiteCache(b, true)
	type result struct {
		page          string
		p50, p95      time.Duration
		page_, assets int
	}
	results := map[string]result{}
	for _, run := range []struct {
		name string
		srv  string
	}{{"cold", cold.URL}, {"warm", warm.URL}} {
		for _, path := range pagePaths {
			url := run.srv + path + "?org=990121&year=2014"
			srvURL := run.srv
			b.Run(run.name+strings.ReplaceAll(path, "/", "_"), func(b *testing.B) {
				// first load: the page and its assets
				_, plain := get(b, url)
				pageBytes, _ := fetch(b, url)
				assetBytes := 0
				for _, m := range assetRe.FindAllStringSubmatch(plain, -1) {
					n, enc := fetch(b, srvURL+m[1])
					if enc != "gzip" && strings.HasSuffix(m[1], ".js") {
						b.Errorf("%s is not served gzip", m[1])
					}
					assetBytes += n
				}
				lat := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					start := time.Now()
					fetch(b, url)
					lat = append(lat, time.Since(start))
				}
				b.StopTimer()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				p50, p95 := lat[len(lat)/2], lat[(len(lat)*95)/100]
				b.ReportMetric(float64(p95.Microseconds())/1000, "p95-ms")
				b.ReportMetric(float64(pageBytes+assetBytes), "first-load-B")
				results[run.name+path] = result{path, p50, p95, pageBytes, assetBytes}
			})
		}
	}
	fmt.Printf("\nDashboard pages, DuckDB, demo data (青山县 2014): server time over repeated requests, cold (no answer cache: every query runs) and warm (answers cached until the next load); first load = page + assets, gzip\n")
	fmt.Printf("| page | cold p50 ms | cold p95 ms | warm p50 ms | warm p95 ms | first load bytes |\n|---|---:|---:|---:|---:|---:|\n")
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for _, path := range pagePaths {
		c, ok1 := results["cold"+path]
		w, ok2 := results["warm"+path]
		if !ok1 || !ok2 {
			continue
		}
		fmt.Printf("| %s | %.1f | %.1f | %.1f | %.1f | %d |\n", path, ms(c.p50), ms(c.p95), ms(w.p50), ms(w.p95), c.page_+c.assets)
	}
}
