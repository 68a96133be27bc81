package dashboards_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"sifa/dashboards"
	"sifa/dashboards/chartpng"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// docxText reads a .docx as Word would: the document part parsed as XML,
// one line per paragraph, table cells separated by tabs; and its images.
func docxText(t *testing.T, b []byte) (string, [][]byte) {
	t.Helper()
	z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a .docx (zip): %v", err)
	}
	var doc []byte
	var images [][]byte
	for _, f := range z.File {
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		switch {
		case f.Name == "word/document.xml":
			doc = data
		case strings.HasPrefix(f.Name, "word/media/"):
			images = append(images, data)
		}
	}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	var out strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("document.xml is not well-formed: %v", err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			inText = x.Name.Local == "t"
		case xml.EndElement:
			switch x.Name.Local {
			case "p":
				out.WriteString("\n")
			case "tc":
				out.WriteString("\t")
			}
		case xml.CharData:
			if inText {
				out.Write(x)
			}
		}
	}
	return out.String(), images
}

// TestAppendixQingshan2014: the appendix for 青山县 2014 states the seed
// report's figures in sentences written from the panels, its tables hold the
// API's numbers, its charts are images, and it ends with its sources.
func TestAppendixQingshan2014(t *testing.T) {
	srv := demoSite(t)
	admin := adminOf(t, srv.URL)
	code, b := admin.get(t, "/report.docx?org=990121&year=2014")
	if code != 200 {
		t.Fatalf("report.docx: %d %s", code, b)
	}
	text, images := docxText(t, []byte(b))
	basic := text[strings.Index(text, "一、基本情况"):strings.Index(text, "二、作用发挥")]
	for _, want := range []string{"13个司法所共有在岗人员26人", "2人（含2人以上）所9个", "1人所4个", "10人仅具备高中学历",
		"46岁以上达17人", "不会使用微机人员11人", "法律专业人员8人", "县司法局在岗人员16人", "落实副科级职级待遇12人"} {
		if !strings.Contains(basic, want) {
			t.Errorf("基本情况 lacks %q:\n%s", want, basic)
		}
	}
	for _, want := range []string{"二、作用发挥", "全年受理矛盾纠纷", "三、经费保障", "公用经费按标准应为", "四、平台建设", "乡镇司法行政服务站", "数据来源", "08_青山县_人员花名册_2014"} {
		if !strings.Contains(text, want) {
			t.Errorf("the appendix lacks %q", want)
		}
	}
	if strings.Contains(text, "绿水县") {
		t.Errorf("青山县's appendix mentions 绿水县")
	}
	// the dispute-type table holds the API's numbers
	var types panels.Rows[panels.DisputeRow]
	_, body := admin.get(t, "/api/v1/panels/disputes.by_type?org=990121&year=2014")
	json.Unmarshal([]byte(body), &types)
	for _, r := range types.Rows {
		line := r.Type + "\n\t" + strconv.FormatInt(r.Received, 10) + "\n\t" + strconv.FormatInt(r.MediatedSuccess, 10) + "\n\t"
		if !strings.Contains(text, line) {
			t.Errorf("the type table lacks %s %d/%d", r.Type, r.Received, r.MediatedSuccess)
		}
	}
	var d panels.DisputesSummary
	_, body = admin.get(t, "/api/v1/panels/disputes.summary?org=990121&year=2014")
	json.Unmarshal([]byte(body), &d)
	if !strings.Contains(text, "全年受理矛盾纠纷"+strconv.FormatInt(d.Received, 10)+"件") {
		t.Errorf("the disputes sentence does not say %d", d.Received)
	}
	// the sources are the lineage of the panels it read
	var lin panels.Lineage
	_, body = admin.get(t, "/api/v1/panels/disputes.summary/lineage?org=990121&year=2014")
	json.Unmarshal([]byte(body), &lin)
	for _, s := range lin.Sources {
		if !strings.Contains(text[strings.LastIndex(text, "数据来源"):], s.File) {
			t.Errorf("the sources lack %s", s.File)
		}
	}
	// a year's sources are only the files its numbers read: no 2015 or 2016 file
	// (the populations behind the funding standards once read every year's roster)
	sources := text[strings.LastIndex(text, "数据来源"):]
	for _, later := range []string{"_2015", "_2016"} {
		if strings.Contains(sources, later) {
			t.Errorf("the 2014 appendix lists a file of %s among its sources", later[1:])
		}
	}
	// the two readings of the work-room rate, which flip the 2014 verdict (46.3 % of all 134 villages, 53.9 % of the 115 rooms built)
	if want := "若只按已建立的115个计算，规范化率为53.9%，达到目标50%，结论相反"; !strings.Contains(text, want) {
		t.Errorf("the appendix lacks the other reading %q:\n%s", want, text[strings.Index(text, "四、平台建设"):])
	}
	// a funding category without a standard is said to have none, not to reach it
	fund := text[strings.Index(text, "三、经费保障"):strings.Index(text, "四、平台建设")]
	if strings.Contains(fund, "按标准应为0万元") || !strings.Contains(fund, "没有统一的经费标准") {
		t.Errorf("经费保障 on categories without a standard:\n%s", fund)
	}
	if len(images) < 4 {
		t.Errorf("%d chart images, want 4", len(images))
	}
	for i, img := range images {
		if _, err := png.Decode(bytes.NewReader(img)); err != nil {
			t.Errorf("image %d: %v", i, err)
		}
	}
	// the print-ready page says the same
	code, page := admin.get(t, "/report?org=990121&year=2014")
	if code != 200 || !strings.Contains(page, "13个司法所共有在岗人员26人") || !strings.Contains(page, `src="data:image/png;base64,`) {
		t.Errorf("report page: %d", code)
	}
	// and the pages link it
	if _, p := admin.get(t, "/?org=990121&year=2014"); !strings.Contains(p, "/report?org=990121&amp;year=2014") {
		t.Errorf("the overview does not link the appendix")
	}
	os.WriteFile(filepath.Join(screenshotDirOrTemp(t), "appendix_990121_2014.docx"), []byte(b), 0o644)
}

