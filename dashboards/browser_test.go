package dashboards_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"sifa/dashboards"
	"sifa/dashboards/geomap"
	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
)

// RequireBrowserEnv, when 1, makes a missing Chromium a failure (CI sets it).
const requireBrowserEnv = "SIFA_REQUIRE_BROWSER"

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatalf("Chromium is required (%s=1) but not installed", requireBrowserEnv)
	}
	t.Skip("Chromium not installed (apt-get install chromium)")
	return ""
}

// screenshotDir is where the browser test writes its screenshots: the
// repository's screenshots/ folder (not committed), or SIFA_SCREENSHOTS.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SIFA_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

type browserLog struct {
	mu       sync.Mutex
	requests []string
	errors   []string
	dialogs  []string
}

func (l *browserLog) add(list *[]string, s string) {
	l.mu.Lock()
	*list = append(*list, s)
	l.mu.Unlock()
}

func newBrowser(t *testing.T) (context.Context, *browserLog) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1366, 768),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	l := &browserLog{}
	t.Cleanup(func() { cancelB(); cancelA() })
	tctx := bctx
	// the first Do starts the browser (without a timeout: a timeout on the
	// first call would stop the whole browser); events are then recorded
	if err := chromedp.Do(bctx); err != nil {
		t.Fatal(err)
	}
	chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			l.add(&l.requests, e.Request.URL)
		case *runtime.EventExceptionThrown:
			msg := "exception: " + e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				msg += " " + e.ExceptionDetails.Exception.Description
			}
			l.add(&l.errors, msg)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				l.add(&l.errors, "console.error: "+strings.Join(parts, " "))
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				l.add(&l.errors, "log: "+e.Entry.Text+" "+e.Entry.URL)
			}
		case *page.EventJavascriptDialogOpening:
			l.add(&l.dialogs, e.Message)
			go chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	})
	return tctx, l
}

// waitCharts waits until every chart on the page has drawn its canvas, and
// returns how many charts there are.
func waitCharts(ctx context.Context, t *testing.T, url string) int {
	var charts, drawn int
	deadline := time.Now().Add(20 * time.Second)
	for {
		var err error
		charts, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.chart').length`))
		if err == nil {
			drawn, err = chromedp.Run(ctx, chromedp.Evaluate[int](`Array.from(document.querySelectorAll('.chart')).filter(e => e.querySelector('canvas') && e.offsetHeight > 100).length`))
		}
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if drawn == charts || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if drawn != charts {
		t.Errorf("%s: %d of %d charts drew a canvas", url, drawn, charts)
	}
	return charts
}

// browserSignIn signs a new administrator in through the sign-in page.
func browserSignIn(ctx context.Context, t *testing.T, base string) {
	name := newAccount(t, storeOf(t, base), panels.RoleAdmin, "")
	err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(`input[name="user"]`),
		chromedp.SendKeys(`input[name="user"]`, name), chromedp.SendKeys(`input[name="password"]`, testPassword),
		chromedp.Submit(`input[name="password"]`), chromedp.WaitVisible(`.who`))
	if err != nil {
		t.Fatalf("sign-in at %s: %v", base, err)
	}
}

