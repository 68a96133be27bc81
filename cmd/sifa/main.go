// Command sifa is the grassroots justice-administration data platform:
// it ingests the offices' ledgers into the warehouse and serves the panels.
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/ingest/demo"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/panels"
)

const usage = `sifa — 基层司法行政数据平台

用法：
  sifa serve     [--warehouse DSN] [--addr 127.0.0.1:8080] [--inbox DIR] [--config FILE] [--demo-if-empty]
  sifa ingest    [--warehouse DSN] [--type 台账类型] [--rejects FILE] [--force] PATH...
  sifa panel ID  [--warehouse DSN] [--org CODE] [--year YYYY] [--from YYYY-MM --to YYYY-MM] [--category 类别]
  sifa export PANEL --format xlsx|csv|parquet --out FILE [--org CODE] [--year YYYY] [--from YYYY-MM --to YYYY-MM]
  sifa report    --org CODE --year YYYY --out FILE.docx   调研报告数据附录
  sifa rebuild   [--warehouse DSN] [--config FILE]   用原始文件归档重建一个新的（空的）仓库
  sifa backup    --out DIR [--warehouse DSN]         在线备份内置仓库、原始文件归档和密钥
  sifa restore   --from DIR [--warehouse DSN]        从备份恢复（先停掉 sifa）
  sifa user      list | add NAME --role 角色 [--org CODE] | set-password NAME | disable NAME | enable NAME
  sifa demo      --out DIR [--scale province]   演示数据；province：100 个县、10 年、约 1000 万件纠纷（基准测试用）
  sifa templates --out DIR

DSN：duckdb:PATH（默认 duckdb:var/sifa.duckdb）或 clickhouse://HOST:PORT/DB，也可用环境变量 SIFA_WAREHOUSE。
     ClickHouse 建议加上它的 HTTP 端口：clickhouse://HOST:9000/DB?http_port=8123（载入数据更快）。
`

// exit codes (DESIGN.md)
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// serveCtx is the parent of every command's context (tests cancel it to stop serve).
var serveCtx = context.Background()

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(serveCtx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "ingest":
		return cmdIngest(ctx, rest, stdout, stderr)
	case "panel":
		return cmdPanel(ctx, rest, stdout, stderr)
	case "serve":
		return cmdServe(ctx, rest, stdout, stderr)
	case "rebuild":
		return cmdRebuild(ctx, rest, stdout, stderr)
	case "user":
		return cmdUser(ctx, rest, stdout, stderr)
	case "export":
		return cmdExport(ctx, rest, stdout, stderr)
	case "report":
		return cmdReport(ctx, rest, stdout, stderr)
	case "backup":
		return cmdBackup(ctx, rest, stdout, stderr)
	case "restore":
		return cmdRestore(ctx, rest, stdout, stderr)
	case "demo":
		return cmdDemo(rest, stdout, stderr)
	case "templates":
		return cmdWrite(rest, stdout, stderr, "templates", ingest.WriteTemplates)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "不认识的命令「%s」\n\n%s", cmd, usage)
	return exitUsage
}

// parseInterleaved parses flags that may come before or after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

type common struct {
	warehouse, config string
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.warehouse, "warehouse", "", "仓库地址（DSN）")
	fs.StringVar(&c.config, "config", "", "配置文件（TOML）")
}

func (c *common) open(ctx context.Context) (*Config, *warehouse.Warehouse, error) {
	cfg, err := loadConfig(c.config)
	if err != nil {
		return nil, nil, err
	}
	if c.warehouse != "" {
		cfg.Warehouse = c.warehouse
	}
	w, err := warehouse.Open(ctx, cfg.Warehouse)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, w, nil
}

func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func (c *Config) pipeline(w *warehouse.Warehouse) (*warehouse.Pipeline, error) {
	secret, err := c.secret()
	if err != nil {
		return nil, err
	}
	return &warehouse.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(c.DataDir, "archive")},
		Config: transform.Config{Secret: secret}, Limits: c.limits()}, nil
}

