package main

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strings"

	"sifa/dashboards"
	"sifa/warehouse"
)

// loopback says whether an address only this machine can reach.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// exposureError says why serve must not listen on addr: beyond this
// machine it needs HTTPS (its own certificate, or a proxy in front) and
// the initial admin password changed.
func exposureError(ctx context.Context, cfg *Config, st dashboards.AccountStore) error {
	if loopback(cfg.Addr) {
		return nil
	}
	if cfg.Security.TLSCert == "" && !cfg.Security.BehindProxy {
		return fmt.Errorf("拒绝在 %s 上启动：这个地址别的电脑也能访问，密码会明文传输。请在配置的 [security] 里设置 tls_cert 和 tls_key，"+
			"或者在前面放一个 HTTPS 反向代理并加 --behind-proxy；只在本机使用请用 127.0.0.1:8080", cfg.Addr)
	}
	unchanged, err := dashboards.DefaultAdminUnchanged(ctx, st)
	if err != nil {
		return err
	}
	if unchanged {
		return fmt.Errorf("拒绝在 %s 上启动：管理员账号还在用初始密码。请先在本机（127.0.0.1）登录修改，或运行 sifa user set-password admin", cfg.Addr)
	}
	return nil
}

// recordConfig writes a config_change line to the audit log when the
// configuration differs from the one the last start recorded.
func recordConfig(ctx context.Context, cfg *Config, w *warehouse.Warehouse) error {
	fp := cfg.fingerprint()
	last, err := w.Audit(ctx, warehouse.AuditQuery{Action: "config_change", Limit: 1})
	if err != nil {
		return err
	}
	if len(last) == 1 && strings.Contains(last[0].Detail, fp) {
		return nil
	}
	var sources []string
	for s := range cfg.PushTokens {
		sources = append(sources, s)
	}
	sort.Strings(sources)
	detail := fmt.Sprintf("启动时的配置（指纹 %s）：监听 %s，HTTPS %v，反向代理 %v，推送来源 %s", fp, cfg.Addr, cfg.Security.TLSCert != "",
		cfg.Security.BehindProxy, strings.Join(sources, "、"))
	return w.RecordAudit(ctx, warehouse.AuditEvent{User: "sifa", Action: "config_change", Target: "配置", Detail: detail, Result: "成功"})
}
