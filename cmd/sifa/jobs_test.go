package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

const serveHelperEnv = "SIFA_TEST_SERVE_HELPER"

func TestMain(m *testing.M) {
	if cfg := os.Getenv(serveHelperEnv); cfg != "" {
		os.Exit(run([]string{"serve", "--config", cfg}, os.Stdout, os.Stderr))
	}
	code := m.Run()
	whtest.StopShared()
	os.Exit(code)
}

var whtestFreePort = whtest.FreePort

const regCSV = "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n"
const medCSV = "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,石门,邻里,调解成功\n2014-03-06,石门,邻里,调解成功\n"

func countRows(t *testing.T, w *warehouse.Warehouse, table string) int64 {
	t.Helper()
	res, err := w.Query(context.Background(), "SELECT count(*) FROM "+table)
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows[0][0].(int64)
}

func TestInboxJob(t *testing.T) {
	dir := t.TempDir()
	inboxDir := filepath.Join(dir, "inbox")
	os.MkdirAll(inboxDir, 0o755)
	w, err := warehouse.Open(context.Background(), "duckdb:"+filepath.Join(dir, "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	archive := filepath.Join(dir, "archive")
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: archive}, Config: transform.Config{Secret: []byte("k")}}
	var logs bytes.Buffer
	job := &inboxJob{inbox: &ingest.Inbox{Dir: inboxDir, Sleep: func(time.Duration) {}, Now: func() time.Time { return time.Now().Add(time.Hour) }},
		pipeline: p, w: w, log: slog.New(slog.NewTextHandler(&logs, nil)), retries: 1, backoff: time.Millisecond}
	ctx := context.Background()

	// a scan that finds nothing writes nothing
	job.run(ctx)
	if n := countRows(t, w, "jobs") + countRows(t, w, "loads") + countRows(t, w, "scopes"); n != 0 {
		t.Errorf("an empty scan wrote %d rows", n)
	}

	// files arrive, one of them bad; the registry is taken first whatever its name
	os.WriteFile(filepath.Join(inboxDir, "a_调解.csv"), []byte(medCSV), 0o644)
	os.WriteFile(filepath.Join(inboxDir, "z_名录.csv"), []byte(regCSV), 0o644)
	os.WriteFile(filepath.Join(inboxDir, "坏.xlsx"), []byte("not a spreadsheet"), 0o644)
	job.run(ctx)
	done, _ := os.ReadDir(filepath.Join(inboxDir, "done"))
	if len(done) != 2 {
		t.Errorf("done/ holds %d files, want 2", len(done))
	}
	if b, err := os.ReadFile(filepath.Join(inboxDir, "failed", "坏.xlsx.reason.txt")); err != nil || !strings.Contains(string(b), "坏.xlsx") {
		t.Errorf("failed/ reason: %q %v", b, err)
	}
	res, _ := w.Query(ctx, "SELECT files, rows_accepted, files_failed, result FROM jobs")
	if len(res.Rows) != 1 || res.Rows[0][0].(int64) != 3 || res.Rows[0][1].(int64) != 4 || res.Rows[0][2].(int64) != 1 || res.Rows[0][3] != "部分失败" {
		t.Errorf("job history: %v", res.Rows)
	}

	// a passing failure (the archive cannot be written): the file stays and is loaded later, once
	os.WriteFile(filepath.Join(inboxDir, "b_调解.csv"), []byte(strings.Replace(medCSV, "2014-03", "2014-04", -1)), 0o644)
	p.Archive.Dir = "/proc/sifa-no-disk"
	job.run(ctx)
	if _, err := os.Stat(filepath.Join(inboxDir, "b_调解.csv")); err != nil {
		t.Fatalf("the file was not kept after a passing failure: %v", err)
	}
	res, _ = w.Query(ctx, "SELECT result, error FROM jobs WHERE files = 1")
	if len(res.Rows) != 1 || res.Rows[0][0] != "失败" || !strings.Contains(res.Rows[0][1].(string), "留在收件目录") {
		t.Errorf("the run with the passing failure: %v, want 失败", res.Rows)
	}
	p.Archive.Dir = archive
	job.run(ctx)
	job.run(ctx)
	if n := countRows(t, w, "fact_dispute"); n != 4 {
		t.Errorf("fact rows %d, want 4 (two months, no duplicate)", n)
	}
	if _, err := os.Stat(filepath.Join(inboxDir, "done", "b_调解.csv")); err != nil {
		t.Errorf("the retried file is not in done/: %v", err)
	}
	// the 作业 page shows the runs and that the inbox job is not failing now
	srv := httptest.NewServer((&dashboards.Site{Engine: &panels.Engine{Store: w}, Accounts: w}).Handler())
	defer srv.Close()
	resp, err := adminClient(t, srv.URL, w).Get(srv.URL + "/jobs")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	for _, want := range []string{"收件目录扫描", "部分失败", "失败", "留在收件目录", "最近成功"} {
		if !strings.Contains(page, want) {
			t.Errorf("jobs page lacks %q", want)
		}
	}
	if strings.Contains(page, "最近一次运行失败") {
		t.Errorf("the jobs page says the inbox job is failing, but its last run succeeded")
	}
}

