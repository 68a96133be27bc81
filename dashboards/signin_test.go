package dashboards_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"sifa/dashboards"
	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// testPassword satisfies the default password rules.
const testPassword = "Qingshan-2014!"

var (
	accountSeq atomic.Int64
	clients    sync.Map // test server URL → *user signed in as 管理员
	stores     sync.Map // test server URL → its AccountStore
	cspCounts  sync.Map // test server URL → *atomic.Int64 of CSP violation reports
)

// storeOf returns the account store of the server a URL points at.
func storeOf(t testing.TB, rawURL string) dashboards.AccountStore {
	t.Helper()
	var found dashboards.AccountStore
	stores.Range(func(k, v any) bool {
		if strings.HasPrefix(rawURL, k.(string)) {
			found = v.(dashboards.AccountStore)
			return false
		}
		return true
	})
	if found == nil {
		t.Fatalf("no test server at %s", rawURL)
	}
	return found
}

// cspReports counts the CSP violations browsers reported to a test server.
func cspReports(rawURL string) int64 {
	v, ok := cspCounts.Load(rawURL)
	if !ok {
		return -1
	}
	return v.(*atomic.Int64).Load()
}

// user is a browser signed in to a test server.
type user struct {
	name string
	c    *http.Client
	csrf string
	base string
}

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// serveSite serves a site (its warehouse keeps the accounts) and signs an
// administrator in, whom get and post use by default.
func serveSite(t testing.TB, site *dashboards.Site) *httptest.Server {
	t.Helper()
	if site.Accounts == nil {
		site.Accounts = site.Engine.Store.(*warehouse.Warehouse)
	}
	n := &atomic.Int64{}
	if site.CSPReports == nil {
		site.CSPReports = func(string) { n.Add(1) }
	}
	srv := httptest.NewServer(site.Handler())
	t.Cleanup(srv.Close)
	stores.Store(srv.URL, site.Accounts)
	cspCounts.Store(srv.URL, n)
	clients.Store(srv.URL, signIn(t, srv.URL, site.Accounts, panels.RoleAdmin, ""))
	return srv
}

// newAccount creates an account of a role and org with a fresh name.
func newAccount(t testing.TB, st dashboards.AccountStore, role panels.Role, org string) string {
	t.Helper()
	name := fmt.Sprintf("t%d", accountSeq.Add(1))
	err := dashboards.ChangeAccount(context.Background(), st, nil, dashboards.PasswordRules{}, dashboards.AccountChange{
		Action: "add", Name: name, Role: string(role), Org: org, Password: testPassword, By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

// signIn creates an account and signs it in through the sign-in form.
func signIn(t testing.TB, base string, st dashboards.AccountStore, role panels.Role, org string) *user {
	t.Helper()
	name := newAccount(t, st, role, org)
	return signInAs(t, base, name, testPassword)
}

func signInAs(t testing.TB, base, name, password string) *user {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &user{name: name, c: &http.Client{Jar: jar}, base: base}
	resp, err := u.c.PostForm(base+"/login", url.Values{"user": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !strings.HasSuffix(resp.Request.URL.Path, "/login") {
		_, body := u.get(t, "/account/password")
		if m := reCSRF.FindStringSubmatch(body); m != nil {
			u.csrf = m[1]
		}
	}
	if u.csrf == "" {
		t.Fatalf("%s did not sign in (landed on %s, %d)", name, resp.Request.URL, resp.StatusCode)
	}
	return u
}

func (u *user) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := u.c.Get(u.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// do sends a request as the user (the CSRF header is added when csrf is true).
func (u *user) do(t testing.TB, req *http.Request, csrf bool) *http.Response {
	t.Helper()
	if csrf {
		req.Header.Set("X-CSRF-Token", u.csrf)
	}
	resp, err := u.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// adminOf returns the administrator signed in to the server a URL points at.
func adminOf(t testing.TB, rawURL string) *user {
	t.Helper()
	var found *user
	clients.Range(func(k, v any) bool {
		if strings.HasPrefix(rawURL, k.(string)) {
			found = v.(*user)
			return false
		}
		return true
	})
	if found == nil {
		t.Fatalf("no signed-in client for %s", rawURL)
	}
	return found
}
