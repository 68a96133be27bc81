package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"sifa/ingest"
	"sifa/warehouse"
)

// backupTo writes a backup folder into dir: a consistent copy of the
// warehouse, the raw-file archive and the person_key secret. It returns the folder.
func backupTo(ctx context.Context, cfg *Config, w *warehouse.Warehouse, dir string) (string, error) {
	dst := filepath.Join(dir, "sifa-"+time.Now().Format("20060102-150405"))
	if err := os.MkdirAll(dst, 0o750); err != nil {
		return "", fmt.Errorf("无法建立备份目录：%w", err)
	}
	if err := w.Backup(ctx, filepath.Join(dst, "sifa.duckdb")); err != nil {
		os.RemoveAll(dst)
		return "", err
	}
	n, err := copyTree(filepath.Join(cfg.DataDir, "archive"), filepath.Join(dst, "archive"))
	if err != nil {
		os.RemoveAll(dst)
		return "", fmt.Errorf("备份原始文件归档失败：%w", err)
	}
	if secret, err := cfg.secret(); err == nil {
		os.WriteFile(filepath.Join(dst, "secret.key"), append(secret, '\n'), 0o600)
	}
	os.WriteFile(filepath.Join(dst, "说明.txt"), []byte(fmt.Sprintf("sifa 备份 %s：仓库 sifa.duckdb，原始文件 %d 个（archive/），密钥 secret.key。\n恢复：停掉 sifa，运行 sifa restore --from %s\n",
		time.Now().Format("2006-01-02 15:04:05"), n, dst)), 0o640)
	return dst, nil
}

// copyTree copies a folder's files (hard links where it can), returning how many.
func copyTree(src, dst string) (int, error) {
	n := 0
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == src {
				return filepath.SkipDir
			}
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o750)
		}
		if strings.HasPrefix(d.Name(), ".incoming-") {
			return nil
		}
		if _, err := os.Stat(target); err == nil {
			return nil
		}
		// the journal and the .names lists grow by appends: a hard link
		// would keep growing with the live archive, so they are copied
		raw := ingest.IsRawFile(d.Name())
		if !raw {
			return ingest.CopyFile(path, target)
		}
		if err := os.Link(path, target); err != nil {
			if err := ingest.CopyFile(path, target); err != nil {
				return err
			}
		}
		n++
		return nil
	})
	return n, err
}

// pruneBackups keeps the newest keep backup folders of dir.
func pruneBackups(dir string, keep int) {
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if e.IsDir() && strings.HasPrefix(e.Name(), "sifa-") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for i := 0; i+keep < len(names); i++ {
		os.RemoveAll(filepath.Join(dir, names[i]))
	}
}

func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("backup", stderr)
	var c common
	c.register(fs)
	out := fs.String("out", "", "备份写到这个目录")
	if pos, err := parseInterleaved(fs, args); err != nil || len(pos) > 0 || *out == "" {
		fmt.Fprintln(stderr, "用法：sifa backup --out 目录 [--warehouse DSN] [--config FILE]")
		return exitUsage
	}
	abs, _ := filepath.Abs(*out)
	cfg, w, err := c.open(ctx)
	if errors.Is(err, warehouse.ErrLocked) && cfg != nil && cfg.PushTokens["local"] != "" {
		// sifa serve holds the warehouse: it writes the backup, online
		body, _ := json.Marshal(map[string]string{"dir": abs})
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+cfg.Addr+"/api/v1/backup", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+cfg.PushTokens["local"])
		resp, err := (&http.Client{Timeout: time.Hour}).Do(req)
		if err != nil {
			fmt.Fprintf(stderr, "仓库正被 sifa serve 使用，但连不上它（%s）：%v\n", cfg.Addr, err)
			return exitFailure
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var ans map[string]string
		json.Unmarshal(raw, &ans)
		if resp.StatusCode != http.StatusOK {
			fmt.Fprintf(stderr, "备份失败：%s\n", ans["error"])
			return exitFailure
		}
		fmt.Fprintf(stdout, "仓库正被 sifa serve 使用，已由它在线备份到 %s\n", ans["dir"])
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	defer w.Close()
	dst, err := backupTo(ctx, cfg, w, abs)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "已备份到 %s\n", dst)
	return exitOK
}

