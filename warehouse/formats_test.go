package warehouse_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/whtest"
)

// formatsDir holds the fixtures LibreOffice wrote (ingest/testdata/formats/make.py).
const formatsDir = "../ingest/testdata/formats"

// loaded is what a file came to in the warehouse: mediation cases per month,
// their parties and amounts (元), legal-aid cases and what they recovered (元).
type loaded struct {
	cases     string // "2015-01=4 2015-02=1"
	parties   int64
	amount    int64
	aid       int64
	recovered int64
}

func loadedFigures(t *testing.T, w *warehouse.Warehouse) loaded {
	t.Helper()
	ctx := context.Background()
	var out loaded
	res, err := w.Query(ctx, "SELECT period, count(*) FROM fact_dispute WHERE "+w.Visible()+" GROUP BY period ORDER BY period")
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, r := range res.Rows {
		parts = append(parts, fmt.Sprintf("%s=%d", r[0], r[1]))
	}
	out.cases = strings.Join(parts, " ")
	res, err = w.Query(ctx, "SELECT sum(parties), sum(amount_fen) FROM fact_dispute WHERE "+w.Visible())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) == 1 && res.Rows[0][0] != nil {
		out.parties, out.amount = toInt(res.Rows[0][0]), toInt(res.Rows[0][1])/100
	}
	res, err = w.Query(ctx, "SELECT count(*), sum(recovered_fen) FROM fact_legal_aid WHERE "+w.Visible())
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) == 1 && res.Rows[0][1] != nil {
		out.aid, out.recovered = toInt(res.Rows[0][0]), toInt(res.Rows[0][1])/100
	}
	return out
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	case int32:
		return int64(x)
	}
	return -1
}

// Test-built files of the shapes other systems export (no one program writes them).
var gbk = simplifiedchinese.GBK.NewEncoder()

