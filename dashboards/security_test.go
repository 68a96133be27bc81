package dashboards_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"sifa/dashboards"
	"sifa/warehouse"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// pathOf turns a route pattern ("GET /upload/rejects/{id}") into a method and a concrete path.
func pathOf(pattern string) (string, string) {
	method, path, _ := strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	path = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, "x")
	return method, path
}

// TestEveryRouteNeedsSignIn walks every route the site registered (listed
// from its router, so a new route cannot be missed) without a session, and
// with a made-up one: each answers 401 or a redirect to the sign-in page,
// except the sign-in page, the assets and the CSP report; token routes 401.
func TestEveryRouteNeedsSignIn(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	site := &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir, Accounts: w,
		PushTokens: map[string]string{"县政务系统": "s3cret", "local": "l0cal"},
		Backup:     func(ctx context.Context, dir string) (string, error) { return dir, nil }}
	srv := httptest.NewServer(site.Handler())
	defer srv.Close()
	routes := site.Routes()
	if len(routes) < 20 {
		t.Fatalf("only %d routes listed: %v", len(routes), routes)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	guarded := 0
	for _, rt := range routes {
		method, path := pathOf(rt.Pattern)
		for _, cookie := range []string{"", "made-up-session-token"} {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader("a=b"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if cookie != "" {
				req.AddCookie(&http.Cookie{Name: "sifa_session", Value: cookie})
			}
			resp, err := noRedirect.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case rt.Public:
				if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode >= 500 {
					t.Errorf("%s (public): %d", rt.Pattern, resp.StatusCode)
				}
			case rt.Token:
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s without its token: %d %s", rt.Pattern, resp.StatusCode, body)
				}
			case method == "GET" && !strings.HasPrefix(path, "/api/"):
				loc := resp.Header.Get("Location")
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
					t.Errorf("%s without a session: %d → %q, want 303 to /login", rt.Pattern, resp.StatusCode, loc)
				}
			default:
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("%s without a session: %d, want 401", rt.Pattern, resp.StatusCode)
				}
			}
			if !rt.Public {
				guarded++
			}
			if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: security headers missing", rt.Pattern)
			}
		}
	}
	t.Logf("%d routes walked, %d answers refused without a session", len(routes), guarded)
}

