package dashboards_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"sifa/dashboards"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

func TestAPI(t *testing.T) {
	e := &panels.Engine{Store: demoWarehouse(t, "duckdb")}
	srv := httptest.NewServer(dashboards.APIHandler(e))
	defer srv.Close()
	cases := []struct {
		path string
		code int
		want string
	}{
		{"/api/v1/panels/disputes.summary?org=990122&year=2014", 200, `"received":2116`},
		{"/api/v1/panels/disputes.by_org?org=990121&year=2014", 200, `"org_name":"石门镇"`},
		{"/api/v1/panels/disputes.by_month?from=2014-01&to=2014-03", 200, `"month":"2014-03"`},
		{"/api/v1/panels", 200, `"staffing.summary"`},
		{"/api/v1/panels/nope", 400, "没有名为"},
		{"/api/v1/panels/disputes.summary?county=990121", 400, "不认识的筛选条件"},
		{"/api/v1/panels/disputes.summary?org=abc", 400, "单位代码"},
		{"/api/v1/panels/disputes.summary?org=123456", 400, "机构名录里没有"},
		{"/api/v1/panels/disputes.summary?from=2014-13", 400, "月份"},
		{"/api/v1/panels/disputes.summary?from=2015-01&to=2014-01", 400, "晚于"},
		{"/api/v1/panels/disputes.summary?org=990122&year=2014&category=" + url.QueryEscape("邻里"), 200, `"received":`},
		{"/api/v1/panels/funding.shortfall?org=990121&year=2014&category=" + url.QueryEscape("法律援助经费"), 200, `"category":"法律援助经费"`},
		{"/api/v1/panels/disputes.summary?category=" + url.QueryEscape("吵架"), 400, "类别「吵架」不对"},
		{"/api/v1/panels/staffing.summary?category=" + url.QueryEscape("邻里"), 400, "不按类别筛选"},
	}
	for _, c := range cases {
		resp, err := http.Get(srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		var body strings.Builder
		buf := make([]byte, 1<<16)
		for {
			n, err := resp.Body.Read(buf)
			body.Write(buf[:n])
			if err != nil {
				break
			}
		}
		resp.Body.Close()
		if resp.StatusCode != c.code || !strings.Contains(body.String(), c.want) {
			t.Errorf("%s: %d %s, want %d with %q", c.path, resp.StatusCode, body.String(), c.code, c.want)
		}
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: content type %s", c.path, resp.Header.Get("Content-Type"))
		}
		if c.code == 200 && !json.Valid([]byte(body.String())) {
			t.Errorf("%s: not JSON", c.path)
		}
	}
}

func TestFilterEnd(t *testing.T) {
	cases := []struct {
		f          panels.Filter
		start, end string
	}{
		{panels.Filter{Year: 2014}, "2014-01-01", "2014-12-31"},
		{panels.Filter{From: "2016-02", To: "2016-02"}, "2016-02-01", "2016-02-29"},
		{panels.Filter{To: "2015-02"}, "", "2015-02-28"},
		{panels.Filter{}, "", ""},
	}
	for _, c := range cases {
		if c.f.Start() != c.start || c.f.End() != c.end {
			t.Errorf("%+v: %s..%s, want %s..%s", c.f, c.f.Start(), c.f.End(), c.start, c.end)
		}
	}
}

// TestCacheFollowsLoads: with the cache on, an answer changes as soon as a
// load commits, and repeated questions get the same answer.
func TestCacheFollowsLoads(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		return path
	}
	e := &panels.Engine{Store: w, Cache: true}
	ctx := context.Background()
	received := func() int64 {
		v, err := e.Run(ctx, "disputes.summary", panels.Filter{Org: "990121"})
		if err != nil {
			t.Fatal(err)
		}
		return v.(*panels.DisputesSummary).Received
	}
	p.Run(ctx, []string{write("reg.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n")})
	p.Run(ctx, []string{write("a.csv", "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,石门,邻里,调解成功\n")})
	if got := received(); got != 1 {
		t.Fatalf("received %d, want 1", got)
	}
	if got := received(); got != 1 {
		t.Fatalf("cached answer %d, want 1", got)
	}
	p.Run(ctx, []string{write("b.csv", "受理日期,乡镇,纠纷类型,调解结果\n2014-04-05,石门,邻里,调解成功\n2014-04-06,石门,邻里,调解成功\n")})
	if got := received(); got != 3 {
		t.Errorf("after a new load the cache answered %d, want 3", got)
	}
}

