package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sifa/ingest/ledger"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// readAll reads every table of a file into rows of canonical column → value.
func readAll(t *testing.T, path string, opt Options) ([]*Table, [][]map[string]string, error) {
	t.Helper()
	var tables []*Table
	var rows [][]map[string]string
	err := Read(path, opt, func(tb *Table) error {
		var rs []map[string]string
		for {
			rec, err := tb.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return err
			}
			for i := 0; i < int(rec.NumRows()); i++ {
				m := map[string]string{}
				for k, f := range rec.Schema().Fields() {
					switch c := rec.Column(k).(type) {
					case *array.String:
						m[f.Name] = c.Value(i)
					case *array.Int64:
						m[f.Name] = fmt.Sprint(c.Value(i))
					}
				}
				rs = append(rs, m)
			}
			rec.Release()
		}
		tables = append(tables, tb)
		rows = append(rows, rs)
		return nil
	})
	return tables, rows, err
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const messyCSV = `青山县人民调解案件登记台账
填报单位：石门镇司法所,,,,,,,,
统计时点：２０１４年１２月３１日,,,,,,,,单位：万元

编号,受理时间,所属乡镇,纠纷类型,调解结果,防止激化,,涉法信访,涉及金额
,,,,,类型,人数,,
1,2014-03-05,石门,邻里,调解成功,防止自杀,2,否,1.5
,,,,,,,,
2,2014年3月6日,石门镇司法所,婚姻家庭,成功,无,,是,"1,000"
合 计,,,,,,,,
注：本表由司法所填报
填表人：张三,,审核人：李四
`

