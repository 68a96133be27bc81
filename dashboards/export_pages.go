package dashboards

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"sifa/dashboards/chartpng"
	"sifa/warehouse/panels"
)

// panelTitle is a panel's title for sheet names and page headings.
func panelTitle(id string) string {
	for _, p := range panels.Panels() {
		if p.ID == id {
			return p.Title
		}
	}
	return id
}

// filterText says in words what a filter covers: 青山县 2014年.
func filterText(reg *panels.Registry, f panels.Filter) string {
	org := "全部"
	if o := reg.Org(f.Org); o != nil {
		org = o.Name
	} else if f.Org != "" {
		org = f.Org
	}
	var when string
	switch {
	case f.Year != 0:
		when = strconv.Itoa(f.Year) + "年"
	case f.From != "" || f.To != "":
		when = f.From + "至" + f.To
	}
	return strings.TrimSpace(org + " " + when)
}

// exportName is a download's file name (UTF-8, as RFC 5987 allows).
func exportName(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Disposition", `attachment; filename="export`+filepath.Ext(name)+`"; filename*=UTF-8''`+url.PathEscape(name))
}

var contentTypes = map[string]string{
	"xlsx":    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"csv":     "text/csv; charset=utf-8",
	"parquet": "application/vnd.apache.parquet",
	"zip":     "application/zip",
	"docx":    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

// ExportPanel writes one panel answer in a format (xlsx, csv or parquet);
// it returns the file extension written (a zip for several Parquet tables).
func ExportPanel(ctx context.Context, e *panels.Engine, w io.Writer, id string, f panels.Filter, format string) (string, error) {
	reg, err := e.Store.Registry(ctx)
	if err != nil {
		return "", err
	}
	switch format {
	case "xlsx", "csv":
		ans, err := e.Run(ctx, id, f)
		if err != nil {
			return "", err
		}
		shown := f
		if a := panels.AccessFrom(ctx); a != nil && shown.Org == "" {
			shown.Org = a.Org
		}
		sheets := Tabulate(panelTitle(id), ans)
		note := "范围：" + filterText(reg, shown) + "。数字来自面板 " + id + "，与网页、接口相同。"
		if format == "csv" {
			return "csv", WriteCSV(w, sheets)
		}
		return "xlsx", WriteXLSX(w, sheets, note)
	case "parquet":
		zipped, err := e.WriteRowsBehind(ctx, w, id, f)
		if zipped {
			return "zip", err
		}
		return "parquet", err
	}
	return "", panels.BadFilter("导出格式「%s」不对，可以是 xlsx、csv、parquet", format)
}

// exportPanel serves GET /api/v1/panels/{id}/export?format=…
func (s *Site) exportPanel(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	format := q.Get("format")
	q.Del("format")
	f, err := panels.ParseFilter(q)
	// written to a file first: an error can still be answered as one, and
	// a large export (up to MaxRowsBehind rows of Parquet) never sits in memory
	tmp, terr := os.CreateTemp(s.uploadParent(), "sifa-export-*")
	if terr != nil {
		writeError(w, r, terr)
		return
	}
	defer func() { tmp.Close(); os.Remove(tmp.Name()) }()
	var ext string
	if err == nil {
		ext, err = ExportPanel(r.Context(), s.Engine, tmp, r.PathValue("id"), f, format)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, panels.AccessFrom(r.Context()), "export", r.PathValue("id"), "导出 "+ext+"："+q.Encode(), "成功")
	w.Header().Set("Content-Type", contentTypes[ext])
	exportName(w, panelTitle(r.PathValue("id"))+"."+ext)
	tmp.Seek(0, io.SeekStart)
	io.Copy(w, tmp)
}

// pageAnswers builds a page and returns the panel asks it made, in order,
// with their answers.
func (s *Site) pageAnswers(ctx context.Context, r *http.Request, d pageDef) ([]ask, map[ask]any, panels.Filter, *panels.Registry, error) {
	f, _, reg, err := s.pageScope(ctx, r, d)
	if err != nil {
		return nil, nil, f, nil, err
	}
	b := &builder{ctx: ctx, e: s.Engine, f: f, reg: reg, p: &page{Path: d.Path}}
	if err := d.build(b); err != nil {
		return nil, nil, f, reg, err
	}
	return b.order, b.memo, f, reg, nil
}

func pageByPath(path string) (pageDef, bool) {
	for _, d := range pageDefs {
		if d.Path == path {
			return d, true
		}
	}
	return pageDef{}, false
}

// exportPage serves GET /export?page=/disputes&format=xlsx|csv&…: every
// table the page draws from, one sheet each.
func (s *Site) exportPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d, ok := pageByPath(q.Get("page"))
	format := q.Get("format")
	a := panels.AccessFrom(r.Context())
	if !ok || d.noFilter || !slices.Contains(a.Role.Pages(), d.Path) {
		writeError(w, r, panels.Denied("没有这个页面，或您的账号不能打开它"))
		return
	}
	if format != "xlsx" && format != "csv" {
		writeError(w, r, panels.BadFilter("导出格式「%s」不对，页面可以导出 xlsx 或 csv", format))
		return
	}
	q.Del("page")
	q.Del("format")
	r2 := r.Clone(r.Context())
	r2.URL.RawQuery = q.Encode()
	asks, memo, f, reg, err := s.pageAnswers(r.Context(), r2, d)
	if err != nil {
		writeError(w, r, err)
		return
	}
	var sheets []Sheet
	for _, k := range asks {
		if k.id == "meta.years" {
			continue
		}
		title := panelTitle(k.id)
		if k.f != f {
			title += "（" + filterText(reg, k.f) + "）"
		}
		sheets = append(sheets, Tabulate(title, memo[k])...)
	}
	var buf bytes.Buffer
	note := d.Title + "：" + filterText(reg, f) + "。每张表的数字与网页、接口相同。"
	if format == "csv" {
		err = WriteCSV(&buf, sheets)
	} else {
		err = WriteXLSX(&buf, sheets, note)
	}
	if err != nil {
		writeError(w, r, err)
		return
	}
	s.audit(r, a, "export", d.Path, "导出页面 "+format+"："+q.Encode(), "成功")
	w.Header().Set("Content-Type", contentTypes[format])
	exportName(w, d.Title+"_"+filterText(reg, f)+"."+format)
	w.Write(buf.Bytes())
}

