package dashboards_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"sifa/dashboards"
	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// TestBrowserScreen opens the cockpit at 1920×1080 and at 390 px: the map
// and every chart draw, nothing is wider than the screen, no browser or
// CSP error, no request leaves the server; a click on a township's shape
// opens that township's cockpit; a commit makes the page reload itself.
func TestBrowserScreen(t *testing.T) {
	w := demoWarehouse(t, "duckdb")
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, ScreenRefresh: time.Second})
	ctx, l := newBrowser(t)
	browserSignIn(ctx, t, srv.URL)
	shots := screenshotDir(t)
	start := srv.URL + "/screen?org=990121&year=2016"
	for _, size := range []struct {
		name          string
		width, height int64
	}{{"screen_1920", 1920, 1080}, {"screen_390", 390, 844}} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.width, size.height), chromedp.Navigate(start), chromedp.WaitReady("body")); err != nil {
			t.Fatal(err)
		}
		if n := waitCharts(ctx, t, start); n != 3 {
			t.Errorf("%s: %d charts, want the map, the month trend and the ranking", size.name, n)
		}
		chromedp.Do(ctx, chromedp.Sleep(1200*time.Millisecond))
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
			const out = [];
			if (document.documentElement.scrollWidth > window.innerWidth) out.push('page ' + document.documentElement.scrollWidth + ' px wide');
			const el = document.querySelector('.chart[data-map]');
			if (!el) return ['no map'];
			const c = echarts.getInstanceByDom(el);
			const s = c.getModel().getSeriesByIndex(0);
			if (s.subType !== 'map') out.push('the map chart is a ' + s.subType);
			const geo = s.coordinateSystem;
			const drawn = s.getData().mapArray(i => s.getData().getName(i)).filter(n => geo.getRegion(n));
			if (drawn.length !== 13) out.push(drawn.length + ' townships drawn, want 13');
			document.querySelectorAll('.chart').forEach(e => {
				const r = e.getBoundingClientRect();
				if (r.right > window.innerWidth + 1) out.push(e.getAttribute('aria-label') + ' reaches ' + Math.round(r.right) + ' px');
			});
			return out;
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range got {
			t.Errorf("%s: %s", size.name, g)
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(shots, size.name+".png"), png, 0o644)
	}

	// a click on 柳林镇's shape opens 柳林镇's cockpit, the township picked out on its county's map
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(start), chromedp.WaitReady("body")); err != nil {
		t.Fatal(err)
	}
	waitCharts(ctx, t, start)
	chromedp.Do(ctx, chromedp.Sleep(800*time.Millisecond))
	xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
		const el = document.querySelector('.chart[data-map]');
		const s = echarts.getInstanceByDom(el).getModel().getSeriesByIndex(0);
		const geo = s.coordinateSystem;
		const p = geo.dataToPoint(geo.getRegion('柳林镇').getCenter());
		const r = el.getBoundingClientRect();
		return [r.left + p[0], r.top + p[1]];
	})()`))
	if err == nil {
		err = chromedp.Do(ctx, chromedp.MouseEvent(chromedp.MouseMoved, xy[0]-3, xy[1]-3), chromedp.Sleep(50*time.Millisecond),
			chromedp.MouseEvent(chromedp.MouseMoved, xy[0], xy[1]), chromedp.Sleep(100*time.Millisecond), chromedp.MouseClickXY(xy[0], xy[1]))
	}
	if err != nil {
		t.Fatalf("map click: %v", err)
	}
	var loc string
	for i := 0; i < 50 && !strings.Contains(loc, "org=990121103"); i++ {
		time.Sleep(100 * time.Millisecond)
		loc, _ = chromedp.Run(ctx, chromedp.Location())
	}
	if !strings.Contains(loc, "/screen?") || !strings.Contains(loc, "org=990121103") {
		t.Fatalf("clicking 柳林镇 on the map led to %s, want /screen?…org=990121103", loc)
	}
	waitCharts(ctx, t, loc)
	picked, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const s = echarts.getInstanceByDom(document.querySelector('.chart[data-map]')).getModel().getSeriesByIndex(0);
		const d = s.getData();
		const out = [];
		for (let i = 0; i < d.count(); i++) if (d.getItemModel(i).get('selected')) out.push(d.getName(i));
		return out.join(',') + '|' + document.querySelector('.screen-head h1').textContent;
	})()`))
	if err != nil || picked != "柳林镇|柳林镇司法行政驾驶舱" {
		t.Errorf("柳林镇's cockpit: picked out %q (%v), want 柳林镇 on the county's map", picked, err)
	}

	// new data: the page reloads itself (a new map version changes the data version)
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__drawn = true`)); err != nil {
		t.Fatal(err)
	}
	ms, err := w.MapsOf(context.Background(), []string{"990121"})
	if err != nil || len(ms) != 1 {
		t.Fatalf("990121's map: %v %v", ms, err)
	}
	m := ms[0]
	if err := w.SetMap(context.Background(), warehouse.CountyMap{County: m.County, GeoJSON: m.GeoJSON, Features: m.Features, ChangedBy: "test"}); err != nil {
		t.Fatal(err)
	}
	reloaded := false
	for i := 0; i < 100 && !reloaded; i++ {
		time.Sleep(100 * time.Millisecond)
		v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__drawn !== true`))
		reloaded = err == nil && v
	}
	if !reloaded {
		t.Error("the cockpit did not reload after new data was committed")
	}
	waitCharts(ctx, t, loc)

	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range l.errors {
		t.Errorf("browser error: %s", e)
	}
	for _, u := range l.requests {
		if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") && !strings.HasPrefix(u, "about:") {
			t.Errorf("a request left the machine's server: %s", u)
		}
	}
	if n := cspReports(srv.URL); n != 0 {
		t.Errorf("%d CSP violation reports", n)
	}
	t.Logf("%d requests, all to the server; screenshots screen_1920.png, screen_390.png in %s", len(l.requests), shots)
}