// TestServeScansInbox runs `sifa serve --inbox` and drops files into the inbox.
func TestServeScansInbox(t *testing.T) {
	dir := t.TempDir()
	inboxDir := filepath.Join(dir, "inbox")
	os.MkdirAll(inboxDir, 0o755)
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var"))
	t.Setenv("SIFA_INBOX_SCHEDULE", "@every 1s")
	t.Setenv("SIFA_INBOX_SETTLE_SECONDS", "0.2")
	ctx, cancel := context.WithCancel(context.Background())
	saved := serveCtx
	serveCtx = ctx
	t.Cleanup(func() { serveCtx = saved })
	var out, errs bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		run([]string{"serve", "--warehouse", "duckdb:" + filepath.Join(dir, "w.duckdb"), "--addr", "127.0.0.1:0", "--inbox", inboxDir}, &out, &errs)
	}()
	old := time.Now().Add(-time.Minute)
	for name, body := range map[string]string{"名录.csv": regCSV, "调解.csv": medCSV} {
		p := filepath.Join(inboxDir, name)
		os.WriteFile(p, []byte(body), 0o644)
		os.Chtimes(p, old, old)
	}
	// a third file is still being written (a row every 100 ms for 3 s): it must wait
	slow := filepath.Join(inboxDir, "慢慢写.csv")
	os.WriteFile(slow, []byte("受理日期,乡镇,纠纷类型,调解结果\n"), 0o644)
	writing := make(chan struct{})
	go func() {
		defer close(writing)
		for i := 0; i < 30; i++ {
			f, _ := os.OpenFile(slow, os.O_APPEND|os.O_WRONLY, 0)
			fmt.Fprintf(f, "2014-04-%02d,石门,邻里,调解成功\n", 1+i%28)
			f.Close()
			time.Sleep(100 * time.Millisecond)
		}
	}()
	takenEarly := false
	for {
		select {
		case <-writing:
		default:
			if _, err := os.Stat(slow); err != nil {
				takenEarly = true // moved while still being written
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		break
	}
	if takenEarly {
		t.Errorf("a file still being written was taken")
	}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		done, _ := os.ReadDir(filepath.Join(inboxDir, "done"))
		if len(done) == 3 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	done, _ := os.ReadDir(filepath.Join(inboxDir, "done"))
	if len(done) != 3 {
		t.Fatalf("done/ holds %d files after 20 s; stderr: %s", len(done), errs.String())
	}
	w, err := warehouse.Open(context.Background(), "duckdb:"+filepath.Join(dir, "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if n := countRows(t, w, "fact_dispute"); n != 32 {
		t.Errorf("fact rows %d, want 32 (2 + the 30 rows of the file written slowly, complete)", n)
	}
	if n := countRows(t, w, "jobs"); n < 2 {
		t.Errorf("job history has %d runs, want one for the first files and one for the slow file", n)
	}
}

// TestOps: /healthz, /readyz and /metrics over a warehouse with loads and job runs.
func TestOps(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	os.WriteFile(filepath.Join(dir, "reg.csv"), []byte(regCSV), 0o644)
	os.WriteFile(filepath.Join(dir, "med.csv"), []byte(medCSV+"2014-02-30,石门,邻里,调解成功\n"), 0o644)
	p.Run(context.Background(), []string{filepath.Join(dir, "reg.csv"), filepath.Join(dir, "med.csv")})
	now := time.Now()
	w.RecordJob(context.Background(), warehouse.JobRun{RunID: "r1", Job: "inbox", Started: now.Add(-3 * time.Second), Ended: now, Files: 2, Result: "成功"})
	m := newRequestMetrics()
	mux := http.NewServeMux()
	opsHandlers(mux, w, m)
	srv := httptest.NewServer(m.wrap(mux))
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b)
	}
	if c, _ := get("/healthz"); c != 200 {
		t.Errorf("healthz %d", c)
	}
	if c, _ := get("/readyz"); c != 200 {
		t.Errorf("readyz %d", c)
	}
	_, body := get("/metrics")
	for _, want := range []string{"sifa_warehouse_up 1", "sifa_files_ingested_total 2", "sifa_rows_accepted_total 4", "sifa_rows_rejected_total 1",
		`sifa_job_runs_total{job="inbox",result="成功"} 1`, `sifa_job_duration_seconds_count{job="inbox"} 1`,
		`sifa_http_requests_total{group="ops",code="200"} 2`, `sifa_http_request_duration_seconds_count{group="ops"} 2`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	w.Close()
	if c, body := get("/readyz"); c != 503 || !strings.Contains(body, "仓库连不上") {
		t.Errorf("readyz with the warehouse closed: %d %s", c, body)
	}
}

// TestIngestHandsOffToServe: sifa ingest against the DuckDB file a running
// sifa serve holds gives the files to that server instead of failing.
func TestIngestHandsOffToServe(t *testing.T) {
	dir := t.TempDir()
	port, _ := whtestFreePort()
	cfgPath := filepath.Join(dir, "sifa.toml")
	os.WriteFile(cfgPath, []byte(fmt.Sprintf("warehouse = %q\ndata_dir = %q\naddr = \"127.0.0.1:%d\"\n[push_tokens]\nlocal = \"hand-off-token\"\n",
		"duckdb:"+filepath.Join(dir, "w.duckdb"), filepath.Join(dir, "var"), port)), 0o644)
	// DuckDB's lock keeps out other processes only: serve runs in its own
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveHelperEnv+"="+cfgPath)
	var serveErr bytes.Buffer
	cmd.Stderr = &serveErr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() }()
	for i := 0; i < 150; i++ {
		if resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", port)); err == nil {
			resp.Body.Close()
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	os.WriteFile(filepath.Join(dir, "名录.csv"), []byte(regCSV), 0o644)
	os.WriteFile(filepath.Join(dir, "调解.csv"), []byte(medCSV+"2014-02-30,石门,邻里,调解成功\n"), 0o644)
	rejects := filepath.Join(dir, "rejects.csv")
	var o2, e2 bytes.Buffer
	code := run([]string{"ingest", "--config", cfgPath, "--rejects", rejects, filepath.Join(dir, "调解.csv"), filepath.Join(dir, "名录.csv")}, &o2, &e2)
	if code != 0 || !strings.Contains(o2.String(), "交给它载入") || !strings.Contains(o2.String(), "载入 4 行，退回 1 行") {
		t.Fatalf("hand-off: exit %d\n%s\n%s", code, o2.String(), e2.String())
	}
	// the hand-off's rejects CSV is the local one: the column letter included
	if b, _ := os.ReadFile(rejects); !strings.Contains(string(b), ",A,受理日期,2014-02-30,") {
		t.Errorf("rejects CSV of the hand-off: %q", b)
	}
	resp, err := firstAdmin(t, fmt.Sprintf("http://127.0.0.1:%d", port)).Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/panels/disputes.summary", port))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `"received":2`) {
		t.Errorf("the server did not load the files: %s", b)
	}
	// an online backup while the server holds the warehouse
	var o3, e3 bytes.Buffer
	if code := run([]string{"backup", "--config", cfgPath, "--out", filepath.Join(dir, "bk")}, &o3, &e3); code != 0 || !strings.Contains(o3.String(), "在线备份") {
		t.Fatalf("online backup: %d %s %s", code, o3.String(), e3.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "bk", "sifa-*", "sifa.duckdb"))
	if len(files) != 1 {
		t.Fatalf("backup file: %v", files)
	}
	bw, err := warehouse.Open(context.Background(), "duckdb:"+files[0])
	if err != nil {
		t.Fatal(err)
	}
	defer bw.Close()
	if n := countRows(t, bw, "fact_dispute"); n != 2 {
		t.Errorf("the backup holds %d dispute rows, want 2", n)
	}
}

