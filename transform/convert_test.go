package transform

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"sifa/ingest"
)

func testRegistry() *Registry {
	return NewRegistry([]Org{
		{Code: "990121", Name: "青山县", Level: LevelCounty},
		{Code: "990121100", Name: "石门镇", Level: LevelTown, Parent: "990121", Aliases: []string{"石门街"}},
		{Code: "990121100201", Name: "石门村", Level: LevelVillage, Parent: "990121100"},
		{Code: "990121101", Name: "营盘镇", Level: LevelTown, Parent: "990121"},
		{Code: "990122", Name: "绿水县", Level: LevelCounty},
		{Code: "990122100", Name: "营盘镇", Level: LevelTown, Parent: "990122"}, // the same name in another county
	})
}

var testNow = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// convertCSV reads a CSV fixture through the real ingest path and converts it.
func convertCSV(t *testing.T, csv string, reg *Registry) (*Converter, []arrow.Record, []Reject, error) {
	t.Helper()
	return convertFile(t, "fixture.csv", csv, reg, Config{Secret: []byte("k"), Now: testNow})
}

// convertFile is convertCSV for a file of the given name and configuration.
func convertFile(t *testing.T, name, csv string, reg *Registry, cfg Config) (*Converter, []arrow.Record, []Reject, error) {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	var conv *Converter
	var recs []arrow.Record
	var rejects []Reject
	err := ingest.Read(p, ingest.Options{}, func(tb *ingest.Table) error {
		var err error
		conv, err = NewConverter(tb, reg, cfg, "load1")
		if err != nil {
			return err
		}
		if tb.Ledger.ID == "registry" {
			var in []arrow.Record
			for {
				rec, err := tb.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					return err
				}
				in = append(in, rec)
			}
			out, rj, _ := conv.ConvertRegistry(in)
			recs, rejects = append(recs, out), append(rejects, rj...)
			return nil
		}
		for {
			rec, err := tb.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			out, rj := conv.Convert(rec)
			recs = append(recs, out)
			rejects = append(rejects, rj...)
		}
	})
	return conv, recs, rejects, err
}

func column(t *testing.T, recs []arrow.Record, name string) []string {
	t.Helper()
	var out []string
	for _, r := range recs {
		k := r.Schema().FieldIndices(name)[0]
		for i := 0; i < int(r.NumRows()); i++ {
			switch c := r.Column(k).(type) {
			case *array.String:
				out = append(out, c.Value(i))
			case *array.Int64:
				out = append(out, itoa(c.Value(i)))
			case *array.Date32:
				if c.IsNull(i) {
					out = append(out, "")
				} else {
					out = append(out, c.Value(i).FormattedString())
				}
			}
		}
	}
	return out
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		return "-" + string(b)
	}
	return string(b)
}

const medHeader = "编号,受理日期,乡镇,村(社区),纠纷类型,调解结果,结案日期,当事人数,涉及金额(元),防止激化类型,防止激化人数,涉法信访\n"