// cmdRestore puts a backup folder back: the warehouse file (which must not
// exist yet), the archive's files and the secret.
func cmdRestore(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("restore", stderr)
	var c common
	c.register(fs)
	from := fs.String("from", "", "备份目录（sifa backup 写的 sifa-日期 目录）")
	if pos, err := parseInterleaved(fs, args); err != nil || len(pos) > 0 || *from == "" {
		fmt.Fprintln(stderr, "用法：sifa restore --from 备份目录 [--warehouse DSN] [--config FILE]")
		return exitUsage
	}
	cfg, err := loadConfig(c.config)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	if c.warehouse != "" {
		cfg.Warehouse = c.warehouse
	}
	dsn := cfg.Warehouse
	if dsn == "" {
		dsn = warehouse.DefaultDSN
	}
	path, ok := strings.CutPrefix(dsn, "duckdb:")
	if !ok {
		fmt.Fprintln(stderr, "sifa restore 只恢复内置（DuckDB）仓库")
		return exitUsage
	}
	if _, err := os.Stat(path); err == nil {
		fmt.Fprintf(stderr, "仓库文件 %s 已经存在：请先停掉 sifa，把它挪开（或用 --warehouse 指定新文件）再恢复\n", path)
		return exitUsage
	}
	if b, err := os.ReadFile(filepath.Join(*from, "secret.key")); err == nil {
		mine := filepath.Join(cfg.DataDir, "secret.key")
		if cfg.Secret == "" && cfg.SecretFile == "" {
			if cur, err := os.ReadFile(mine); err == nil && !bytes.Equal(bytes.TrimSpace(cur), bytes.TrimSpace(b)) {
				fmt.Fprintf(stderr, "%s 和备份里的密钥不同：同一个人会被算成两个人。请先把它挪开再恢复\n", mine)
				return exitUsage
			}
			os.MkdirAll(cfg.DataDir, 0o750)
			os.WriteFile(mine, b, 0o600)
		}
	}
	os.MkdirAll(filepath.Dir(path), 0o750)
	if err := ingest.CopyFile(filepath.Join(*from, "sifa.duckdb"), path); err != nil {
		fmt.Fprintln(stderr, "恢复仓库失败：", err)
		return exitFailure
	}
	n, err := copyTree(filepath.Join(*from, "archive"), filepath.Join(cfg.DataDir, "archive"))
	if err != nil {
		fmt.Fprintln(stderr, "恢复原始文件归档失败：", err)
		return exitFailure
	}
	w, err := warehouse.Open(ctx, dsn)
	if err != nil {
		fmt.Fprintln(stderr, "恢复的仓库打不开：", err)
		return exitFailure
	}
	w.Close()
	fmt.Fprintf(stdout, "已从 %s 恢复仓库 %s 和 %d 个原始文件\n", *from, path, n)
	return exitOK
}

// backupJob is the weekly backup inside sifa serve (it holds the warehouse).
func backupJob(ctx context.Context, cfg *Config, w *warehouse.Warehouse, log *slog.Logger) {
	dir := cfg.BackupDir
	if dir == "" {
		dir = filepath.Join(cfg.DataDir, "backups")
	}
	run := warehouse.JobRun{RunID: fmt.Sprint(time.Now().UnixNano()), Job: "backup", Started: time.Now(), Result: "成功"}
	dst, err := backupTo(ctx, cfg, w, dir)
	run.Ended = time.Now()
	if err != nil {
		run.Result, run.Error = "失败", err.Error()
	} else {
		run.Error = "备份在 " + dst
		pruneBackups(dir, 4)
	}
	if err := w.RecordJob(context.WithoutCancel(ctx), run); err != nil {
		log.Error("job history not written", "err", err)
	}
	log.Info("backup run", "dir", dst, "result", run.Result)
}
