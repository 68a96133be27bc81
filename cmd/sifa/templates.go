package main

import (
	"fmt"
	"io"
	"sifa/ingest"
)

// cmdTemplates writes one workbook per ledger type with the canonical
// headers, dropdowns on coded columns and an instruction row.
func cmdTemplates(args []string, stdout, stderr io.Writer) int {
	const name = "templates"
	fs := newFlags(name, stderr)
	out := fs.String("out", "", "输出目录")
	if _, err := parseInterleaved(fs, args); err != nil {
		return exitUsage
	}
	if *out == "" {
		fmt.Fprintf(stderr, "用法：sifa %s --out DIR\n", name)
		return exitUsage
	}
	files, err := ingest.WriteTemplates(*out)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "已写出 %d 个文件到 %s\n", len(files), *out)
	return exitOK
}
