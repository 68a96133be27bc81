package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"sifa/dashboards"
	"sifa/ingest/ledger"
	"sifa/warehouse"
	"sifa/warehouse/load"
)

// sifa ingest: files and folders into the warehouse, a summary on stdout, the rejected rows in a CSV.

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
	var forced *ledger.Ledger
	if *typ != "" {
		if forced = ledger.ByName(*typ); forced == nil {
			fmt.Fprintf(stderr, "不认识的台账类型「%s」\n", *typ)
			return exitUsage
		}
	}
	cfg, w, err := c.open(ctx)
	if errors.Is(err, warehouse.ErrLocked) && cfg != nil && cfg.PushTokens["local"] != "" && forced == nil && !*force {
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
	p.Ledger, p.Force = forced, *force
	reports, err := p.Run(ctx, paths)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	failed := printReports(stdout, reports)
	if *rejectsOut != "" {
		if err := writeRejects(*rejectsOut, load.RejectRows(reports)); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
	}
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}

func printReports(out io.Writer, reports []load.FileReport) (failed int) {
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
		fmt.Fprintf(out, "✓ %s\n", name)
		for _, line := range r.ReadAs() {
			fmt.Fprintf(out, "    %s\n", line)
		}
		for _, t := range r.Tables {
			accepted += t.Accepted
			rejected += t.Rejected
			where := ""
			if w := t.Where(); w != "" {
				where = w + " "
			}
			fmt.Fprintf(out, "  %s→ %s，单位 %s，时段 %s，载入 %d 行，退回 %d 行\n", where, t.LedgerName,
				summarize(t.Orgs), summarize(t.Periods), t.Accepted, t.Rejected)
			if t.Notes.Any() {
				fmt.Fprintf(out, "    注意：%s\n", t.Notes.Text())
			}
			for i, rp := range t.Replaces {
				if i == 3 {
					fmt.Fprintf(out, "    ……共替换了 %d 个单位和时段的数据\n", len(t.Replaces))
					break
				}
				fmt.Fprintf(out, "    %s\n", rp.Text())
			}
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

// writeRejects writes rejected cells as a CSV Excel opens (UTF-8 with BOM,
// values that look like formulas kept as text).
func writeRejects(path string, rows []load.RejectRow) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("无法写入 %s：%w", path, err)
	}
	defer f.Close()
	f.WriteString("\uFEFF")
	cw := csv.NewWriter(f)
	cw.Write([]string{"文件", "工作表", "行号", "列", "项目", "填写内容", "退回原因"})
	for _, r := range rows {
		row := ""
		if r.Row > 0 {
			row = fmt.Sprint(r.Row)
		}
		rec := []string{r.File, r.Sheet, row, r.Letter, r.Column, r.Value, r.Reason}
		for i := range rec {
			rec[i] = dashboards.FormulaSafe(rec[i]) // file names and reasons are the users' text too
		}
		cw.Write(rec)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return f.Close()
}