func gbkBytes(t *testing.T, s string) []byte {
	b, err := gbk.Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An HTML table saved as .xls by a case-management system: GBK, a title row
// and an export-time row, <th> headers, &nbsp;, a rowspan over two rows of
// one township and a colspan title.
const exportedHTML = `<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk"><title>导出</title></head><body>
<table border="1">
<tr><th colspan="6">人民调解案件登记表</th></tr>
<tr><td colspan="6">导出时间：2015-04-02 10:31:05&nbsp;&nbsp;操作员：admin</td></tr>
<tr><th>受理日期</th><th>乡镇</th><th>纠纷<br>类型</th><th>调解结果</th><th>当事人数</th><th>涉及金额(元)</th></tr>
<tr><td>2015-03-02</td><td rowspan="2">石门镇</td><td>邻里</td><td>调解成功</td><td>2</td><td>1,000.00&nbsp;</td></tr>
<tr><td>2015-03-09</td><td>合同</td><td>调解成功</td><td>3</td><td>&nbsp;</td></tr>
<tr><td>2015-03-15</td><td>营盘镇</td><td>邻里</td><td>调解不成功</td><td>2</td><td>500</td></tr>
<tr><td colspan="4">合计</td><td>7</td><td>1500</td></tr>
</table></body></html>`

// An Excel 2003 XML Spreadsheet declared in gb2312, with a hidden sheet and
// a cell placed by ss:Index.
const exportedXML = `<?xml version="1.0" encoding="gb2312"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
<Worksheet ss:Name="调解"><Table>
<Row><Cell ss:MergeAcross="4"><Data ss:Type="String">石门镇人民调解台账</Data></Cell></Row>
<Row><Cell><Data ss:Type="String">受理日期</Data></Cell><Cell><Data ss:Type="String">乡镇</Data></Cell><Cell><Data ss:Type="String">纠纷类型</Data></Cell><Cell><Data ss:Type="String">调解结果</Data></Cell><Cell><Data ss:Type="String">当事人数</Data></Cell></Row>
<Row><Cell><Data ss:Type="DateTime">2015-06-03T00:00:00.000</Data></Cell><Cell><Data ss:Type="String">石门镇</Data></Cell><Cell><Data ss:Type="String">邻里</Data></Cell><Cell><Data ss:Type="String">调解成功</Data></Cell><Cell><Data ss:Type="Number">4</Data></Cell></Row>
<Row><Cell><Data ss:Type="DateTime">2015-06-20T00:00:00.000</Data></Cell><Cell><Data ss:Type="String">石门镇</Data></Cell><Cell><Data ss:Type="String">合同</Data></Cell><Cell><Data ss:Type="String">调解成功</Data></Cell><Cell ss:Index="5"><Data ss:Type="Number">2</Data></Cell></Row>
</Table></Worksheet>
<Worksheet ss:Name="作废"><Table>
<Row><Cell><Data ss:Type="String">受理日期</Data></Cell><Cell><Data ss:Type="String">乡镇</Data></Cell><Cell><Data ss:Type="String">纠纷类型</Data></Cell><Cell><Data ss:Type="String">调解结果</Data></Cell></Row>
<Row><Cell><Data ss:Type="DateTime">2015-06-04T00:00:00.000</Data></Cell><Cell><Data ss:Type="String">石门镇</Data></Cell><Cell><Data ss:Type="String">邻里</Data></Cell><Cell><Data ss:Type="String">调解成功</Data></Cell></Row>
</Table><WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible></WorksheetOptions></Worksheet>
</Workbook>`

// A tab-separated GBK text saved as .xls, with 2015年7月 (a month only) in
// the day column and counts written 约N人 and N余人.
const exportedTSV = "受理日期\t乡镇\t纠纷类型\t调解结果\t涉及人数\r\n" +
	"2015-07-01\t石门镇\t邻里\t调解成功\t约6人\r\n" +
	"2015年7月\t营盘镇\t合同\t调解成功\t3余人\r\n" +
	"二〇一五年七月九日\t石门镇\t邻里\t调解成功\t2\r\n"

// TestEveryFileShapeLoads loads each shape of file offices send, on both
// engines, and checks the figures that reach the warehouse; each load runs
// under a deadline, so a file that hangs the ingest fails the test.
func TestEveryFileShapeLoads(t *testing.T) {
	monthly := loaded{cases: "2015-01=4 2015-02=1", parties: 22, amount: 18434, aid: 2, recovered: 23000}
	// LibreOffice's XML export drops the hidden flag of 旧数据: its one case loads
	monthlyXML := loaded{cases: "2014-06=1 2015-01=4 2015-02=1", parties: 22, amount: 18434, aid: 2, recovered: 23000}
	stacked := loaded{cases: "2014-10=2 2014-12=1 2015-01=2 2015-03=1", parties: 12}
	date1904 := loaded{cases: "2015-03=1 2016-12=1", parties: 6}
	cases := []struct {
		file   string
		data   []byte // test-built; nil: the LibreOffice fixture
		reader string
		want   loaded
		notes  string // what the notes of the report say, in part
		passed int    // sheets passed over
		tables string // each table's sheet, section and ledger ("" = not checked)
	}{
		{"monthly.xls", nil, "97–2003", monthly, "2 处人数是约数", 2, "1月#1 mediation 2月#1 mediation 法律援助#1 legal_aid"},
		{"monthly.et", nil, "97–2003", monthly, "已换算成元", 2, "1月#1 mediation 2月#1 mediation 法律援助#1 legal_aid"},
		{"monthly.ods", nil, "OpenDocument", monthly, "2 处人数是约数", 2, "1月#1 mediation 2月#1 mediation 法律援助#1 legal_aid"},
		{"monthly.xlsx", nil, "Excel 工作簿", monthly, "2 处人数是约数", 2, "1月#1 mediation 2月#1 mediation 法律援助#1 legal_aid"},
		{"monthly-html.xls", nil, "网页表格", monthly, "2 处人数是约数", 1, "1月#1 mediation 2月#1 mediation 法律援助#1 legal_aid"},
		{"monthly-xml.xls", nil, "SpreadsheetML", monthlyXML, "2 处人数是约数", 1, "1月#1 mediation 2月#1 mediation 法律援助#1 legal_aid 旧数据#1 mediation"},
		{"stacked.xls", nil, "97–2003", stacked, "", 0, "季度台账#1 mediation 季度台账#2 mediation"},
		{"stacked.ods", nil, "OpenDocument", stacked, "", 0, "季度台账#1 mediation 季度台账#2 mediation"},
		{"stacked.xlsx", nil, "Excel 工作簿", stacked, "", 0, "季度台账#1 mediation 季度台账#2 mediation"},
		{"date1904.xls", nil, "97–2003", date1904, "", 0, ""},
		{"date1904.xlsx", nil, "Excel 工作簿", date1904, "", 0, ""},
		{"date1904.ods", nil, "OpenDocument", date1904, "", 0, ""},
		{"unicode.txt", nil, "UTF-16", loaded{cases: "2015-04=2 2015-05=1", parties: 7}, "", 0, ""},
		{"导出.xls", gbkBytes(t, exportedHTML), "网页表格（HTML），GBK", loaded{cases: "2015-03=3", parties: 7, amount: 1500}, "", 0, ""},
		{"导出xml.xls", gbkBytes(t, exportedXML), "SpreadsheetML", loaded{cases: "2015-06=2", parties: 6}, "", 1, ""},
		{"导出文本.xls", gbkBytes(t, exportedTSV), "制表符分隔", loaded{cases: "2015-07=3", parties: 11}, "1 个日期只写了年月", 0, ""},
	}
	for _, engine := range []string{"duckdb", "clickhouse"} {
		for _, c := range cases {
			t.Run(engine+"/"+c.file, func(t *testing.T) {
				dir, w, p := withRegistry(t, freshDSN(t, engine))
				path := filepath.Join(formatsDir, c.file)
				if c.data != nil {
					path = write(t, dir, c.file, string(c.data))
				}
				rep := loadWithin(t, p, path, time.Minute)
				if rep.Err != nil {
					t.Fatalf("not loaded: %v", rep.Err)
				}
				if !strings.Contains(rep.Reader, c.reader) {
					t.Errorf("read as %q, want %q", rep.Reader, c.reader)
				}
				if len(rep.PassedOver) != c.passed {
					t.Errorf("passed over %v, want %d sheets", rep.PassedOver, c.passed)
				}
				var tables []string
				for _, tr := range rep.Tables {
					tables = append(tables, fmt.Sprintf("%s#%d %s", tr.Sheet, tr.Section, tr.Ledger))
				}
				if got := strings.Join(tables, " "); c.tables != "" && got != c.tables {
					t.Errorf("tables %q, want %q", got, c.tables)
				}
				for _, tr := range rep.Tables {
					if tr.Rejected > 0 {
						t.Errorf("%s: %d rows rejected: %v", tr.Where(), tr.Rejected, tr.Rejects)
					}
				}
				if notes := rep.Notes().Text(); c.notes != "" && !strings.Contains(notes, c.notes) {
					t.Errorf("notes %q, want %q", notes, c.notes)
				}
				if got := loadedFigures(t, w); got != c.want {
					t.Errorf("loaded %+v\nwant   %+v", got, c.want)
				}
			})
		}
	}
}

// freshDSN is an empty warehouse: a DuckDB file in a temp folder, or a new
// database on the shared ClickHouse test server.
func freshDSN(t *testing.T, engine string) string {
	if engine == "duckdb" {
		return "duckdb:" + filepath.Join(t.TempDir(), "w.duckdb")
	}
	return whtest.ClickHouse(t)
}

// loadWithin loads one file and fails the test if it takes longer than d.
func loadWithin(t *testing.T, p *load.Pipeline, path string, d time.Duration) load.FileReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d+10*time.Second)
	defer cancel()
	done := make(chan []load.FileReport, 1)
	go func() {
		reps, err := p.Run(ctx, []string{path})
		if err != nil {
			reps = []load.FileReport{{File: path, Err: err}}
		}
		done <- reps
	}()
	select {
	case reps := <-done:
		if len(reps) != 1 {
			t.Fatalf("%d reports", len(reps))
		}
		return reps[0]
	case <-time.After(d):
		t.Fatalf("%s: the load did not end within %s", filepath.Base(path), d)
	}
	return load.FileReport{}
}

