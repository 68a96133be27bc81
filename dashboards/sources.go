package dashboards

// 数据来源: the files each number came from, and the raw files for those who may have them.

import (
	"fmt"
	"net/http"
	"os"
	"sifa/warehouse/panels"
	"slices"
	"strings"
)

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
	src := s.loadOf(w, r)
	if src == nil {
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

// historyPage serves GET /sources/history: the newest 200 loads, each with
// a button that makes it current again (for the admin).
func (s *Site) historyPage(w http.ResponseWriter, r *http.Request) {
	s.renderHistory(w, r, http.StatusOK, "", true)
}

func (s *Site) renderHistory(w http.ResponseWriter, r *http.Request, code int, msg string, ok bool) {
	ctx := r.Context()
	a := panels.AccessFrom(ctx)
	p := &page{Title: "载入历史", Path: "/sources/history", NoFilter: true, History: &historyView{Message: msg, OK: ok, CSRF: sessionFrom(ctx).csrf}}
	s.navFor(p, a)
	loads, err := s.Engine.History(ctx, 200)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	for _, l := range loads {
		row := historyRow{LoadID: l.LoadID, File: l.File, LedgerName: panels.LedgerName(l.Ledger), Orgs: summarizeList(l.Orgs), Periods: summarizeList(l.Periods),
			LoadedAt: l.At.In(beijing).Format("2006-01-02 15:04"), Accepted: l.Accepted, Rejected: l.Rejected}
		if row.LedgerName == "" {
			row.LedgerName = l.Ledger
		}
		p.History.Rows = append(p.History.Rows, row)
	}
	s.render(w, r, code, p)
}

// summarizeList writes a few items of a list, or the first and the last.
func summarizeList(xs []string) string {
	if len(xs) <= 3 {
		return strings.Join(xs, "、")
	}
	return fmt.Sprintf("%s 至 %s（共 %d 个）", xs[0], xs[len(xs)-1], len(xs))
}

// reloadSource serves POST /sources/reload/{load}: the archived file of
// that load is loaded again, so that what it said is current again in its
// scopes (a later correction that turned out wrong is undone this way).
func (s *Site) reloadSource(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := panels.AccessFrom(ctx)
	src := s.loadOf(w, r)
	if src == nil {
		return
	}
	rep, err := s.Ingest.Reload(ctx, src.SHA256, src.File)
	if err == nil && rep.Err != nil {
		err = rep.Err
	}
	if err != nil {
		s.audit(r, a, "upload", src.File, "设为当前：重新载入失败："+err.Error(), "失败")
		s.renderHistory(w, r, http.StatusOK, "「"+src.File+"」没有重新载入："+err.Error(), false)
		return
	}
	s.audit(r, a, "upload", src.File, fmt.Sprintf("设为当前：重新载入 %d 行（SHA-256 %s）", rep.Accepted(), rep.SHA256), "成功")
	msg := fmt.Sprintf("「%s」已重新载入 %d 行，它所在的单位和时段现在以它为准。", src.File, rep.Accepted())
	for _, t := range rep.Tables {
		for _, rp := range t.Replaces {
			msg += rp.Text() + "。"
		}
	}
	s.renderHistory(w, r, http.StatusOK, msg, true)
}

// loadOf finds the load a /sources/…/{load} path names, answering 404 (and
// nil) for an id that is not a load's.
func (s *Site) loadOf(w http.ResponseWriter, r *http.Request) *panels.Source {
	id := r.PathValue("load")
	if len(id) > 32 || strings.Trim(id, "0123456789abcdef") != "" {
		http.NotFound(w, r)
		return nil
	}
	src, err := s.Engine.LoadSource(r.Context(), id)
	if err != nil || src == nil {
		http.NotFound(w, r)
		return nil
	}
	return src
}
