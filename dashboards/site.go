package dashboards

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

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
	RunUpload(ctx context.Context, within string, confirmed bool, paths []string) ([]load.FileReport, error)
	Reload(ctx context.Context, sha, name string) (load.FileReport, error)
	DeclareZero(ctx context.Context, within, dir string, d load.ZeroDeclaration) (load.FileReport, error)
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
	// Targets keeps the build-out targets an admin edits (/admin/targets);
	// nil: the warehouse behind Engine when it keeps them.
	Targets TargetStore
	// Maps keeps the counties' township maps an admin uploads (/admin/map)
	// for the cockpit; nil: the warehouse behind Engine when it keeps them.
	Maps MapStore
	// Notices keeps the notices each person receives (/messages); nil: the
	// warehouse behind Engine when it keeps them. MailConfigured says the
	// server sends e-mail (the page then offers an address field).
	Notices        NoticeBox
	MailConfigured bool
	// ScreenRefresh is how often the cockpit asks whether new data has
	// been committed (default 30 s).
	ScreenRefresh time.Duration
	Security      Security
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
	if nb, ok := s.Engine.Store.(NoticeBox); ok && s.Notices == nil {
		s.Notices = nb
	}
	if ms, ok := s.Engine.Store.(MapStore); ok && s.Maps == nil {
		s.Maps = ms
	}
	if ts, ok := s.Engine.Store.(TargetStore); ok && s.Targets == nil {
		s.Targets = ts
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