// TestRejectReasons: each reason a row can be rejected for, with the column it names.
func TestRejectReasons(t *testing.T) {
	reg := testRegistry()
	cases := []struct {
		name, header, row string
		column, reason    string
	}{
		{"required missing", medHeader, "1,,石门,,邻里,调解成功,,,,,,否", "受理日期", "必须填写"},
		{"bad date", medHeader, "1,2014-02-30,石门,,邻里,调解成功,,,,,,否", "受理日期", "不是有效的日期"},
		{"future date", medHeader, "1,2031-01-01,石门,,邻里,调解成功,,,,,,否", "受理日期", "今天之后"},
		{"coded value", medHeader, "1,2014-03-05,石门,,吵架,调解成功,,,,,,否", "纠纷类型", "不在可选范围内"},
		{"unknown org", medHeader, "1,2014-03-05,黑山,,邻里,调解成功,,,,,,否", "乡镇", "机构名录里没有「黑山」"},
		{"ambiguous org", medHeader, "1,2014-03-05,营盘,,邻里,调解成功,,,,,,否", "乡镇", "对应多个单位"},
		{"unknown village", medHeader, "1,2014-03-05,石门,杨家村,邻里,调解成功,,,,,,否", "村(社区)", "没有「杨家村」"},
		{"not a number", medHeader, "1,2014-03-05,石门,,邻里,调解成功,,三个,,,,否", "当事人数", "不是数字"},
		{"negative", medHeader, "1,2014-03-05,石门,,邻里,调解成功,,-2,,,,否", "当事人数", "负数"},
		{"fraction", medHeader, "1,2014-03-05,石门,,邻里,调解成功,,2.5,,,,否", "当事人数", "整数"},
		{"negative money", medHeader, "1,2014-03-05,石门,,邻里,调解成功,,,-100,,,否", "涉及金额(元)", "负数"},
		{"yes/no", medHeader, "1,2014-03-05,石门,,邻里,调解成功,,,,,,也许", "涉法信访", "是"},
		{"closed before received", medHeader, "1,2014-03-05,石门,,邻里,调解成功,2014-03-01,,,,,否", "结案日期", "早于受理日期"},
		{"mangled ID", "统计时点,编号,身份证号,乡镇,矫正类别,状态\n", "2014-12-31,1,6.10322E+17,石门,缓刑,在矫", "身份证号", "存成了数字"},
		{"ID checksum", "统计时点,编号,身份证号,乡镇,矫正类别,状态\n", "2014-12-31,1,BADCHECK,石门,缓刑,在矫", "身份证号", "校验"},
		{"ID length", "统计时点,编号,身份证号,乡镇,矫正类别,状态\n", "2014-12-31,1,99012119650412,石门,缓刑,在矫", "身份证号", "18位"},
		{"no birth", "统计时点,编号,身份证号,出生日期,乡镇,矫正类别,状态\n", "2014-12-31,1,,,石门,缓刑,在矫", "出生日期", "至少要填一个"},
		{"snapshot cell empty", "统计时点,编号,出生日期,乡镇,矫正类别,状态\n", ",1,1970-01-01,石门,缓刑,在矫", "统计时点", "没有统计时点"},
		{"budget year", "年度,单位,经费类别,预算数\n", "二〇一四,青山县司法局,公用经费,1000", "年度", "四位年份"},
		{"budget unit", "年度,单位,经费类别,预算数\n", "2014,财政局,公用经费,1000", "单位", "机构名录里没有"},
		{"standardized before established", "统计时点,站点名称,层级,乡镇,建立日期,规范化验收日期\n", "2014-12-31,石门站,乡镇司法行政服务站,石门,2014-05-01,2013-01-01", "规范化验收日期", "早于建立日期"},
		{"work room without village", "统计时点,站点名称,层级,乡镇,村(社区),建立日期\n", "2014-12-31,室,村(社区)司法行政工作室,石门,,2014-05-01", "村(社区)", "必须填写"},
		{"roster name", "统计时点,姓名,出生日期,单位,在岗状态\n", "2014-12-31,,1970-01-01,石门镇司法所,在岗", "姓名", "必须填写"},
		{"registry code", "区划代码,单位名称,层级,上级区划代码\n", "99012X,某县,县,", "区划代码", "只能是数字"},
		{"registry length", "区划代码,单位名称,层级,上级区划代码\n", "9901210,某县,县,", "区划代码", "6位"},
		{"registry parent missing", "区划代码,单位名称,层级,上级区划代码\n", "990121199,某镇,乡镇(街道),", "上级区划代码", "必须填"},
		{"registry parent unknown", "区划代码,单位名称,层级,上级区划代码\n", "990129199,某镇,乡镇(街道),990129", "上级区划代码", "找不到"},
		{"registry parent level", "区划代码,单位名称,层级,上级区划代码\n", "990121100299,某村,村(社区),990121", "上级区划代码", "层级不对"},
	}
	good := idWith("990121", "19650412", "013")
	bad := good[:17] + map[bool]string{true: "0", false: "X"}[good[17] == 'X']
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conv, _, rejects, err := convertCSV(t, c.header+strings.Replace(c.row, "BADCHECK", bad, 1)+"\n", reg)
			if err != nil {
				t.Fatal(err)
			}
			if conv.Rejected != 1 || conv.Accepted != 0 {
				t.Fatalf("accepted %d rejected %d: %v", conv.Accepted, conv.Rejected, rejects)
			}
			found := false
			for _, r := range rejects {
				if r.Column == c.column && strings.Contains(r.Reason, c.reason) && r.Row == 2 && r.File == "fixture.csv" {
					found = true
					if r.Letter == "" && c.column != "统计时点" {
						t.Errorf("no column letter: %+v", r)
					}
					if !strings.Contains(r.Error(), "fixture.csv") || !strings.Contains(r.Error(), "第2行") {
						t.Errorf("message does not name file and row: %s", r.Error())
					}
				}
			}
			if !found {
				t.Errorf("want a reject on %s with %q, got %v", c.column, c.reason, rejects)
			}
			for _, r := range rejects {
				if strings.Contains(r.Value, "19650412") {
					t.Errorf("a reject keeps an ID number in clear: %+v", r)
				}
			}
		})
	}
}

