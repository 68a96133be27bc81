package dashboards_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/xuri/excelize/v2"

	"sifa/dashboards"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// readXLSX opens a workbook with excelize and returns every sheet's rows,
// and the chart parts in the package.
func readXLSX(t *testing.T, b []byte) (map[string][][]string, []string) {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	defer x.Close()
	out := map[string][][]string{}
	for _, sh := range x.GetSheetList() {
		rows, _ := x.GetRows(sh)
		out[sh] = rows
	}
	z, _ := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	var charts []string
	for _, f := range z.File {
		if strings.HasPrefix(f.Name, "xl/charts/chart") {
			rc, _ := f.Open()
			var buf bytes.Buffer
			buf.ReadFrom(rc)
			rc.Close()
			charts = append(charts, buf.String())
		}
	}
	return out, charts
}

// find returns the row whose first cell is label.
func find(rows [][]string, label string) []string {
	for _, r := range rows {
		if len(r) > 0 && r[0] == label {
			return r
		}
	}
	return nil
}

// TestPanelExports opens every export with an independent reader and holds
// its numbers to the panel API's answer for the same filter.
func TestPanelExports(t *testing.T) {
	srv := demoSite(t)
	admin := adminOf(t, srv.URL)
	api := func(path string, v any) {
		code, body := admin.get(t, path)
		if code != 200 {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		json.Unmarshal([]byte(body), v)
	}
	// staffing.summary as xlsx and csv: the seed figures, and a chart of the education counts
	var s panels.StaffingSummary
	api("/api/v1/panels/staffing.summary?org=990121&year=2014", &s)
	code, xb := admin.get(t, "/api/v1/panels/staffing.summary/export?org=990121&year=2014&format=xlsx")
	if code != 200 {
		t.Fatalf("xlsx export: %d", code)
	}
	sheets, charts := readXLSX(t, []byte(xb))
	first := sheets["队伍基本情况"]
	for label, want := range map[string]int64{"在岗人员": s.Staff, "司法所": s.Offices, "只有1人的所": s.OfficesSingleStaff, "2人及以上的所": s.OfficesMultiStaff,
		"46岁及以上": int64(s.Aged46Plus), "不会使用计算机": int64(s.NoComputer), "法律专业": int64(s.LawMajor)} {
		r := find(first, label)
		if r == nil || r[1] != strconv.FormatInt(want, 10) {
			t.Errorf("xlsx %s = %v, API %d", label, r, want)
		}
	}
	if r := find(first, "在岗人员"); r == nil || r[2] != "人" {
		t.Errorf("the unit of 在岗人员: %v", r)
	}
	edu := sheets["队伍基本情况 · 学历"]
	if r := find(edu, "高中"); r == nil || r[1] != "10" || edu[2][1] != "学历（人）" {
		t.Errorf("education sheet: %v", edu)
	}
	if len(charts) == 0 || !strings.Contains(charts[0], "<c:barChart>") && !strings.Contains(charts[0], "barChart") || !strings.Contains(charts[0], "$A$4") {
		t.Errorf("no native chart of the counts (%d chart parts)", len(charts))
	}
	_, cb := admin.get(t, "/api/v1/panels/staffing.summary/export?org=990121&year=2014&format=csv")
	if !strings.HasPrefix(cb, "\uFEFF") {
		t.Errorf("CSV without a BOM")
	}
	recs, err := func() ([][]string, error) {
		r := csv.NewReader(strings.NewReader(strings.TrimPrefix(cb, "\uFEFF")))
		r.FieldsPerRecord = -1
		return r.ReadAll()
	}()
	if err != nil {
		t.Fatal(err)
	}
	if r := find(recs, "在岗人员"); r == nil || r[1] != "26" {
		t.Errorf("CSV 在岗人员: %v", r)
	}
	// a list panel: every month's figure, with a line chart
	var months panels.Rows[panels.DisputeRow]
	api("/api/v1/panels/disputes.by_month?org=990122&year=2014", &months)
	_, xb = admin.get(t, "/api/v1/panels/disputes.by_month/export?org=990122&year=2014&format=xlsx")
	sheets, charts = readXLSX(t, []byte(xb))
	var rows [][]string
	for _, v := range sheets {
		if len(v) > len(rows) {
			rows = v
		}
	}
	if len(months.Rows) != 12 {
		t.Fatalf("API months: %d", len(months.Rows))
	}
	for _, m := range months.Rows {
		r := find(rows, m.Month)
		if r == nil || r[1] != strconv.FormatInt(m.Received, 10) || r[2] != strconv.FormatInt(m.MediatedSuccess, 10) {
			t.Errorf("month %s: xlsx %v, API %d/%d", m.Month, r, m.Received, m.MediatedSuccess)
		}
	}
	if len(charts) != 1 || !strings.Contains(charts[0], "lineChart") {
		t.Errorf("months: want one line chart, got %d", len(charts))
	}
	// money in 万元, as the page shows it
	var fs panels.FundingShortfall
	api("/api/v1/panels/funding.shortfall?org=990121&year=2014", &fs)
	_, xb = admin.get(t, "/api/v1/panels/funding.shortfall/export?org=990121&year=2014&format=xlsx")
	sheets, _ = readXLSX(t, []byte(xb))
	var fr [][]string
	for name, v := range sheets {
		if strings.Contains(name, "经费") && len(v) > 3 && len(v[2]) > 3 {
			fr = v
		}
	}
	if len(fr) < 3 || !strings.Contains(strings.Join(fr[2], "|"), "预算（万元）") {
		t.Fatalf("funding sheet head: %v", fr)
	}
	for _, row := range fs.Rows {
		r := find(fr, row.Category)
		want := strconv.FormatFloat(row.Budget/10000, 'f', -1, 64)
		if r == nil || !strings.Contains(strings.Join(r, "|"), "|"+want+"|") {
			t.Errorf("%s budget: xlsx %v, API %v 元 (= %s 万元)", row.Category, r, row.Budget, want)
		}
	}
	// a page: one sheet per panel it reads
	code, xb = admin.get(t, "/export?page=/staffing&org=990121&year=2014&format=xlsx")
	sheets, charts = readXLSX(t, []byte(xb))
	if code != 200 || len(sheets) < 4 || len(charts) < 2 {
		t.Errorf("page export: %d, %d sheets, %d charts", code, len(sheets), len(charts))
	}
	// a bad format is a 400
	if code, _ := admin.get(t, "/api/v1/panels/staffing.summary/export?format=pdf"); code != 400 {
		t.Errorf("format=pdf: %d", code)
	}
}

// TestParquetExport reads the Parquet of the rows behind a panel with
// arrow-go's reader: as many rows as the panel counted, none of the
// columns that would follow a person, and person rows only for roles that
// see individuals.
func TestParquetExport(t *testing.T) {
	srv := demoSite(t)
	admin := adminOf(t, srv.URL)
	var d panels.DisputesSummary
	_, body := admin.get(t, "/api/v1/panels/disputes.summary?org=990122&year=2014")
	json.Unmarshal([]byte(body), &d)
	code, pb := admin.get(t, "/api/v1/panels/disputes.summary/export?org=990122&year=2014&format=parquet")
	if code != 200 {
		t.Fatalf("parquet: %d %s", code, pb)
	}
	tbl := readParquet(t, []byte(pb))
	defer tbl.Release()
	if tbl.NumRows() != d.Received {
		t.Errorf("Parquet rows %d, the panel counted %d", tbl.NumRows(), d.Received)
	}
	cols := map[string]bool{}
	for _, f := range tbl.Schema().Fields() {
		cols[f.Name] = true
	}
	for _, c := range []string{"mediator_key", "person_key", "scope_key"} {
		if cols[c] {
			t.Errorf("column %s in the export", c)
		}
	}
	if !cols["dispute_type"] || !cols["received"] || !cols["load_id"] {
		t.Errorf("columns: %v", cols)
	}
	// the county column holds only 绿水县
	rr := array.NewTableReader(tbl, 1000)
	defer rr.Release()
	for rr.Next() {
		rec := rr.Record()
		idx := rec.Schema().FieldIndices("county_code")[0]
		col := rec.Column(idx).(*array.String)
		for i := 0; i < col.Len(); i++ {
			if col.Value(i) != "990122" {
				t.Fatalf("a row of %s in 绿水县's export", col.Value(i))
			}
		}
	}
	// person registers: the leader gets them without birth dates or keys, the researcher not at all
	st := storeOf(t, srv.URL)
	leader := signIn(t, srv.URL, st, panels.RoleLeader, "990121")
	researcher := signIn(t, srv.URL, st, panels.RoleResearcher, "990121")
	code, pb = leader.get(t, "/api/v1/panels/staffing.summary/export?year=2014&format=parquet")
	if code != 200 {
		t.Fatalf("the leader's staff rows: %d", code)
	}
	pf, _ := file.NewParquetReader(bytes.NewReader([]byte(pb)))
	if sch := pf.MetaData().Schema.String(); strings.Contains(sch, "birth") || strings.Contains(sch, "person_key") || !strings.Contains(sch, "age") {
		t.Errorf("staff rows schema: %s", sch)
	}
	if code, _ := researcher.get(t, "/api/v1/panels/staffing.summary/export?year=2014&format=parquet"); code != 403 {
		t.Errorf("the researcher's staff rows: %d, want 403", code)
	}
	if code, _ := researcher.get(t, "/api/v1/panels/disputes.summary/export?org=990122&year=2014&format=parquet"); code != 403 {
		t.Errorf("the 青山县 researcher's 绿水县 rows: %d, want 403", code)
	}
	// several tables: a zip of one Parquet file each
	code, zb := admin.get(t, "/api/v1/panels/work.summary/export?org=990121&year=2014&format=parquet")
	z, err := zip.NewReader(bytes.NewReader([]byte(zb)), int64(len(zb)))
	if code != 200 || err != nil || len(z.File) < 4 {
		t.Fatalf("work.summary parquet: %d %v", code, err)
	}
}

// TestFormulaLookingNamesStayText: an org registered as =HYPERLINK(…) is
// text in the CSV and the workbook, never a formula.
func TestFormulaLookingNamesStayText(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir})
	evil := `=HYPERLINK("http://evil.example","点")`
	reg := "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,\"" + strings.ReplaceAll(evil, `"`, `""`) + "\",乡镇(街道),990121\n"
	med := "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,\"" + strings.ReplaceAll(evil, `"`, `""`) + "\",邻里,调解成功\n"
	if _, page := postFiles(t, srv.URL+"/upload", map[string]string{"名录.csv": reg, "调解.csv": med}); !strings.Contains(page, "载入 1 行") {
		t.Fatalf("upload: %s", page)
	}
	admin := adminOf(t, srv.URL)
	_, cb := admin.get(t, "/api/v1/panels/disputes.by_org/export?org=990121&year=2014&format=csv")
	if !strings.Contains(cb, `'=HYPERLINK(`) || regexp.MustCompile(`(^|,|\n)"?=HYPERLINK`).MatchString(cb) {
		t.Errorf("CSV: the name is not kept as text:\n%s", cb)
	}
	_, xb := admin.get(t, "/api/v1/panels/disputes.by_org/export?org=990121&year=2014&format=xlsx")
	x, err := excelize.OpenReader(bytes.NewReader([]byte(xb)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	found := false
	for _, sh := range x.GetSheetList() {
		rows, _ := x.GetRows(sh)
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if f, _ := x.GetCellFormula(sh, cell); f != "" {
					t.Errorf("%s!%s is a formula: %s", sh, cell, f)
				}
				if strings.Contains(v, "HYPERLINK") {
					found = true
					if !strings.HasPrefix(v, "'=") {
						t.Errorf("%s!%s = %q", sh, cell, v)
					}
				}
			}
		}
	}
	if !found {
		t.Errorf("the name is not in the workbook at all: the test proves nothing")
	}
}

