package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"sifa/dashboards"
	"sifa/warehouse"
)

const userUsage = `用法：
  sifa user list
  sifa user add NAME --role 角色 [--org 区划代码] [--display 姓名]   （新密码从标准输入读一行）
  sifa user set-password NAME                                          （新密码从标准输入读一行）
  sifa user disable NAME
  sifa user enable NAME
角色：管理员、领导、研究人员、政府用户、数据员。运行中的 sifa serve 占着内置仓库时，请在网页“账号”里修改。
`

// stdin is where sifa user reads passwords (tests replace it).
var stdin io.Reader = os.Stdin

func cmdUser(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return exitUsage
	}
	action := args[0]
	fs := newFlags("user "+action, stderr)
	var c common
	c.register(fs)
	role := fs.String("role", "", "角色")
	org := fs.String("org", "", "单位的区划代码")
	display := fs.String("display", "", "姓名或称呼")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return exitUsage
	}
	verb := map[string]string{"add": "add", "set-password": "password", "disable": "disable", "enable": "enable", "list": "list"}[action]
	if verb == "" || verb != "list" && len(pos) != 1 {
		fmt.Fprint(stderr, userUsage)
		return exitUsage
	}
	cfg, w, err := c.open(ctx)
	if err != nil {
		if errors.Is(err, warehouse.ErrLocked) {
			fmt.Fprintln(stderr, "仓库正被运行中的 sifa serve 使用：请在网页的“账号”页面修改，或先停掉 sifa serve。")
		} else {
			fmt.Fprintln(stderr, err)
		}
		return exitFailure
	}
	defer w.Close()
	if verb == "list" {
		accts, err := w.Accounts(ctx)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "账号\t姓名\t角色\t单位\t状态")
		for _, a := range accts {
			state := "正常"
			if a.Disabled {
				state = "已停用"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", a.Name, a.DisplayName, a.Role, orgOrAll(a.Org), state)
		}
		tw.Flush()
		return exitOK
	}
	ch := dashboards.AccountChange{Action: verb, Name: pos[0], Role: *role, Org: *org, DisplayName: *display, By: "命令行", Remote: "命令行"}
	if verb == "add" || verb == "password" {
		fmt.Fprint(stderr, "请输入新密码（一行）：")
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && line == "" {
			fmt.Fprintln(stderr, "\n没有读到密码")
			return exitUsage
		}
		ch.Password = strings.TrimRight(line, "\r\n")
	}
	reg, err := w.Registry(ctx)
	if err == nil {
		err = dashboards.ChangeAccount(ctx, w, reg, cfg.security().Password, ch)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "已保存：%s（%s）\n", ch.Name, verb)
	return exitOK
}

func orgOrAll(org string) string {
	if org == "" {
		return "全部"
	}
	return org
}