// TestCategoryFilter: the categories of a panel add up to the whole.
func TestCategoryFilter(t *testing.T) {
	e := &panels.Engine{Store: demoWarehouse(t, "duckdb")}
	ctx := context.Background()
	all, err := e.Run(ctx, "disputes.summary", panels.Filter{Org: "990122", Year: 2014})
	if err != nil {
		t.Fatal(err)
	}
	var sum, success int64
	types, _ := e.Run(ctx, "disputes.by_type", panels.Filter{Org: "990122", Year: 2014})
	for _, row := range types.(*panels.Rows[panels.DisputeRow]).Rows {
		v, err := e.Run(ctx, "disputes.summary", panels.Filter{Org: "990122", Year: 2014, Category: row.Type})
		if err != nil {
			t.Fatal(err)
		}
		d := v.(*panels.DisputesSummary)
		if d.Received != row.Received {
			t.Errorf("%s: summary %d, by_type %d", row.Type, d.Received, row.Received)
		}
		sum += d.Received
		success += d.MediatedSuccess
	}
	if a := all.(*panels.DisputesSummary); sum != a.Received || success != a.MediatedSuccess || sum != 2116 {
		t.Errorf("categories add up to %d/%d, the whole is %d/%d", sum, success, a.Received, a.MediatedSuccess)
	}
}

// TestSubmissions leaves some offices' monthly ledgers out: the check lists
// exactly those, for the month due by the configured day.
func TestSubmissions(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		return path
	}
	reg := "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n990121102,青石镇,乡镇(街道),990121\n"
	med := "受理日期,乡镇,纠纷类型,调解结果\n2026-10-05,石门,邻里,调解成功\n2026-10-06,营盘,邻里,调解成功\n2026-09-06,青石,邻里,调解成功\n"
	con := "日期,乡镇,咨询方式,人次\n2026-10-05,石门,来访,3\n2026-09-05,营盘,来访,3\n"
	if _, err := p.Run(context.Background(), []string{write("reg.csv", reg), write("med.csv", med), write("con.csv", con)}); err != nil {
		t.Fatal(err)
	}
	ask := func(now time.Time, f panels.Filter) *panels.Submissions {
		e := &panels.Engine{Store: w, SubmissionDay: 5, Now: func() time.Time { return now }}
		v, err := e.Run(context.Background(), "submissions.monthly", f)
		if err != nil {
			t.Fatal(err)
		}
		return v.(*panels.Submissions)
	}
	render := func(s *panels.Submissions) string {
		var parts []string
		for _, r := range s.Rows {
			parts = append(parts, r.OrgName+":"+strings.Join(r.Missing, "+"))
		}
		return s.Month + " " + strings.Join(parts, " ")
	}
	cases := []struct {
		now  time.Time
		f    panels.Filter
		want string
	}{
		// 27 November: October is due; 营盘 lacks consultation, 青石 both
		{time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), panels.Filter{}, "2026-10 营盘镇:法律咨询台账 青石镇:人民调解台账+法律咨询台账"},
		// 3 November, before the due day: September is the month due
		{time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC), panels.Filter{}, "2026-09 石门镇:人民调解台账+法律咨询台账 营盘镇:人民调解台账 青石镇:法律咨询台账"},
		// a township's own view
		{time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), panels.Filter{Org: "990121100"}, "2026-10 "},
		// the current year as a filter: the month due now, not December
		{time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), panels.Filter{Year: 2026}, "2026-10 营盘镇:法律咨询台账 青石镇:人民调解台账+法律咨询台账"},
	}
	for _, c := range cases {
		if got := render(ask(c.now, c.f)); got != c.want {
			t.Errorf("%s %+v: %q, want %q", c.now.Format("01-02"), c.f, got, c.want)
		}
	}
}
