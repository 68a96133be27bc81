package dashboards

// Rendering a page: the frame every page shares (filters, breadcrumb, navigation) and the template.

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sifa/warehouse/panels"
	"slices"
	"strings"
	"sync"
)

// frame fills the navigation, the filter bar and the breadcrumb.
func (s *Site) frame(ctx context.Context, p *page, f panels.Filter, years *panels.Years, reg *panels.Registry) {
	for _, d := range pageDefs {
		p.Nav = append(p.Nav, link{Text: d.Title, Href: f.Href(d.Path, "category", ""), Active: d.Path == p.Path})
	}
	if s.Ingest != nil {
		p.Nav = append(p.Nav, link{Text: "数据上传", Href: "/upload", Active: p.Path == "/upload"})
	}
	limit := ""
	if a := panels.AccessFrom(ctx); a != nil {
		limit = a.Org
	}
	// crumbs above the account's own org are shown, not linked
	linkTo := func(code string) bool { return reg.Within(code, limit) }
	fv := filterView{Path: p.Path, Year: f.Year, From: f.From, To: f.To, Org: f.Org}
	if years != nil {
		fv.Years = years.Years
	}
	if limit == "" {
		fv.Crumbs = append(fv.Crumbs, link{Text: "全部", Href: f.Href(p.Path, "org", "")})
	}
	var children []*panels.Org
	childLevel := panels.LevelCounty
	if o := reg.Org(f.Org); o != nil {
		if o.CountyCode != "" {
			fv.Crumbs = append(fv.Crumbs, link{Text: o.CountyName, Href: f.Href(p.Path, "org", o.CountyCode)})
			if !linkTo(o.CountyCode) {
				fv.Crumbs[len(fv.Crumbs)-1].Href = ""
			}
		}
		if o.TownCode != "" {
			fv.Crumbs = append(fv.Crumbs, link{Text: o.TownName, Href: f.Href(p.Path, "org", o.TownCode)})
			if !linkTo(o.TownCode) {
				fv.Crumbs[len(fv.Crumbs)-1].Href = ""
			}
		}
		if o.Level == panels.LevelVillage {
			fv.Crumbs = append(fv.Crumbs, link{Text: o.Name, Href: f.Href(p.Path, "org", o.Code)})
		}
		switch o.Level {
		case panels.LevelCounty:
			childLevel = panels.LevelTown
		case panels.LevelTown:
			childLevel = panels.LevelVillage
		default:
			childLevel = ""
		}
		if childLevel != "" {
			children = reg.Under(o.Code, childLevel)
		}
	} else {
		children = reg.Under(f.Org, panels.LevelCounty)
	}
	if len(fv.Crumbs) > 0 {
		fv.Crumbs[len(fv.Crumbs)-1].Href = ""
	}
	for _, c := range children {
		fv.Children = append(fv.Children, link{Text: c.Name, Href: f.Href(p.Path, "org", c.Code)})
	}
	fv.ChildLevel = childLevel
	p.Filter = fv
	for _, o := range reg.Orgs() {
		if o.Level == panels.LevelCounty && strings.HasPrefix(o.Code, "99") {
			p.Synthetic = true // the demo counties, under the fictional province 99
		}
	}
}

// navFor fills the navigation of a page outside the dashboards.
func (s *Site) navFor(p *page, a *panels.Access) {
	for _, d := range pageDefs {
		p.Nav = append(p.Nav, link{Text: d.Title, Href: d.Path, Active: d.Path == p.Path})
	}
	if s.Ingest != nil {
		p.Nav = append(p.Nav, link{Text: "数据上传", Href: "/upload", Active: p.Path == "/upload"})
	}
}

// render writes a page; the navigation keeps only what the account may open.
func (s *Site) render(w http.ResponseWriter, r *http.Request, code int, p *page) {
	if sess := sessionFrom(r.Context()); sess != nil {
		role := sess.access.Role
		p.Session = &sessionView{User: sess.access.User, Name: sess.display, Role: string(role), CSRF: sess.csrf, Admin: role == panels.RoleAdmin}
		if p.Upload != nil {
			p.Upload.CSRF = sess.csrf
		}
		may := func(href string) bool {
			path, _, _ := strings.Cut(href, "?")
			return slices.Contains(role.Pages(), path) || path == "/upload" && role.MayUpload()
		}
		var nav []link
		for _, l := range p.Nav {
			if may(l.Href) {
				nav = append(nav, l)
			}
		}
		// links to pages the role may not open are shown as plain text
		for i := range p.Cards {
			if p.Cards[i].Href != "" && !may(p.Cards[i].Href) {
				p.Cards[i].Href = ""
			}
		}
		for i := range p.Notes {
			if p.Notes[i].Href != "" && !may(p.Notes[i].Href) {
				p.Notes[i].Href = ""
			}
		}
		for _, tb := range p.Tables {
			for _, row := range tb.Rows {
				for i := range row {
					if row[i].Href != "" && !may(row[i].Href) {
						row[i].Href = ""
					}
				}
			}
		}
		if role == panels.RoleAdmin {
			nav = append(nav, link{Text: "账号", Href: "/admin/users", Active: p.Path == "/admin/users"},
				link{Text: "审计日志", Href: "/admin/audit", Active: p.Path == "/admin/audit"},
				link{Text: "建设目标", Href: "/admin/targets", Active: p.Path == "/admin/targets"},
				link{Text: "地图", Href: "/admin/map", Active: p.Path == "/admin/map"})
		}
		p.Nav = nav
	} else {
		p.Nav = nil
	}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= 1<<20 {
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	name := "layout.html"
	if p.Screen != nil {
		name = "screen.html"
	}
	if err := s.tmpl.ExecuteTemplate(buf, name, p); err != nil {
		slog.Error("render", "page", p.Path, "err", err)
		http.Error(w, "页面出错，请联系管理员查看日志", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

// pageBuffers keep rendered pages' buffers between requests: growing a
// fresh one to a page's size was a sixth of the garbage under load.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (s *Site) renderError(w http.ResponseWriter, r *http.Request, p *page, err error) {
	var fe *panels.FilterError
	var ae *panels.AccessError
	code := http.StatusInternalServerError
	msg := "查询出错了。请稍后再试；如果一直出错，请联系管理员查看日志。"
	if errors.As(err, &fe) {
		code, msg = http.StatusBadRequest, "筛选条件有误："+fe.Msg+"。请返回重新选择。"
	} else if errors.As(err, &ae) {
		code, msg = http.StatusForbidden, ae.Msg+"。"
		s.audit(r, panels.AccessFrom(r.Context()), "denied", r.URL.RequestURI(), ae.Msg, "拒绝")
	} else {
		slog.Error("page failed", "path", r.URL.String(), "err", err)
	}
	if p.Nav == nil {
		for _, d := range pageDefs {
			p.Nav = append(p.Nav, link{Text: d.Title, Href: d.Path})
		}
	}
	p.Empty = msg
	s.render(w, r, code, p)
}
