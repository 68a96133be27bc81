package dashboards

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"sifa/dashboards/chartpng"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
)

//go:embed templates/*.html
var templateFS embed.FS

// assetsFS holds app.js and app.css, and echarts.min.js once `make`
// (npm ci) has fetched it from the npm registry.
//
//go:embed assets
var assetsFS embed.FS

// Ingester takes uploaded files through the one ingest path; within limits
// the files to one org's data ("" = any).
type Ingester interface {
	RunWithin(ctx context.Context, within string, paths []string) ([]load.FileReport, error)
}

// Site serves the dashboard pages, the upload page, the assets and the API.
type Site struct {
	Engine    *panels.Engine
	Ingest    Ingester // nil: no upload page
	UploadDir string   // where uploads are written before ingest (default: the system temp dir)
	MaxUpload int64    // bytes per upload request (default 200 MB)
	// PushTokens maps a source (another system) to its token for
	// POST /api/v1/ingest; remove a source to revoke it. None: no push.
	PushTokens map[string]string
	// Backup writes an online backup into a folder of this machine (POST
	// /api/v1/backup with the "local" token; sifa backup uses it).
	Backup func(ctx context.Context, dir string) (string, error)
	// Accounts keeps the accounts and the audit log; every route but the
	// sign-in page and the assets needs a signed-in account.
	Accounts AccountStore
	Security Security
	// CSPReports counts Content-Security-Policy violations browsers reported.
	CSPReports func(report string)
	// Archive finds a raw file by its SHA-256 (the 数据来源 page offers the
	// files for download); nil: no downloads.
	Archive func(sha256 string) (string, error)
	// ReportFont is a CJK font file for the report's chart images (default:
	// the first of chartpng.FontCandidates found).
	ReportFont string

	once     sync.Once
	tmpl     *template.Template
	assets   map[string]*asset
	mu       sync.Mutex
	rejects  map[string]rejectFile // upload results kept for download, by random id
	sec      Security
	sessions sessionStore
	guard    signInGuard
	gate     accountGate
	quota    uploadQuota
	hOnce    sync.Once
	handler  http.Handler
	routes   []Route

	chartOnce sync.Once
	chartR    *chartpng.Renderer
}

type asset struct {
	plain, gz []byte
	etag, typ string
}

// rejectFile is an upload's rejects workbook, written to disk when the
// upload ends: the server keeps its path, never the rows (four uploads of a
// million rejected rows each once held 1.3 GB for an hour).
type rejectFile struct {
	at   time.Time
	user string // only the account that uploaded may download it
	path string
}

// rejectsKept bounds the rejects workbooks kept at once (each for an hour).
const rejectsKept = 200

func (s *Site) init() {
	s.once.Do(func() {
		s.tmpl = template.Must(template.New("").Funcs(template.FuncMap{
			"add": func(a, b int) int { return a + b },
			"sub": func(a, b int) int { return a - b },
			"clock": func(rfc3339 string) string { // 2026-11-27T11:10:06+08:00 → 2026-11-27 11:10
				if t, err := time.Parse(time.RFC3339, rfc3339); err == nil {
					return t.Format("2006-01-02 15:04")
				}
				return rfc3339
			},
			"actionName": func(k string) string { return actionNames[k] },
		}).ParseFS(templateFS, "templates/*.html"))
		s.assets = map[string]*asset{}
		fs.WalkDir(assetsFS, "assets", func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := assetsFS.ReadFile(p)
			var gz bytes.Buffer
			w, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
			w.Write(b)
			w.Close()
			sum := sha256.Sum256(b)
			typ := mime.TypeByExtension(path.Ext(p))
			if typ == "" {
				typ = "application/octet-stream"
			}
			s.assets[strings.TrimPrefix(p, "assets/")] = &asset{plain: b, gz: gz.Bytes(), etag: `"` + hex.EncodeToString(sum[:8]) + `"`, typ: typ}
			return nil
		})
		s.rejects = map[string]rejectFile{}
		if s.MaxUpload <= 0 {
			s.MaxUpload = 200 << 20
		}
		s.sec = s.Security.withDefaults()
	})
}

