package dashboards

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

type usersView struct {
	MinGroup int
	Rows     []accountRow
	Roles    []string
	Message  string
	OK       bool
}

type accountRow struct {
	Name, DisplayName, Role, Org, OrgName, Changed, ChangedBy string
	Disabled, Self                                            bool
}

type auditView struct {
	Rows         []auditRow
	User, Action string
	Days         int
	Actions      []string
}

type auditRow struct{ At, User, Role, Action, Target, Detail, Remote, Result string }

// actionNames are the audit actions in the words the admin reads.
var actionNames = map[string]string{
	"login": "登录", "login_failed": "登录失败", "logout": "退出", "upload": "上传", "export": "导出",
	"user_change": "账号变更", "config_change": "配置变更", "denied": "越权被拒", "push": "系统推送",
}

func (s *Site) usersPage(w http.ResponseWriter, r *http.Request) {
	s.renderUsers(w, r, http.StatusOK, "", false)
}

func (s *Site) renderUsers(w http.ResponseWriter, r *http.Request, code int, msg string, ok bool) {
	a := panels.AccessFrom(r.Context())
	k := s.Engine.MinGroup
	if k == 0 {
		k = panels.DefaultMinGroup
	}
	p := &page{Title: "账号管理", Path: "/admin/users", NoFilter: true, Users: &usersView{Message: msg, OK: ok, MinGroup: k}}
	for _, role := range panels.Roles {
		p.Users.Roles = append(p.Users.Roles, string(role))
	}
	accts, err := s.Accounts.Accounts(r.Context())
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	reg, _ := s.Engine.Store.Registry(r.Context())
	for _, ac := range accts {
		row := accountRow{Name: ac.Name, DisplayName: ac.DisplayName, Role: ac.Role, Org: ac.Org, OrgName: "全部", Disabled: ac.Disabled,
			ChangedBy: ac.ChangedBy, Self: ac.Name == a.User}
		if !ac.ChangedAt.IsZero() {
			row.Changed = ac.ChangedAt.In(beijing).Format("2006-01-02 15:04")
		}
		if ac.Org != "" {
			row.OrgName = ac.Org
			if reg != nil {
				if o := reg.Org(ac.Org); o != nil {
					row.OrgName = o.Name
				}
			}
		}
		p.Users.Rows = append(p.Users.Rows, row)
	}
	s.navFor(p, a)
	s.render(w, r, code, p)
}

func (s *Site) changeUser(w http.ResponseWriter, r *http.Request) {
	a := panels.AccessFrom(r.Context())
	c := AccountChange{Action: r.PostFormValue("action"), Name: r.PostFormValue("name"), DisplayName: r.PostFormValue("display_name"),
		Role: r.PostFormValue("role"), Org: r.PostFormValue("org"), Password: r.PostFormValue("password"), By: a.User, Remote: s.clientAddr(r)}
	reg, err := s.Engine.Store.Registry(r.Context())
	if err == nil {
		err = ChangeAccount(r.Context(), s.Accounts, reg, s.sec.Password, c)
	}
	if err != nil {
		s.renderUsers(w, r, http.StatusBadRequest, "没有保存："+err.Error(), false)
		return
	}
	if c.Action != "add" && c.Action != "enable" {
		s.sessions.dropUser(c.Name) // the account signs in again under its new settings
	}
	s.renderUsers(w, r, http.StatusOK, "已保存："+describeChange(c)+"（"+c.Name+"）", true)
}

func (s *Site) auditPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	days, _ := strconv.Atoi(q.Get("days"))
	if days <= 0 || days > 3650 {
		days = 7
	}
	v := &auditView{User: strings.TrimSpace(q.Get("user")), Action: q.Get("action"), Days: days}
	for _, k := range []string{"login", "login_failed", "logout", "upload", "export", "user_change", "config_change", "denied", "push"} {
		v.Actions = append(v.Actions, k)
	}
	p := &page{Title: "审计日志", Path: "/admin/audit", NoFilter: true, Audit: v}
	s.navFor(p, panels.AccessFrom(r.Context()))
	evs, err := s.Accounts.Audit(r.Context(), warehouse.AuditQuery{Since: time.Now().AddDate(0, 0, -days), User: v.User, Action: v.Action, Limit: 1000})
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	for _, e := range evs {
		name := actionNames[e.Action]
		if name == "" {
			name = e.Action
		}
		v.Rows = append(v.Rows, auditRow{At: e.At.In(beijing).Format("2006-01-02 15:04:05"), User: e.User, Role: e.Role, Action: name,
			Target: e.Target, Detail: e.Detail, Remote: e.Remote, Result: e.Result})
	}
	s.render(w, r, http.StatusOK, p)
}