// TestInboxJobSurvivesClickHouseOutage stops ClickHouse in the middle of a
// scheduled load: the run fails and retries, and once the server is back
// everything is loaded exactly once and no file is lost.
func TestInboxJobSurvivesClickHouseOutage(t *testing.T) {
	ch := whtest.Own(t)
	dir := t.TempDir()
	inboxDir := filepath.Join(dir, "inbox")
	os.MkdirAll(inboxDir, 0o755)
	ctx := context.Background()
	w, err := warehouse.Open(ctx, ch.DSN("outage"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(dir, "archive")}, Config: transform.Config{Secret: []byte("k")}, BatchRows: 100}
	os.WriteFile(filepath.Join(dir, "reg.csv"), []byte(regCSV+"990121101,营盘镇,乡镇(街道),990121\n"), 0o644)
	if reps, err := p.Run(ctx, []string{filepath.Join(dir, "reg.csv")}); err != nil || reps[0].Err != nil {
		t.Fatal(err, reps)
	}
	var b strings.Builder
	b.WriteString("受理日期,乡镇,纠纷类型,调解结果\n")
	for i := 0; i < 450; i++ {
		town := "石门"
		if i%3 == 0 {
			town = "营盘"
		}
		b.WriteString("2014-05-" + fmt.Sprintf("%02d", 1+i%28) + "," + town + ",邻里,调解成功\n")
	}
	for _, name := range []string{"一月.csv", "二月.csv"} {
		os.WriteFile(filepath.Join(inboxDir, name), []byte(strings.ReplaceAll(b.String(), "2014-05", map[string]string{"一月.csv": "2014-01", "二月.csv": "2014-02"}[name])), 0o644)
	}
	var once sync.Once
	restarted := make(chan struct{})
	p.AfterAppend = func(n int) {
		if n == 2 { // half way through the first file: the server goes away, and comes back 3 s later
			once.Do(func() {
				ch.Stop()
				go func() {
					time.Sleep(3 * time.Second)
					if err := ch.Restart(); err != nil {
						t.Error(err)
					}
					close(restarted)
				}()
			})
		}
	}
	var logs bytes.Buffer
	job := &inboxJob{inbox: &ingest.Inbox{Dir: inboxDir, Sleep: func(time.Duration) {}, Now: func() time.Time { return time.Now().Add(time.Hour) }},
		pipeline: p, w: w, log: slog.New(slog.NewTextHandler(&logs, nil)), retries: 6, backoff: 500 * time.Millisecond}
	job.run(ctx)
	<-restarted
	if !strings.Contains(logs.String(), "retried") {
		t.Errorf("the outage caused no retry:\n%s", logs.String())
	}
	res, err := w.Query(ctx, "SELECT period, count(*) FROM fact_dispute WHERE "+w.Visible()+" GROUP BY period ORDER BY period")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(res.Rows) != "[[2014-01 450] [2014-02 450]]" {
		t.Errorf("after the outage: %v, want 450 rows in each month, once", res.Rows)
	}
	done, _ := os.ReadDir(filepath.Join(inboxDir, "done"))
	failed, _ := os.ReadDir(filepath.Join(inboxDir, "failed"))
	if len(done) != 2 || len(failed) != 0 {
		t.Errorf("done %d failed %d, want 2 and 0", len(done), len(failed))
	}
	hist, _ := w.Query(ctx, "SELECT result FROM jobs")
	if len(hist.Rows) != 1 || hist.Rows[0][0] != "成功" {
		t.Errorf("job history %v, want one run that ended 成功 after its retries", hist.Rows)
	}
}

