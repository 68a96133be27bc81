package dashboards

// What every answer goes through: security headers and the Content-Security-Policy, its reports, gzip.

import (
	"compress/gzip"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
)

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