func screenshotDirOrTemp(t *testing.T) string {
	dir := os.Getenv("SIFA_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("..", "screenshots")
	}
	if os.MkdirAll(dir, 0o755) != nil {
		return t.TempDir()
	}
	return dir
}

// TestAppendixFollowsTheData: the sentences are written from the panels —
// a corrected roster for one township changes them.
func TestAppendixFollowsTheData(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	ctx := context.Background()
	write := func(name, body string) string {
		path := filepath.Join(dir, name)
		os.WriteFile(path, []byte(body), 0o644)
		return path
	}
	reg := write("名录.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n990121102,黄土镇,乡镇(街道),990121\n")
	head := "统计时点,姓名,出生日期,单位,学历,会使用计算机,法律专业,在岗状态\n"
	roster := write("花名册.csv", head+
		"2014-12-31,甲,1960-01-01,石门镇,高中,否,否,在岗\n2014-12-31,乙,1985-01-01,石门镇,大学本科,是,是,在岗\n"+
		"2014-12-31,丙,1965-01-01,营盘镇,高中,否,否,在岗\n2014-12-31,丁,1990-01-01,黄土镇,大学专科,是,否,在岗\n")
	if _, err := p.Run(ctx, []string{reg, roster}); err != nil {
		t.Fatal(err)
	}
	e := &panels.Engine{Store: w}
	basic := func() string {
		ap, err := dashboards.BuildAppendix(ctx, e, "990121", 2014)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := ap.WriteDOCX(&b, chartpng.NewRenderer("")); err != nil {
			t.Fatal(err)
		}
		text, _ := docxText(t, b.Bytes())
		return text[strings.Index(text, "一、基本情况"):strings.Index(text, "二、作用发挥")]
	}
	before := basic()
	for _, want := range []string{"3个司法所共有在岗人员4人", "2人（含2人以上）所1个，1人所2个", "2人仅具备高中学历", "46岁以上达2人", "不会使用微机人员2人", "法律专业人员1人"} {
		if !strings.Contains(before, want) {
			t.Errorf("before the correction, 基本情况 lacks %q:\n%s", want, before)
		}
	}
	// 营盘镇 sends a corrected roster: a second person, high-school educated, over 46, no computer
	fix := write("花名册_营盘更正.csv", head+"2014-12-31,丙,1965-01-01,营盘镇,高中,否,否,在岗\n2014-12-31,戊,1962-05-01,营盘镇,高中,否,是,在岗\n")
	if _, err := p.Run(ctx, []string{fix}); err != nil {
		t.Fatal(err)
	}
	after := basic()
	for _, want := range []string{"3个司法所共有在岗人员5人", "2人（含2人以上）所2个，1人所1个", "3人仅具备高中学历", "46岁以上达3人", "不会使用微机人员3人", "法律专业人员2人"} {
		if !strings.Contains(after, want) {
			t.Errorf("after the correction, 基本情况 lacks %q:\n%s", want, after)
		}
	}
}
