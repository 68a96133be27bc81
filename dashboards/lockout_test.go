package dashboards_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"sifa/dashboards"
	"sifa/warehouse"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// failingAudit is an account store whose audit log cannot be written (a
// full disk).
type failingAudit struct{ dashboards.AccountStore }

func (failingAudit) RecordAudit(context.Context, warehouse.AuditEvent) error {
	return errors.New("no space left on device")
}

func loginFrom(t *testing.T, base, addr, name, pw string) int {
	t.Helper()
	form := url.Values{"user": {name}, "password": {pw}}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", addr)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestLockoutHolds: guesses sent at once are counted before bcrypt; an
// attacker's address cannot keep the owner out from another address, and
// attempts while locked do not extend the lock; with the audit log
// unwritable the lock still holds; one address spraying many accounts is
// throttled.
func TestLockoutHolds(t *testing.T) {
	dir := t.TempDir()
	w, _ := whtest.DuckDB(t, dir)
	sec := dashboards.Security{MaxFailures: 5, FailureWindow: time.Minute, TrustProxy: true}
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Security: sec})

	t.Run("burst", func(t *testing.T) {
		name := newAccount(t, w, panels.RoleLeader, "")
		var wg sync.WaitGroup
		codes := make([]int, 60)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = loginFrom(t, srv.URL, "10.9.0.1", name, fmt.Sprintf("Wrong-guess-%d", i))
			}()
		}
		wg.Wait()
		checked := 0
		for _, c := range codes {
			if c == 401 {
				checked++
			}
		}
		if checked > 5 {
			t.Errorf("%d of 60 simultaneous guesses were checked, limit 5", checked)
		}
		if c := loginFrom(t, srv.URL, "10.9.0.1", name, testPassword); c != 429 {
			t.Errorf("the right password after the burst: %d, want 429", c)
		}
		n, err := w.CountAudit(context.Background(), name, "login_failed", "", time.Now().Add(-time.Hour))
		if err != nil || n > 5 {
			t.Errorf("%d failures recorded (%v), want at most 5", n, err)
		}
	})

	t.Run("attacker cannot lock the owner out", func(t *testing.T) {
		name := newAccount(t, w, panels.RoleAdmin, "")
		for i := 0; i < 5; i++ {
			loginFrom(t, srv.URL, "10.9.0.2", name, "Wrong-pass-x"+fmt.Sprint(i))
		}
		if c := loginFrom(t, srv.URL, "10.9.0.2", name, testPassword); c != 429 {
			t.Errorf("the attacker's address after 5 failures: %d, want 429", c)
		}
		// more attempts while locked: refused without counting
		for i := 0; i < 10; i++ {
			loginFrom(t, srv.URL, "10.9.0.2", name, "Wrong-pass-y"+fmt.Sprint(i))
		}
		if n, _ := w.CountAudit(context.Background(), name, "login_failed", "", time.Now().Add(-time.Hour)); n != 5 {
			t.Errorf("%d failures counted, want 5 (attempts while locked count again)", n)
		}
		if c := loginFrom(t, srv.URL, "10.9.0.3", name, testPassword); c != 303 {
			t.Errorf("the owner from another address: %d, want 303", c)
		}
	})

	t.Run("address throttled", func(t *testing.T) {
		for i := 0; i < 25; i++ {
			loginFrom(t, srv.URL, "10.9.0.4", fmt.Sprintf("nobody%d", i), "Wrong-pass-z")
		}
		name := newAccount(t, w, panels.RoleLeader, "")
		if c := loginFrom(t, srv.URL, "10.9.0.4", name, testPassword); c != 429 {
			t.Errorf("an address with 25 failures over many accounts: %d, want 429", c)
		}
	})

	t.Run("audit unwritable", func(t *testing.T) {
		srv := httptest.NewServer((&dashboards.Site{Engine: &panels.Engine{Store: w}, Security: sec, Accounts: failingAudit{w}}).Handler())
		defer srv.Close()
		name := newAccount(t, w, panels.RoleLeader, "")
		for i := 0; i < 12; i++ {
			loginFrom(t, srv.URL, "10.9.0.5", name, "Wrong-pass-"+fmt.Sprint(i))
		}
		if c := loginFrom(t, srv.URL, "10.9.0.5", name, testPassword); c != 429 {
			t.Errorf("12 unrecorded failures, then the right password: %d, want 429", c)
		}
	})
}