func cmdIngest(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("ingest", stderr)
	var c common
	c.register(fs)
	typ := fs.String("type", "", "台账类型（如 mediation 或 人民调解台账），不填则按表头识别")
	rejectsOut := fs.String("rejects", "", "把每一条退回的行写进这个 CSV 文件，交给数据员修改")
	force := fs.Bool("force", false, "以前载入过的文件也重新载入")
	paths, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(paths) == 0 {
		fmt.Fprintln(stderr, "请给出要载入的文件或文件夹")
		return exitUsage
	}
	var ledger *ingest.Ledger
	if *typ != "" {
		if ledger = ingest.LedgerByName(*typ); ledger == nil {
			fmt.Fprintf(stderr, "不认识的台账类型「%s」\n", *typ)
			return exitUsage
		}
	}
	cfg, w, err := c.open(ctx)
	if errors.Is(err, warehouse.ErrLocked) && cfg != nil && cfg.PushTokens["local"] != "" && ledger == nil && !*force {
		// the running server holds the warehouse: it loads the files
		return handOff(ctx, cfg, paths, *rejectsOut, stdout, stderr)
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		if errors.Is(err, warehouse.ErrLocked) {
			fmt.Fprintln(stderr, "（在配置文件的 push_tokens 里设一个 local 令牌，sifa ingest 就会把文件交给正在运行的 sifa serve 载入）")
		}
		return exitFailure
	}
	defer w.Close()
	p, err := cfg.pipeline(w)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	p.Ledger, p.Force = ledger, *force
	reports, err := p.Run(ctx, paths)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	failed := printReports(stdout, reports)
	if *rejectsOut != "" {
		if err := writeRejects(*rejectsOut, fileReportRejects(reports)); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
	}
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}

func printReports(out io.Writer, reports []warehouse.FileReport) (failed int) {
	var files, accepted, rejected, skipped int
	for _, r := range reports {
		files++
		name := filepath.Base(r.File)
		switch {
		case r.Err != nil:
			failed++
			fmt.Fprintf(out, "✗ %s：没有载入。%v\n", name, r.Err)
			continue
		case r.Skipped:
			skipped++
			fmt.Fprintf(out, "= %s：这个文件以前已经载入过，没有重复计算\n", name)
			continue
		}
		for _, t := range r.Tables {
			accepted += t.Accepted
			rejected += t.Rejected
			where := ""
			if t.Sheet != "" {
				where = "（" + t.Sheet + "）"
			}
			fmt.Fprintf(out, "✓ %s%s：%s，单位 %s，时段 %s，载入 %d 行，退回 %d 行\n", name, where, t.LedgerName,
				summarize(t.Orgs), summarize(t.Periods), t.Accepted, t.Rejected)
			for i, rj := range t.Rejects {
				if i == 5 {
					fmt.Fprintf(out, "    ……另有 %d 处问题（用 --rejects 文件.csv 导出全部）\n", len(t.Rejects)-5)
					break
				}
				fmt.Fprintf(out, "    %s\n", rj.Error())
			}
		}
	}
	fmt.Fprintf(out, "合计：%d 个文件，载入 %d 行，退回 %d 行，重复跳过 %d 个，失败 %d 个\n", files, accepted, rejected, skipped, failed)
	return failed
}

func summarize(xs []string) string {
	switch {
	case len(xs) == 0:
		return "无"
	case len(xs) <= 3:
		return strings.Join(xs, "、")
	}
	return xs[0] + "…" + xs[len(xs)-1] + fmt.Sprintf("（共%d个）", len(xs))
}

// rejectRow is one line of the rejects CSV: file, sheet, row, column
// letter, column, value, reason.
type rejectRow [7]string

// fileReportRejects lists the rejects of local ingest reports.
func fileReportRejects(reports []warehouse.FileReport) []rejectRow {
	var out []rejectRow
	for _, r := range reports {
		if r.Err != nil {
			out = append(out, rejectRow{filepath.Base(r.File), "", "", "", "", "", r.Err.Error()})
		}
		for _, t := range r.Tables {
			for _, rj := range t.Rejects {
				out = append(out, rejectRow{rj.File, rj.Sheet, fmt.Sprint(rj.Row), rj.Letter, rj.Column, rj.Value, rj.Reason})
			}
		}
	}
	return out
}

