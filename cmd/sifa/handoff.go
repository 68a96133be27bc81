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
	var rep load.PushReport
	if err := json.Unmarshal(raw, &rep); err != nil {
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "仓库正被 sifa serve 使用，文件已交给它载入（%s）：\n", cfg.Addr)
	// the server's answer is the same report a local load makes: printed
	// and listed by the same code
	reports := rep.FileReports()
	failed := printReports(stdout, reports)
	if rejectsOut != "" {
		if err := writeRejects(rejectsOut, load.RejectRows(reports)); err != nil {
			fmt.Fprintln(stderr, err)
			return exitFailure
		}
	}
	if failed > 0 {
		return exitFailure
	}
	return exitOK
}
