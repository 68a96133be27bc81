package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"sifa/dashboards"
	"sifa/warehouse/panels"
)

const testPassword = "Qingshan-2014!"

var reCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signInClient signs name in at base and returns the browser-like client
// and its form token.
func signInClient(t *testing.T, base, name, password string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.PostForm(base+"/login", url.Values{"user": {name}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if strings.HasSuffix(resp.Request.URL.Path, "/login") {
		t.Fatalf("%s could not sign in: %d", name, resp.StatusCode)
	}
	resp, err = c.Get(base + "/account/password")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := reCSRF.FindStringSubmatch(string(body))
	if m == nil {
		t.Fatal("no form token on the password page")
	}
	return c, m[1]
}

// firstAdmin signs in the admin account serve created with the initial
// password, sets a new one (the first sign-in must) and returns the client.
func firstAdmin(t *testing.T, base string) *http.Client {
	t.Helper()
	c, csrf := signInClient(t, base, "admin", dashboards.DefaultAdminPassword)
	resp, err := c.PostForm(base+"/account/password", url.Values{"csrf": {csrf}, "old": {dashboards.DefaultAdminPassword},
		"new": {testPassword}, "again": {testPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/" {
		t.Fatalf("changing the initial password led to %s (%d)", resp.Request.URL, resp.StatusCode)
	}
	return c
}

// adminClient creates an administrator in st and signs it in at base.
func adminClient(t *testing.T, base string, st dashboards.AccountStore) *http.Client {
	t.Helper()
	err := dashboards.ChangeAccount(context.Background(), st, nil, dashboards.PasswordRules{}, dashboards.AccountChange{
		Action: "add", Name: "tester", Role: string(panels.RoleAdmin), Password: testPassword, By: "test"})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := signInClient(t, base, "tester", testPassword)
	return c
}