// TestPasswordGuessesCount: guesses of the current password on the
// change-password form count toward the lock-out.
func TestPasswordGuessesCount(t *testing.T) {
	dir := t.TempDir()
	w, _ := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Security: dashboards.Security{MaxFailures: 5, FailureWindow: time.Minute}})
	u := signIn(t, srv.URL, w, panels.RoleLeader, "")
	codes := []int{}
	for i := 0; i < 7; i++ {
		codes = append(codes, u.post(t, "/account/password", url.Values{"old": {"Wrong-old-" + fmt.Sprint(i)}, "new": {"New-pass-123"}, "again": {"New-pass-123"}}))
	}
	if codes[6] != 429 {
		t.Errorf("seven wrong current passwords: %v, want 429 at the end", codes)
	}
	if c := loginFrom(t, srv.URL, "127.0.0.1", u.name, testPassword); c != 429 {
		t.Errorf("after 5 wrong current passwords the sign-in: %d, want 429", c)
	}
}

// TestSafeNext: a redirect after sign-in stays on this site.
func TestSafeNext(t *testing.T) {
	dir := t.TempDir()
	w, _ := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}})
	name := newAccount(t, w, panels.RoleLeader, "")
	for _, c := range []struct {
		next string
		ok   bool
	}{
		{"/disputes?year=2014", true},
		{"/%09/evil.example", false},
		{"/\t/evil.example", false},
		{"//evil.example", false},
		{"/\\evil.example", false},
		{"/%5Cevil.example", false},
		{"/%2F/evil.example", false},
		{"https://evil.example/", false},
		{"/%0d%0aSet-Cookie:x", false},
	} {
		form := url.Values{"user": {name}, "password": {testPassword}, "next": {c.next}}
		cl := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := cl.PostForm(srv.URL+"/login", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc := resp.Header.Get("Location")
		if c.ok && loc != c.next {
			t.Errorf("next=%q: went to %q", c.next, loc)
		}
		if !c.ok && loc != "/" {
			t.Errorf("next=%q: went to %q, want /", c.next, loc)
		}
	}
}

// post sends a form as the user, with its CSRF token, and answers the status.
func (u *user) post(t *testing.T, path string, form url.Values) int {
	t.Helper()
	form.Set("csrf", u.csrf)
	req, _ := http.NewRequest("POST", u.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp := u.do(t, req, false)
	resp.Body.Close()
	return resp.StatusCode
}

// TestSessionEndsWhenAccountChangesElsewhere: an account disabled, or given
// a new password, by another process ends its sessions at the next recheck;
// a session also ends at its absolute lifetime, in use or not.
func TestSessionEndsWhenAccountChangesElsewhere(t *testing.T) {
	dir := t.TempDir()
	w, _ := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w},
		Security: dashboards.Security{AccountRecheck: 100 * time.Millisecond, MaxSessionAge: 2 * time.Second}})
	for _, change := range []string{"disable", "password"} {
		name := newAccount(t, w, panels.RoleLeader, "")
		u := signInAs(t, srv.URL, name, testPassword)
		if code, _ := u.get(t, "/api/v1/panels/meta.years"); code != 200 {
			t.Fatalf("signed in: %d", code)
		}
		// another process changes the account: straight in the warehouse, not through this server
		acct, _, _ := w.Account(context.Background(), name)
		if change == "disable" {
			acct.Disabled = true
		} else {
			acct.PasswordHash, _ = dashboards.HashPassword("Changed-elsewhere-1")
		}
		if err := w.SaveAccount(context.Background(), acct); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		if code, _ := u.get(t, "/api/v1/panels/meta.years"); code != 401 {
			t.Errorf("after the account was changed elsewhere (%s): %d, want 401", change, code)
		}
	}
	u := signIn(t, srv.URL, w, panels.RoleLeader, "")
	for i := 0; i < 6; i++ { // in use all along
		time.Sleep(400 * time.Millisecond)
		u.get(t, "/api/v1/panels/meta.years")
	}
	if code, _ := u.get(t, "/api/v1/panels/meta.years"); code != 401 {
		t.Errorf("past the absolute lifetime: %d, want 401", code)
	}
}