// TestSources: the 数据来源 page lists each panel's files; a raw file
// downloads as it was sent, within the account's scope only.
func TestSources(t *testing.T) {
	srv := demoSite(t)
	admin := adminOf(t, srv.URL)
	code, page := admin.get(t, "/sources?panel=disputes.summary&org=990122&year=2014")
	if code != 200 || !strings.Contains(page, "02_绿水县_人民调解台账_2014.xlsx") || strings.Contains(page, "青山县_人民调解") {
		t.Fatalf("sources page: %d", code)
	}
	link := regexp.MustCompile(`href="(/sources/raw/[0-9a-f]+)">02_绿水县_人民调解台账_2014.xlsx`).FindStringSubmatch(page)
	if link == nil {
		t.Fatal("no download link")
	}
	code, raw := admin.get(t, link[1])
	sum := sha256.Sum256([]byte(raw))
	if code != 200 || !strings.Contains(page, hex.EncodeToString(sum[:])[:12]) {
		t.Errorf("raw download: %d, its SHA-256 %x is not the listed one", code, sum[:6])
	}
	st := storeOf(t, srv.URL)
	researcher := signIn(t, srv.URL, st, panels.RoleResearcher, "990121")
	if code, _ := researcher.get(t, link[1]); code != 403 {
		t.Errorf("青山县's researcher downloading 绿水县's file: %d", code)
	}
	_, mine := researcher.get(t, "/sources?page=/staffing&year=2014")
	if strings.Contains(mine, `/sources/raw/`) && strings.Contains(mine, "花名册</a>") {
		t.Errorf("a researcher is offered the roster (names, ID numbers)")
	}
	_, mine = researcher.get(t, "/sources?page=/disputes&year=2014")
	own := regexp.MustCompile(`href="(/sources/raw/[0-9a-f]+)">02_青山县_人民调解台账_2014`).FindStringSubmatch(mine)
	if own == nil {
		t.Fatalf("the researcher is not offered 青山县's own mediation ledger")
	}
	if code, _ := researcher.get(t, own[1]); code != 200 {
		t.Errorf("the researcher's own county's file: %d", code)
	}
	// every page links its exports and sources, for its filter
	_, dp := admin.get(t, "/disputes?org=990121&year=2014")
	for _, want := range []string{"/export?", "format=xlsx", "/sources?", "page=%2Fdisputes"} {
		if !strings.Contains(dp, want) {
			t.Errorf("the disputes page lacks %q", want)
		}
	}
}