// Handler serves everything: pages, /upload, /assets/, /api/. Every route
// needs a signed-in account whose role allows it, except the sign-in page,
// the assets and the CSP report; push and backup take a bearer token.
func (s *Site) Handler() http.Handler {
	s.init()
	s.hOnce.Do(func() { s.handler = s.build() })
	return s.handler
}

func (s *Site) build() http.Handler {
	if s.Accounts == nil {
		panic("dashboards: Site.Accounts is required: without accounts nobody could sign in")
	}
	removeStaleUploads(s.UploadDir, time.Now().Add(-time.Hour))
	mux := http.NewServeMux()
	for _, rt := range s.routeTable() {
		s.handle(mux, rt.pattern, rt.kind, rt.allow, rt.handler)
	}
	go func() { // forget expired sessions now and then
		for range time.Tick(time.Minute) {
			s.sessions.sweep(s.sec.IdleTimeout, time.Now())
		}
	}()
	return securityHeaders(http.NewCrossOriginProtection().Handler(gzipHandler(mux)))
}

// csp allows nothing from outside this server and no inline script: chart
// options travel as JSON data blocks, drawn by /assets/app.js. Inline styles
// stay allowed (ECharts positions its tooltips with style attributes).
const csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
	"object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; report-uri /csp-report"