// ---- 数据来源 ----

type sourcesView struct {
	Panels []panelSources
}

type panelSources struct {
	ID, Title, Scope string
	Exports          []link
	Sources          []sourceRow
}

type sourceRow struct {
	panels.Source
	LedgerName, Raw string
}

// sourcesPage serves GET /sources?panel=ID&… (one panel) or ?page=/path&…
// (every panel of a page): which files each number came from.
func (s *Site) sourcesPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := panels.AccessFrom(ctx)
	q := r.URL.Query()
	p := &page{Title: "数据来源", Path: "/sources", NoFilter: true, Sources: &sourcesView{}}
	s.navFor(p, a)
	var asks []ask
	var reg *panels.Registry
	if id := q.Get("panel"); id != "" {
		q.Del("panel")
		f, err := panels.ParseFilter(q)
		if err == nil {
			reg, err = s.Engine.Store.Registry(ctx)
		}
		if err != nil {
			s.renderError(w, r, p, err)
			return
		}
		if f.Org == "" {
			f.Org = a.Org
		}
		asks = []ask{{id, f}}
	} else {
		d, ok := pageByPath(q.Get("page"))
		if !ok || d.noFilter || !slices.Contains(a.Role.Pages(), d.Path) {
			s.renderError(w, r, p, panels.Denied("没有这个页面，或您的账号不能打开它"))
			return
		}
		q.Del("page")
		r2 := r.Clone(ctx)
		r2.URL.RawQuery = q.Encode()
		var err error
		if asks, _, _, reg, err = s.pageAnswers(ctx, r2, d); err != nil {
			s.renderError(w, r, p, err)
			return
		}
	}
	for _, k := range asks {
		if k.id == "meta.years" {
			continue
		}
		lin, err := s.Engine.Lineage(ctx, k.id, k.f)
		if err != nil {
			s.renderError(w, r, p, err)
			return
		}
		ps := panelSources{ID: k.id, Title: panelTitle(k.id), Scope: filterText(reg, k.f)}
		for _, format := range []string{"xlsx", "csv", "parquet"} {
			ps.Exports = append(ps.Exports, link{Text: strings.ToUpper(format), Href: "/api/v1/panels/" + k.id + "/export?" + k.f.Query("format", format).Encode()})
		}
		for _, src := range lin.Sources {
			row := sourceRow{Source: src, LedgerName: src.Ledger}
			if l := panels.LedgerName(src.Ledger); l != "" {
				row.LedgerName = l
			}
			if s.mayDownload(a, reg, src) {
				row.Raw = "/sources/raw/" + src.LoadID
			}
			ps.Sources = append(ps.Sources, row)
		}
		p.Sources.Panels = append(p.Sources.Panels, ps)
	}
	s.render(w, r, http.StatusOK, p)
}

// mayDownload says whether an account may have the raw file of a load
// (the archive must be at hand; the rule is the role table's).
func (s *Site) mayDownload(a *panels.Access, reg *panels.Registry, src panels.Source) bool {
	return s.Archive != nil && a.MayDownload(reg, src)
}

// rawFile serves GET /sources/raw/{load}: the file as it was sent.
func (s *Site) rawFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := panels.AccessFrom(ctx)
	id := r.PathValue("load")
	if len(id) > 32 || strings.Trim(id, "0123456789abcdef") != "" {
		http.NotFound(w, r)
		return
	}
	src, err := s.Engine.LoadSource(ctx, id)
	if err != nil || src == nil {
		http.NotFound(w, r)
		return
	}
	reg, err := s.Engine.Store.Registry(ctx)
	if err != nil || !s.mayDownload(a, reg, *src) {
		s.forbidden(w, r, a)
		return
	}
	path, err := s.Archive(src.SHA256)
	if err != nil {
		http.Error(w, "原始文件不在归档里："+err.Error(), http.StatusNotFound)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		http.Error(w, "读不出原始文件", http.StatusInternalServerError)
		return
	}
	s.audit(r, a, "export", src.File, fmt.Sprintf("下载原始文件（SHA-256 %s）", src.SHA256), "成功")
	w.Header().Set("Content-Type", "application/octet-stream")
	exportName(w, src.File)
	w.Write(b)
}

// ---- 调研报告数据附录 ----

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
