package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"sifa/warehouse/load"
	"sifa/warehouse/panels"
)

// sifa rebuild: the archive's journal replayed into an empty warehouse.

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
	reports := make([]load.FileReport, len(replayed))
	var differ []string
	for i, r := range replayed {
		reports[i] = r.Report
		if d := r.Differs(); d != "" {
			differ = append(differ, fmt.Sprintf("  %s（%s 载入）：%s", r.Name, r.At.In(panels.Beijing).Format("2006-01-02 15:04"), d))
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
