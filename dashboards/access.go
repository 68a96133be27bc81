package dashboards

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"sifa/transform"
)

// Role is what an account may do. The names are the ones users see.
type Role string

// The roles.
const (
	RoleAdmin      Role = "管理员"  // everything: users, sources, jobs, the audit log
	RoleLeader     Role = "领导"   // every dashboard of their org
	RoleResearcher Role = "研究人员" // dashboards of aggregates of their org; small groups withheld
	RoleGovernment Role = "政府用户" // 总览 and 平台建设 only
	RoleClerk      Role = "数据员"  // upload, and their own office's submissions
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

var (
	dashboardPages = []string{"/", "/disputes", "/staffing", "/funding", "/buildout", "/work"}
	// overviewPanels are what 总览 and 平台建设 read.
	overviewPanels = []string{"meta.years", "disputes.summary", "disputes.by_month", "staffing.summary", "staffing.by_org", "staffing.by_year",
		"funding.shortfall", "buildout.progress", "buildout.by_org", "submissions.monthly"}
)

// Pages lists the paths of the dashboard pages a role may open.
func (r Role) Pages() []string {
	switch r {
	case RoleAdmin:
		return append(append([]string{}, dashboardPages...), "/jobs")
	case RoleLeader, RoleResearcher:
		return dashboardPages
	case RoleGovernment:
		return []string{"/", "/buildout"}
	}
	return nil
}

// MayPanel says whether a role may read a panel.
func (r Role) MayPanel(id string) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleLeader, RoleResearcher:
		return id != "jobs.recent"
	case RoleGovernment:
		return slices.Contains(overviewPanels, id)
	case RoleClerk:
		return id == "submissions.monthly" || id == "meta.years"
	}
	return false
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

func denied(format string, a ...any) error { return &AccessError{fmt.Sprintf(format, a...)} }

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
		return f, denied("您的账号只能查看本单位及下级单位的数据")
	}
	return f, nil
}

// ---- passwords ----

// PasswordRules are what a new password must satisfy (from the configuration).
type PasswordRules struct {
	MinLength int // characters; default 10
	// MinClasses of lower case, upper case, digits and other characters; default 3
	MinClasses int
}

// DefaultAdminPassword is the password of the admin account sifa creates on
// an empty warehouse. sifa serve refuses to listen beyond this machine until
// it is changed.
const DefaultAdminPassword = "sifa-admin-2014"

// Check says what is wrong with a new password, in words a clerk understands.
func (p PasswordRules) Check(pw, user string) error {
	n, classes := p.MinLength, p.MinClasses
	if n <= 0 {
		n = 10
	}
	if classes <= 0 {
		classes = 3
	}
	if len([]rune(pw)) < n {
		return fmt.Errorf("密码至少要 %d 位", n)
	}
	if len(pw) > 72 {
		return errors.New("密码太长了（最多 72 个字节）")
	}
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case unicode.IsLower(r):
			lower = true
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsDigit(r):
			digit = true
		default:
			other = true
		}
	}
	have := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			have++
		}
	}
	if have < classes {
		return fmt.Errorf("密码要包含小写字母、大写字母、数字、符号中的至少 %d 种", classes)
	}
	if user != "" && strings.Contains(strings.ToLower(pw), strings.ToLower(user)) {
		return errors.New("密码里不能含有账号名")
	}
	if pw == DefaultAdminPassword {
		return errors.New("不能使用初始密码")
	}
	return nil
}

// HashPassword hashes a password with bcrypt.
func HashPassword(pw string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// PasswordMatches says whether pw is the password a hash was made from.
func PasswordMatches(hash, pw string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
