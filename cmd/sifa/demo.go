package main

import (
	"fmt"
	"io"
	"sifa/ingest/demo"
)

// cmdDemo writes the demo counties, or with --scale province a synthetic
// province for benchmarks (100 counties, 10 years, about 10 million disputes).
func cmdDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo", stderr)
	out := fs.String("out", "", "输出目录")
	scale := fs.String("scale", "", "province：生成一个省的数据（基准测试用）")
	counties := fs.Int("counties", demo.Province.Counties, "--scale province 时的县数")
	if _, err := parseInterleaved(fs, args); err != nil {
		return exitUsage
	}
	if *out == "" || *scale != "" && *scale != "province" {
		fmt.Fprintln(stderr, "用法：sifa demo --out DIR [--scale province [--counties N]]")
		return exitUsage
	}
	var files []string
	var err error
	if *scale == "province" {
		sc := demo.Province
		sc.Counties = *counties
		files, err = demo.WriteScale(*out, sc, 0, sc.Counties)
	} else {
		files, err = demo.Write(*out)
	}
	if err != nil {
		return failed(stderr, err)
	}
	fmt.Fprintf(stdout, "已写出 %d 个文件到 %s\n", len(files), *out)
	return exitOK
}
