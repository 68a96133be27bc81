package dashboards

// 调研报告数据附录: the appendix as a page and as a .docx.

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"net/http"
	"sifa/dashboards/chartpng"
	"sifa/warehouse/panels"
	"slices"
	"strconv"
)

type reportView struct {
	Title, DOCX string
	Sections    []reportSection
	Sources     []sourceRow
	NoCJK       bool
}

type reportSection struct {
	Title  string
	Blocks []reportBlock
}

type reportBlock struct {
	Text, Caption string
	Head          []string
	Rows          [][]string
	Img           template.URL // a PNG as a data: URL (the CSP allows data: images)
}

// mayReport: the appendix is for those who read every dashboard.
func mayReport(a *panels.Access) bool { return slices.Contains(a.Role.Pages(), "/staffing") }

func (s *Site) reportParams(r *http.Request) (string, int, error) {
	q := r.URL.Query()
	year, err := strconv.Atoi(q.Get("year"))
	if err != nil {
		return "", 0, panels.BadFilter("请选择年度，如 year=2014")
	}
	f := panels.Filter{Org: q.Get("org"), Year: year}
	return f.Org, year, f.Validate()
}

// reportPage serves GET /report?org=&year=: the appendix as a print-ready page.
func (s *Site) reportPage(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "调研报告数据附录", Path: "/report", NoFilter: true}
	s.navFor(p, panels.AccessFrom(r.Context()))
	org, year, err := s.reportParams(r)
	var ap *Appendix
	if err == nil {
		ap, err = BuildAppendix(r.Context(), s.Engine, org, year)
	}
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	rv := &reportView{Title: ap.Title, DOCX: "/report.docx?" + r.URL.Query().Encode(), NoCJK: !s.charts().CJK}
	for _, sec := range ap.Sections {
		rs := reportSection{Title: sec.Title}
		for _, b := range sec.Blocks {
			rb := reportBlock{Text: b.Text, Caption: b.Caption}
			if b.Table != nil {
				rb.Head, rb.Rows = b.Table.Head, textRows(b.Table.Rows)
			}
			if b.Chart != nil {
				img, err := s.charts().PNG(*b.Chart)
				if err != nil {
					s.renderError(w, r, p, err)
					return
				}
				rb.Img = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(img))
			}
			rs.Blocks = append(rs.Blocks, rb)
		}
		rv.Sections = append(rv.Sections, rs)
	}
	for _, src := range ap.Sources {
		rv.Sources = append(rv.Sources, sourceRow{Source: src, LedgerName: panels.LedgerName(src.Ledger)})
	}
	p.Title, p.Report = ap.Title, rv
	s.render(w, r, http.StatusOK, p)
}

// reportDOCX serves GET /report.docx?org=&year=.
func (s *Site) reportDOCX(w http.ResponseWriter, r *http.Request) {
	org, year, err := s.reportParams(r)
	var ap *Appendix
	if err == nil {
		ap, err = BuildAppendix(r.Context(), s.Engine, org, year)
	}
	var buf bytes.Buffer
	if err == nil {
		err = ap.WriteDOCX(&buf, s.charts())
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, panels.AccessFrom(r.Context()), "export", "调研报告数据附录", r.URL.RawQuery, "成功")
	w.Header().Set("Content-Type", contentTypes["docx"])
	exportName(w, ap.Title+".docx")
	w.Write(buf.Bytes())
}

// charts is the site's chart renderer (its font found once).
func (s *Site) charts() *chartpng.Renderer {
	s.chartOnce.Do(func() { s.chartR = chartpng.NewRenderer(s.ReportFont) })
	return s.chartR
}