// writeRejects writes rejected cells as a CSV Excel opens (UTF-8 with BOM,
// values that look like formulas kept as text).
func writeRejects(path string, rows []rejectRow) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("无法写入 %s：%w", path, err)
	}
	defer f.Close()
	f.WriteString("\uFEFF")
	cw := csv.NewWriter(f)
	cw.Write([]string{"文件", "工作表", "行号", "列", "项目", "填写内容", "退回原因"})
	for _, r := range rows {
		for i := range r {
			r[i] = dashboards.FormulaSafe(r[i]) // file names and reasons are the users' text too
		}
		cw.Write(r[:])
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return f.Close()
}

func cmdPanel(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("panel", stderr)
	var c common
	c.register(fs)
	ff := addFilterFlags(fs)
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "用法：sifa panel ID [--org CODE] [--year YYYY] [--from YYYY-MM --to YYYY-MM]")
		return exitUsage
	}
	f, err := ff.filter()
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	cfg, w, err := c.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	defer w.Close()
	e := &panels.Engine{Store: w, Standards: cfg.standards()}
	v, err := e.Run(ctx, pos[0], f)
	if err != nil {
		fmt.Fprintln(stderr, err)
		var fe *panels.FilterError
		if errors.As(err, &fe) {
			return exitUsage
		}
		return exitFailure
	}
	b, err := dashboards.MarshalPanel(v)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	stdout.Write(b)
	return exitOK
}

func cmdWrite(args []string, stdout, stderr io.Writer, name string, write func(string) ([]string, error)) int {
	fs := newFlags(name, stderr)
	out := fs.String("out", "", "输出目录")
	if _, err := parseInterleaved(fs, args); err != nil {
		return exitUsage
	}
	if *out == "" {
		fmt.Fprintf(stderr, "用法：sifa %s --out DIR\n", name)
		return exitUsage
	}
	files, err := write(*out)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "已写出 %d 个文件到 %s\n", len(files), *out)
	return exitOK
}

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
		Archive: p.Archive.Path, ReportFont: cfg.ReportFont}
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
	sched, err := startScheduler(ctx, cfg, w, p, e, slog.Default())
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
	return nil
}

// cmdRebuild loads every raw file of the archive, in the order the files
// first arrived, into an empty warehouse: a schema change or a lost
// warehouse costs nothing while the archive and the secret are kept.
func cmdRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("rebuild", stderr)
	var c common
	c.register(fs)
	if pos, err := parseInterleaved(fs, args); err != nil || len(pos) > 0 {
		fmt.Fprintln(stderr, "用法：sifa rebuild [--warehouse DSN] [--config FILE]")
		return exitUsage
	}
	cfg, w, err := c.open(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	defer w.Close()
	n, err := w.LoadCount(ctx)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	if n > 0 {
		fmt.Fprintf(stderr, "仓库 %s 不是空的：重建要写进一个新的仓库（用 --warehouse 指定一个还不存在的文件或库）\n", w.DSN)
		return exitUsage
	}
	p, err := cfg.pipeline(w)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	tmp, err := os.MkdirTemp(cfg.DataDir, ".rebuild-*")
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	defer os.RemoveAll(tmp)
	replayed, err := p.Replay(ctx, tmp)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	if len(replayed) == 0 {
		fmt.Fprintf(stderr, "归档 %s 里没有载入过的文件\n", p.Archive.Dir)
		return exitFailure
	}
	reports := make([]warehouse.FileReport, len(replayed))
	var differ []string
	for i, r := range replayed {
		reports[i] = r.Report
		if d := r.Differs(); d != "" {
			differ = append(differ, fmt.Sprintf("  %s（%s 载入）：%s", r.Name, r.At.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04"), d))
		}
	}
	fmt.Fprintf(stdout, "从归档重建：%d 个原始文件\n", len(replayed))
	printReports(stdout, reports)
	if len(differ) > 0 {
		fmt.Fprintf(stderr, "重建的结果和原来的仓库不一样，有 %d 个文件这次载入得不同：\n%s\n重建的仓库不能代替原来的仓库，请把上面的情况告诉技术人员\n", len(differ), strings.Join(differ, "\n"))
		return exitFailure
	}
	return exitOK
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