func TestCSVEncodingsAndMess(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(messyCSV))
	if err != nil {
		t.Fatal(err)
	}
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(messyCSV))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"utf8-bom", append([]byte("\uFEFF"), messyCSV...)},
		{"utf8", []byte(messyCSV)},
		{"gb18030", gb},
		{"utf16le", u16},
		{"crlf", []byte(strings.ReplaceAll(messyCSV, "\n", "\r\n"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tables, rows, err := readAll(t, writeFile(t, "med.csv", c.data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			tb := tables[0]
			if tb.Ledger.ID != "mediation" {
				t.Fatalf("ledger = %s", tb.Ledger.ID)
			}
			if tb.Reporter != "石门镇司法所" || tb.Snapshot == "" || !tb.Wan["涉及金额(元)"] {
				t.Errorf("title lines: reporter %q snapshot %q wan %v", tb.Reporter, tb.Snapshot, tb.Wan)
			}
			if len(rows[0]) != 2 {
				t.Fatalf("rows = %d, want 2 (blank, 合计 and note rows skipped): %v", len(rows[0]), rows[0])
			}
			r := rows[0][0]
			want := map[string]string{"受理日期": "2014-03-05", "乡镇": "石门", "防止激化类型": "防止自杀", "防止激化人数": "2", "涉及金额(元)": "1.5", "_row": "7"}
			for k, v := range want {
				if r[k] != v {
					t.Errorf("%s = %q, want %q", k, r[k], v)
				}
			}
			if rows[0][1]["_row"] != "9" || rows[0][1]["涉及金额(元)"] != "1,000" {
				t.Errorf("second row: %v", rows[0][1])
			}
			if tb.Letters["乡镇"] != "C" {
				t.Errorf("乡镇 column letter = %q", tb.Letters["乡镇"])
			}
		})
	}
}

// TestXLSXMergedHeadersAndCells builds a workbook with a merged title, a
// two-row header whose group cell is merged across its children and whose
// other cells are merged down, a vertically merged 乡镇 over data rows,
// blank rows and columns, a 小计 row, a hidden sheet and an instructions sheet.
func TestXLSXMergedHeadersAndCells(t *testing.T) {
	f := excelize.NewFile()
	s := "调解台账"
	f.SetSheetName("Sheet1", "填表说明")
	f.SetCellStr("填表说明", "A1", "请按表头填写")
	f.NewSheet(s)
	f.NewSheet("隐藏")
	f.SetCellStr("隐藏", "A1", "受理日期")
	f.SetSheetVisible("隐藏", false)
	set := func(cell string, v any) { f.SetCellValue(s, cell, v) }
	set("A1", "绿水县人民调解案件登记台账")
	f.MergeCell(s, "A1", "J1")
	set("A2", "截至2014年12月31日")
	// header rows 4-5; column B left blank on purpose
	for col, h := range map[string]string{"A": "编号", "C": "受理日期", "D": "乡镇(街道)", "E": "纠纷类型", "F": "调解结果", "I": "涉法信访"} {
		set(col+"4", h)
		f.MergeCell(s, col+"4", col+"5")
	}
	set("G4", "防止激化")
	f.MergeCell(s, "G4", "H4")
	set("G5", "类型")
	set("H5", "人数")
	set("A6", 1)
	set("C6", 41703) // an Excel serial: 2014-03-04
	set("D6", "清溪镇")
	f.MergeCell(s, "D6", "D8") // 乡镇 merged over three rows
	set("E6", "邻里")
	set("F6", "调解成功")
	set("G6", "防止民转刑")
	set("H6", 3)
	set("I6", "否")
	set("A7", 2)
	set("C7", "2014.3.5")
	set("E7", "合同")
	set("F7", "调解不成功")
	set("A8", 3)
	set("C8", "20140306")
	set("E8", "其他")
	set("F8", "正在调解")
	set("A10", "小计")
	set("C10", 3)
	path := filepath.Join(t.TempDir(), "m.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	tables, rows, err := readAll(t, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) != 1 || tables[0].Sheet != s {
		t.Fatalf("tables: %d", len(tables))
	}
	if tables[0].Snapshot != "2014年12月31日" {
		t.Errorf("snapshot = %q", tables[0].Snapshot)
	}
	got := rows[0]
	if len(got) != 3 {
		t.Fatalf("rows = %d: %v", len(got), got)
	}
	for i, r := range got {
		if r["乡镇"] != "清溪镇" {
			t.Errorf("row %d 乡镇 = %q: merged cell not filled", i, r["乡镇"])
		}
	}
	if got[0]["受理日期"] != "41703" || got[0]["防止激化类型"] != "防止民转刑" || got[0]["防止激化人数"] != "3" || got[0]["_row"] != "6" {
		t.Errorf("row 1: %v", got[0])
	}
	if got[2]["_row"] != "8" {
		t.Errorf("row 3 number = %s", got[2]["_row"])
	}
}

func TestDetectEveryLedger(t *testing.T) {
	for _, l := range ledger.Ledgers {
		t.Run(l.ID, func(t *testing.T) {
			var hs []string
			for _, c := range l.Columns {
				hs = append(hs, c.Name)
			}
			data := "标题行\n" + strings.Join(hs, ",") + "\n"
			tables, _, err := readAll(t, writeFile(t, l.ID+".csv", []byte(data)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tables[0].Ledger != l {
				t.Errorf("detected %s, want %s", tables[0].Ledger.ID, l.ID)
			}
			if len(tables[0].Letters) != len(l.Columns) {
				t.Errorf("matched %d of %d columns", len(tables[0].Letters), len(l.Columns))
			}
		})
	}
}

func TestHeaderVariants(t *testing.T) {
	cases := []struct {
		header, want string
	}{
		{"受理时间,乡镇(街道),纠纷类别,调处结果", "乡镇"},
		{"受理日期,所属乡镇,纠纷类型,调解结果", "乡镇"},
		{"受理日期,司法所,纠纷类型,调解结果", "乡镇"},
		{"受理日期 ,乡镇（街道）,纠纷 类型,调解结果", "乡镇"},
	}
	for _, c := range cases {
		tables, _, err := readAll(t, writeFile(t, "h.csv", []byte(c.header+"\n")), Options{})
		if err != nil {
			t.Fatalf("%s: %v", c.header, err)
		}
		if tables[0].Ledger.ID != "mediation" || tables[0].Letters[c.want] == "" {
			t.Errorf("%s: ledger %s letters %v", c.header, tables[0].Ledger.ID, tables[0].Letters)
		}
	}
}

func TestForcedType(t *testing.T) {
	// headers that would not be detected alone (no signature) load when the type is given
	_, _, err := readAll(t, writeFile(t, "x.csv", []byte("日期,乡镇,咨询方式,人数\n")), Options{})
	if err == nil {
		t.Fatal("a header without the signature columns was taken")
	}
	tables, _, err := readAll(t, writeFile(t, "x.csv", []byte("日期,乡镇,咨询方式,人次\n2014-01-01,石门,来访,3\n")), Options{Ledger: ledger.ByName("法律咨询台账")})
	if err != nil || tables[0].Ledger.ID != "consultation" {
		t.Fatalf("forced type: %v", err)
	}
}

// zipWith writes a zip with the given parts (an .xlsx skeleton when parts are sheets).
func zipWith(t *testing.T, parts map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for name, data := range parts {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	z.Close()
	return b.Bytes()
}

func xlsxBytes(t *testing.T, fill func(f *excelize.File)) []byte {
	t.Helper()
	f := excelize.NewFile()
	fill(f)
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestHostileFiles: every bad input gets a clear error naming the file, and nothing panics.
func TestHostileFiles(t *testing.T) {
	good := xlsxBytes(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"受理日期", "乡镇", "纠纷类型", "调解结果"})
		for i := 2; i < 400; i++ {
			f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i), &[]any{"2014-01-01", "石门", "邻里", "调解成功"})
		}
	})
	bigCell := xlsxBytes(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"受理日期", "乡镇", "纠纷类型", "调解结果"})
		f.SetSheetRow("Sheet1", "A2", &[]any{"2014-01-01", strings.Repeat("石", 350000), "邻里", "调解成功"})
	})
	wide := xlsxBytes(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"受理日期", "乡镇", "纠纷类型", "调解结果"})
		sw, _ := f.NewStreamWriter("Sheet1")
		sw.SetRow("A1", []any{"受理日期", "乡镇", "纠纷类型", "调解结果"})
		row := make([]any, 100000)
		for i := range row {
			row[i] = "x"
		}
		sw.SetRow("A2", row)
		sw.Flush()
	})
	// a zip bomb: a sheet part that inflates past the default 200 MB limit
	bomb := func() []byte {
		var b bytes.Buffer
		z := zip.NewWriter(&b)
		w, _ := z.Create("xl/worksheets/sheet1.xml")
		chunk := bytes.Repeat([]byte(" "), 1<<20)
		for i := 0; i < 210; i++ {
			w.Write(chunk)
		}
		z.Close()
		return b.Bytes()
	}()
	wideCSV := "受理日期,乡镇,纠纷类型,调解结果" + strings.Repeat(",x", 100000) + "\n"
	cases := []struct {
		name, file string
		data       []byte
		opt        Options
		want       string
	}{
		{"empty", "a.csv", nil, Options{}, "空的"},
		{"only blank lines (found by FuzzUpload)", "a.csv", []byte("\n"), Options{}, "空的"},
		{"only blank lines, CRLF", "a.csv", []byte("\r\n\r\n"), Options{}, "空的"},
		{"not a spreadsheet", "a.xlsx", []byte("这不是表格，只是一段文字。\x00\x01\x02"), Options{}, "不是 Excel"},
		{"binary as csv", "a.csv", []byte{0x00, 0x01, 0x02, 0xFF, 0xFE, 0x00, 0x13}, Options{}, "无法识别"},
		{"latin1 garbage", "a.csv", bytes.Repeat([]byte{0x80, 0x81, 0x82, 0xFF}, 200), Options{}, "编码"},
		{"old xls", "a.xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 512)...), Options{}, ".xls"},
		{"truncated xlsx", "a.xlsx", good[:len(good)/2], Options{}, "Excel"},
		{"zip bomb", "a.xlsx", bomb, Options{}, "200 MB"},
		{"zip bomb small limit", "a.xlsx", good, Options{Limits: Limits{MaxInflatedBytes: 2000}}, "上限"},
		{"1 MB cell", "a.xlsx", bigCell, Options{}, "上限"},
		{"100,000 columns xlsx", "a.xlsx", wide, Options{}, "列"},
		{"100,000 columns csv", "a.csv", []byte(wideCSV), Options{}, "列"},
		{"no header", "a.csv", []byte("甲,乙,丙\n1,2,3\n"), Options{}, "找不到表头"},
		{"zip without workbook", "a.xlsx", zipWith(t, map[string][]byte{"a.txt": []byte("x")}), Options{}, "Excel"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll(t, writeFile(t, c.file, c.data), c.opt)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want a *FileError", err, err)
			}
			if fe.File != c.file || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q: want the file name and %q", err, c.want)
			}
		})
	}
}

