package dashboards

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// AccountChange is one change to an account, from the admin page or from
// `sifa user`: both go through ChangeAccount, so the rules and the audit
// line are the same.
type AccountChange struct {
	Action      string // add, password, disable, enable, update
	Name        string
	DisplayName string
	Role        string
	Org         string
	Password    string
	By          string // who makes the change
	Remote      string // where from ("命令行" for sifa user)
}

var reAccountName = regexp.MustCompile(`^[\p{L}\p{N}_.-]{2,32}$`)

// ChangeAccount applies a change, checking it against the rules, and
// records it in the audit log. reg checks the org (nil: not checked).
func ChangeAccount(ctx context.Context, st AccountStore, reg *panels.Registry, rules PasswordRules, c AccountChange) error {
	err := changeAccount(ctx, st, reg, rules, c)
	result, detail := "成功", describeChange(c)
	if err != nil {
		result, detail = "失败", detail+"："+err.Error()
	}
	if aerr := st.RecordAudit(ctx, warehouse.AuditEvent{User: c.By, Role: string(panels.RoleAdmin), Action: "user_change", Target: c.Name,
		Detail: detail, Remote: c.Remote, Result: result}); aerr != nil && err == nil {
		err = fmt.Errorf("改动已保存，但审计日志没有写入：%w", aerr)
	}
	return err
}

func describeChange(c AccountChange) string {
	switch c.Action {
	case "add":
		return fmt.Sprintf("新建账号（角色 %s，单位 %s）", c.Role, orgText(c.Org))
	case "password":
		return "重设密码"
	case "disable":
		return "停用账号"
	case "enable":
		return "启用账号"
	case "update":
		return fmt.Sprintf("修改账号（角色 %s，单位 %s）", c.Role, orgText(c.Org))
	}
	return c.Action
}

func orgText(org string) string {
	if org == "" {
		return "全部"
	}
	return org
}

func changeAccount(ctx context.Context, st AccountStore, reg *panels.Registry, rules PasswordRules, c AccountChange) error {
	c.Name = strings.TrimSpace(c.Name)
	acct, exists, err := st.Account(ctx, c.Name)
	if err != nil {
		return err
	}
	checkOrg := func() error {
		c.Org = strings.TrimSpace(c.Org)
		if c.Org == "" || reg == nil {
			return nil
		}
		if _, err := panels.ResolveOrg(reg, c.Org); err != nil {
			return fmt.Errorf("单位代码「%s」不在机构名录里", c.Org)
		}
		return nil
	}
	switch c.Action {
	case "add":
		if !reAccountName.MatchString(c.Name) {
			return fmt.Errorf("账号名「%s」不对：要 2 到 32 个字，只用汉字、字母、数字、下划线、点或减号", c.Name)
		}
		if exists {
			return fmt.Errorf("账号「%s」已经有了", c.Name)
		}
		role, err := panels.ParseRole(c.Role)
		if err != nil {
			return err
		}
		if err := checkOrg(); err != nil {
			return err
		}
		if role != panels.RoleAdmin && role != panels.RoleLeader && c.Org == "" {
			return fmt.Errorf("%s账号要指定单位（区划代码），只能看这个单位及下级", role)
		}
		if err := rules.Check(c.Password, c.Name); err != nil {
			return err
		}
		hash, err := HashPassword(c.Password)
		if err != nil {
			return err
		}
		acct = warehouse.Account{Name: c.Name, DisplayName: strings.TrimSpace(c.DisplayName), Role: string(role), Org: c.Org, PasswordHash: hash}
	case "password", "disable", "enable", "update":
		if !exists {
			return fmt.Errorf("没有账号「%s」", c.Name)
		}
		switch c.Action {
		case "password":
			if err := rules.Check(c.Password, c.Name); err != nil {
				return err
			}
			hash, err := HashPassword(c.Password)
			if err != nil {
				return err
			}
			acct.PasswordHash = hash
		case "disable":
			if c.Name == c.By {
				return fmt.Errorf("不能停用自己正在用的账号")
			}
			acct.Disabled = true
		case "enable":
			acct.Disabled = false
		case "update":
			role, err := panels.ParseRole(c.Role)
			if err != nil {
				return err
			}
			if err := checkOrg(); err != nil {
				return err
			}
			if c.Name == c.By && role != panels.RoleAdmin {
				return fmt.Errorf("不能取消自己的管理员角色")
			}
			acct.Role, acct.Org = string(role), c.Org
			if d := strings.TrimSpace(c.DisplayName); d != "" {
				acct.DisplayName = d
			}
		}
	default:
		return fmt.Errorf("不认识的操作「%s」", c.Action)
	}
	acct.ChangedBy, acct.ChangedAt = c.By, time.Now()
	return st.SaveAccount(ctx, acct)
}
