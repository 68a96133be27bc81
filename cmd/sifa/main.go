// Command sifa is the grassroots justice-administration data platform:
// it ingests the offices' ledgers into the warehouse and serves the panels.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
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

// exit codes (docs/design.md)
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
		return cmdTemplates(rest, stdout, stderr)
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

func (c *Config) pipeline(w *warehouse.Warehouse) (*load.Pipeline, error) {
	secret, err := c.secret()
	if err != nil {
		return nil, err
	}
	return &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(c.DataDir, "archive")},
		Config: transform.Config{Secret: secret}, Limits: c.limits(), Quarantine: c.quarantine(),
		FileTimeout: time.Duration(c.Limits.FileMinutes) * time.Minute}, nil
}