func TestArchive(t *testing.T) {
	dir := t.TempDir()
	a := Archive{Dir: filepath.Join(dir, "archive")}
	p := writeFile(t, "台账.csv", []byte("受理日期\n"))
	x, err := a.Put(p)
	if err != nil {
		t.Fatal(err)
	}
	y, err := a.Put(p)
	if err != nil {
		t.Fatal(err)
	}
	if x.SHA256 != y.SHA256 || x.Path != y.Path || len(x.SHA256) != 64 {
		t.Fatalf("same bytes archived twice differently: %v %v", x, y)
	}
	b, err := os.ReadFile(x.Path)
	if err != nil || string(b) != "受理日期\n" {
		t.Fatalf("archived bytes: %q %v", b, err)
	}
	names, _ := os.ReadFile(strings.TrimSuffix(x.Path, ".csv") + ".names")
	if !strings.Contains(string(names), "台账.csv") {
		t.Errorf("names file: %q", names)
	}
	// an archive that cannot be written is an error that names the file, not a half file
	ro := Archive{Dir: "/proc/sifa-cannot-write"}
	if _, err := ro.Put(p); err == nil || !strings.Contains(err.Error(), "台账.csv") {
		t.Errorf("unwritable archive: %v", err)
	}
}

// TestLyingZipBomb: a sheet part whose central directory claims 1 KB but
// inflates to 300 MB is stopped without inflating it into memory.
func TestLyingZipBomb(t *testing.T) {
	good := xlsxBytes(t, func(f *excelize.File) {
		f.SetSheetRow("Sheet1", "A1", &[]any{"受理日期", "乡镇", "纠纷类型", "调解结果"})
	})
	zr, err := zip.NewReader(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, f := range zr.File {
		w, _ := z.Create(f.Name)
		if f.Name == "xl/worksheets/sheet1.xml" {
			chunk := bytes.Repeat([]byte(" "), 1<<20)
			for i := 0; i < 300; i++ {
				w.Write(chunk)
			}
			continue
		}
		rc, _ := f.Open()
		io.Copy(w, rc)
		rc.Close()
	}
	z.Close()
	data := b.Bytes()
	// rewrite every central-directory uncompressed size to 1 KB
	sig := []byte{0x50, 0x4b, 0x01, 0x02}
	for i := bytes.Index(data, sig); i >= 0; {
		copy(data[i+24:i+28], []byte{0x00, 0x04, 0x00, 0x00})
		j := bytes.Index(data[i+4:], sig)
		if j < 0 {
			break
		}
		i += 4 + j
	}
	var before, after runtimeMem
	before.read()
	_, _, err = readAll(t, writeFile(t, "bomb.xlsx", data), Options{})
	after.read()
	if err == nil || !strings.Contains(err.Error(), "bomb.xlsx") {
		t.Fatalf("lying zip bomb: err = %v", err)
	}
	if grew := after.total - before.total; grew > 100<<20 {
		t.Errorf("reading the bomb allocated %d MB", grew>>20)
	}
}

// TestHeaderRepeatedUnderTitles: a table's own header printed again under
// title lines starts another table when the titles name another 填报单位 or
// 统计时点 (two offices' ledgers, one below the other, under the same
// header), and is the page's titles again otherwise: never data rows.
func TestHeaderRepeatedUnderTitles(t *testing.T) {
	const header = "编号,受理日期,乡镇,纠纷类型,当事人数,调解结果\n"
	first := "人民调解台账\n填报单位：石门镇司法所\n" + header + "A1,2014-10-01,石门镇,邻里,2,调解成功\nA2,2014-10-02,石门镇,邻里,2,调解成功\n"
	second := header + "B1,2014-10-03,营盘镇,邻里,3,调解成功\n"
	cases := []struct {
		name, titles string
		want         string
	}{
		{"no titles", "", "#1 石门镇司法所 : A1/4 A2/5 B1/7"},
		{"the page's titles again", "人民调解台账\n填报单位：石门镇司法所\n", "#1 石门镇司法所 : A1/4 A2/5 B1/9"},
		{"another office", ",,,,,\n人民调解台账\n填报单位：营盘镇司法所\n", "#1 石门镇司法所 : A1/4 A2/5 #2 营盘镇司法所 : B1/10"},
		{"another date", "统计时点：2014年12月31日\n", "#1 石门镇司法所 : A1/4 A2/5 #2  2014年12月31日: B1/8"},
	}
	// the same lines as a CSV file and as a workbook's sheet
	files := func(t *testing.T, text string) []string {
		f := excelize.NewFile()
		for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			for j, v := range strings.Split(line, ",") {
				if v != "" {
					cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
					f.SetCellStr("Sheet1", cell, v)
				}
			}
		}
		var b bytes.Buffer
		if err := f.Write(&b); err != nil {
			t.Fatal(err)
		}
		return []string{writeFile(t, "repeat.csv", []byte(text)), writeFile(t, "repeat.xlsx", b.Bytes())}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, path := range files(t, first+c.titles+second) {
				for _, batch := range []int{1, 65536} {
					tables, rows, err := readAll(t, path, Options{BatchRows: batch})
					if err != nil {
						t.Fatal(err)
					}
					var got []string
					for k, rs := range rows {
						got = append(got, fmt.Sprintf("#%d %s %s:", k+1, tables[k].Reporter, tables[k].Snapshot))
						for _, r := range rs {
							got = append(got, r["编号"]+"/"+r[RowColumn])
						}
					}
					if g := strings.Join(got, " "); g != c.want {
						t.Errorf("%s, batch %d: read %s, want %s", filepath.Ext(path), batch, g, c.want)
					}
				}
			}
		})
	}
}

