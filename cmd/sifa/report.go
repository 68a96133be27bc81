package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"sifa/dashboards"
	"sifa/dashboards/chartpng"
	"sifa/warehouse/panels"
)

// filterFlags are the panel filters of panel, export and report.
type filterFlags struct{ org, year, from, to, category *string }

func addFilterFlags(fs *flag.FlagSet) filterFlags {
	return filterFlags{
		org:      fs.String("org", "", "单位区划代码"),
		year:     fs.String("year", "", "年份"),
		from:     fs.String("from", "", "起始月份 YYYY-MM"),
		to:       fs.String("to", "", "结束月份 YYYY-MM"),
		category: fs.String("category", "", "类别（纠纷类型或经费类别，面板支持时）"),
	}
}

func (ff filterFlags) filter() (panels.Filter, error) {
	q := map[string][]string{}
	for k, v := range map[string]string{"org": *ff.org, "year": *ff.year, "from": *ff.from, "to": *ff.to, "category": *ff.category} {
		if v != "" {
			q[k] = []string{v}
		}
	}
	return panels.ParseFilter(q)
}

// failed prints an error and picks the exit code: 2 for a bad filter, 1 otherwise.
func failed(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, err)
	var fe *panels.FilterError
	if errors.As(err, &fe) {
		return exitUsage
	}
	return exitFailure
}

// cmdExport writes one panel as xlsx, csv or parquet.
func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", stderr)
	var c common
	c.register(fs)
	ff := addFilterFlags(fs)
	format := fs.String("format", "xlsx", "xlsx、csv 或 parquet")
	out := fs.String("out", "", "输出文件")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return exitUsage
	}
	if len(pos) != 1 || *out == "" {
		fmt.Fprintln(stderr, "用法：sifa export PANEL --format xlsx|csv|parquet --out FILE [--org CODE] [--year YYYY] [--from YYYY-MM --to YYYY-MM]")
		return exitUsage
	}
	f, err := ff.filter()
	if err != nil {
		return failed(stderr, err)
	}
	cfg, w, err := c.open(ctx)
	if err != nil {
		return failed(stderr, err)
	}
	defer w.Close()
	e := &panels.Engine{Store: w, Standards: cfg.standards(), SubmissionDay: cfg.SubmissionDay}
	var buf bytes.Buffer
	ext, err := dashboards.ExportPanel(ctx, e, &buf, pos[0], f, *format)
	if err != nil {
		return failed(stderr, err)
	}
	path := *out
	if ext == "zip" && !strings.HasSuffix(path, ".zip") {
		path += ".zip" // the panel read several tables: one Parquet file each
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		return failed(stderr, err)
	}
	fmt.Fprintf(stdout, "已写出 %s（%s，%d 字节）\n", path, ext, buf.Len())
	return exitOK
}

// cmdReport writes the survey-report data appendix of an org and a year as .docx.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("report", stderr)
	var c common
	c.register(fs)
	org := fs.String("org", "", "单位区划代码（县、乡镇）")
	year := fs.Int("year", 0, "年度")
	out := fs.String("out", "", "输出的 .docx 文件")
	font := fs.String("font", "", "图表用的中文字体文件（默认在本机常见位置查找）")
	if _, err := parseInterleaved(fs, args); err != nil {
		return exitUsage
	}
	if *year == 0 || *out == "" {
		fmt.Fprintln(stderr, "用法：sifa report --org CODE --year YYYY --out FILE.docx")
		return exitUsage
	}
	cfg, w, err := c.open(ctx)
	if err != nil {
		return failed(stderr, err)
	}
	defer w.Close()
	e := &panels.Engine{Store: w, Standards: cfg.standards(), SubmissionDay: cfg.SubmissionDay}
	ap, err := dashboards.BuildAppendix(ctx, e, *org, *year)
	if err != nil {
		return failed(stderr, err)
	}
	if *font == "" {
		*font = cfg.ReportFont
	}
	r := chartpng.NewRenderer(*font)
	var buf bytes.Buffer
	if err := ap.WriteDOCX(&buf, r); err != nil {
		return failed(stderr, err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return failed(stderr, err)
	}
	fmt.Fprintf(stdout, "已写出 %s：%s，%d 部分，数据来自 %d 个文件\n", *out, ap.Title, len(ap.Sections), len(ap.Sources))
	if !r.CJK {
		fmt.Fprintln(stdout, "注意：本机没有找到中文字体，图中的分类以序号代替（可用 --font 或配置 report_font 指定字体文件）")
	}
	return exitOK
}
