package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"sifa/dashboards"
	"sifa/warehouse"
)

// selfSigned writes a certificate and key for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (string, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sifa test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return cert, keyFile
}

// startServe runs sifa serve in this process until the test ends; it
// returns once the server answers /healthz.
func startServe(t *testing.T, base string, args ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	saved := serveCtx
	serveCtx = ctx
	var wg sync.WaitGroup
	var out, errs bytes.Buffer
	wg.Add(1)
	go func() {
		defer wg.Done()
		if code := run(append([]string{"serve"}, args...), &out, &errs); code != 0 {
			t.Errorf("serve exited %d: %s", code, errs.String())
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait(); serveCtx = saved })
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	for i := 0; i < 100; i++ {
		if resp, err := client.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("serve did not start: %s", errs.String())
}

// TestServeRefusesToListenBeyondThisMachine: on an address other computers
// can reach, serve needs HTTPS (its own certificate or a proxy in front)
// and the initial admin password changed.
func TestServeRefusesToListenBeyondThisMachine(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var"))
	dsn := "duckdb:" + filepath.Join(dir, "w.duckdb")
	port, _ := whtestFreePort()
	addr := fmt.Sprintf("0.0.0.0:%d", port)
	var out, errs bytes.Buffer
	if code := run([]string{"serve", "--warehouse", dsn, "--addr", addr}, &out, &errs); code != exitUsage || !strings.Contains(errs.String(), "tls_cert") {
		t.Fatalf("plain HTTP on %s: exit %d: %s", addr, code, errs.String())
	}
	if !strings.Contains(out.String(), dashboards.DefaultAdminPassword) {
		t.Errorf("the first start does not say the initial admin password: %s", out.String())
	}
	errs.Reset()
	if code := run([]string{"serve", "--warehouse", dsn, "--addr", addr, "--behind-proxy"}, &out, &errs); code != exitUsage || !strings.Contains(errs.String(), "初始密码") {
		t.Fatalf("behind a proxy with the initial password: exit %d: %s", code, errs.String())
	}
	// loopback needs neither: the README's make run
	lo := fmt.Sprintf("127.0.0.1:%d", port)
	startServe(t, "http://"+lo, "--warehouse", dsn, "--addr", lo)
}

// TestServeWithTLSAndProxy: with the password changed, serve listens beyond
// this machine behind a proxy, or with its own certificate (cookies Secure).
func TestServeWithTLSAndProxy(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var"))
	dsn := "duckdb:" + filepath.Join(dir, "w.duckdb")
	w, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	dashboards.EnsureAdmin(context.Background(), w)
	w.Close()
	stdin = strings.NewReader("Changed-Root-2014!\n")
	defer func() { stdin = os.Stdin }()
	var out, errs bytes.Buffer
	if code := run([]string{"user", "set-password", "admin", "--warehouse", dsn}, &out, &errs); code != 0 {
		t.Fatalf("set-password: %d %s", code, errs.String())
	}
	cert, key := selfSigned(t, dir)
	port, _ := whtestFreePort()
	cfg := filepath.Join(dir, "sifa.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("warehouse = %q\naddr = \"0.0.0.0:%d\"\n[security]\ntls_cert = %q\ntls_key = %q\n", dsn, port, cert, key)), 0o644)
	base := fmt.Sprintf("https://127.0.0.1:%d", port)
	startServe(t, base, "--config", cfg)
	noRedirect := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.PostForm(base+"/login", url.Values{"user": {"admin"}, "password": {"Changed-Root-2014!"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Header.Get("Set-Cookie"); resp.StatusCode != 303 || !strings.Contains(c, "Secure") || !strings.Contains(c, "HttpOnly") {
		t.Errorf("sign-in over HTTPS: %d, cookie %q", resp.StatusCode, c)
	}
	// /metrics and /readyz answer this machine only, not what a proxy forwards
	for _, h := range []string{"X-Forwarded-For", "X-Real-IP", "Forwarded"} {
		for _, path := range []string{"/metrics", "/readyz"} {
			req, _ := http.NewRequest("GET", base+path, nil)
			req.Header.Set(h, "10.1.2.3")
			if resp, err := noRedirect.Do(req); err != nil || resp.StatusCode != 403 {
				t.Errorf("%s for a request forwarded with %s: %v %v", path, h, resp.StatusCode, err)
			}
		}
	}
	if resp, err := noRedirect.Get(base + "/metrics"); err != nil || resp.StatusCode != 200 {
		t.Errorf("/metrics from this machine: %v", err)
	}
}

// TestUserCommand manages accounts from the shell, with the same rules as the admin page.
func TestUserCommand(t *testing.T) {
	dir := t.TempDir()
	dsn := "duckdb:" + filepath.Join(dir, "w.duckdb")
	defer func() { stdin = os.Stdin }()
	user := func(input string, args ...string) (int, string) {
		stdin = strings.NewReader(input)
		var out, errs bytes.Buffer
		code := run(append(append([]string{"user"}, args...), "--warehouse", dsn), &out, &errs)
		return code, out.String() + errs.String()
	}
	steps := []struct {
		input string
		args  []string
		code  int
		want  string
	}{
		{"Qingshan-2014!\n", []string{"add", "zhang", "--role", "领导", "--display", "张局长"}, 0, "已保存"},
		{"Qingshan-2014!\n", []string{"add", "zhang", "--role", "领导"}, 1, "已经有了"},
		{"Qingshan-2014!\n", []string{"add", "li", "--role", "数据员"}, 1, "要指定单位"},
		{"Qingshan-2014!\n", []string{"add", "li", "--role", "校长", "--org", "990121"}, 1, "角色"},
		{"short\n", []string{"add", "li", "--role", "领导"}, 1, "至少要 10 位"},
		{"Qingshan-2014!\n", []string{"add", "li", "--role", "研究人员", "--org", "990121"}, 1, "不在机构名录里"},
		{"", []string{"disable", "zhang"}, 0, "已保存"},
		{"", []string{"list"}, 0, "已停用"},
		{"Another-pass-2015\n", []string{"set-password", "zhang"}, 0, "已保存"},
		{"", []string{"enable", "zhang"}, 0, "已保存"},
		{"", []string{"disable", "nobody"}, 1, "没有账号"},
		{"", []string{"frobnicate", "x"}, 2, "用法"},
	}
	for _, s := range steps {
		code, out := user(s.input, s.args...)
		if code != s.code || !strings.Contains(out, s.want) {
			t.Errorf("sifa user %v: exit %d, %q; want %d and %q", s.args, code, out, s.code, s.want)
		}
	}
	w, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	a, ok, _ := w.Account(context.Background(), "zhang")
	if !ok || a.Disabled || a.DisplayName != "张局长" || !dashboards.PasswordMatches(a.PasswordHash, "Another-pass-2015") {
		t.Errorf("zhang after the steps: %+v", a)
	}
	evs, _ := w.Audit(context.Background(), warehouse.AuditQuery{Action: "user_change"})
	if len(evs) < 8 {
		t.Errorf("only %d account changes in the audit log", len(evs))
	}
}