func TestSubmissionCheckJob(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	os.WriteFile(filepath.Join(dir, "reg.csv"), []byte(regCSV+"990121101,营盘镇,乡镇(街道),990121\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "med.csv"), []byte("受理日期,乡镇,纠纷类型,调解结果\n2026-10-05,石门,邻里,调解成功\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "con.csv"), []byte("日期,乡镇,咨询方式,人次\n2026-10-05,石门,来访,3\n"), 0o644)
	p.Run(context.Background(), []string{filepath.Join(dir, "reg.csv"), filepath.Join(dir, "med.csv"), filepath.Join(dir, "con.csv")})
	e := &panels.Engine{Store: w, SubmissionDay: 5, Now: func() time.Time { return time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC) }}
	submissionCheck(context.Background(), e, w, slog.New(slog.NewTextHandler(io.Discard, nil)))
	res, _ := w.Query(context.Background(), "SELECT job, files, files_failed, error FROM jobs")
	if len(res.Rows) != 1 || res.Rows[0][1].(int64) != 2 || res.Rows[0][2].(int64) != 1 ||
		res.Rows[0][3] != "2026年10月：营盘镇缺人民调解台账、法律咨询台账" {
		t.Errorf("submission check history: %v", res.Rows)
	}
}

// TestArchiveDiskFull: with the archive's disk full, the file gets a clear
// error, nothing half-written stays in the archive, nothing is loaded, and
// the inbox keeps the file for a later try.
func TestArchiveDiskFull(t *testing.T) {
	dir := t.TempDir()
	full := filepath.Join(dir, "full")
	os.MkdirAll(full, 0o755)
	if err := syscall.Mount("tmpfs", full, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v): the disk-full test needs root", err)
	}
	defer syscall.Unmount(full, 0)
	for _, dsn := range []string{"duckdb:" + filepath.Join(dir, "w.duckdb"), whtest.ClickHouse(t)} {
		inboxDir := filepath.Join(dir, "inbox"+fmt.Sprint(len(dsn)))
		os.MkdirAll(inboxDir, 0o755)
		w, err := warehouse.Open(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(full, "archive")}, Config: transform.Config{Secret: []byte("k")}}
		var b strings.Builder
		b.WriteString("受理日期,乡镇,纠纷类型,调解结果\n")
		for b.Len() < 200<<10 {
			b.WriteString("2014-03-05,石门,邻里,调解成功\n")
		}
		big := filepath.Join(inboxDir, "大台账.csv")
		os.WriteFile(big, []byte(b.String()), 0o644)
		reps, err := p.Run(context.Background(), []string{big})
		if err != nil {
			t.Fatal(err)
		}
		if reps[0].Err == nil || !reps[0].Transient || !strings.Contains(reps[0].Err.Error(), "大台账.csv") || !strings.Contains(reps[0].Err.Error(), "磁盘可能已满") {
			t.Fatalf("disk full: %v (transient %v)", reps[0].Err, reps[0].Transient)
		}
		var left []string
		filepath.WalkDir(full, func(path string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, path)
			}
			return nil
		})
		if len(left) != 0 {
			t.Errorf("half-written files left in the archive: %v", left)
		}
		if n := countRows(t, w, "loads") + countRows(t, w, "fact_dispute"); n != 0 {
			t.Errorf("%d rows loaded from a file that could not be archived", n)
		}
		job := &inboxJob{inbox: &ingest.Inbox{Dir: inboxDir, Sleep: func(time.Duration) {}, Now: func() time.Time { return time.Now().Add(time.Hour) }},
			pipeline: p, w: w, log: slog.New(slog.NewTextHandler(io.Discard, nil)), retries: 1, backoff: time.Millisecond}
		job.run(context.Background())
		if _, err := os.Stat(big); err != nil {
			t.Errorf("the inbox did not keep the file: %v", err)
		}
		w.Close()
	}
}
