package dashboards

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// AccountStore is what sign-in, the admin pages and the audit log need
// from the warehouse.
type AccountStore interface {
	Account(ctx context.Context, name string) (warehouse.Account, bool, error)
	Accounts(ctx context.Context) ([]warehouse.Account, error)
	SaveAccount(ctx context.Context, a warehouse.Account) error
	RecordAudit(ctx context.Context, e warehouse.AuditEvent) error
	Audit(ctx context.Context, q warehouse.AuditQuery) ([]warehouse.AuditEvent, error)
	// CountAudit counts a user's events of an action since a time, from one
	// client address ("" = any).
	CountAudit(ctx context.Context, user, action, remote string, since time.Time) (int, error)
}

// Security holds the sign-in settings (from the configuration).
type Security struct {
	IdleTimeout   time.Duration // a session ends after this long unused (default 30 minutes)
	MaxSessionAge time.Duration // … and this long after sign-in, used or not (default 12 hours)
	// UploadBytesPerDay bounds what one account may upload in 24 hours
	// (default 500 MB).
	UploadBytesPerDay int64
	// MaxRequestsPerAccount bounds the requests one account has in
	// progress at once (default 4); more wait up to 10 s, then get a 429.
	MaxRequestsPerAccount int
	// AccountRecheck is how often a session reads its account again
	// (default 30 s): an account disabled, changed or given a new password
	// from another process (sifa user, another server on ClickHouse) ends
	// its sessions within this.
	AccountRecheck time.Duration
	MaxFailures    int           // failed sign-ins that lock an account … (default 5)
	FailureWindow  time.Duration // … within this long (default 15 minutes)
	Password       PasswordRules
	SecureCookie   bool // mark the cookie Secure (TLS, or an HTTPS proxy in front)
	TrustProxy     bool // read the client address from X-Forwarded-For (only behind a proxy)
	MaxFiles       int  // files per upload (default 20)
}

func (s Security) withDefaults() Security {
	if s.IdleTimeout <= 0 {
		s.IdleTimeout = 30 * time.Minute
	}
	if s.MaxSessionAge <= 0 {
		s.MaxSessionAge = 12 * time.Hour
	}
	if s.UploadBytesPerDay <= 0 {
		s.UploadBytesPerDay = 500 << 20
	}
	if s.MaxRequestsPerAccount <= 0 {
		s.MaxRequestsPerAccount = 4
	}
	if s.AccountRecheck <= 0 {
		s.AccountRecheck = 30 * time.Second
	}
	if s.MaxFailures <= 0 {
		s.MaxFailures = 5
	}
	if s.FailureWindow <= 0 {
		s.FailureWindow = 15 * time.Minute
	}
	if s.MaxFiles <= 0 {
		s.MaxFiles = 20
	}
	return s
}

const sessionCookie = "sifa_session"

// session is a signed-in browser. The cookie holds a random token; the
// server keeps only its SHA-256, so a copy of the server's memory does not
// sign anyone in.
type session struct {
	access     panels.Access
	display    string
	csrf       string
	last       time.Time
	mustChange bool // the account still has the initial password
	started    time.Time
	// checked is when the account was last read again; pwHash is its
	// password hash then (a new password ends every other session)
	checked time.Time
	pwHash  string
}