// TestStoppedLoadLeavesNothing: a load stopped half way (sifa stopping on
// SIGTERM, or one file taking longer than its bound) leaves no row visible,
// says why, and the same file loads whole when sent again.
func TestStoppedLoadLeavesNothing(t *testing.T) {
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine+"/stopped", func(t *testing.T) {
			dir, w, p := withRegistry(t, freshDSN(t, engine))
			file := disputesFile(t, dir, "d.csv", 50, [2]string{"石门镇", "2015-01"}, [2]string{"营盘镇", "2015-02"})
			p.BatchRows = 10
			ctx, cancel := context.WithCancel(context.Background())
			p.AfterAppend = func(n int) {
				if n == 2 {
					cancel()
				}
			}
			reps, err := p.Run(ctx, []string{file})
			if err != nil || len(reps) != 1 || reps[0].Err == nil || !reps[0].Transient || !strings.Contains(reps[0].Err.Error(), "中止") {
				t.Fatalf("reports %+v, %v: want a transient 中止", reps, err)
			}
			if got := render(counts(t, w)); got != "" {
				t.Fatalf("visible after the stop: %s", got)
			}
			p.AfterAppend = nil
			run(t, p, file)
			if got := render(counts(t, w)); got != "石门镇 2015-01=50 营盘镇 2015-02=50" {
				t.Errorf("after sending again: %s", got)
			}
		})
		t.Run(engine+"/too-long", func(t *testing.T) {
			dir, w, p := withRegistry(t, freshDSN(t, engine))
			file := disputesFile(t, dir, "d.csv", 30, [2]string{"石门镇", "2015-01"})
			p.BatchRows, p.FileTimeout = 10, 300*time.Millisecond
			p.AfterAppend = func(n int) { time.Sleep(400 * time.Millisecond) }
			reps, err := p.Run(context.Background(), []string{file})
			if err != nil || len(reps) != 1 || reps[0].Err == nil || reps[0].Transient || !strings.Contains(reps[0].Err.Error(), "还没有读完") {
				t.Fatalf("reports %+v, %v: want the file refused for its time", reps, err)
			}
			if got := render(counts(t, w)); got != "" {
				t.Fatalf("visible after the stop: %s", got)
			}
		})
	}
}