// TestEveryPanelExports: every panel exports as xlsx and csv that open,
// and every whole number of its answer's top level is in the export.
func TestEveryPanelExports(t *testing.T) {
	srv := demoSite(t)
	admin := adminOf(t, srv.URL)
	var list struct {
		Panels []struct{ ID string } `json:"panels"`
	}
	_, body := admin.get(t, "/api/v1/panels")
	json.Unmarshal([]byte(body), &list)
	if len(list.Panels) < 17 {
		t.Fatalf("%d panels listed", len(list.Panels))
	}
	checked := 0
	for _, p := range list.Panels {
		q := "org=990121&year=2014"
		if p.ID == "jobs.recent" || p.ID == "meta.years" || p.ID == "submissions.monthly" {
			q = ""
		}
		_, ans := admin.get(t, "/api/v1/panels/"+p.ID+"?"+q)
		var top map[string]any
		json.Unmarshal([]byte(ans), &top)
		code, xb := admin.get(t, "/api/v1/panels/"+p.ID+"/export?format=xlsx&"+q)
		if code != 200 {
			t.Errorf("%s xlsx: %d", p.ID, code)
			continue
		}
		sheets, _ := readXLSX(t, []byte(xb))
		var cells strings.Builder
		for _, rows := range sheets {
			for _, r := range rows {
				cells.WriteString("|" + strings.Join(r, "|") + "|")
			}
		}
		code, cb := admin.get(t, "/api/v1/panels/"+p.ID+"/export?format=csv&"+q)
		if code != 200 || !strings.HasPrefix(cb, "\uFEFF") {
			t.Errorf("%s csv: %d", p.ID, code)
		}
		for k, v := range top {
			n, ok := v.(float64)
			if !ok || n != float64(int64(n)) || k == "success_rate" || strings.HasSuffix(k, "_rate") {
				continue
			}
			if k == "legal_aid_recovered" || k == "amount_involved" {
				continue // money: in 万元 in the export
			}
			s := strconv.FormatInt(int64(n), 10)
			if !strings.Contains(cells.String(), "|"+s+"|") || !strings.Contains(cb, ","+s) {
				t.Errorf("%s: %s = %s not in the xlsx or csv", p.ID, k, s)
			}
			checked++
		}
	}
	t.Logf("%d panels exported; %d top-level numbers found in both formats", len(list.Panels), checked)
}