// TestBrowser opens every page on the demo data in headless Chromium.
func TestBrowser(t *testing.T) {
	srv := demoSite(t)
	ctx, l := newBrowser(t)
	browserSignIn(ctx, t, srv.URL)
	shots := screenshotDir(t)
	pages := []struct{ name, path string }{
		{"overview", "/"}, {"disputes", "/disputes"}, {"staffing", "/staffing"}, {"funding", "/funding"}, {"plan", "/plan"},
		{"buildout", "/buildout"}, {"outlook", "/outlook"}, {"work", "/work"}, {"compare", "/compare"}, {"quality", "/quality"}, {"brief", "/brief"}, {"screen", "/screen"}, {"upload", "/upload"}, {"jobs", "/jobs"},
		{"users", "/admin/users"}, {"audit", "/admin/audit"}, {"map", "/admin/map"}, {"messages", "/messages"}, {"report", "/report"}, {"sources", "/sources"},
	}
	total := 0
	for _, p := range pages {
		url := srv.URL + p.path + "?org=990121&year=2014"
		if p.path == "/sources" {
			url += "&page=%2Fdisputes"
		}
		if p.path == "/upload" || p.path == "/jobs" || p.path == "/messages" || strings.HasPrefix(p.path, "/admin/") {
			url = srv.URL + p.path
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		n := waitCharts(ctx, t, url)
		if n == 0 && p.path != "/upload" && p.path != "/jobs" && p.path != "/messages" && !strings.HasPrefix(p.path, "/admin/") && p.path != "/report" && p.path != "/sources" && p.path != "/brief" && p.path != "/quality" {
			t.Errorf("%s: no charts", url)
		}
		total += n
		chromedp.Do(ctx, chromedp.Sleep(1200*time.Millisecond)) // let ECharts finish its entry animation
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(shots, p.name+".png"), png, 0o644)
	}
	t.Logf("%d charts drawn on %d pages; screenshots in %s", total, len(pages), shots)

	// drill down: click the first township's bar, then come back by the breadcrumb
	start := srv.URL + "/disputes?org=990121&year=2014"
	if err := chromedp.Do(ctx, chromedp.Navigate(start), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	waitCharts(ctx, t, start)
	if err := chromedp.Do(ctx, chromedp.ScrollIntoView(`.chart[data-drill]`), chromedp.Sleep(300*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
			const el = document.querySelector('.chart[data-drill]');
			const c = echarts.getInstanceByDom(el);
			const bar = c.getModel().getSeriesByIndex(0).getData().getItemLayout(0);
			const r = el.getBoundingClientRect();
			return [r.left + bar.x + bar.width / 2, r.top + bar.y + bar.height / 2];
		})()`))
	if err == nil {
		// zrender finds what is under the pointer as it moves: move onto the bar, then click
		err = chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, xy[0]-3, xy[1]-3), chromedp.Sleep(50*time.Millisecond),
			chromedp.MouseEvent(chromedp.MouseMoved, xy[0], xy[1]), chromedp.Sleep(100*time.Millisecond), chromedp.MouseClickXY(xy[0], xy[1]))
	}
	if err != nil {
		t.Fatalf("drill-down click: %v", err)
	}
	var loc string
	for i := 0; i < 50; i++ {
		loc, _ = chromedp.Run(ctx, chromedp.Location())
		if strings.Contains(loc, "org=990121100") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(loc, "org=990121100") || !strings.Contains(loc, "/disputes") {
		t.Fatalf("clicking 石门镇's bar led to %s, want /disputes?…org=990121100", loc)
	}
	waitCharts(ctx, t, loc)
	if crumb, err := chromedp.Run(ctx, chromedp.Text(`.crumbs strong`)); err != nil || crumb != "石门镇" {
		t.Errorf("breadcrumb after drill-down: %q %v", crumb, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.Search(`//div[@class="crumbs"]/a[text()="青山县"]`)), chromedp.WaitReady("body")); err != nil {
		t.Fatalf("breadcrumb click: %v", err)
	}
	for i := 0; i < 50; i++ {
		loc, _ = chromedp.Run(ctx, chromedp.Location())
		if strings.Contains(loc, "org=990121&") || strings.HasSuffix(loc, "org=990121") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(loc, "org=990121") || strings.Contains(loc, "org=990121100") {
		t.Errorf("the breadcrumb led to %s, want 青山县 (org=990121)", loc)
	}

	// script in the data runs nowhere
	xss := hostileSite(t)
	browserSignIn(ctx, t, xss.URL)
	for _, p := range pages[:12] { // the pages of data
		for _, q := range []string{"org=990199&year=2014", "org=990199100&year=2014", "org=990199101&year=2014"} {
			url := xss.URL + p.path + "?" + q
			if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
				t.Fatalf("%s: %v", url, err)
			}
			waitCharts(ctx, t, url)
		}
	}
	time.Sleep(300 * time.Millisecond)

	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.dialogs) > 0 {
		t.Errorf("script from the data ran: dialogs %q", l.dialogs)
	}
	for _, e := range l.errors {
		t.Errorf("browser error: %s", e)
	}
	outside := 0
	for _, u := range l.requests {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, xss.URL+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") && !strings.HasPrefix(u, "about:") {
			outside++
			t.Errorf("a request left the machine's server: %s", u)
		}
	}
	if len(l.requests) < 20 {
		t.Errorf("only %d requests recorded: the network log is not working", len(l.requests))
	}
	t.Logf("%d requests, all to 127.0.0.1 (%d outside), %d browser errors, %d dialogs", len(l.requests), outside, len(l.errors), len(l.dialogs))
	// the pages ran under the CSP header and broke none of it
	for _, u := range []string{srv.URL, xss.URL} {
		if n := cspReports(u); n != 0 {
			t.Errorf("%s: %d CSP violation reports", u, n)
		}
	}
	// and a violation would have been reported: an inline script is refused and reported
	l.mu.Unlock()
	ran, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const s = document.createElement('script'); s.textContent = 'window.__inline = true'; document.body.appendChild(s); return window.__inline === true })()`))
	if err != nil || ran {
		t.Errorf("an inline script ran despite the CSP (%v)", err)
	}
	for i := 0; i < 50 && cspReports(xss.URL) == 0; i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if n := cspReports(xss.URL); n < 1 {
		t.Errorf("the refused inline script was not reported (%d reports): the no-violation check above proves nothing", n)
	}
	l.mu.Lock()
}

// hostileSite serves a warehouse whose township and mediator names are script.
func hostileSite(t *testing.T) *httptest.Server {
	dir := t.TempDir()
	w, err := warehouse.Open(context.Background(), "duckdb:"+filepath.Join(dir, "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	reg := "区划代码,单位名称,层级,上级区划代码\n990199,安全县,县,\n990199100,\"" + strings.ReplaceAll(hostile1, `"`, `""`) + "\",乡镇(街道),990199\n990199101," + hostile2 + ",乡镇(街道),990199\n"
	med := "受理日期,乡镇,纠纷类型,调解结果,调解员\n2014-03-05,\"" + hostile1 + "\",邻里,调解成功,\"" + hostile1 + "\"\n2014-04-05," + hostile2 + ",邻里,调解成功," + hostile2 + "\n"
	os.WriteFile(filepath.Join(dir, "reg.csv"), []byte(reg), 0o644)
	os.WriteFile(filepath.Join(dir, "med.csv"), []byte(med), 0o644)
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(dir, "a")}, Config: transform.Config{Secret: []byte("k")}}
	reps, err := p.Run(context.Background(), []string{filepath.Join(dir, "med.csv"), filepath.Join(dir, "reg.csv")})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Err != nil || r.Rejected() > 0 {
			t.Fatalf("%s: %v %v", r.File, r.Err, r.Tables)
		}
	}
	// and a map whose townships are named by the registry's script
	c, err := geomap.Check(twoTownships, []geomap.Town{{Code: "990199100", Name: hostile1}, {Code: "990199101", Name: hostile2}})
	if err == nil {
		err = w.SetMap(context.Background(), warehouse.CountyMap{County: "990199", GeoJSON: string(c.GeoJSON), Features: c.Features})
	}
	if err != nil {
		t.Fatal(err)
	}
	return serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}})
}

