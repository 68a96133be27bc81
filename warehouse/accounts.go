package warehouse

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"sifa/transform"
)

// Account is a sign-in account as the warehouse keeps it: the newest
// version of a name is the account.
type Account struct {
	Name, DisplayName string
	Role              string // 管理员, 领导, 研究人员, 政府用户, 数据员
	Org               string // registry code (or province/city prefix); the account sees this org and below
	PasswordHash      string // bcrypt
	Disabled          bool
	Version           int64
	ChangedBy         string
	ChangedAt         time.Time
}

var clock struct {
	sync.Mutex
	last int64
}

// tick is a process-wide increasing nanosecond clock: two versions or two
// audit rows written in the same nanosecond still get distinct numbers.
func tick() int64 {
	clock.Lock()
	defer clock.Unlock()
	n := time.Now().UnixNano()
	if n <= clock.last {
		n = clock.last + 1
	}
	clock.last = n
	return n
}

// SaveAccount writes a new version of an account (ClickHouse cannot update
// rows synchronously, so accounts are appended, never updated).
func (w *Warehouse) SaveAccount(ctx context.Context, a Account) error {
	a.Version = tick()
	if a.ChangedAt.IsZero() {
		a.ChangedAt = time.Now()
	}
	dis := int64(0)
	if a.Disabled {
		dis = 1
	}
	rec := transform.BuildRecord(Accounts, [][]any{{a.Name, a.DisplayName, a.Role, a.Org, a.PasswordHash, dis,
		a.Version, a.ChangedBy, a.ChangedAt.UTC()}})
	defer rec.Release()
	return w.eng.appendRecord(ctx, Accounts, rec)
}

// accountColumns are read into an Account by accountOf.
const accountColumns = "name, display_name, role, org, pw_hash, disabled, version, changed_by, changed_at"

func accountOf(r []any) Account {
	a := Account{Name: r[0].(string), DisplayName: r[1].(string), Role: r[2].(string), Org: r[3].(string),
		PasswordHash: r[4].(string), Disabled: r[5].(int64) != 0, Version: r[6].(int64), ChangedBy: r[7].(string)}
	a.ChangedAt = TimeOf(r[8])
	return a
}

// Accounts lists the current version of every account, by name. The table
// is small (one row per change of a few hundred accounts): the newest
// version is picked here, the same way on both engines.
func (w *Warehouse) Accounts(ctx context.Context) ([]Account, error) {
	res, err := w.eng.query(ctx, "SELECT "+accountColumns+" FROM accounts ORDER BY name, version")
	if err != nil {
		return nil, err
	}
	var out []Account
	for _, r := range res.Rows {
		a := accountOf(r)
		if n := len(out); n > 0 && out[n-1].Name == a.Name {
			out[n-1] = a
		} else {
			out = append(out, a)
		}
	}
	return out, nil
}

// Account reads one account; ok is false when there is none of that name.
func (w *Warehouse) Account(ctx context.Context, name string) (Account, bool, error) {
	res, err := w.eng.query(ctx, "SELECT "+accountColumns+" FROM accounts WHERE name = "+w.eng.quote(name)+" ORDER BY version DESC LIMIT 1")
	if err != nil || len(res.Rows) == 0 {
		return Account{}, false, err
	}
	return accountOf(res.Rows[0]), true, nil
}

// AuditEvent is one line of the audit log: who did what, when, from where.
type AuditEvent struct {
	At     time.Time
	Seq    int64 // nanoseconds since 1970: orders events and bounds time ranges
	User   string
	Role   string
	Action string // login, login_failed, logout, upload, export, user_change, config_change, denied, …
	Target string // what it was done to (a user, a file, a panel)
	Detail string
	Remote string // the client address
	Result string // 成功 / 失败 / 拒绝
}

// RecordAudit appends an event to the audit log. Its text is what a client
// sent (a user name typed at the sign-in, a forwarded address) and need
// not be UTF-8: the bytes that are not are written as U+FFFD, so the event
// is kept (DuckDB refuses the insert otherwise, and a sign-in attempt with
// such a name went unrecorded).
func (w *Warehouse) RecordAudit(ctx context.Context, e AuditEvent) error {
	e.Seq = tick()
	if e.At.IsZero() {
		e.At = time.Unix(0, e.Seq)
	}
	for _, s := range []*string{&e.User, &e.Role, &e.Action, &e.Target, &e.Detail, &e.Remote, &e.Result} {
		*s = strings.ToValidUTF8(*s, "\uFFFD")
	}
	rec := transform.BuildRecord(Audit, [][]any{{e.At.UTC(), e.Seq, e.User, e.Role, e.Action, e.Target, e.Detail, e.Remote, e.Result}})
	defer rec.Release()
	return w.eng.appendRecord(ctx, Audit, rec)
}

// AuditQuery narrows a read of the audit log; zero fields do not narrow.
type AuditQuery struct {
	Since, Until time.Time
	User, Action string
	Limit        int // default 500
}

// Audit reads audit events, newest first.
func (w *Warehouse) Audit(ctx context.Context, q AuditQuery) ([]AuditEvent, error) {
	cond := "1 = 1"
	if !q.Since.IsZero() {
		cond += " AND seq >= " + strconv.FormatInt(q.Since.UnixNano(), 10)
	}
	if !q.Until.IsZero() {
		cond += " AND seq < " + strconv.FormatInt(q.Until.UnixNano(), 10)
	}
	if q.User != "" {
		cond += " AND user_name = " + w.eng.quote(q.User)
	}
	if q.Action != "" {
		cond += " AND action = " + w.eng.quote(q.Action)
	}
	if q.Limit <= 0 {
		q.Limit = 500
	}
	res, err := w.eng.query(ctx, "SELECT seq, user_name, role, action, target, detail, remote, result FROM audit WHERE "+cond+
		" ORDER BY seq DESC LIMIT "+strconv.Itoa(q.Limit))
	if err != nil {
		return nil, err
	}
	out := make([]AuditEvent, 0, len(res.Rows))
	for _, r := range res.Rows {
		seq := r[0].(int64)
		out = append(out, AuditEvent{At: time.Unix(0, seq), Seq: seq, User: r[1].(string), Role: r[2].(string), Action: r[3].(string),
			Target: r[4].(string), Detail: r[5].(string), Remote: r[6].(string), Result: r[7].(string)})
	}
	return out, nil
}

// CountAudit counts the events of an action by a user since a time (the
// lock-out counts failed logins this way, so it holds across restarts).
func (w *Warehouse) CountAudit(ctx context.Context, user, action, remote string, since time.Time) (int, error) {
	cond := ""
	if remote != "" {
		cond = " AND remote = " + w.eng.quote(remote)
	}
	res, err := w.eng.query(ctx, "SELECT count(*) FROM audit WHERE user_name = "+w.eng.quote(user)+" AND action = "+w.eng.quote(action)+cond+
		" AND seq >= "+strconv.FormatInt(since.UnixNano(), 10))
	if err != nil {
		return 0, err
	}
	return int(res.Rows[0][0].(int64)), nil
}

// PurgeAudit removes audit events older than keep; it refuses to keep
// fewer than 180 days (网络安全等级保护 asks for at least six months).
func (w *Warehouse) PurgeAudit(ctx context.Context, keep time.Duration) error {
	if keep < 180*24*time.Hour {
		return fmt.Errorf("审计日志至少要保留 180 天，配置的是 %d 天", int(keep.Hours()/24))
	}
	return w.eng.deleteRows(ctx, "audit", "seq < "+strconv.FormatInt(time.Now().Add(-keep).UnixNano(), 10))
}
