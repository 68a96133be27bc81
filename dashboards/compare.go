package dashboards

// 对比分析 (/compare): the orgs one level down side by side, for chosen
// measures and years, per head of population; and the tidy dataset with
// its codebook for statistics software (/compare/dataset, /compare/codebook.csv).

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"

	"sifa/warehouse/panels"
)

func isCompareKey(k string) bool { return k == "m" || k == "o" || k == "sort" }

// defaultCompare are the measures shown until a reader chooses.
var defaultCompare = []string{"disputes_per10k", "legal_aid_per10k", "staff_per10k", "funding_per_head"}

// compareView is the page's choice of measures and orgs (a GET form: the
// selection stays in the URL).
type compareView struct {
	Org, From, To string
	Year          int
	Measures      []ruleChoice
	Orgs          []ruleChoice
	Sorts         []ruleChoice // the chosen measures, one of them the order
}

func measureOf(id string) (panels.CompareMeasure, bool) {
	for _, m := range panels.CompareMeasures {
		if m.ID == id {
			return m, true
		}
	}
	return panels.CompareMeasure{}, false
}

func fmtValue(v *float64) string {
	if v == nil {
		return "—"
	}
	if *v == float64(int64(*v)) && *v >= 1000 {
		return thousands(int64(*v))
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

func fmtChange(v *float64) string {
	if v == nil {
		return "—"
	}
	s := strconv.FormatFloat(*v*100, 'f', 1, 64) + "%"
	if *v > 0 {
		s = "+" + s
	}
	return s
}

func buildCompare(b *builder) error {
	f := b.f
	v, err := b.run("compare.orgs", f)
	if err != nil {
		return err
	}
	c := v.(*panels.Comparison)
	var chosen []string
	for _, id := range b.params["m"] {
		if _, ok := measureOf(id); ok && !slices.Contains(chosen, id) {
			chosen = append(chosen, id)
		}
	}
	if len(chosen) == 0 {
		chosen = defaultCompare
	}
	year := c.Years[len(c.Years)-1]
	cv := &compareView{Org: f.Org, Year: f.Year, From: f.From, To: f.To}
	for _, m := range panels.CompareMeasures {
		cv.Measures = append(cv.Measures, ruleChoice{ID: m.ID, Name: m.Name, On: slices.Contains(chosen, m.ID)})
	}
	orgsOn := b.params["o"]
	var rows []panels.CompareRow
	var avg panels.CompareRow
	for _, r := range c.Rows {
		if r.Year != year {
			continue
		}
		on := len(orgsOn) == 0 || slices.Contains(orgsOn, r.OrgCode)
		cv.Orgs = append(cv.Orgs, ruleChoice{ID: r.OrgCode, Name: r.OrgName, On: on})
		if on {
			rows = append(rows, r)
		}
	}
	for _, a := range c.Average {
		if a.Year == year {
			avg = a
		}
	}
	b.p.Compare = cv
	sortBy := b.params.Get("sort")
	if !slices.Contains(chosen, sortBy) {
		sortBy = chosen[0]
	}
	for _, id := range chosen {
		cv.Sorts = append(cv.Sorts, ruleChoice{ID: id, Name: mustMeasure(id).Name, On: id == sortBy})
	}
	slices.SortStableFunc(rows, func(x, y panels.CompareRow) int {
		a, b := x.Values[sortBy], y.Values[sortBy]
		switch {
		case a == nil && b == nil:
			return 0
		case a == nil:
			return 1
		case b == nil:
			return -1
		}
		return cmpDesc(*a, *b)
	})
	levelName := map[string]string{panels.LevelCounty: "县", panels.LevelTown: "乡镇"}[c.Level]
	t := tableView{Title: fmt.Sprintf("各%s对比（%d年，按%s从高到低）", levelName, year, mustMeasure(sortBy).Name), Head: []string{"单位"}}
	for _, id := range chosen {
		m := mustMeasure(id)
		t.Head = append(t.Head, m.Name+"（"+m.Unit+"）", "比上年", "排名")
	}
	for _, r := range rows {
		idx := slices.IndexFunc(c.Rows, func(x panels.CompareRow) bool { return x.OrgCode == r.OrgCode && x.Year == r.Year })
		row := []cell{{Text: r.OrgName, Href: f.Href("/compare", "org", r.OrgCode)}}
		for _, id := range chosen {
			value := cell{Text: fmtValue(r.Values[id])}
			if r.Values[id] != nil {
				value.Ref = b.ref("compare.orgs", f, fmt.Sprintf("rows.%d.values.%s", idx, id), *r.Values[id])
			}
			row = append(row, value, cell{Text: fmtChange(r.Change[id])}, cell{Text: rankText(r.Rank[id], len(rows))})
		}
		t.Rows = append(t.Rows, row)
	}
	if avg.Values != nil {
		row := []cell{{Text: "平均（人均指标按全部合计）", Class: "total"}}
		for _, id := range chosen {
			row = append(row, cell{Text: fmtValue(avg.Values[id]), Class: "total"}, cell{}, cell{})
		}
		t.Rows = append(t.Rows, row)
	}
	t.Note = "比上年：与上一年相比的增减百分比。每万人指标 = 数量 ÷ 常住人口 × 10000；没有人口数的单位、年份空缺（—），不作估计。"
	b.p.Tables = append(b.p.Tables, t)
	for _, n := range c.Notes {
		b.p.Notes = append(b.p.Notes, note{Level: "info", Text: n})
	}
	// the first chosen measure: this year across the orgs, and over the years
	m := mustMeasure(chosen[0])
	var cats []string
	var vals []float64
	for i := len(rows) - 1; i >= 0; i-- {
		if v := rows[i].Values[m.ID]; v != nil {
			cats = append(cats, rows[i].OrgName)
			vals = append(vals, *v)
		}
	}
	title := fmt.Sprintf("%s（%d年）", m.Name, year)
	if a := avg.Values[m.ID]; a != nil {
		title += "，平均 " + fmtValue(a)
	}
	if len(cats) > 0 {
		b.p.Charts = append(b.p.Charts, barChart(title, cats, []series{{Name: m.Name, Values: vals}}, m.Unit, true))
	}
	if len(c.Years) > 1 {
		var years []string
		for _, y := range c.Years {
			years = append(years, strconv.Itoa(y))
		}
		var ss []series
		for _, r := range rows {
			if len(ss) == 10 {
				break
			}
			s := series{Name: r.OrgName}
			for _, y := range c.Years {
				x := 0.0
				for _, cr := range c.Rows {
					if cr.OrgCode == r.OrgCode && cr.Year == y && cr.Values[m.ID] != nil {
						x = *cr.Values[m.ID]
					}
				}
				s.Values = append(s.Values, x)
			}
			ss = append(ss, s)
		}
		b.p.Charts = append(b.p.Charts, lineChart(m.Name+"（历年）", years, ss, m.Unit))
	}
	q := f.Query()
	b.p.Exports = append(b.p.Exports,
		link{Text: "数据集 CSV", Href: "/compare/dataset?" + withFormat(q, "csv")},
		link{Text: "数据集 Excel", Href: "/compare/dataset?" + withFormat(q, "xlsx")},
		link{Text: "数据集 Parquet", Href: "/compare/dataset?" + withFormat(q, "parquet")},
		link{Text: "变量说明", Href: "/compare/codebook.csv"})
	return nil
}

func withFormat(q url.Values, format string) string {
	c := url.Values{}
	for k, v := range q {
		c[k] = v
	}
	c.Set("format", format)
	return c.Encode()
}

func mustMeasure(id string) panels.CompareMeasure { m, _ := measureOf(id); return m }

func rankText(rank, of int) string {
	if rank == 0 {
		return "—"
	}
	return fmt.Sprintf("%d/%d", rank, of)
}

// compareDataset serves GET /compare/dataset?format=csv|xlsx|parquet&…: the
// comparison as a tidy dataset, one row per org and year.
func (s *Site) compareDataset(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	q.Del("format")
	f, err := panels.ParseFilter(q)
	var v any
	if err == nil {
		v, err = s.Engine.Run(r.Context(), "compare.orgs", f)
	}
	if err == nil && format != "csv" && format != "xlsx" && format != "parquet" {
		err = panels.BadFilter("格式「%s」不对，可以是 csv、xlsx、parquet", format)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	c := v.(*panels.Comparison)
	var buf bytes.Buffer
	switch format {
	case "csv":
		err = writeDatasetCSV(&buf, c)
	case "xlsx":
		err = writeDatasetXLSX(&buf, c)
	case "parquet":
		err = c.WriteDatasetParquet(&buf)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, panels.AccessFrom(r.Context()), "export", "对比分析数据集", r.URL.RawQuery, "成功")
	w.Header().Set("Content-Type", contentTypes[format])
	exportName(w, "对比分析数据集."+format)
	w.Write(buf.Bytes())
}

// writeDatasetCSV writes the dataset for statistics software: UTF-8
// without a byte-order mark, a header of variable names, empty for missing.
func writeDatasetCSV(w io.Writer, c *panels.Comparison) error {
	cw := csv.NewWriter(w)
	var head []string
	for _, col := range c.Codebook() {
		head = append(head, col.Name)
	}
	cw.Write(head)
	for _, row := range c.Dataset() {
		cw.Write(csvRecord(row))
	}
	cw.Flush()
	return cw.Error()
}

// writeDatasetXLSX writes the dataset (sheet 数据, variable names in the
// first row) and its codebook (sheet 变量说明).
func writeDatasetXLSX(w io.Writer, c *panels.Comparison) error {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", "数据")
	for i, col := range c.Codebook() {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellValue("数据", cell, col.Name)
	}
	for r, row := range c.Dataset() {
		for i, x := range row {
			if x == nil {
				continue
			}
			cell, _ := excelize.CoordinatesToCellName(i+1, r+2)
			if s, ok := x.(string); ok {
				x = FormulaSafe(s)
			}
			f.SetCellValue("数据", cell, x)
		}
	}
	f.NewSheet("变量说明")
	for r, row := range codebookRows(c) {
		for i, x := range row {
			cell, _ := excelize.CoordinatesToCellName(i+1, r+1)
			f.SetCellValue("变量说明", cell, x)
		}
	}
	return f.Write(w)
}

func codebookRows(c *panels.Comparison) [][]string {
	out := [][]string{{"变量名", "含义", "单位", "来源台账", "计算方法"}}
	for _, col := range c.Codebook() {
		out = append(out, []string{col.Name, col.Meaning, col.Unit, col.Sources, col.Computed})
	}
	return out
}

// compareCodebook serves GET /compare/codebook.csv: 变量说明 of the dataset
// (UTF-8 with a byte-order mark, for Excel).
func (s *Site) compareCodebook(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	cw := csv.NewWriter(&buf)
	cw.WriteAll(codebookRows(&panels.Comparison{Measures: panels.CompareMeasures}))
	w.Header().Set("Content-Type", contentTypes["csv"])
	exportName(w, "变量说明.csv")
	w.Write(buf.Bytes())
}