// TestValuesTypedAsText: amounts, counts and dates typed as text the ways
// offices type them reach the warehouse as a person reads them, on both engines.
func TestValuesTypedAsText(t *testing.T) {
	mediation := "受理时间,乡镇,纠纷类别,调处结果,涉及人数,涉及金额（元）,结案时间\n" +
		"15-3-5,石门镇,邻里,调解成功,１２,\"1,234元\",2015.03.09\n" + // full-width digits, a two-digit year
		"2015.03.05  ,石门镇,合同,调解成功,10多人,1234.00,\n" + // trailing spaces
		"2015年3月20日,营盘镇,邻里,调解成功,\"1,000人次\",（500）,\n" + // a negative amount is a reject here
		"二〇一五年三月二十一日,营盘镇,邻里,调解成功,3,—,\n"
	budget := "年度,单位,经费类别,预算数,到位数,实际支出\n" +
		"2015,青山县,公用经费,\"￥12,000.00\",1.2万元,\"(1,234.00)\"\n" + // an adjustment in parentheses
		"2015,石门镇,公用经费,无,0.5万,800元\n"
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) {
			dir, w, p := withRegistry(t, freshDSN(t, engine))
			reps := run(t, p, write(t, dir, "调解.csv", mediation), write(t, dir, "经费.csv", budget))
			if n := reps[0].Rejected(); n != 1 || !strings.Contains(reps[0].Tables[0].Rejects[0].Reason, "负数") {
				t.Errorf("mediation rejects %+v, want the one negative amount", reps[0].Tables[0].Rejects)
			}
			if reps[1].Rejected() != 0 {
				t.Errorf("budget rejects %+v", reps[1].Tables[0].Rejects)
			}
			if got := loadedFigures(t, w); got != (loaded{cases: "2015-03=3", parties: 25, amount: 2468}) {
				t.Errorf("mediation loaded %+v", got)
			}
			res, err := w.Query(context.Background(), "SELECT sum(budget_fen), sum(allocated_fen), sum(actual_fen) FROM fact_budget WHERE "+w.Visible())
			if err != nil {
				t.Fatal(err)
			}
			r := res.Rows[0]
			if got := fmt.Sprint(toInt(r[0])/100, " ", toInt(r[1])/100, " ", toInt(r[2])/100); got != "12000 17000 -434" {
				t.Errorf("budget, allocated, actual = %s, want 12000 17000 -434", got)
			}
		})
	}
}
