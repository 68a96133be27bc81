package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"sifa/dashboards"
	"sifa/warehouse/load"
)

// handOff sends files to the running sifa serve (which holds the embedded
// warehouse) through its push endpoint, and prints what it loaded.
func handOff(ctx context.Context, cfg *Config, paths []string, rejectsOut string, stdout, stderr io.Writer) int {
	files, err := load.Expand(paths)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
		fw, _ := mw.CreateFormFile("files", filepath.Base(f))
		fw.Write(b)
	}
	mw.Close()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+cfg.Addr+"/api/v1/ingest", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+cfg.PushTokens["local"])
	resp, err := (&http.Client{Timeout: 30 * time.Minute}).Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "仓库正被 sifa serve 使用，但连不上它（%s）：%v\n", cfg.Addr, err)
		return exitFailure
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "sifa serve 没有接收文件（%d）：%s\n", resp.StatusCode, raw)
		return exitFailure
	}
	var rep dashboards.PushReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "仓库正被 sifa serve 使用，文件已交给它载入（%s）：\n", cfg.Addr)
	failed, accepted, rejected := 0, 0, 0
	for _, f := range rep.Files {
		switch {
		case f.Error != "":
			failed++
			fmt.Fprintf(stdout, "✗ %s：没有载入。%s\n", f.File, f.Error)
		case f.Skipped:
			fmt.Fprintf(stdout, "= %s：这个文件以前已经载入过，没有重复计算\n", f.File)
		default:
			for _, t := range f.Tables {
				fmt.Fprintf(stdout, "✓ %s：%s，载入 %d 行，退回 %d 行\n", f.File, t.Ledger, t.Accepted, t.Rejected)
			}
		}
		accepted += f.Accepted
		rejected += f.Rejected
	}
	fmt.Fprintf(stdout, "合计：%d 个文件，载入 %d 行，退回 %d 行，失败 %d 个\n", len(rep.Files), accepted, rejected, failed)
	if rejectsOut != "" {
		if err := writeRejects(rejectsOut, pushRejects(rep)); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
	}
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}

// pushRejects lists the rejects of a push report as the rejects CSV's rows.
func pushRejects(rep dashboards.PushReport) []rejectRow {
	var out []rejectRow
	for _, pf := range rep.Files {
		if pf.Error != "" {
			out = append(out, rejectRow{pf.File, "", "", "", "", "", pf.Error})
		}
		for _, t := range pf.Tables {
			for _, rj := range t.Rejects {
				out = append(out, rejectRow{pf.File, t.Sheet, fmt.Sprint(rj.Row), "", rj.Column, rj.Value, rj.Reason})
			}
		}
	}
	return out
}