// TestMapUpload: an admin's GeoJSON is checked against the county's
// townships before it is kept, and audited; a bad file is refused with
// the reason and changes nothing; only an admin may upload.
func TestMapUpload(t *testing.T) {
	w := demoWarehouse(t, "duckdb")
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}})
	admin := adminOf(t, srv.URL)
	post := func(u *user, county string, file []byte) (int, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", u.csrf)
		mw.WriteField("county", county)
		fw, _ := mw.CreateFormFile("file", "边界.geojson")
		fw.Write(file)
		mw.Close()
		req, _ := http.NewRequest("POST", srv.URL+"/admin/map", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp := u.do(t, req, false)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	ctx := context.Background()
	mapOf := func(county string) warehouse.CountyMap { // the county's current map (empty: none)
		ms, err := w.MapsOf(ctx, []string{county})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			return warehouse.CountyMap{}
		}
		return ms[0]
	}
	before := mapOf("990122")
	// two of 绿水县's townships, one named by code, one by name: kept, the other ten listed as without a shape
	two := []byte(`{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"adcode":990122100,"note":"<b>x</b>"},"geometry":{"type":"Polygon","coordinates":[[[111,30],[111.1,30],[111.1,30.1],[111,30.1],[111,30]]]}},
{"type":"Feature","properties":{"name":"碧水镇"},"geometry":{"type":"Polygon","coordinates":[[[111.1,30],[111.2,30],[111.2,30.1],[111.1,30.1],[111.1,30]]]}}]}`)
	bad := bytes.Replace(two, []byte("990122100"), []byte("990121100"), 1) // a township of the other county
	for _, c := range []struct {
		name    string
		u       *user
		county  string
		file    []byte
		code    int
		want    string
		changed bool
	}{
		{"another county's township", admin, "990122", bad, 400, "本县的机构名录里没有这个乡镇代码", false},
		{"not a county", admin, "990122100", two, 400, "请选择一个县", false},
		{"not JSON", admin, "990122", []byte("乡镇,边界\n"), 400, "不是有效的 GeoJSON", false},
		{"a clerk", signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleClerk, "990122100"), "990122", two, 403, "", false},
		{"valid", admin, "990122", two, 200, "已保存绿水县的地图：2个乡镇有边界；10个乡镇没有边界", true},
	} {
		code, body := post(c.u, c.county, c.file)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, want %d saying %q", c.name, code, c.code, c.want)
		}
		m := mapOf("990122")
		if changed := m.GeoJSON != before.GeoJSON; changed != c.changed {
			t.Errorf("%s: map changed = %v", c.name, changed)
		}
	}
	m := mapOf("990122")
	if m.Features != 2 || strings.Contains(m.GeoJSON, "<b>") || !strings.Contains(m.GeoJSON, `"name":"清溪镇"`) {
		t.Errorf("kept map: %d features, %s", m.Features, m.GeoJSON)
	}
	// the cockpit draws what there is and says what is missing
	if code, body := admin.get(t, "/screen?org=990122&year=2016"); code != 200 || !strings.Contains(body, "12个乡镇中有10个没有边界") {
		t.Errorf("cockpit with a partial map: %d", code)
	}
	_, audit := admin.get(t, "/admin/audit")
	if !strings.Contains(audit, "已保存绿水县的地图") || !strings.Contains(audit, "本县的机构名录里没有这个乡镇代码") {
		t.Error("the uploads are not in the audit log")
	}
	// put the demo's map back for the other tests
	if err := w.SetMap(ctx, before); err != nil {
		t.Fatal(err)
	}
}