func TestFileLevelErrors(t *testing.T) {
	reg := testRegistry()
	cases := []struct{ name, csv, want string }{
		{"missing required column", "受理日期,纠纷类型,调解结果\n2014-01-01,邻里,调解成功\n", "缺少必填的列：「乡镇」"},
		{"snapshot ledger without snapshot", "编号,乡镇,矫正类别,管理等级,状态\n1,石门,缓刑,普管,在矫\n", "没有统计时点"},
		{"bad title snapshot", "统计时点：2014年13月\n编号,乡镇,矫正类别,管理等级,状态\n1,石门,缓刑,普管,在矫\n", "不是有效日期"},
	}
	for _, c := range cases {
		_, _, _, err := convertCSV(t, c.csv, reg)
		var fe *ingest.FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "fixture.csv") {
			t.Errorf("%s: err = %v, want %q", c.name, err, c.want)
		}
	}
}

// TestSharedTownName: 营盘镇 is in both 青山县 and 绿水县; the uploader's
// county, the 填报单位 or the county the file name names settles it, and
// nothing else guesses.
func TestSharedTownName(t *testing.T) {
	reg := testRegistry()
	row := "1,2014-03-05,营盘,,邻里,调解成功,,,,,,否\n"
	cases := []struct {
		name, file, title, within string
		want                      string // town_code, or the reject's words
	}{
		{"file name names the county", "绿水县_人民调解台账_2014.csv", "", "", "990122100"},
		{"file name with the bureau's name", "03_青山县司法局 调解台账.csv", "", "", "990121101"},
		{"uploader's township settles it", "fixture.csv", "", "990122100", "990122100"},
		{"uploader's county before the file name", "青山县台账.csv", "", "990122", "990122100"},
		{"填报单位 before the file name", "青山县台账.csv", "填报单位：绿水县司法局\n", "", "990122100"},
		{"nothing says", "调解台账.csv", "", "", "对应多个单位"},
		{"the file name names both", "青山县绿水县合并.csv", "", "", "对应多个单位"},
		{"a province-level uploader does not settle it", "fixture.csv", "", "99", "对应多个单位"},
	}
	for _, c := range cases {
		_, recs, rejects, err := convertFile(t, c.file, c.title+medHeader+row, reg, Config{Secret: []byte("k"), Now: testNow, Within: c.within})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if len(rejects) > 0 {
			if !strings.Contains(rejects[0].Reason, c.want) || c.want[0] == '9' {
				t.Errorf("%s: rejected: %s; want %s", c.name, rejects[0].Reason, c.want)
			}
		} else if got := strings.Join(column(t, recs, "town_code"), "|"); got != c.want {
			t.Errorf("%s: town %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCountyNamedIn(t *testing.T) {
	reg := NewRegistry([]Org{
		{Code: "990101", Name: "清江县", Level: LevelCounty},
		{Code: "990102", Name: "江县", Level: LevelCounty},
		{Code: "990103", Name: "石门县", Level: LevelCounty},
		{Code: "990103100", Name: "清江镇", Level: LevelTown, Parent: "990103"},
	})
	for text, want := range map[string]string{
		"清江县_调解.xls":   "990101", // 江县 is part of 清江县
		"江县 调解.xls":    "990102",
		"石门县司法局.xlsx":  "990103",
		"清江镇.xlsx":     "", // a township's name is not a county's
		"江县与石门县.xlsx":  "", // two counties
		"调解台账2016.csv": "",
	} {
		got := ""
		if o := reg.CountyNamedIn(text); o != nil {
			got = o.Code
		}
		if got != want {
			t.Errorf("CountyNamedIn(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestConvertMediation(t *testing.T) {
	reg := testRegistry()
	// the caption says 万元 and the amount header names no unit: amounts are 万元
	csv := "填报单位：青山县司法局\n单位：万元\n" + strings.Replace(medHeader, "涉及金额(元)", "涉及金额", 1) +
		"1,2014年3月5日,石门镇司法所,石门村,邻里,成功,2014.3.9,３,1.5,防止自杀,2,是\n" +
		"2,41705,营盘,,其他,调解成功,--,,/,,,否\n"
	conv, recs, rejects, err := convertCSV(t, csv, reg)
	if err != nil || len(rejects) > 0 {
		t.Fatalf("err %v rejects %v", err, rejects)
	}
	if conv.Accepted != 2 {
		t.Fatalf("accepted %d", conv.Accepted)
	}
	checks := map[string][]string{
		"town_code":         {"990121100", "990121101"}, // 营盘 settled by the 填报单位 county
		"village_code":      {"990121100201", ""},
		"received":          {"2014-03-05", "2014-03-07"},
		"result":            {"调解成功", "调解成功"},
		"parties":           {"3", "0"},
		"amount_fen":        {"1500000", "0"},
		"prevented_type":    {"防止自杀", "无"},
		"prevented_persons": {"2", "0"},
		"petition":          {"1", "0"},
		"scope_key":         {itoa(ScopeKey("mediation|990121100|2014-03", "load1")), itoa(ScopeKey("mediation|990121101|2014-03", "load1"))},
		"scope_org":         {"990121100", "990121101"},
		"period":            {"2014-03", "2014-03"},
		"county_name":       {"青山县", "青山县"},
		"src_row":           {"4", "5"},
	}
	for col, want := range checks {
		if got := column(t, recs, col); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s = %v, want %v", col, got, want)
		}
	}
	if got := SortedKeys(conv.Scopes); len(got) != 2 {
		t.Errorf("scopes %v", got)
	}
}

func TestConvertRosterKeepsNoNameOrID(t *testing.T) {
	reg := testRegistry()
	id := idWith("990121", "19650412", "013")
	csv := "统计时点：2014年12月31日\n姓名,身份证号,出生日期,单位,学历,会使用计算机,在岗状态\n" +
		"张建国," + id + ",,石门镇司法所,高中,,在岗\n" +
		"李秀英,,1980-06-01,青山县司法局,大学本科,是,在岗\n"
	_, recs, rejects, err := convertCSV(t, csv, reg)
	if err != nil || len(rejects) > 0 {
		t.Fatalf("%v %v", err, rejects)
	}
	if got := column(t, recs, "age"); strings.Join(got, ",") != "49,34" {
		t.Errorf("ages %v", got)
	}
	if got := column(t, recs, "org_level"); strings.Join(got, ",") != "乡镇,县" {
		t.Errorf("levels %v", got)
	}
	if got := column(t, recs, "computer"); strings.Join(got, ",") != "0,1" {
		t.Errorf("computer %v (an empty cell reads as 否)", got)
	}
	if got := column(t, recs, "person_key"); got[0] != PersonKey([]byte("k"), id) || got[1] == "" {
		t.Errorf("person keys %v", got)
	}
	for _, r := range recs {
		for k := 0; k < int(r.NumCols()); k++ {
			if c, ok := r.Column(k).(*array.String); ok {
				for i := 0; i < c.Len(); i++ {
					if v := c.Value(i); strings.Contains(v, "张建国") || strings.Contains(v, "李秀英") || strings.Contains(v, id[:14]) {
						t.Errorf("column %s keeps personal data: %q", r.ColumnName(k), v)
					}
				}
			}
		}
	}
}

func TestRegistryVariants(t *testing.T) {
	reg := testRegistry()
	for name, want := range map[string]string{"石门镇": "990121100", "石门": "990121100", "石门镇司法所": "990121100", "石门司法所": "990121100",
		"石门街": "990121100", "990121100": "990121100", "石门 镇": "990121100", "青山县司法局": "990121"} {
		o, err := reg.Find(name, "", LevelTown, LevelCounty)
		if err != nil || o.Code != want {
			t.Errorf("Find(%q) = %v %v, want %s", name, o, err, want)
		}
	}
	if o, err := reg.Find("营盘镇", "990122", LevelTown); err != nil || o.Code != "990122100" {
		t.Errorf("county hint: %v %v", o, err)
	}
	if _, err := NewRegistry(nil).Find("石门", "", LevelTown); err == nil || !strings.Contains(err.Error(), "先上传机构名录") {
		t.Errorf("empty registry: %v", err)
	}
	town := reg.Org("990121100")
	for _, v := range []string{"石门村", "石门", "石门村委会"} {
		if o, err := reg.Village(town, v); err != nil || o.Code != "990121100201" {
			t.Errorf("Village(%q) = %v %v", v, o, err)
		}
	}
}
