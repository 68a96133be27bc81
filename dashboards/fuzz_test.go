package dashboards_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"sifa/dashboards"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// fuzzTarget is a site on its own warehouse with an administrator signed in.
func fuzzTarget(f *testing.F) (http.Handler, *user, string) {
	dir := f.TempDir()
	w, p := whtest.DuckDB(f, dir)
	site := &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir, Accounts: w, MaxUpload: 1 << 20}
	h := site.Handler()
	srv := httptest.NewServer(h)
	f.Cleanup(srv.Close)
	return h, signIn(f, srv.URL, w, panels.RoleAdmin, ""), srv.URL
}

// serve runs one request through the handler in process and checks that
// it did not fail on the server's side.
func serveOnce(t *testing.T, h http.Handler, req *http.Request) int {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("%s %s: %d %s", req.Method, req.URL, rec.Code, rec.Body.String())
	}
	return rec.Code
}

// FuzzLogin posts any form to the sign-in handler: it answers, never
// panics, and never signs anyone in without the password.
func FuzzLogin(f *testing.F) {
	h, u, _ := fuzzTarget(f)
	f.Add("user=admin&password=x", "")
	f.Add("user="+u.name+"&password=wrong&next=//evil.example", "")
	f.Add("user=%00%ff&password=%e4%b8", "/\\evil")
	f.Add(strings.Repeat("user=a&", 2000), "")
	f.Fuzz(func(t *testing.T, body, next string) {
		req := httptest.NewRequest("POST", "/login?next="+url.QueryEscape(next), strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 { // the warehouse is up: a 503 would be a query the input broke
			t.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
		if rec.Code == http.StatusSeeOther {
			t.Fatalf("signed in by %q", body)
		}
		for _, c := range rec.Result().Cookies() {
			if c.Name == "sifa_session" && c.Value != "" {
				t.Fatalf("a session cookie for %q", body)
			}
		}
	})
}

// FuzzSession sends any cookie and CSRF token to guarded routes: nothing
// passes without a real session.
func FuzzSession(f *testing.F) {
	h, u, _ := fuzzTarget(f)
	f.Add("x", "", "GET", "/api/v1/panels/disputes.summary")
	f.Add(strings.Repeat("a", 64), u.csrf, "POST", "/admin/users")
	f.Add("", "", "GET", "/upload/rejects/00")
	f.Add("\x00;sifa_session=", "x", "POST", "/logout")
	f.Fuzz(func(t *testing.T, cookie, csrf, method, path string) {
		if method != "GET" && method != "POST" || !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "/login") ||
			strings.HasPrefix(path, "/assets/") || strings.HasPrefix(path, "/csp-report") || strings.HasPrefix(path, "/favicon") {
			return
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return
		}
		req, err := http.NewRequest(method, "http://127.0.0.1"+path, strings.NewReader("csrf="+url.QueryEscape(csrf)))
		if err != nil || strings.ContainsAny(path, " \t\r\n") {
			return // not a request a client could send
		}
		req.RemoteAddr = "192.0.2.1:1234"
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", "sifa_session="+cookie)
		req.Header.Set("X-CSRF-Token", csrf)
		code := serveOnce(t, h, req)
		if code == 200 || code == 204 {
			t.Fatalf("%s %s answered %d with cookie %q", method, path, code, cookie)
		}
	})
}

// FuzzUpload posts any multipart body, signed in, to the upload handler:
// it answers with a page, never a crash, whatever the files hold.
func FuzzUpload(f *testing.F) {
	h, u, base := fuzzTarget(f)
	f.Add("台账.csv", []byte("受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,石门,邻里,调解成功\n"), true)
	f.Add("x.xlsx", []byte("PK\x03\x04 not really"), true)
	f.Add("../../etc/passwd", []byte{0, 1, 2}, false)
	f.Fuzz(func(t *testing.T, name string, content []byte, wellFormed bool) {
		var body *bytes.Buffer
		var typ string
		if wellFormed {
			body, typ = multipartBody(u.csrf, map[string][]byte{name: content})
		} else {
			body, typ = bytes.NewBuffer(content), "multipart/form-data; boundary="+name
		}
		req := httptest.NewRequest("POST", "/upload", body)
		req.Header.Set("Content-Type", typ)
		for _, c := range u.c.Jar.Cookies(mustURL(base)) {
			req.AddCookie(c)
		}
		serveOnce(t, h, req)
	})
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}
