package dashboards

// Exports: one panel, or every table of a page, as Excel, CSV or Parquet.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

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
	return strings.TrimSpace(org + " " + periodText(f))
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
	b := s.newBuilder(ctx, r, d, f, reg, &page{Path: d.Path})
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
