package dashboards_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
)

// TestZeroReportPage: 营盘镇's 数据员 declares December's ledgers zero on the
// upload page; 营盘镇 is no longer missing and its month counts as sent on
// time; they cannot declare for another office, nor a month with data.
func TestZeroReportPage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w, err := warehouse.Open(ctx, "duckdb:"+filepath.Join(dir, "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	files := map[string]string{
		"机构名录.csv": "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n",
		"人民调解.csv": "受理日期,乡镇,纠纷类型,调解结果\n2016-12-05,石门镇,邻里,调解成功\n",
		"法律咨询.csv": "日期,乡镇,咨询方式,人次\n2016-12-06,石门镇,来访,3\n",
	}
	var paths []string
	for name, body := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644)
		paths = append(paths, filepath.Join(dir, name))
	}
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(dir, "a")}, Config: transform.Config{Secret: []byte("k")}}
	if _, err := p.Run(ctx, paths); err != nil {
		t.Fatal(err)
	}
	e := &panels.Engine{Store: w}
	srv := serveSite(t, &dashboards.Site{Engine: e, Ingest: p, UploadDir: t.TempDir()})
	clerk := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleClerk, "990121101")
	_, page := clerk.get(t, "/upload")
	if !strings.Contains(page, `<option value="990121101">营盘镇</option>`) || strings.Contains(page, `value="990121100"`) {
		t.Fatalf("the clerk's 零上报 form should offer their office only")
	}
	for _, c := range []struct {
		name, org, ledger, month string
		code                     int
	}{
		{"another office", "990121100", "mediation", "2016-11", 400},
		{"the roster", "990121101", "roster", "2016-12", 400},
		{"mediation", "990121101", "mediation", "2016-12", 200},
		{"consultation", "990121101", "consultation", "2016-12", 200},
	} {
		if code := clerk.post(t, "/upload/zero", url.Values{"org": {c.org}, "ledger": {c.ledger}, "month": {c.month}}); code != c.code {
			t.Errorf("%s: %d, want %d", c.name, code, c.code)
		}
	}
	admin := adminOf(t, srv.URL)
	if code := admin.post(t, "/upload/zero", url.Values{"org": {"990121100"}, "ledger": {"mediation"}, "month": {"2016-12"}}); code != 400 {
		t.Errorf("a 零上报 over 石门镇's December rows: %d, want 400", code)
	}
	sub, err := e.Run(ctx, "submissions.monthly", panels.Filter{Org: "990121", Year: 2016})
	if err != nil {
		t.Fatal(err)
	}
	if s := sub.(*panels.Submissions); s.Month != "2016-12" || s.Missing != 0 {
		t.Errorf("December after 营盘镇's 零上报: %+v", s)
	}
	tl, err := e.Run(ctx, "submissions.timeliness", panels.Filter{Org: "990121", From: "2016-12", To: "2016-12"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tl.(*panels.Timeliness).Rows {
		if r.OrgCode == "990121101" && (r.Zero != 1 || r.Missing != 0) {
			t.Errorf("营盘镇's December: %+v", r)
		}
	}
	_, audit := admin.get(t, "/admin/audit")
	if !strings.Contains(audit, "已零上报：营盘镇 2016年12月 没有人民调解的业务") {
		t.Error("the 零上报 is not in the audit log")
	}
}