type sessionStore struct {
	mu sync.Mutex
	m  map[string]*session
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (st *sessionStore) create(sess *session) string {
	tok := randomToken()
	sess.csrf = randomToken()
	if sess.started.IsZero() {
		sess.started = time.Now()
	}
	sess.checked = time.Now()
	st.mu.Lock()
	if st.m == nil {
		st.m = map[string]*session{}
	}
	st.m[tokenHash(tok)] = sess
	st.mu.Unlock()
	return tok
}

// get returns the live session of a token and marks it used; expired
// sessions are dropped.
func (st *sessionStore) get(tok string, idle, maxAge time.Duration, now time.Time) *session {
	if tok == "" || len(tok) > 128 {
		return nil
	}
	key := tokenHash(tok)
	st.mu.Lock()
	defer st.mu.Unlock()
	sess := st.m[key]
	if sess == nil {
		return nil
	}
	if now.Sub(sess.last) > idle || now.Sub(sess.started) > maxAge {
		delete(st.m, key)
		return nil
	}
	sess.last = now
	return sess
}

func (st *sessionStore) drop(tok string) {
	st.mu.Lock()
	delete(st.m, tokenHash(tok))
	st.mu.Unlock()
}

// dropUser ends every session of an account (disabled, role or password changed).
func (st *sessionStore) dropUser(name string) {
	st.mu.Lock()
	for k, s := range st.m {
		if s.access.User == name {
			delete(st.m, k)
		}
	}
	st.mu.Unlock()
}

// sweep forgets expired sessions.
func (st *sessionStore) sweep(idle time.Duration, now time.Time) {
	st.mu.Lock()
	for k, s := range st.m {
		if now.Sub(s.last) > idle {
			delete(st.m, k)
		}
	}
	st.mu.Unlock()
}

// ---- routes ----

// routeKind says how a route is guarded.
type routeKind int

const (
	routePublic  routeKind = iota // sign-in page, static assets
	routeToken                    // another system with its bearer token
	routeSession                  // a signed-in user whose role allows it
)

// Route is one route of the server, as the route walk test lists them.
type Route struct {
	Pattern string
	Public  bool // reachable without a session (sign-in, assets)
	Token   bool // reachable with a bearer token instead of a session
}

type sessionKey struct{}

func sessionFrom(ctx context.Context) *session {
	s, _ := ctx.Value(sessionKey{}).(*session)
	return s
}

// handle registers a route with its guard. Every route of the server goes
// through here, so Routes lists them all.
func (s *Site) handle(mux *http.ServeMux, pattern string, kind routeKind, allow func(*panels.Access) bool, h http.HandlerFunc) {
	s.routes = append(s.routes, Route{Pattern: pattern, Public: kind == routePublic, Token: kind == routeToken})
	switch kind {
	case routePublic, routeToken:
		mux.HandleFunc(pattern, h)
		return
	}
	mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		sess := s.session(r)
		if sess == nil {
			s.unauthorized(w, r)
			return
		}
		if sess.mustChange && r.URL.Path != "/account/password" && r.URL.Path != "/logout" {
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeJSON(w, http.StatusForbidden, APIError{"这个账号还在用初始密码：请先在网页上修改密码"})
				return
			}
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return
		}
		// the role first: a body (up to the upload limit) is read only for
		// an account that may send it
		if allow != nil && !allow(&sess.access) {
			s.forbidden(w, r, &sess.access)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if code, msg := s.checkCSRF(w, r, sess); code != 0 {
				if code == http.StatusForbidden {
					s.audit(r, &sess.access, "denied", r.URL.Path, "缺少或不对的表单令牌（CSRF）", "拒绝")
				}
				http.Error(w, msg, code)
				return
			}
		}
		if !s.gate.enter(r.Context().Done(), sess.access.User, s.sec.MaxRequestsPerAccount, gateWait) {
			msg := "您的账号同时在办的请求太多（最多 " + strconv.Itoa(s.sec.MaxRequestsPerAccount) + " 个），请等前面的页面或导出完成后再试。"
			if strings.HasPrefix(r.URL.Path, "/api/") {
				writeJSON(w, http.StatusTooManyRequests, APIError{msg})
			} else {
				http.Error(w, msg, http.StatusTooManyRequests)
			}
			return
		}
		defer s.gate.leave(sess.access.User)
		ctx := context.WithValue(panels.WithAccess(r.Context(), &sess.access), sessionKey{}, sess)
		h(w, r.WithContext(ctx))
	})
}

// Routes lists every route the handler serves (after Handler was called).
func (s *Site) Routes() []Route {
	s.Handler()
	return append([]Route{}, s.routes...)
}

func (s *Site) session(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	now := time.Now()
	sess := s.sessions.get(c.Value, s.sec.IdleTimeout, s.sec.MaxSessionAge, now)
	if sess == nil || now.Sub(sess.checked) < s.sec.AccountRecheck {
		return sess
	}
	acct, ok, err := s.Accounts.Account(r.Context(), sess.access.User)
	if err != nil {
		return sess // the warehouse is away for a moment: the session was valid when last read
	}
	if !ok || acct.Disabled || panels.Role(acct.Role) != sess.access.Role || acct.Org != sess.access.Org || acct.PasswordHash != sess.pwHash {
		s.sessions.drop(c.Value)
		return nil
	}
	s.sessions.mu.Lock()
	sess.checked = now
	s.sessions.mu.Unlock()
	return sess
}