// TestParquetRowCap: the rows behind an answer past the engine's cap are a
// 400 that asks for a narrower filter, not a file built in memory; within
// the cap the same export is whole.
func TestParquetRowCap(t *testing.T) {
	w := demoWarehouse(t, "duckdb")
	site := &dashboards.Site{Engine: &panels.Engine{Store: w, MaxRowsBehind: 2000}, UploadDir: t.TempDir()}
	srv := serveSite(t, site)
	admin := adminOf(t, srv.URL)
	code, body := admin.get(t, "/api/v1/panels/disputes.summary/export?org=990122&year=2014&format=parquet")
	if code != 400 || !strings.Contains(body, "超过一次导出的上限 2000 行") || !strings.Contains(body, "2116") {
		t.Errorf("past the cap: %d %s", code, body)
	}
	code, body = admin.get(t, "/api/v1/panels/disputes.summary/export?org=990122100&year=2014&format=parquet")
	if code != 200 || !strings.HasPrefix(body, "PAR1") {
		t.Errorf("one township within the cap: %d", code)
	}
	if left, _ := filepath.Glob(filepath.Join(site.UploadDir, "sifa-export-*")); len(left) != 0 {
		t.Errorf("exports left on disk: %v", left)
	}
}

// readParquet reads a Parquet file with arrow-go into one table.
func readParquet(t *testing.T, b []byte) arrow.Table {
	t.Helper()
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a Parquet file: %v", err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}