// securityHeaders sets the headers every answer carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// cspReport takes a browser's report of a blocked script or style.
// cspReport takes a browser's Content-Security-Policy violation report.
// Browsers send it with the page's cookies, so a report from a signed-in
// session counts toward the alert; an anonymous one (anyone can post here)
// is logged quietly and counts for nothing.
func (s *Site) cspReport(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, 16<<10))
	if sess := s.session(r); sess != nil {
		slog.Warn("content security policy violation", "report", string(b), "user", sess.access.User)
		if s.CSPReports != nil {
			s.CSPReports(string(b))
		}
	} else {
		slog.Debug("anonymous content security policy report", "remote", s.clientAddr(r))
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Site) serveAsset(w http.ResponseWriter, r *http.Request) {
	a := s.assets[r.PathValue("name")]
	if a == nil {
		if r.PathValue("name") == "echarts.min.js" {
			http.Error(w, "echarts.min.js 没有打包进程序：请用 make build（它会先从 npm 仓库取得 ECharts）重新编译", http.StatusNotFound)
			return
		}
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.typ)
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.Header.Get("If-None-Match") == a.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.plain
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Vary", "Accept-Encoding")
		body = a.gz
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// pageFilter reads the page's filter; a page without a period shows the latest year with data.
func (s *Site) pageFilter(ctx context.Context, r *http.Request, d pageDef) (panels.Filter, *panels.Years, error) {
	q := r.URL.Query()
	if q.Get("from") != "" || q.Get("to") != "" {
		q.Del("year") // months chosen on the page win over the year select
	}
	for _, k := range []string{"year", "from", "to"} {
		if q.Has(k) && q.Get(k) == "" {
			q.Del(k)
		}
	}
	f, err := panels.ParseFilter(q)
	if err != nil {
		return f, nil, err
	}
	if f.Category != "" && !slices.Contains(d.categories, f.Category) {
		if len(d.categories) == 0 {
			f.Category = "" // a category chosen on another page does not apply here
		} else {
			return f, nil, panels.BadFilter("类别「%s」不对，可以是：%s", f.Category, strings.Join(d.categories, "、"))
		}
	}
	if f.Year != 0 || f.From != "" || f.To != "" {
		return f, nil, nil // the year list is fetched beside the page
	}
	yv, err := s.Engine.Run(ctx, "meta.years", panels.Filter{})
	if err != nil {
		return f, nil, err
	}
	years := yv.(*panels.Years)
	f.Year = years.Latest
	if f.Year == 0 {
		f.Year = time.Now().Year()
	}
	return f, years, nil
}

// pageScope reads a page's filter and checks it against the registry and
// the account: a page opens at the account's own org, and an org outside it
// is refused before anything of that org (not even its name) is read.
func (s *Site) pageScope(ctx context.Context, r *http.Request, d pageDef) (panels.Filter, *panels.Years, *panels.Registry, error) {
	f, years, err := s.pageFilter(ctx, r, d)
	if err != nil {
		return f, nil, nil, err
	}
	if a := panels.AccessFrom(ctx); a != nil && f.Org == "" {
		f.Org = a.Org
	}
	reg, err := s.Engine.Store.Registry(ctx)
	if err != nil {
		return f, nil, nil, err
	}
	if f.Org != "" && reg.Org(f.Org) == nil {
		if _, err := panels.ResolveOrg(reg, f.Org); err != nil {
			return f, nil, nil, err
		}
	}
	if a := panels.AccessFrom(ctx); a != nil && !reg.Within(f.Org, a.Org) {
		return f, nil, nil, panels.Denied("您的账号只能查看本单位及下级单位的数据")
	}
	return f, years, reg, nil
}

func (s *Site) servePage(w http.ResponseWriter, r *http.Request, d pageDef) {
	ctx := r.Context()
	p := &page{Title: d.Title, Path: d.Path, NoFilter: d.noFilter}
	f, years, reg, err := s.pageScope(ctx, r, d)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	// the year list (for the year select) is read while the page is built
	var yearsErr error
	var wg sync.WaitGroup
	if years == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var yv any
			if yv, yearsErr = s.Engine.Run(ctx, "meta.years", panels.Filter{}); yearsErr == nil {
				years = yv.(*panels.Years)
			}
		}()
	}
	b := &builder{ctx: ctx, e: s.Engine, f: f, reg: reg, p: p}
	err = d.build(b)
	wg.Wait()
	if err == nil {
		err = yearsErr
	}
	s.frame(r.Context(), p, f, years, reg)
	p.Filter.Categories, p.Filter.CategoryLabel, p.Filter.Category = d.categories, d.categoryLabel, f.Category
	if !d.noFilter {
		p.Exports = []link{
			{Text: "导出 Excel", Href: "/export?" + f.Query("page", d.Path, "format", "xlsx").Encode()},
			{Text: "导出 CSV", Href: "/export?" + f.Query("page", d.Path, "format", "csv").Encode()},
			{Text: "数据来源", Href: "/sources?" + f.Query("page", d.Path).Encode()},
		}
		if a := panels.AccessFrom(ctx); a != nil && mayReport(a) && f.Year != 0 {
			p.Exports = append(p.Exports, link{Text: "调研报告数据附录", Href: "/report?" + panels.Filter{Org: f.Org, Year: f.Year}.Query().Encode()})
		}
	}
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, p)
}

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
				link{Text: "审计日志", Href: "/admin/audit", Active: p.Path == "/admin/audit"})
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
	if err := s.tmpl.ExecuteTemplate(buf, "layout.html", p); err != nil {
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

// ---- upload ----

type uploadView struct {
	CSRF    string
	Due     string   // the month whose ledgers are due now
	Missing []string // the account's offices that have not sent them, with what is missing
	Done    bool
	Files   []uploadFile
	Rejects string // download link
	Total   string
}

type uploadFile struct {
	Name    string
	OK      bool
	Message string
	Tables  []string
	Rejects []string
	More    int
}

func (s *Site) uploadForm(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "数据上传", Path: "/upload", Upload: &uploadView{}, NoFilter: true}
	reg, _ := s.Engine.Store.Registry(r.Context())
	if reg == nil {
		reg = panels.NewRegistry(nil)
	}
	s.frame(r.Context(), p, panels.Filter{}, nil, reg)
	s.submissions(r.Context(), p.Upload)
	s.render(w, r, http.StatusOK, p)
}