// checkCSRF checks the form token of a state-changing request (a form
// field csrf, or the X-CSRF-Token header), reading the body within its
// limit: uploads up to MaxUpload, other forms 1 MB. It returns 0 when the
// request may go on, else the status and the message.
func (s *Site) checkCSRF(w http.ResponseWriter, r *http.Request, sess *session) (int, string) {
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload)
		err = r.ParseMultipartForm(32 << 20)
	} else {
		r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
		err = r.ParseForm()
	}
	if err != nil {
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			return http.StatusRequestEntityTooLarge, "上传的内容太大（一次最多 " + strconv.FormatInt(mb.Limit>>20, 10) + " MB），请分几次上传。"
		}
		return http.StatusBadRequest, "请求内容不完整或格式不对，请刷新页面后重试。"
	}
	// the token comes in a header or the body, never the URL (a URL ends
	// up in logs, history and Referer headers)
	tok := r.Header.Get("X-CSRF-Token")
	if tok == "" {
		tok = r.PostFormValue("csrf")
	}
	if tok == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(sess.csrf)) != 1 {
		return http.StatusForbidden, "页面已过期，或请求不是从本系统的页面发出的。请刷新页面后重试。"
	}
	return 0, ""
}

func (s *Site) unauthorized(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") || r.Method != http.MethodGet {
		w.Header().Set("WWW-Authenticate", `Cookie realm="sifa"`)
		writeJSON(w, http.StatusUnauthorized, APIError{"请先登录"})
		return
	}
	http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
}

func (s *Site) forbidden(w http.ResponseWriter, r *http.Request, a *panels.Access) {
	s.audit(r, a, "denied", r.URL.Path, "账号的角色不允许", "拒绝")
	if strings.HasPrefix(r.URL.Path, "/api/") {
		writeJSON(w, http.StatusForbidden, APIError{"您的账号没有这项权限"})
		return
	}
	p := &page{Title: "没有权限", Path: r.URL.Path, NoFilter: true}
	s.navFor(p, a)
	p.Empty = "您的账号（" + string(a.Role) + "）不能打开这个页面。如需要，请联系管理员。"
	s.render(w, r, http.StatusForbidden, p)
}

// clientAddr is the address a request came from (behind a proxy, the
// proxy's X-Forwarded-For when configured to trust it).
func (s *Site) clientAddr(r *http.Request) string {
	if s.sec.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			return strings.TrimSpace(strings.Split(xff, ",")[0])
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// audit records an event; a failure to record is logged, never hidden.
func (s *Site) audit(r *http.Request, a *panels.Access, action, target, detail, result string) {
	if s.Accounts == nil {
		return
	}
	e := warehouse.AuditEvent{Action: action, Target: target, Detail: detail, Remote: s.clientAddr(r), Result: result}
	if a != nil {
		e.User, e.Role = a.User, string(a.Role)
	}
	slog.Info("audit", "action", action, "user", e.User, "role", e.Role, "target", target, "result", result, "remote", e.Remote)
	if err := s.Accounts.RecordAudit(context.WithoutCancel(r.Context()), e); err != nil {
		slog.Error("audit log write failed", "action", action, "err", err)
	}
}

// ---- sign-in ----

// dummyHash makes an unknown account cost as much time as a known one.
var dummyHash, _ = HashPassword("not a password of anyone")

// errLocked is a sign-in refused because of too many failures.
var errLocked = errors.New("locked")

func (s *Site) loginForm(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, "", r.URL.Query().Get("next"))
}

func (s *Site) renderLogin(w http.ResponseWriter, r *http.Request, code int, msg, next string) {
	p := &page{Title: "登录", Path: "/login", NoFilter: true, Login: &loginView{Message: msg, Next: safeNext(next)}}
	s.render(w, r, code, p)
}

// safeNext keeps a redirect after sign-in on this site.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.ContainsRune(next, '\\') {
		return ""
	}
	// browsers drop tabs and newlines from a URL (so "/\t/host" is
	// "//host", another site): any control character, raw or escaped, and
	// any path that does not stay on this host is refused
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" || u.User != nil {
		return ""
	}
	un, err := url.PathUnescape(next)
	if err != nil {
		return ""
	}
	for _, r := range un {
		if r < 0x20 || r == 0x7f {
			return ""
		}
	}
	if strings.HasPrefix(strings.TrimLeft(un, "/"), "/") || strings.HasPrefix(un, "//") || strings.Contains(un, "\\") {
		return ""
	}
	return next
}

