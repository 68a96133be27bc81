package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"sifa/dashboards"
	"sifa/ingest/demo"
	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// sifa serve: the dashboards, the API, the inbox and the schedules.

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("serve", stderr)
	var c common
	c.register(fs)
	addr := fs.String("addr", "", "监听地址（默认 127.0.0.1:8080）")
	inbox := fs.String("inbox", "", "收件目录：定时扫描，载入后移到 done/，无法载入的移到 failed/")
	demoIfEmpty := fs.Bool("demo-if-empty", false, "仓库是空的时，先载入演示数据")
	behindProxy := fs.Bool("behind-proxy", false, "前面有 HTTPS 反向代理（允许在非本机地址上用 HTTP 监听）")
	if _, err := parseInterleaved(fs, args); err != nil {
		return exitUsage
	}
	if os.Getenv("GOGC") == "" {
		// A county's server is one small machine: collect Go's garbage at
		// half the default heap growth. Under 20 readers this keeps the peak
		// RSS some 8 MB lower for about a tenth fewer pages a second
		// (docs/bench.md); GOGC in the environment still decides.
		debug.SetGCPercent(50)
	}
	cfg, w, err := c.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	defer w.Close()
	if *addr != "" {
		cfg.Addr = *addr
	}
	if *behindProxy {
		cfg.Security.BehindProxy = true
	}
	if created, err := dashboards.EnsureAdmin(ctx, w); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	} else if created {
		fmt.Fprintf(stdout, "已建立管理员账号 admin，初始密码 %s：第一次登录时必须修改。\n", dashboards.DefaultAdminPassword)
	}
	if err := exposureError(ctx, cfg, w); err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if err := recordConfig(ctx, cfg, w); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	if *inbox != "" {
		cfg.Inbox = *inbox
	}
	logger, err := cfg.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	slog.SetDefault(logger)
	if *demoIfEmpty {
		if err := loadDemoIfEmpty(ctx, cfg, w, stdout); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
	}
	e := &panels.Engine{Store: w, Standards: cfg.standards(), Cache: true, SubmissionDay: cfg.SubmissionDay, MinGroup: cfg.Security.MinGroup}
	p, err := cfg.pipeline(w)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	metrics := newRequestMetrics()
	site := &dashboards.Site{Engine: e, Ingest: p, UploadDir: filepath.Join(cfg.DataDir, "uploads"), PushTokens: cfg.PushTokens,
		Backup:   func(ctx context.Context, dir string) (string, error) { return backupTo(ctx, cfg, w, dir) },
		Accounts: w, Security: cfg.security(), CSPReports: func(string) { metrics.cspReports.Add(1) },
		Archive: p.Archive.Path, ReportFont: cfg.ReportFont, MailConfigured: cfg.Notices.SMTP.Addr != ""}
	if err := os.MkdirAll(site.UploadDir, 0o750); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	mux := http.NewServeMux()
	opsHandlers(mux, w, metrics)
	mux.Handle("/", site.Handler())
	// uploads of up to 200 MB over a slow county network, and their load, get ten minutes
	srv := &http.Server{Addr: cfg.Addr, Handler: metrics.wrap(mux), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 10 * time.Minute,
		WriteTimeout: 10 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	sched, err := startScheduler(ctx, cfg, w, p, e, slog.Default(), site.BriefDOCX)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	defer func() {
		// a running job finishes its file (or abandons it uncommitted, which is safe) before exit
		select {
		case <-sched.Stop().Done():
		case <-time.After(2 * time.Minute):
		}
	}()
	errc := make(chan error, 1)
	scheme := "http"
	if cfg.Security.TLSCert != "" {
		scheme = "https"
		go func() { errc <- srv.ListenAndServeTLS(cfg.Security.TLSCert, cfg.Security.TLSKey) }()
	} else {
		go func() { errc <- srv.ListenAndServe() }()
	}
	slog.Info("sifa serving", "addr", scheme+"://"+cfg.Addr, "warehouse", w.DSN)
	fmt.Fprintf(stdout, "sifa 已启动：%s://%s （仓库 %s）\n", scheme, cfg.Addr, w.DSN)
	select {
	case err := <-errc:
		fmt.Fprintln(stderr, err)
		return exitFailure
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(shut)
	return exitOK
}

// loadDemoIfEmpty writes the demo files and ingests them when the warehouse
// holds no load yet.
func loadDemoIfEmpty(ctx context.Context, cfg *Config, w *warehouse.Warehouse, out io.Writer) error {
	if n, err := w.LoadCount(ctx); err != nil || n > 0 {
		return err
	}
	dir := filepath.Join(cfg.DataDir, "demo")
	if _, err := demo.Write(dir); err != nil {
		return err
	}
	p, err := cfg.pipeline(w)
	if err != nil {
		return err
	}
	reports, err := p.Run(ctx, []string{dir})
	if err != nil {
		return err
	}
	fmt.Fprintln(out, "仓库是空的，已载入演示数据（虚构的青山县、绿水县）：")
	printReports(out, reports)
	return loadDemoMaps(ctx, w)
}

// loadDemoMaps keeps the demo counties' made-up township maps, checked as
// an admin's upload is.
func loadDemoMaps(ctx context.Context, w *warehouse.Warehouse) error {
	reg, err := w.Registry(ctx)
	if err != nil {
		return err
	}
	for county, shape := range demo.Maps() {
		if _, err := dashboards.KeepCountyMap(ctx, w, reg, county, shape, "演示数据"); err != nil {
			return fmt.Errorf("演示地图 %s：%w", county, err)
		}
	}
	return nil
}
