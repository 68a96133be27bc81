package dashboards_test

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
)

var pagePaths = []string{"/", "/disputes", "/staffing", "/funding", "/plan", "/buildout", "/outlook", "/work", "/compare", "/quality", "/brief", "/screen"}

func demoSite(t testing.TB) *httptest.Server { return demoSiteCache(t, false) }

func demoSiteCache(t testing.TB, cache bool) *httptest.Server {
	w := demoWarehouse(t, "duckdb")
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(t.TempDir(), "archive")}, Config: transform.Config{Secret: []byte("test-secret")}}
	site := &dashboards.Site{Engine: &panels.Engine{Store: w, Cache: cache}, Ingest: p, UploadDir: t.TempDir(), Archive: archives["duckdb"].Path}
	return serveSite(t, site)
}

// get fetches a URL as the administrator signed in to its server.
func get(t testing.TB, url string) (int, string) {
	t.Helper()
	resp, err := adminOf(t, url).c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var numRe = regexp.MustCompile(`<(?:span|td)[^>]*? data-panel="([^"]*)" data-query="([^"]*)" data-field="([^"]*)" data-value="([^"]*)"[^>]*>(.*?)</(?:span|td)>`)

// lookup follows a dotted path (rows.3.received, prevented.防止自杀.cases) into decoded JSON.
func lookup(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, v != nil
}

var digits = regexp.MustCompile(`[0-9]`)

// TestPagesShowTheAPIsNumbers fetches every page under several filters and
// holds every number that names its panel to the panel API's answer for the
// same filter, and its digits on the page to that value.
func TestPagesShowTheAPIsNumbers(t *testing.T) {
	srv := demoSite(t)
	filters := []string{"", "org=990121&year=2014", "org=990122&year=2014", "org=990121101&year=2015", "org=990121101201&year=2016", "from=2013-03&to=2014-02&year=",
		"org=990122&year=2014&category=" + url.QueryEscape("邻里"), "org=990121&year=2014&category=" + url.QueryEscape("法律援助经费")}
	// a category belongs to the pages that take it (the others drop it); on another page it is a 400
	wrongPage := map[string]string{"/disputes": "法律援助经费", "/funding": "邻里"}
	checked := 0
	apiCache := map[string]any{}
	for _, path := range pagePaths {
		for _, q := range filters {
			code, body := get(t, srv.URL+path+"?"+q)
			if c := wrongPage[path]; c != "" && strings.Contains(q, url.QueryEscape(c)) {
				if code != 400 {
					t.Errorf("%s?%s: %d, want 400 for a category of another page", path, q, code)
				}
				continue
			}
			if code != 200 {
				t.Errorf("%s?%s: %d", path, q, code)
				continue
			}
			for _, m := range numRe.FindAllStringSubmatch(body, -1) {
				panel, query, field, value, text := m[1], html.UnescapeString(m[2]), html.UnescapeString(m[3]), html.UnescapeString(m[4]), m[5]
				key := panel + "?" + query
				api, ok := apiCache[key]
				if !ok {
					c, b := get(t, srv.URL+"/api/v1/panels/"+panel+"?"+query)
					if c != 200 {
						t.Fatalf("api %s: %d %s", key, c, b)
					}
					json.Unmarshal([]byte(b), &api)
					apiCache[key] = api
				}
				want, ok := lookup(api, field)
				if !ok {
					t.Errorf("%s?%s: field %s not in %s", path, q, field, key)
					continue
				}
				var got any
				json.Unmarshal([]byte(value), &got)
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s?%s: %s %s shows %v, API says %v", path, q, panel, field, got, want)
				}
				if n, isNum := want.(float64); isNum && n == float64(int64(n)) && !strings.Contains(text, "万") && !strings.Contains(text, "%") {
					if d := strings.Join(digits.FindAllString(text, -1), ""); d != strconv.FormatInt(int64(n), 10) {
						t.Errorf("%s?%s: %s %s reads %q on the page, value %v", path, q, panel, field, text, n)
					}
				}
				checked++
			}
		}
	}
	if checked < 300 {
		t.Errorf("only %d numbers checked: the pages carry fewer data-panel marks than expected", checked)
	}
	t.Logf("%d numbers on %d pages held to the API", checked, len(pagePaths)*len(filters))
}

func TestPageErrorsAndEmptyStates(t *testing.T) {
	srv := demoSite(t)
	cases := []struct {
		url  string
		code int
		want string
	}{
		{"/disputes?org=123456", 400, "机构名录里没有"},
		{"/disputes?year=abc", 400, "年份"},
		{"/disputes?county=1", 400, "不认识的筛选条件"},
		{"/disputes?category=" + url.QueryEscape("吵架"), 400, "类别「吵架」不对"},
		{"/staffing?category=" + url.QueryEscape("邻里"), 200, "队伍"},
		{"/funding?org=990121&year=2011", 200, "请上传“经费台账”"},
		{"/nope", 404, ""},
		{"/upload", 200, "上传并载入"},
		{"/jobs", 200, "还没有作业记录"},
		{"/assets/app.js", 200, "echarts.init"},
	}
	for _, c := range cases {
		code, body := get(t, srv.URL+c.url)
		if code != c.code || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, want %d with %q", c.url, code, c.code, c.want)
		}
	}
}

const hostile1 = `</script><script>alert(1)</script>`
const hostile2 = `__f__alert(1)__f__`

// TestXSS ingests a registry and a mediation ledger whose township and
// mediator names are script, then fetches every page: none contains them
// unescaped, every <script> is ours, and every chart option still parses.
func TestXSS(t *testing.T) {
	srv := hostileSite(t)
	scriptTag := regexp.MustCompile(`<script[^>]*>`)
	jsonBlock := regexp.MustCompile(`(?s)<script type="application/json"[^>]*>(.*?)</script>`)
	pages := 0
	for _, path := range pagePaths {
		for _, q := range []string{"org=990199&year=2014", "org=990199100&year=2014", "org=990199101&year=2014"} {
			code, body := get(t, srv.URL+path+"?"+q)
			if code != 200 {
				t.Errorf("%s?%s: %d", path, q, code)
			}
			pages++
			if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, hostile1) {
				t.Errorf("%s?%s: the script name reached the page unescaped", path, q)
			}
			for _, tag := range scriptTag.FindAllString(body, -1) {
				if tag != `<script src="/assets/echarts.min.js">` && tag != `<script src="/assets/app.js">` && !strings.HasPrefix(tag, `<script type="application/json" class="chart-option"`) &&
					!strings.HasPrefix(tag, `<script type="application/json" class="map-shape"`) {
					t.Errorf("%s?%s: a script tag that is not ours: %s", path, q, tag)
				}
			}
			for _, m := range jsonBlock.FindAllStringSubmatch(body, -1) {
				var v any
				if err := json.Unmarshal([]byte(m[1]), &v); err != nil {
					t.Errorf("%s?%s: chart option does not parse: %v", path, q, err)
				}
			}
			// __f__…__f__ may appear only as data (a JSON string or page text), never as code
			if i := strings.Index(body, hostile2); i >= 0 && strings.Contains(body, ":"+hostile2) {
				t.Errorf("%s?%s: %s appears as a bare value", path, q, hostile2)
			}
		}
	}
	// the names are there, escaped: the test saw the hostile data at all
	_, body := get(t, srv.URL+"/disputes?org=990199&year=2014")
	if !strings.Contains(body, "&lt;/script&gt;") && !strings.Contains(body, `\u003c/script\u003e`) {
		t.Errorf("the hostile township name is not on the page at all; the test proves nothing")
	}
	t.Logf("%d pages checked", pages)
}