// TestRoleLimits: each role sees only its pages and panels, and only its
// org and below, in the API and in the pages alike.
func TestRoleLimits(t *testing.T) {
	srv := demoSite(t)
	st := storeOf(t, srv.URL)
	admin := adminOf(t, srv.URL)
	clerk := signIn(t, srv.URL, st, panels.RoleClerk, "990121100")        // 石门镇
	researcher := signIn(t, srv.URL, st, panels.RoleResearcher, "990121") // 青山县
	leader := signIn(t, srv.URL, st, panels.RoleLeader, "990121")
	gov := signIn(t, srv.URL, st, panels.RoleGovernment, "990121")
	cases := []struct {
		who  *user
		path string
		want int
	}{
		// the clerk: uploads and the office's own submissions, nothing else
		{clerk, "/upload", 200},
		{clerk, "/api/v1/panels/submissions.monthly", 200},
		{clerk, "/api/v1/panels/submissions.monthly?org=990121100", 200},
		{clerk, "/api/v1/panels/submissions.monthly?org=990121101", 403}, // another township
		{clerk, "/api/v1/panels/submissions.monthly?org=990121", 403},    // the county above
		{clerk, "/api/v1/panels/disputes.summary?org=990121100", 403},    // not a panel of the role
		{clerk, "/disputes?org=990121100", 403},
		{clerk, "/", 403},
		{clerk, "/admin/users", 403},
		// the researcher of 青山县
		{researcher, "/api/v1/panels/disputes.summary", 200},
		{researcher, "/api/v1/panels/disputes.summary?org=990121100", 200},
		{researcher, "/api/v1/panels/disputes.summary?org=990122", 403}, // 绿水县
		{researcher, "/disputes?org=990122&year=2014", 403},
		{researcher, "/disputes?org=990121&year=2014", 200},
		{researcher, "/api/v1/panels/jobs.recent", 403},
		{researcher, "/jobs", 403},
		{researcher, "/upload", 403},
		// the county government: overview and build-out only
		{gov, "/", 200},
		{gov, "/buildout", 200},
		{gov, "/outlook", 200},
		{gov, "/plan", 200},
		{gov, "/api/v1/panels/outlook.targets", 200},
		{gov, "/disputes", 403},
		{gov, "/staffing", 403},
		{gov, "/api/v1/panels/buildout.progress", 200},
		{gov, "/api/v1/panels/disputes.by_type", 403},
		{gov, "/api/v1/panels/work.summary", 403},
		{leader, "/work?org=990121&year=2014", 200},
		{leader, "/work?org=990122&year=2014", 403},
		{leader, "/admin/audit", 403},
		{admin, "/admin/audit", 200},
		{admin, "/disputes?org=990122&year=2014", 200},
	}
	for _, c := range cases {
		code, body := c.who.get(t, c.path)
		if code != c.want {
			t.Errorf("%s as %s: %d, want %d", c.path, c.who.name, code, c.want)
		}
		if code == 403 && strings.Contains(body, "绿水县") && strings.Contains(c.path, "990122") && !strings.HasPrefix(c.path, "/api/") {
			t.Errorf("%s as %s: the refusal shows the other county's page", c.path, c.who.name)
		}
	}
	// an empty org is the account's org, not everything
	var mine, county map[string]any
	_, b1 := researcher.get(t, "/api/v1/panels/disputes.summary?year=2014")
	_, b2 := admin.get(t, "/api/v1/panels/disputes.summary?year=2014&org=990121")
	json.Unmarshal([]byte(b1), &mine)
	json.Unmarshal([]byte(b2), &county)
	if mine["received"] == nil || mine["received"] != county["received"] {
		t.Errorf("the researcher's unfiltered answer %v is not 青山县's %v", mine["received"], county["received"])
	}
	// the pages open at the account's org, with no way up
	_, page := researcher.get(t, "/disputes?year=2014")
	if !strings.Contains(page, "<strong>青山县</strong>") || strings.Contains(page, `>全部</a>`) || strings.Contains(page, "绿水县") {
		t.Errorf("the researcher's page does not open at 青山县 alone")
	}
	// the navigation offers only what the role may open
	_, page = gov.get(t, "/")
	if strings.Contains(page, `href="/disputes`) || !strings.Contains(page, `href="/buildout`) {
		t.Errorf("the government user's navigation offers pages it may not open")
	}
	// the panel list answers with the role's panels
	_, list := clerk.get(t, "/api/v1/panels")
	if strings.Contains(list, "disputes.summary") || !strings.Contains(list, "submissions.monthly") {
		t.Errorf("the clerk's panel list: %s", list)
	}
}

// TestSmallGroupsWithheld: counts of fewer than 3 people reach only 管理员
// and 领导; others see null in the API and "<3" on the page.
func TestSmallGroupsWithheld(t *testing.T) {
	srv := demoSite(t)
	st := storeOf(t, srv.URL)
	researcher := signIn(t, srv.URL, st, panels.RoleResearcher, "990121")
	leader := signIn(t, srv.URL, st, panels.RoleLeader, "990121")
	var r, l panels.StaffingSummary
	_, b := researcher.get(t, "/api/v1/panels/staffing.summary?year=2014")
	json.Unmarshal([]byte(b), &r)
	_, b2 := leader.get(t, "/api/v1/panels/staffing.summary?year=2014")
	json.Unmarshal([]byte(b2), &l)
	if l.Staff != 26 || l.Education["高中"] != 10 || l.NoComputer != 11 {
		t.Fatalf("the leader's answer is not whole: %s", b2)
	}
	withheld := 0
	for k, v := range l.Education {
		got := r.Education[k]
		switch {
		case v > 0 && v < 3:
			withheld++
			if !got.Withheld() || !strings.Contains(b, `"`+k+`":null`) {
				t.Errorf("education %s = %d shown to the researcher as %d", k, v, got)
			}
		case got != v:
			t.Errorf("education %s: researcher %d, leader %d", k, got, v)
		}
	}
	if withheld == 0 {
		t.Fatalf("no education count below 3 in 青山县: the test proves nothing (%v)", l.Education)
	}
	// per office: every trait of a one- or two-person office is withheld
	var rows panels.Rows[panels.StaffRow]
	_, b = researcher.get(t, "/api/v1/panels/staffing.by_org?year=2014")
	json.Unmarshal([]byte(b), &rows)
	small := 0
	for _, row := range rows.Rows {
		if row.Staff < 3 {
			small++
			if !row.NoComputer.Withheld() || !row.Aged46Plus.Withheld() || !row.LawMajor.Withheld() {
				t.Errorf("%s (%d staff): traits shown to the researcher: %+v", row.OrgName, row.Staff, row)
			}
		}
	}
	if small == 0 {
		t.Fatal("no office under 3 staff: the test proves nothing")
	}
	_, page := researcher.get(t, "/staffing?year=2014")
	if !strings.Contains(page, "&lt;3") {
		t.Errorf("the researcher's staffing page does not mark withheld counts")
	}
	_, page = leader.get(t, "/staffing?year=2014")
	if strings.Contains(page, "&lt;3") {
		t.Errorf("the leader's staffing page withholds counts")
	}
}

