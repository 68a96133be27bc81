package panels

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// Role is what an account may do. The names are the ones users see.
type Role string

// The roles.
const (
	RoleAdmin      Role = "管理员"  // everything: users, sources, jobs, the audit log
	RoleLeader     Role = "领导"   // every dashboard of their org
	RoleResearcher Role = "研究人员" // dashboards of aggregates of their org; small groups withheld
	RoleGovernment Role = "政府用户" // 总览, 经费测算, 平台建设, 目标进度 and 月度简报 only
	RoleClerk      Role = "数据员"  // upload, and their own office's submissions
)

// The role table: which panels each role reads (each panel in catalog.go
// names one of these sets), which pages it opens (Pages), whether it
// uploads (MayUpload), sees groups under MinGroup persons
// (SeesIndividuals), and gets a load's raw file (MayDownload). An account
// also sees only its org and below, in every query (Access).
//
// 研究人员, for one: every dashboard page and the panels of analysts,
// overview and everyone; no uploads; counts under 3 persons withheld; no
// person-level rows and no raw files of person registers.
var (
	// analysts open every dashboard page.
	analysts = []Role{RoleAdmin, RoleLeader, RoleResearcher}
	// overview adds 政府用户, who open 总览, 经费测算, 平台建设 and 目标进度.
	overview = []Role{RoleAdmin, RoleLeader, RoleResearcher, RoleGovernment}
	// everyone adds 数据员, who see their own office's submissions.
	everyone = []Role{RoleAdmin, RoleLeader, RoleResearcher, RoleGovernment, RoleClerk}
	// admins alone see the job log.
	admins = []Role{RoleAdmin}
)

// Roles lists the roles in the order the admin page offers them.
var Roles = []Role{RoleAdmin, RoleLeader, RoleResearcher, RoleGovernment, RoleClerk}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == strings.TrimSpace(s) {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("角色「%s」不对，可以是：%s", s, strings.Join(names, "、"))
}

// dashboardPages are the pages of data (the path of each).
var dashboardPages = []string{"/", "/disputes", "/staffing", "/funding", "/plan", "/buildout", "/outlook", "/work", "/compare", "/quality", "/brief", "/screen"}

// Pages lists the paths of the dashboard pages a role may open.
func (r Role) Pages() []string {
	switch r {
	case RoleAdmin:
		return append(append([]string{}, dashboardPages...), "/jobs")
	case RoleLeader, RoleResearcher:
		return dashboardPages
	case RoleGovernment:
		return []string{"/", "/plan", "/buildout", "/outlook", "/brief"}
	case RoleClerk:
		return []string{"/outlook", "/quality"} // their own office's: what it lacks, how its data looks
	}
	return nil
}

// MayPanel says whether a role may read a panel: the panel's Roles in
// the one table of panels (catalog.go).
func (r Role) MayPanel(id string) bool {
	p, ok := panelByID(id)
	return ok && slices.Contains(p.Roles, r)
}

// MayUpload says whether a role may send ledgers.
func (r Role) MayUpload() bool { return r == RoleAdmin || r == RoleClerk }

// SeesIndividuals says whether a role sees counts of groups smaller than
// the minimum (管理员 and 领导 do; the others see them withheld).
func (r Role) SeesIndividuals() bool { return r == RoleAdmin || r == RoleLeader }

// Home is where a role lands after signing in.
func (r Role) Home() string {
	if r == RoleClerk {
		return "/upload"
	}
	return "/"
}

// Access is who is asking: every panel answer is limited by it, in the
// query itself. A request without one is the command line's (full access).
type Access struct {
	User string
	Role Role
	Org  string // the account's org; "" = everything
}

type accessKey struct{}

// WithAccess ties an account's access to a request's context.
func WithAccess(ctx context.Context, a *Access) context.Context {
	return context.WithValue(ctx, accessKey{}, a)
}

// AccessFrom returns the access a context carries (nil: full access).
func AccessFrom(ctx context.Context) *Access {
	a, _ := ctx.Value(accessKey{}).(*Access)
	return a
}

// AccessError is a request outside what the account may see: a 403.
type AccessError struct{ Msg string }

func (e *AccessError) Error() string { return e.Msg }

func Denied(format string, a ...any) error { return &AccessError{fmt.Sprintf(format, a...)} }

// limit applies an account's org to a filter: an empty org becomes the
// account's org; an org outside it is refused.
func (a *Access) limit(reg *transform.Registry, f Filter) (Filter, error) {
	if a == nil || a.Org == "" {
		return f, nil
	}
	if f.Org == "" {
		f.Org = a.Org
		return f, nil
	}
	if !reg.Within(f.Org, a.Org) {
		return f, Denied("您的账号只能查看本单位及下级单位的数据")
	}
	return f, nil
}

// MayDownload says whether an account may have the raw file of a load:
// every org of the load lies within the account's org, and registers of
// persons (roster, corrections, resettlement) go only to roles that see
// individuals.
func (a *Access) MayDownload(reg *Registry, src Source) bool {
	if ledger.IsPersons(src.Ledger) && !a.Role.SeesIndividuals() {
		return false
	}
	if a.Org == "" {
		return true
	}
	if len(src.Orgs) == 0 {
		return false
	}
	for _, o := range src.Orgs {
		if !reg.Within(o, a.Org) {
			return false
		}
	}
	return true
}

// LedgerName is a ledger type's name (人民调解台账) for its id, or "".
func LedgerName(id string) string {
	if l := ledger.ByID(id); l != nil {
		return l.Name
	}
	return ""
}