// TestCSVStackedTables reads a CSV holding two tables one below the other,
// each under its own title lines, with a title-like line inside the first:
// the rows the reader keeps while it looks (the header scan, the titles held
// back, the rows of the table below) must survive the CSV source reusing its
// row slice.
func TestCSVStackedTables(t *testing.T) {
	var b strings.Builder
	b.WriteString("人民调解台账\n填报单位：石门镇司法所\n编号,受理日期,乡镇,纠纷类型,当事人数,调解结果\n")
	var want []string
	want = append(want, "#1 石门镇司法所 :")
	for i := range 60 { // past the rows the header scan reads ahead
		if i == 40 {
			b.WriteString("第二页\n") // a title-like line held back, then data again: it was no title
			want = append(want, "第二页////44")
		}
		row := 4 + i + min(1, i/40)
		fmt.Fprintf(&b, "A%d,2014-10-%02d,石门镇,邻里,%d,调解成功\n", i, 1+i%28, 2+i%3)
		want = append(want, fmt.Sprintf("A%d/2014-10-%02d/石门镇/%d/%d", i, 1+i%28, 2+i%3, row))
	}
	b.WriteString(",,,,,\n人民调解台账（第一季度）\n统计时点：2015年3月31日\n填报单位：营盘镇司法所\n" +
		"乡镇,编号,受理日期,当事人数,纠纷类型,调解结果\n" + // its columns in another order: another table
		"营盘镇,B1,2015-01-05,2,婚姻家庭,调解成功\n营盘镇,B2,2015-03-06,2,邻里,正在调解\n")
	want = append(want, "#2 营盘镇司法所 2015年3月31日:", "B1/2015-01-05/营盘镇/2/70", "B2/2015-03-06/营盘镇/2/71")
	for _, batch := range []int{1, 7, 65536} {
		t.Run(fmt.Sprint(batch), func(t *testing.T) {
			tables, rows, err := readAll(t, writeFile(t, "stacked.csv", []byte(b.String())), Options{BatchRows: batch})
			if err != nil {
				t.Fatal(err)
			}
			if len(tables) != 2 {
				t.Fatalf("%d tables, want 2", len(tables))
			}
			var got []string
			for k, rs := range rows {
				got = append(got, fmt.Sprintf("#%d %s %s:", k+1, tables[k].Reporter, tables[k].Snapshot))
				for _, r := range rs {
					got = append(got, r["编号"]+"/"+r["受理日期"]+"/"+r["乡镇"]+"/"+r["当事人数"]+"/"+r[RowColumn])
				}
			}
			if g, w := strings.Join(got, " "), strings.Join(want, " "); g != w {
				t.Errorf("read\n%s\nwant\n%s", g, w)
			}
		})
	}
}