// submissions tells the uploader which of their offices have not yet sent
// the month's ledgers (a 数据员 sees their own office only).
func (s *Site) submissions(ctx context.Context, v *uploadView) {
	ans, err := s.Engine.Run(ctx, "submissions.monthly", panels.Filter{})
	if err != nil {
		return // the page works without it
	}
	sub := ans.(*panels.Submissions)
	v.Due = sub.Month
	for _, r := range sub.Rows {
		if len(r.Missing) > 0 {
			v.Missing = append(v.Missing, r.OrgName+"："+strings.Join(r.Missing, "、"))
		}
	}
	if len(v.Missing) > 12 {
		v.Missing = append(v.Missing[:12], fmt.Sprintf("……共 %d 个单位未报齐", len(v.Missing)))
	}
}

func (s *Site) upload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload)
	p := &page{Title: "数据上传", Path: "/upload", Upload: &uploadView{Done: true}, NoFilter: true}
	reg, _ := s.Engine.Store.Registry(r.Context())
	if reg == nil {
		reg = panels.NewRegistry(nil)
	}
	s.frame(r.Context(), p, panels.Filter{}, nil, reg)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		p.Empty = "上传失败：文件太大或没有传完整（一次最多 " + strconv.FormatInt(s.MaxUpload>>20, 10) + " MB）。请分几次上传。"
		s.render(w, r, http.StatusBadRequest, p)
		return
	}
	defer r.MultipartForm.RemoveAll()
	files := r.MultipartForm.File["files"]
	if len(files) == 0 {
		p.Empty = "没有选择文件。请点“选择文件”，选好台账后再点“上传并载入”。"
		s.render(w, r, http.StatusBadRequest, p)
		return
	}
	if len(files) > s.sec.MaxFiles {
		p.Empty = fmt.Sprintf("一次最多上传 %d 个文件，这次选了 %d 个。请分几次上传。", s.sec.MaxFiles, len(files))
		s.render(w, r, http.StatusBadRequest, p)
		return
	}
	a := panels.AccessFrom(r.Context())
	var size int64
	for _, fh := range files {
		size += fh.Size
	}
	if ok, left := s.quota.take(a.User, size, s.sec.UploadBytesPerDay, time.Now()); !ok {
		p.Empty = fmt.Sprintf("您的账号一天最多上传 %d MB，今天还能上传 %d MB，这次的文件共 %d MB。请明天再传，或请管理员调高上限。",
			s.sec.UploadBytesPerDay>>20, left>>20, (size+(1<<20)-1)>>20)
		s.render(w, r, http.StatusTooManyRequests, p)
		return
	}
	dir, paths, err := saveUploads(s.UploadDir, files)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	defer os.RemoveAll(dir)
	reports, err := s.Ingest.RunWithin(r.Context(), a.Org, paths)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	s.auditUpload(r, a, "upload", reports)
	var acc, rej int
	for _, rep := range reports {
		uf := uploadFile{Name: filepath.Base(rep.File), OK: rep.Err == nil}
		switch {
		case rep.Err != nil:
			uf.Message = rep.Err.Error()
		case rep.Skipped:
			uf.Message = "这个文件以前已经载入过，没有重复计算。"
		}
		for _, t := range rep.Tables {
			acc += t.Accepted
			rej += t.Rejected
			uf.Tables = append(uf.Tables, fmt.Sprintf("%s：载入 %s 行，退回 %s 行", t.LedgerName, thousands(int64(t.Accepted)), thousands(int64(t.Rejected))))
			for _, rj := range t.Rejects {
				if len(uf.Rejects) < 200 {
					uf.Rejects = append(uf.Rejects, rj.Error())
				} else {
					uf.More++
				}
			}
		}
		p.Upload.Files = append(p.Upload.Files, uf)
	}
	p.Upload.Total = fmt.Sprintf("共 %d 个文件，载入 %s 行，退回 %s 行。", len(reports), thousands(int64(acc)), thousands(int64(rej)))
	if rej > 0 || hasFileError(reports) {
		id := make([]byte, 12)
		rand.Read(id)
		key := hex.EncodeToString(id)
		if path, err := s.writeRejects(key, load.RejectRows(reports)); err != nil {
			slog.Error("rejects workbook not written", "err", err)
		} else {
			s.keepRejects(key, rejectFile{at: time.Now(), user: a.User, path: path})
			p.Upload.Rejects = "/upload/rejects/" + key
		}
	}
	s.render(w, r, http.StatusOK, p)
}