// TestCSRF: a state-changing request without the form token, with a wrong
// one, or from another site is refused, and changes nothing.
func TestCSRF(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir})
	admin := adminOf(t, srv.URL)
	form := func(v url.Values) io.Reader { return strings.NewReader(v.Encode()) }
	posts := []struct {
		path string
		body url.Values
	}{
		{"/logout", url.Values{}},
		{"/admin/users", url.Values{"action": {"add"}, "name": {"mallory"}, "role": {"管理员"}, "password": {testPassword}}},
		{"/account/password", url.Values{"old": {testPassword}, "new": {"Another-pass-2015!"}, "again": {"Another-pass-2015!"}}},
		{"/upload", url.Values{}},
	}
	for _, c := range posts {
		for _, variant := range []string{"none", "wrong", "cross-site", "in the URL"} {
			v := url.Values{}
			for k, x := range c.body {
				v[k] = x
			}
			switch variant {
			case "wrong":
				v.Set("csrf", strings.Repeat("0", len(admin.csrf)))
			case "cross-site":
				v.Set("csrf", admin.csrf)
			}
			target := srv.URL + c.path
			if variant == "in the URL" {
				target += "?csrf=" + url.QueryEscape(admin.csrf) // URLs end up in logs and Referer headers
			}
			req, _ := http.NewRequest("POST", target, form(v))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if variant == "cross-site" {
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				req.Header.Set("Origin", "http://evil.example")
			}
			resp := admin.do(t, req, false)
			resp.Body.Close()
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s (%s token): %d, want 403", c.path, variant, resp.StatusCode)
			}
		}
	}
	if _, ok, _ := w.Account(context.Background(), "mallory"); ok {
		t.Errorf("a CSRF-less POST created an account")
	}
	if code, _ := admin.get(t, "/admin/users"); code != 200 {
		t.Errorf("the CSRF-less logout ended the session: %d", code)
	}
	// with the token, the same request works
	v := url.Values{"csrf": {admin.csrf}, "action": {"add"}, "name": {"wang"}, "role": {"领导"}, "password": {testPassword}}
	req, _ := http.NewRequest("POST", srv.URL+"/admin/users", form(v))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := admin.do(t, req, false)
	resp.Body.Close()
	if _, ok, _ := w.Account(context.Background(), "wang"); resp.StatusCode != 200 || !ok {
		t.Errorf("POST with the token: %d, account made %v", resp.StatusCode, ok)
	}
}