var twoTownships = []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"code":"990199100"},"geometry":{"type":"Polygon","coordinates":[[[110,30],[110.1,30],[110.1,30.1],[110,30.1],[110,30]]]}},
{"type":"Feature","properties":{"code":"990199101"},"geometry":{"type":"Polygon","coordinates":[[[110.1,30],[110.2,30],[110.2,30.1],[110.1,30.1],[110.1,30]]]}}]}`)

// TestBrowserNarrow opens every page of data at a phone's width (390 px):
// no page is wider than the screen, and every bar of every chart lies
// inside its chart (at 390 px the 平台建设 charts once hid their 2016 bar).
func TestBrowserNarrow(t *testing.T) {
	srv := demoSite(t)
	ctx, l := newBrowser(t)
	browserSignIn(ctx, t, srv.URL)
	shots := screenshotDir(t)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2))); err != nil {
		t.Fatal(err)
	}
	for _, path := range pagePaths {
		url := srv.URL + path + "?org=990121&year=2016"
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitReady("body")); err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		waitCharts(ctx, t, url)
		chromedp.Do(ctx, chromedp.Sleep(1200*time.Millisecond)) // the entry animation lays the bars out
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const out = [];
			const w = window.innerWidth;
			if (document.documentElement.scrollWidth > w) out.push('page ' + document.documentElement.scrollWidth + ' px wide');
			document.querySelectorAll('.chart').forEach(el => {
				const r = el.getBoundingClientRect();
				if (r.right > w + 1) out.push(el.getAttribute('aria-label') + ': the chart reaches ' + Math.round(r.right) + ' px');
				const c = echarts.getInstanceByDom(el);
				if (!c) return;
				const cw = c.getWidth(), ch = c.getHeight();
				c.getModel().eachSeries(s => {
					if (s.subType !== 'bar') return;
					const d = s.getData();
					for (let i = 0; i < d.count(); i++) {
						const b = d.getItemLayout(i);
						if (!b || isNaN(b.x)) continue;
						const x0 = Math.min(b.x, b.x + b.width), x1 = Math.max(b.x, b.x + b.width);
						const y0 = Math.min(b.y, b.y + b.height), y1 = Math.max(b.y, b.y + b.height);
						if (x0 < -1 || x1 > cw + 1 || y0 < -1 || y1 > ch + 1)
							out.push(el.getAttribute('aria-label') + ': bar ' + d.getName(i) + ' of ' + s.name + ' outside the chart');
					}
				});
			});
			return out;
		})()`))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		for _, w := range wide {
			t.Errorf("%s at 390 px: %s", path, w)
		}
		if path == "/buildout" || path == "/outlook" {
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(filepath.Join(shots, strings.Trim(path, "/")+"_390.png"), png, 0o644) // quality 100: PNG
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errors {
		t.Errorf("browser error: %s", e)
	}
}