// auditUpload records each uploaded or pushed file: its name, fingerprint and result.
func (s *Site) auditUpload(r *http.Request, a *panels.Access, action string, reports []load.FileReport) {
	for _, rep := range reports {
		result, detail := "成功", fmt.Sprintf("载入 %d 行，退回 %d 行", rep.Accepted(), rep.Rejected())
		switch {
		case rep.Err != nil:
			result, detail = "失败", rep.Err.Error()
		case rep.Skipped:
			detail = "以前已经载入过"
		}
		if rep.SHA256 != "" {
			detail += "；SHA-256 " + rep.SHA256
		}
		s.audit(r, a, action, filepath.Base(rep.File), detail, result)
	}
}

func hasFileError(reports []load.FileReport) bool {
	for _, r := range reports {
		if r.Err != nil {
			return true
		}
	}
	return false
}

// downloadRejects writes the rejected rows of an upload as an .xlsx the
// clerk can open, fix and send again.
func (s *Site) downloadRejects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rf, ok := s.rejects[r.PathValue("id")]
	s.mu.Unlock()
	if !ok || time.Since(rf.at) > time.Hour {
		http.Error(w, "这份退回明细已过期（保留1小时），请重新上传文件查看。", http.StatusNotFound)
		return
	}
	a := panels.AccessFrom(r.Context())
	if rf.user != a.User {
		s.forbidden(w, r, a)
		return
	}
	f, err := os.Open(rf.path)
	if err != nil {
		http.Error(w, "这份退回明细已过期（保留1小时），请重新上传文件查看。", http.StatusNotFound)
		return
	}
	defer f.Close()
	s.audit(r, a, "export", "退回明细", "下载上传结果的退回明细", "成功")
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="rejects.xlsx"; filename*=UTF-8''%E9%80%80%E5%9B%9E%E6%98%8E%E7%BB%86.xlsx`)
	io.Copy(w, f)
}

// writeRejects writes an upload's rejects as a workbook in the upload
// folder (streamed: a long list never sits in memory as cells).
func (s *Site) writeRejects(key string, rows []load.RejectRow) (string, error) {
	dir := filepath.Join(s.uploadParent(), "sifa-rejects")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	f := excelize.NewFile()
	defer f.Close()
	sh := "退回明细"
	f.SetSheetName("Sheet1", sh)
	sw, err := f.NewStreamWriter(sh)
	if err != nil {
		return "", err
	}
	sw.SetColWidth(1, 1, 30)
	sw.SetColWidth(6, 6, 20)
	sw.SetColWidth(7, 7, 60)
	sw.SetRow("A1", []any{"文件", "工作表", "行号", "列", "项目", "填写内容", "退回原因"})
	for i, rj := range rows {
		var row any = ""
		if rj.Row > 0 {
			row = rj.Row
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), []any{FormulaSafe(rj.File), FormulaSafe(rj.Sheet), row, rj.Letter, rj.Column, FormulaSafe(rj.Value), FormulaSafe(rj.Reason)}); err != nil {
			return "", err
		}
	}
	if err := sw.Flush(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, key+".xlsx")
	return path, f.SaveAs(path)
}

// keepRejects remembers a rejects workbook, forgetting (and removing) those
// over an hour old, and the oldest past rejectsKept.
func (s *Site) keepRejects(key string, rf rejectFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.rejects {
		if time.Since(v.at) > time.Hour {
			os.Remove(v.path)
			delete(s.rejects, k)
		}
	}
	for len(s.rejects) >= rejectsKept {
		oldest := ""
		for k, v := range s.rejects {
			if oldest == "" || v.at.Before(s.rejects[oldest].at) {
				oldest = k
			}
		}
		os.Remove(s.rejects[oldest].path)
		delete(s.rejects, oldest)
	}
	s.rejects[key] = rf
}

// uploadParent is the folder uploads and rejects workbooks are written in.
func (s *Site) uploadParent() string {
	if s.UploadDir == "" {
		return os.TempDir()
	}
	return s.UploadDir
}

// FormulaSafe keeps a cell that Excel or WPS would read as a formula (it
// starts with =, +, -, @, a tab or a carriage return) as text, by a leading
// apostrophe: every export a spreadsheet can open writes its text through it.
func FormulaSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// ---- gzip ----

type gzipWriter struct {
	http.ResponseWriter
	gz      *gzip.Writer
	decided bool
	use     bool
}

func (g *gzipWriter) WriteHeader(code int) {
	if !g.decided {
		g.decided = true
		h := g.Header()
		typ := h.Get("Content-Type")
		g.use = h.Get("Content-Encoding") == "" && (strings.HasPrefix(typ, "text/") || strings.HasPrefix(typ, "application/json"))
		if g.use {
			h.Set("Content-Encoding", "gzip")
			h.Add("Vary", "Accept-Encoding")
			h.Del("Content-Length")
			g.gz = gzipPool.Get().(*gzip.Writer)
			g.gz.Reset(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.use {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// gzipPool keeps compressors between answers: a new one allocates over
// 800 KB, which under twenty concurrent readers was most of the garbage.
// Pages are compressed at the fastest level (they are generated per
// request; the static assets are compressed once, at the best level).
var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return w
}}

func gzipHandler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			next.ServeHTTP(w, r)
			return
		}
		gw := &gzipWriter{ResponseWriter: w}
		next.ServeHTTP(gw, r)
		if gw.gz != nil {
			gw.gz.Close()
			gzipPool.Put(gw.gz)
		}
	})
}

// saveUploads writes uploaded files into a new folder under parent, each in
// a sub-folder of its own (two files of one name stay apart) under its base
// name, for the ingest path. A file it cannot write is an error, never
// silently dropped; the caller removes the folder.
func saveUploads(parent string, files []*multipart.FileHeader) (string, []string, error) {
	dir, err := os.MkdirTemp(parent, "sifa-upload-*")
	if err != nil {
		return "", nil, err
	}
	var paths []string
	for i, fh := range files {
		name := uploadName(fh.Filename, i)
		sub := filepath.Join(dir, strconv.Itoa(i))
		dst := filepath.Join(sub, name)
		err := os.MkdirAll(sub, 0o700)
		var src multipart.File
		if err == nil {
			src, err = fh.Open()
		}
		if err == nil {
			var out *os.File
			if out, err = os.Create(dst); err == nil {
				_, err = io.Copy(out, src)
				if cerr := out.Close(); err == nil {
					err = cerr
				}
			}
			src.Close()
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("无法保存上传的文件「%s」（磁盘可能已满），这次上传的文件都没有载入，请稍后重传：%w", name, err)
		}
		paths = append(paths, dst)
	}
	return dir, paths, nil
}

// maxNameBytes keeps a sent name (with the folder number in front) within
// what every file system takes (255 bytes a name).
const maxNameBytes = 200

// uploadName is the name a sent file is kept under: its last path element,
// without control characters (a NUL ends a name for the system), never "."
// or "..", and cut to maxNameBytes on a character boundary with its
// extension kept. A name with nothing left is 文件N.
func uploadName(sent string, i int) string {
	name := filepath.Base(strings.ReplaceAll(sent, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if strings.Trim(name, ".") == "" || name == "/" {
		return "文件" + strconv.Itoa(i+1)
	}
	if len(name) > maxNameBytes {
		ext := filepath.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:maxNameBytes-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = stem + ext
	}
	return name
}

// removeStaleUploads removes the upload folders and rejects workbooks a
// crashed or killed server left behind (an upload's folder lives only while
// its request does, a rejects workbook an hour).
func removeStaleUploads(parent string, before time.Time) {
	if parent == "" {
		parent = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(parent, "sifa-upload-*"))
	books, _ := filepath.Glob(filepath.Join(parent, "sifa-rejects", "*.xlsx"))
	exports, _ := filepath.Glob(filepath.Join(parent, "sifa-export-*"))
	dirs = append(append(dirs, books...), exports...)
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.ModTime().Before(before) {
			os.RemoveAll(d)
		}
	}
}