func (s *Site) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		s.renderLogin(w, r, http.StatusBadRequest, "请求不对，请刷新页面后重试。", "")
		return
	}
	name, pw, next := strings.TrimSpace(r.PostForm.Get("user")), r.PostForm.Get("password"), r.PostForm.Get("next")
	if name == "" || pw == "" || len(name) > 64 || len(pw) > 200 {
		s.renderLogin(w, r, http.StatusBadRequest, "请填写账号和密码。", next)
		return
	}
	acct, err := s.authenticate(r, name, pw)
	if err != nil {
		msg := "账号或密码不对。"
		code := http.StatusUnauthorized
		switch {
		case errors.Is(err, errLocked):
			msg = "登录失败次数太多，账号已暂时锁定。请 " + minutes(s.sec.FailureWindow) + " 分钟后再试，或请管理员重设密码。"
			code = http.StatusTooManyRequests
		case errors.Is(err, errThrottled):
			msg = "这台电脑登录失败的次数太多，请 " + minutes(s.sec.FailureWindow) + " 分钟后再试。"
			code = http.StatusTooManyRequests
		case !errors.Is(err, errBadPassword):
			slog.Error("sign-in failed", "err", err)
			msg = "暂时无法登录（仓库不可用），请稍后再试。"
			code = http.StatusServiceUnavailable
		}
		s.renderLogin(w, r, code, msg, next)
		return
	}
	if old, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.drop(old.Value) // a new session on every sign-in
	}
	sess := &session{access: panels.Access{User: acct.Name, Role: panels.Role(acct.Role), Org: acct.Org}, display: acct.DisplayName, last: time.Now(), pwHash: acct.PasswordHash,
		mustChange: PasswordMatches(acct.PasswordHash, DefaultAdminPassword)}
	tok := s.sessions.create(sess)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.sec.SecureCookie, SameSite: http.SameSiteStrictMode})
	s.audit(r, &sess.access, "login", acct.Name, "", "成功")
	dest := safeNext(next)
	if dest == "" || dest == "/login" {
		dest = panels.Role(acct.Role).Home()
	}
	if sess.mustChange {
		dest = "/account/password"
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

var errBadPassword = errors.New("bad password")

// authenticate checks a name and password, counting failures for the
// lock-out: the attempt is reserved before bcrypt runs, attempts made while
// locked do not count again, and an account is locked only for the client
// address its failures came from (see signInGuard).
func (s *Site) authenticate(r *http.Request, name, pw string) (warehouse.Account, error) {
	ctx := r.Context()
	acct, ok, err := s.Accounts.Account(ctx, name)
	if err != nil {
		return acct, err
	}
	addr := s.clientAddr(r)
	since := time.Now().Add(-s.sec.FailureWindow)
	if ok && time.Unix(0, acct.Version).After(since) {
		since = time.Unix(0, acct.Version) // a new password or an unlock (by an admin) starts again
	}
	if last, err := s.Accounts.Audit(ctx, warehouse.AuditQuery{User: name, Action: "login", Since: since, Limit: 1}); err == nil && len(last) == 1 {
		since = last[0].At
	}
	persisted, err := s.Accounts.CountAudit(ctx, name, "login_failed", addr, since)
	if err != nil {
		return acct, err
	}
	who := &panels.Access{User: name}
	now := time.Now()
	att, locked, throttled := s.guard.reserve(name, addr, persisted, s.sec.MaxFailures, since, now, s.sec.FailureWindow)
	if throttled {
		return acct, errThrottled // no audit row: a flood must not fill the log
	}
	if locked {
		s.audit(r, who, "login_locked", name, "账号在这个地址已锁定，这次没有核对密码", "拒绝")
		return acct, errLocked
	}
	hash := dummyHash
	if ok {
		hash = acct.PasswordHash
	}
	match := PasswordMatches(hash, pw)
	failed := !ok || !match || acct.Disabled
	att.done(failed, time.Now(), s.sec.FailureWindow)
	if failed {
		detail := "密码不对"
		switch {
		case !ok:
			detail = "没有这个账号"
		case acct.Disabled:
			detail = "账号已停用"
		}
		s.audit(r, who, "login_failed", name, detail, "失败")
		return acct, errBadPassword
	}
	return acct, nil
}

// errThrottled is a sign-in refused because the client address failed too often.
var errThrottled = errors.New("throttled")

func minutes(d time.Duration) string {
	return strings.TrimSuffix(strings.TrimSuffix(d.Round(time.Minute).String(), "0s"), "m")
}

func (s *Site) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.drop(c.Value)
	}
	if sess := sessionFrom(r.Context()); sess != nil {
		s.audit(r, &sess.access, "logout", sess.access.User, "", "成功")
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.sec.SecureCookie, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// ---- one's own password ----

func (s *Site) passwordForm(w http.ResponseWriter, r *http.Request) {
	s.renderPassword(w, r, http.StatusOK, "")
}

func (s *Site) renderPassword(w http.ResponseWriter, r *http.Request, code int, msg string) {
	sess := sessionFrom(r.Context())
	p := &page{Title: "修改密码", Path: "/account/password", NoFilter: true, Password: &passwordView{Message: msg, MustChange: sess.mustChange}}
	s.navFor(p, &sess.access)
	s.render(w, r, code, p)
}

func (s *Site) changePassword(w http.ResponseWriter, r *http.Request) {
	sess := sessionFrom(r.Context())
	old, pw, again := r.FormValue("old"), r.FormValue("new"), r.FormValue("again")
	acct, ok, err := s.Accounts.Account(r.Context(), sess.access.User)
	if err != nil || !ok {
		s.renderPassword(w, r, http.StatusServiceUnavailable, "暂时无法修改密码，请稍后再试。")
		return
	}
	// a guess of the current password here counts toward the lock-out like
	// one on the sign-in page: a stolen session must not guess it freely
	addr := s.clientAddr(r)
	since := time.Now().Add(-s.sec.FailureWindow)
	if v := time.Unix(0, acct.Version); v.After(since) {
		since = v
	}
	persisted, err := s.Accounts.CountAudit(r.Context(), acct.Name, "login_failed", addr, since)
	if err != nil {
		s.renderPassword(w, r, http.StatusServiceUnavailable, "暂时无法修改密码，请稍后再试。")
		return
	}
	att, locked, throttled := s.guard.reserve(acct.Name, addr, persisted, s.sec.MaxFailures, since, time.Now(), s.sec.FailureWindow)
	if locked || throttled {
		s.renderPassword(w, r, http.StatusTooManyRequests, "原密码输错的次数太多，请 "+minutes(s.sec.FailureWindow)+" 分钟后再试。")
		return
	}
	wrong := !PasswordMatches(acct.PasswordHash, old)
	att.done(wrong, time.Now(), s.sec.FailureWindow)
	if wrong {
		s.audit(r, &sess.access, "login_failed", acct.Name, "修改本人密码：原密码不对", "失败")
		s.renderPassword(w, r, http.StatusBadRequest, "原密码不对。")
		return
	}
	if pw != again {
		s.renderPassword(w, r, http.StatusBadRequest, "两次输入的新密码不一样。")
		return
	}
	if err := s.sec.Password.Check(pw, acct.Name); err != nil {
		s.renderPassword(w, r, http.StatusBadRequest, err.Error()+"。")
		return
	}
	hash, err := HashPassword(pw)
	if err == nil {
		acct.PasswordHash, acct.ChangedBy, acct.ChangedAt = hash, acct.Name, time.Now()
		err = s.Accounts.SaveAccount(r.Context(), acct)
	}
	if err != nil {
		s.renderPassword(w, r, http.StatusServiceUnavailable, "暂时无法修改密码，请稍后再试。")
		return
	}
	s.audit(r, &sess.access, "user_change", acct.Name, "修改本人密码", "成功")
	s.sessions.dropUser(acct.Name) // every other browser of this account signs in again
	sess.mustChange, sess.pwHash = false, acct.PasswordHash
	tok := s.sessions.create(sess)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.sec.SecureCookie, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, sess.access.Role.Home(), http.StatusSeeOther)
}