// TestSessionsAndLockout: a session ends after the idle time; five wrong
// passwords lock an account (the right one is refused too) until an admin
// sets a new password; the cookie is HttpOnly and SameSite=Strict.
func TestSessionsAndLockout(t *testing.T) {
	dir := t.TempDir()
	w, _ := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w},
		Security: dashboards.Security{IdleTimeout: 700 * time.Millisecond, MaxFailures: 5, FailureWindow: time.Minute}})
	name := newAccount(t, w, panels.RoleLeader, "")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(srv.URL+"/login", url.Values{"user": {name}, "password": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookie := resp.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Strict") {
		t.Errorf("session cookie %q", cookie)
	}
	u := signInAs(t, srv.URL, name, testPassword)
	if code, _ := u.get(t, "/api/v1/panels/meta.years"); code != 200 {
		t.Fatalf("signed in: %d", code)
	}
	time.Sleep(400 * time.Millisecond)
	if code, _ := u.get(t, "/api/v1/panels/meta.years"); code != 200 {
		t.Errorf("a session in use expired: %d", code) // use keeps it alive
	}
	time.Sleep(900 * time.Millisecond)
	if code, _ := u.get(t, "/api/v1/panels/meta.years"); code != 401 {
		t.Errorf("after the idle time: %d, want 401", code)
	}
	// lock-out
	login := func(pw string) int {
		resp, err := http.PostForm(srv.URL+"/login", url.Values{"user": {name}, "password": {pw}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := 0; i < 5; i++ {
		if code := login("Wrong-pass-" + fmt.Sprint(i)); code != 401 {
			t.Errorf("wrong password %d: %d", i, code)
		}
	}
	if code := login(testPassword); code != http.StatusTooManyRequests {
		t.Errorf("after 5 failures the right password: %d, want 429", code)
	}
	// an unknown account answers like a known one
	if code := login("x"); code != 429 {
		t.Logf("locked account, wrong password: %d", code)
	}
	if code := func() int {
		resp, _ := http.PostForm(srv.URL+"/login", url.Values{"user": {"nobody-here"}, "password": {"Wrong-pass-1"}})
		resp.Body.Close()
		return resp.StatusCode
	}(); code != 401 {
		t.Errorf("unknown account: %d, want 401 like a wrong password", code)
	}
	err = dashboards.ChangeAccount(context.Background(), w, nil, dashboards.PasswordRules{}, dashboards.AccountChange{
		Action: "password", Name: name, Password: "Reset-by-admin-1", By: "admin"})
	if err != nil {
		t.Fatal(err)
	}
	signInAs(t, srv.URL, name, "Reset-by-admin-1") // fails the test if still locked
	// password rules
	for _, bad := range []string{"short1A!", "alllowercaseletters", name + "-Upper-1"} {
		err := dashboards.ChangeAccount(context.Background(), w, nil, dashboards.PasswordRules{}, dashboards.AccountChange{
			Action: "password", Name: name, Password: bad, By: "admin"})
		if err == nil {
			t.Errorf("password %q accepted", bad)
		}
	}
}

// TestAuditLog: sign-in, failed sign-in, upload, export, account change and
// refusals are in the audit log with who, what and where from; the admin
// reads them on a page.
func TestAuditLog(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir})
	admin := adminOf(t, srv.URL)
	http.PostForm(srv.URL+"/login", url.Values{"user": {admin.name}, "password": {"Wrong-pass-9"}})
	_, page := postFiles(t, srv.URL+"/upload", map[string]string{
		"名录.csv": "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n",
		"调解.csv": "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,石门,邻里,调解成功\n2014-02-30,石门,邻里,调解成功\n"})
	link := regexp.MustCompile(`href="(/upload/rejects/[0-9a-f]+)"`).FindStringSubmatch(page)
	if link == nil {
		t.Fatal("no rejects link")
	}
	admin.get(t, link[1])
	clerk := signIn(t, srv.URL, w, panels.RoleClerk, "990121100")
	clerk.get(t, "/admin/audit")
	evs, err := w.Audit(context.Background(), warehouse.AuditQuery{})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range evs {
		seen[e.Action] = true
		if e.Remote != "127.0.0.1" && e.Action != "user_change" {
			t.Errorf("%s without the client address: %+v", e.Action, e)
		}
		if e.Action == "upload" && e.Target == "调解.csv" && !strings.Contains(e.Detail, "退回 1 行") {
			t.Errorf("upload line: %+v", e)
		}
	}
	for _, want := range []string{"login", "login_failed", "upload", "export", "user_change", "denied"} {
		if !seen[want] {
			t.Errorf("no %s in the audit log", want)
		}
	}
	code, page := admin.get(t, "/admin/audit?days=1")
	for _, want := range []string{"登录失败", "上传", "调解.csv", "越权被拒", clerk.name, "127.0.0.1"} {
		if !strings.Contains(page, want) {
			t.Errorf("audit page (%d) lacks %q", code, want)
		}
	}
	if err := w.PurgeAudit(context.Background(), 30*24*time.Hour); err == nil {
		t.Errorf("the audit log could be cut to 30 days")
	}
}

// TestClerkUploadsOnlyOwnOffice: a 数据员 loads only their own township's
// rows, cannot change the org registry, and cannot read another's rejects.
func TestClerkUploadsOnlyOwnOffice(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir})
	reg := "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,白河镇,乡镇(街道),990121\n"
	if _, page := postFiles(t, srv.URL+"/upload", map[string]string{"名录.csv": reg}); !strings.Contains(page, "机构名录：载入 3 行") {
		t.Fatalf("registry upload: %s", page)
	}
	a := signIn(t, srv.URL, w, panels.RoleClerk, "990121100")
	b := signIn(t, srv.URL, w, panels.RoleClerk, "990121101")
	_, page := postFilesAs(t, a, srv.URL+"/upload", map[string]string{"别人的.csv": "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,白河,邻里,调解成功\n"})
	if !strings.Contains(page, "只能上传本单位") {
		t.Errorf("a clerk loaded another township's rows")
	}
	_, page = postFilesAs(t, a, srv.URL+"/upload", map[string]string{"名录2.csv": strings.Replace(reg, "白河镇", "黑河镇", 1)})
	if !strings.Contains(page, "机构名录只能由管理员上传") {
		t.Errorf("a clerk changed the registry")
	}
	_, page = postFilesAs(t, a, srv.URL+"/upload", map[string]string{"石门.csv": "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,石门,邻里,调解成功\n2014-02-30,石门,邻里,调解成功\n"})
	if !strings.Contains(page, "载入 1 行，退回 1 行") {
		t.Fatalf("the clerk's own file: %s", page)
	}
	v, _ := (&panels.Engine{Store: w}).Run(context.Background(), "disputes.by_org", panels.Filter{Org: "990121"})
	for _, r := range v.(*panels.Rows[panels.DisputeRow]).Rows {
		if r.OrgCode == "990121101" && r.Received != 0 {
			t.Errorf("白河镇 has %d disputes from 石门镇's clerk", r.Received)
		}
	}
	link := regexp.MustCompile(`href="(/upload/rejects/[0-9a-f]+)"`).FindStringSubmatch(page)
	if link == nil {
		t.Fatal("no rejects link")
	}
	if code, _ := a.get(t, link[1]); code != 200 {
		t.Errorf("the clerk's own rejects: %d", code)
	}
	if code, body := b.get(t, link[1]); code != 403 || strings.Contains(body, "2014-02-30") {
		t.Errorf("another township's clerk read the rejects: %d", code)
	}
	// too many files at once
	files := map[string]string{}
	for i := 0; i < 21; i++ {
		files[fmt.Sprintf("f%d.csv", i)] = "x"
	}
	if code, page := postFilesAs(t, a, srv.URL+"/upload", files); code != 400 || !strings.Contains(page, "一次最多上传 20 个文件") {
		t.Errorf("21 files: %d", code)
	}
}

// multipartBody builds an upload body with the given token.
func multipartBody(csrf string, files map[string][]byte) (*bytes.Buffer, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	for name, b := range files {
		fw, _ := mw.CreateFormFile("files", name)
		fw.Write(b)
	}
	mw.Close()
	return &body, mw.FormDataContentType()
}

// TestClerkSeesOwnSubmissions: the upload page tells a 数据员 what their
// own office still owes, and nothing about the others.
func TestClerkSeesOwnSubmissions(t *testing.T) {
	srv := demoSite(t)
	clerk := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleClerk, "990121100")
	admin := adminOf(t, srv.URL)
	_, mine := clerk.get(t, "/upload")
	_, all := admin.get(t, "/upload")
	line := regexp.MustCompile(`<p class="submissions">(.*?)</p>`)
	m1, m2 := line.FindStringSubmatch(mine), line.FindStringSubmatch(all)
	if m1 == nil || m2 == nil || !strings.Contains(m2[1], "还没有报齐") {
		t.Fatalf("submission lines: clerk %v, admin %v", m1, m2)
	}
	others := 0
	for _, office := range regexp.MustCompile(`(\p{Han}+(?:镇|乡|街道))：`).FindAllStringSubmatch(m2[1], -1) {
		if office[1] != "石门镇" {
			others++
			if strings.Contains(m1[1], office[1]) {
				t.Errorf("the clerk of 石门镇 is told about %s", office[1])
			}
		}
	}
	if others == 0 {
		t.Errorf("the admin's line names no other office: the test proves nothing (%s)", m2[1])
	}
}