// EnsureAdmin creates the initial admin account (password
// DefaultAdminPassword, to be changed at first sign-in) when there is no
// account at all, and says whether it did.
func EnsureAdmin(ctx context.Context, st AccountStore) (bool, error) {
	accts, err := st.Accounts(ctx)
	if err != nil || len(accts) > 0 {
		return false, err
	}
	hash, err := HashPassword(DefaultAdminPassword)
	if err != nil {
		return false, err
	}
	err = st.SaveAccount(ctx, warehouse.Account{Name: "admin", DisplayName: "系统管理员", Role: string(panels.RoleAdmin), PasswordHash: hash, ChangedBy: "sifa"})
	if err == nil {
		err = st.RecordAudit(ctx, warehouse.AuditEvent{User: "sifa", Action: "user_change", Target: "admin", Detail: "建立初始管理员账号", Result: "成功"})
	}
	return err == nil, err
}

// DefaultAdminUnchanged says whether an enabled admin account still has the
// initial password.
func DefaultAdminUnchanged(ctx context.Context, st AccountStore) (bool, error) {
	accts, err := st.Accounts(ctx)
	if err != nil {
		return false, err
	}
	for _, a := range accts {
		if !a.Disabled && panels.Role(a.Role) == panels.RoleAdmin && PasswordMatches(a.PasswordHash, DefaultAdminPassword) {
			return true, nil
		}
	}
	return false, nil
}
