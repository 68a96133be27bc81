package warehouse_test

import (
	"bufio"
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sifa/ingest"
	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/whtest"
)

const killHelperEnv = "SIFA_TEST_KILL_HELPER"

func TestMain(m *testing.M) {
	if spec := os.Getenv(killHelperEnv); spec != "" {
		os.Exit(killHelper(spec))
	}
	code := m.Run()
	whtest.StopShared()
	for _, s := range clusterSrv { // started by the ingest benchmark
		s.Stop()
		os.RemoveAll(s.Dir)
	}
	if benchF.dir != "" { // the ingest benchmark's files (36 MB, and the .xls)
		os.RemoveAll(benchF.dir)
	}
	os.Exit(code)
}

// withCluster adds a two-shard ClickHouse cluster to the engines.
func withCluster(t *testing.T) map[string]string {
	m := engines(t)
	m["cluster"], _ = whtest.Cluster(t)
	return m
}

// engines returns a fresh warehouse DSN per engine: ClickHouse loading over
// its HTTP port, and loading through the native protocol only.
func engines(t *testing.T) map[string]string {
	dsn := whtest.ClickHouse(t)
	native, _, _ := strings.Cut(whtest.ClickHouse(t), "?")
	return map[string]string{
		"duckdb":            "duckdb:" + filepath.Join(t.TempDir(), "w.duckdb"),
		"clickhouse":        dsn,
		"clickhouse-native": native,
	}
}

func open(t *testing.T, dsn string) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func pipeline(w *warehouse.Warehouse, archive string) *load.Pipeline {
	return &load.Pipeline{W: w, Archive: ingest.Archive{Dir: archive}, Config: transform.Config{Secret: []byte("k")}}
}

func run(t *testing.T, p *load.Pipeline, paths ...string) []load.FileReport {
	t.Helper()
	reps, err := p.Run(context.Background(), paths)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Err != nil {
			t.Fatalf("%s: %v", r.File, r.Err)
		}
	}
	return reps
}

// withRegistry opens a warehouse in a temp folder (closed when the test
// ends), a pipeline archiving under it, and loads the registry.
func withRegistry(t *testing.T, dsn string) (string, *warehouse.Warehouse, *load.Pipeline) {
	t.Helper()
	dir := t.TempDir()
	w := open(t, dsn)
	t.Cleanup(func() { w.Close() })
	p := pipeline(w, filepath.Join(dir, "archive"))
	run(t, p, write(t, dir, "reg.csv", registryCSV))
	return dir, w, p
}

func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const registryCSV = `区划代码,单位名称,层级,上级区划代码
990121,青山县,县,
990121100,石门镇,乡镇(街道),990121
990121101,营盘镇,乡镇(街道),990121
990121100201,石门村,村(社区),990121100
`

// disputesFile writes n disputes per (township, month).
func disputesFile(t *testing.T, dir, name string, n int, scopes ...[2]string) string {
	var b strings.Builder
	b.WriteString("受理日期,乡镇,纠纷类型,调解结果\n")
	for _, s := range scopes {
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, "%s-%02d,%s,邻里,调解成功\n", s[1], 1+i%28, s[0])
		}
	}
	return write(t, dir, name, b.String())
}

// counts is the visible fact rows per (town, month).
func counts(t *testing.T, w *warehouse.Warehouse) map[string]int64 {
	t.Helper()
	return countsWhere(t, w, w.Visible())
}

// countsWhere is the fact rows per (town, month) where a visibility condition holds.
func countsWhere(t *testing.T, w *warehouse.Warehouse, visible string) map[string]int64 {
	t.Helper()
	res, err := w.Query(context.Background(), "SELECT town_name, period, count(*) FROM fact_dispute WHERE "+visible+" GROUP BY town_name, period")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, r := range res.Rows {
		out[r[0].(string)+" "+r[1].(string)] = r[2].(int64)
	}
	return out
}

func render(m map[string]int64) string {
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, " ")
}

func TestResentAndCorrectedFiles(t *testing.T) {
	for engine, dsn := range withCluster(t) {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			w := open(t, dsn)
			defer w.Close()
			p := pipeline(w, filepath.Join(dir, "archive"))
			reg := write(t, dir, "zz_机构名录.csv", registryCSV)
			first := disputesFile(t, dir, "a_march_april.csv", 5, [2]string{"石门", "2014-03"}, [2]string{"石门", "2014-04"}, [2]string{"营盘", "2014-03"})
			// given in the wrong order: the registry is still loaded first
			run(t, p, first, reg)
			want := "石门镇 2014-03=5 石门镇 2014-04=5 营盘镇 2014-03=5"
			if got := render(counts(t, w)); got != want {
				t.Fatalf("after the first load: %s, want %s", got, want)
			}
			// the same bytes again: skipped, nothing changes
			reps := run(t, p, first)
			if !reps[0].Skipped {
				t.Errorf("a re-sent file was not recognised")
			}
			// forced again: it replaces itself, no double count
			p.Force = true
			run(t, p, first)
			p.Force = false
			if got := render(counts(t, w)); got != want {
				t.Errorf("after loading the same file twice: %s, want %s", got, want)
			}
			// the same rows under another name (another SHA-256): still no double count
			b, _ := os.ReadFile(first)
			run(t, p, write(t, dir, "copy.csv", string(b)+"\n"))
			if got := render(counts(t, w)); got != want {
				t.Errorf("after a renamed copy: %s, want %s", got, want)
			}
			// a corrected file for 石门 March replaces only 石门 March, and its
			// report says so: the five rows the renamed copy had made current
			reps = run(t, p, disputesFile(t, dir, "b_correction.csv", 2, [2]string{"石门镇司法所", "2014-03"}))
			var replaced []string
			for _, tr := range reps[0].Tables {
				for _, r := range tr.Replaces {
					replaced = append(replaced, fmt.Sprintf("%s %s %d→%d %s", r.OrgName, r.Period, r.OldRows, r.Rows, r.OldFile))
				}
			}
			if got := strings.Join(replaced, "; "); got != "石门镇 2014-03 5→2 copy.csv" {
				t.Errorf("the correction's report of what it replaced: %q", got)
			}
			want = "石门镇 2014-03=2 石门镇 2014-04=5 营盘镇 2014-03=5"
			if got := render(counts(t, w)); got != want {
				t.Errorf("after the correction: %s, want %s", got, want)
			}
			// the visibility of one ledger within an org agrees with the whole one
			d := w.Dialect()
			for org, want := range map[string]string{"": want, "990121": want, "990121100": "石门镇 2014-03=2 石门镇 2014-04=5",
				"990121101": "营盘镇 2014-03=5", "990122": ""} {
				if got := render(countsWhere(t, w, d.VisibleOf("fact_dispute", org, "", ""))); got != want {
					t.Errorf("VisibleOf(fact_dispute, %q): %s, want %s", org, got, want)
				}
			}
			if got := render(countsWhere(t, w, d.VisibleOf("fact_dispute", "990121", "2014-04", "2014-04"))); got != "石门镇 2014-04=5" {
				t.Errorf("VisibleOf(fact_dispute, 990121, 2014-04…2014-04): %s", got)
			}
			if got := render(countsWhere(t, w, d.VisibleOf("fact_dispute", "", "", "2014-03"))); got != "石门镇 2014-03=2 营盘镇 2014-03=5" {
				t.Errorf("VisibleOf(fact_dispute, …2014-03): %s", got)
			}
			if got := render(countsWhere(t, w, d.VisibleOf("fact_legal_aid", "", "", ""))); got != "" {
				t.Errorf("another ledger's scopes made disputes visible: %s", got)
			}
			if got := render(countsWhere(t, w, d.VisibleScopes([]string{"mediation|990121100|2014-03"}))); got != "石门镇 2014-03=2" {
				t.Errorf("VisibleScopes: %s", got)
			}
			// loads and rejects record what happened
			res, err := w.Query(context.Background(), "SELECT count(*), sum(rows_accepted) FROM loads WHERE ledger = 'mediation'")
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows[0][0].(int64) != 4 || res.Rows[0][1].(int64) != 15+15+15+2 {
				t.Errorf("loads: %v", res.Rows)
			}
		})
	}
}

// TestCommitReplacesWhatItRead: a commit marks replaced the keys current in
// its scopes whether the load read them before (Present, as the pipeline
// does for its report) or not, each key once, however many of the load's
// sheets read the same scope.
func TestCommitReplacesWhatItRead(t *testing.T) {
	const (
		shimenMar  = "990121100|2014-03"
		shimenApr  = "990121100|2014-04"
		yingpanMar = "990121101|2014-03"
	)
	cases := []struct {
		name string
		read [][]string // the scopes of each Present handed to the commit
	}{
		{"none read", nil},
		{"one of three read", [][]string{{shimenMar}}},
		{"all read", [][]string{{shimenMar, shimenApr, yingpanMar}}},
		{"read by two sheets", [][]string{{shimenMar, shimenApr}, {shimenApr, yingpanMar}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for engine, dsn := range engines(t) { // a fresh warehouse each
				t.Run(engine, func(t *testing.T) {
					ctx := context.Background()
					dir, w, p := withRegistry(t, dsn)
					run(t, p, disputesFile(t, dir, "a.csv", 3, [2]string{"石门", "2014-03"}, [2]string{"石门", "2014-04"}, [2]string{"营盘", "2014-03"}))
					if got := render(counts(t, w)); got != "石门镇 2014-03=3 石门镇 2014-04=3 营盘镇 2014-03=3" {
						t.Fatalf("before: %s", got)
					}
					var present []*warehouse.Present
					for _, scopes := range c.read {
						pr, err := w.Present(ctx, ledger.FactFor(ledger.Mediation.ID), scopes)
						if err != nil {
							t.Fatal(err)
						}
						if n := len(pr.Loads()); n != len(scopes) {
							t.Fatalf("Present(%v) found %d current loads, want %d", scopes, n, len(scopes))
						}
						present = append(present, pr)
					}
					// a load that wrote no row in the three scopes (a 零上报 of each)
					scopes := []string{"mediation|" + shimenMar, "mediation|" + shimenApr, "mediation|" + yingpanMar}
					err := w.Commit(ctx, "Z", scopes, []warehouse.Load{{LoadID: "Z", File: "z", Sheet: warehouse.ZeroReportSheet, SHA256: "z", Ledger: "mediation",
						At: time.Now()}}, present...)
					if err != nil {
						t.Fatal(err)
					}
					if got := render(counts(t, w)); got != "" {
						t.Errorf("after the commit the first load still counts: %s", got)
					}
					res, err := w.Query(ctx, "SELECT count(*), count(DISTINCT scope_key) FROM scopes WHERE superseded = 1")
					if err != nil {
						t.Fatal(err)
					}
					if n, keys := toInt(res.Rows[0][0]), toInt(res.Rows[0][1]); n != 3 || keys != 3 {
						t.Errorf("the replaced keys were marked %d times (%d keys), want 3 (3)", n, keys)
					}
				})
			}
		})
	}
}

func TestRejectsAreStoredMasked(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir, w, p := withRegistry(t, dsn)
			reps := run(t, p, write(t, dir, "roster.csv", "统计时点：2014年12月31日\n姓名,身份证号,单位,在岗状态\n张三,990121196504120139,石门镇司法所,在岗\n李四,6.10322E+17,石门镇司法所,在岗\n"))
			if reps[0].Rejected() != 2 {
				t.Fatalf("rejected %d: %v", reps[0].Rejected(), reps[0].Tables)
			}
			res, err := w.Query(context.Background(), "SELECT file, src_row, column_name, cell_value, reason FROM rejects ORDER BY src_row")
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Rows) < 2 {
				t.Fatalf("rejects: %v", res.Rows)
			}
			for _, r := range res.Rows {
				if r[0] != "roster.csv" || r[2] != "身份证号" || strings.Contains(r[3].(string), "19650412") {
					t.Errorf("reject row %v", r)
				}
			}
			all, _ := w.Query(context.Background(), "SELECT * FROM rejects")
			if strings.Contains(fmt.Sprint(all.Rows), "张三") || strings.Contains(fmt.Sprint(all.Rows), "李四") {
				t.Errorf("a name reached the rejects table")
			}
		})
	}
}

// TestTemplatesIngestCleanly fills every template with a valid row and ingests them.
func TestTemplatesIngestCleanly(t *testing.T) {
	dir := t.TempDir()
	files, err := ingest.WriteTemplates(filepath.Join(dir, "t"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(ledger.Ledgers) {
		t.Fatalf("%d templates", len(files))
	}
	rows := map[string][][]any{
		"registry":     {{"990121", "青山县", "县", "", "青山"}, {"990121100", "石门镇", "乡镇(街道)", "990121", "石门"}, {"990121100201", "石门村", "村(社区)", "990121100", ""}},
		"mediation":    {{"1", "2014-03-05", "石门镇", "石门村", "村居调委会", "邻里", 2, 1000, "调解成功", "2014-03-08", "书面", "无", 0, "否", "王调解"}},
		"legal_aid":    {{"1", "2014-03-05", "石门镇", "民事", "农民工", "给予援助", "2014-03-06", "律师甲", "2014-05-01", 20000, 800}},
		"consultation": {{"2014-03-05", "石门镇", "来访", "邻里", 3, "无"}},
		"corrections":  {{"2014-12-31", "1", "", "男", "1970-05-01", "石门镇", "缓刑", "2014-01-01", "2015-01-01", "普管", "在矫", "否", "否", 6, 12, 40}},
		"resettlement": {{"2014-12-31", "1", "", "男", "1970-05-01", "石门镇", "2014-02-01", "刑满释放", "必接必送", "务农", "是", "否"}},
		"publicity":    {{"2014-03-05", "石门镇", "石门村", "讲座", "宪法宣传", 120, 300}},
		"roster":       {{"2014-12-31", "张三", "", "男", "1970-05-01", "石门镇司法所", "所长", "公务员", "中央政法专项编制", "大学本科", "法律", "是", "是", "副科级", "1992-07-01", "在岗", "综治、信访"}},
		"budget":       {{2014, "青山县司法局", "人民调解经费", "", 50000, 45000, 60000, ""}},
		"site":         {{"2014-12-31", "石门镇司法行政服务站", "乡镇司法行政服务站", "石门镇", "", "石门镇司法所", "2013-05-01", "2014-06-01", "是", "是", "是", "是", "是", "是", "是", "是", "是", "是", "是"}},
	}
	for i, l := range ledger.Ledgers {
		f, err := excelize.OpenFile(files[i])
		if err != nil {
			t.Fatal(err)
		}
		for k, r := range rows[l.ID] {
			if len(r) != len(l.Columns) {
				t.Fatalf("%s fixture has %d cells for %d columns", l.ID, len(r), len(l.Columns))
			}
			f.SetSheetRow("台账", fmt.Sprintf("A%d", k+2), &r)
		}
		if err := f.Save(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	w := open(t, "duckdb:"+filepath.Join(dir, "w.duckdb"))
	defer w.Close()
	reps := run(t, pipeline(w, filepath.Join(dir, "archive")), filepath.Join(dir, "t"))
	for _, r := range reps {
		if len(r.Tables) != 1 {
			t.Errorf("%s: %d ledger tables (the instructions and lists sheets must be passed over)", r.File, len(r.Tables))
			continue
		}
		tb := r.Tables[0]
		if tb.Rejected != 0 || tb.Accepted != len(rows[tb.Ledger]) {
			t.Errorf("%s: accepted %d rejected %d %v", filepath.Base(r.File), tb.Accepted, tb.Rejected, tb.Rejects)
		}
	}
}

// killHelper runs in a child process: it ingests a file and stops dead
// (waiting to be killed) at the given point of the load.
func killHelper(spec string) int {
	parts := strings.SplitN(spec, "|", 4) // dsn|archive|point|file
	ctx := context.Background()
	w, err := warehouse.Open(ctx, parts[0])
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	p := pipeline(w, parts[1])
	p.BatchRows = 500
	var point int
	fmt.Sscan(parts[2], &point)
	p.AfterAppend = func(n int) {
		if n == point && point != 0 {
			fmt.Println("ready")
			time.Sleep(time.Minute)
		}
	}
	p.Run(ctx, []string{parts[3]})
	fmt.Println("finished")
	return 0
}

// TestSIGKILLMidLoad kills a load with SIGKILL at several points; after each
// kill nothing of the file is visible, and the next run loads it completely.
func TestSIGKILLMidLoad(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			archive := filepath.Join(dir, "archive")
			w := open(t, dsn)
			run(t, pipeline(w, archive), write(t, dir, "reg.csv", registryCSV))
			w.Close() // DuckDB: one process holds the file at a time
			file := disputesFile(t, dir, "big.csv", 400, [2]string{"石门", "2014-03"}, [2]string{"营盘", "2014-03"}, [2]string{"石门", "2014-04"})
			want := "石门镇 2014-03=400 石门镇 2014-04=400 营盘镇 2014-03=400"
			// 20 kills: ten at a batch or the commit (the helper stops there), ten after a
			// random delay while it works; the seed is logged so a failure can be replayed
			seed := time.Now().UnixNano()
			rng := mathrand.New(mathrand.NewPCG(uint64(seed), 7))
			t.Logf("seed %d", seed)
			loaded := false
			for k := 0; k < 20; k++ {
				point := []int{1, 2, 3, -1}[rng.IntN(4)]
				delay := time.Duration(0)
				if k%2 == 1 {
					point, delay = 0, time.Duration(rng.IntN(400))*time.Millisecond
				}
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				cmd.Env = append(os.Environ(), killHelperEnv+"="+dsn+"|"+archive+"|"+fmt.Sprint(point)+"|"+file)
				out, _ := cmd.StdoutPipe()
				cmd.Stderr = os.Stderr
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				if point != 0 {
					line, _ := bufio.NewReader(out).ReadString('\n')
					if strings.TrimSpace(line) != "ready" {
						cmd.Process.Kill()
						cmd.Wait()
						if loaded && strings.TrimSpace(line) == "finished" {
							continue // the file was loaded by an earlier run: nothing to stop in
						}
						t.Fatalf("helper said %q", line)
					}
				} else {
					time.Sleep(delay)
				}
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				w := open(t, dsn)
				got := render(counts(t, w))
				switch {
				case got == want:
					loaded = true // the load had committed before the kill
				case got == "" && !loaded:
				default:
					t.Errorf("after SIGKILL %d (point %d, delay %v): visible rows %q: half a file, or a file lost", k, point, delay, got)
				}
				raw, _ := w.Query(context.Background(), "SELECT count(*) FROM fact_dispute")
				if point == -1 && !loaded && raw.Rows[0][0].(int64) == 0 {
					t.Errorf("after SIGKILL before the commit: no rows were written; the test proves nothing")
				}
				w.Close()
			}
			// the next run completes it, and equals a clean single ingest
			w = open(t, dsn)
			defer w.Close()
			reps := run(t, pipeline(w, archive), file)
			if reps[0].Skipped != loaded {
				t.Errorf("skipped = %v, but loaded before = %v", reps[0].Skipped, loaded)
			}
			if got := render(counts(t, w)); got != want {
				t.Errorf("after the rerun: %s, want %s", got, want)
			}
		})
	}
}

// TestMigrationFromV1 takes a warehouse back to schema 1 (no
// current_scopes) and reopens it: the upgrade rebuilds what is current
// from scopes, and the answers are unchanged.
func TestMigrationFromV1(t *testing.T) {
	dir := t.TempDir()
	dsn := "duckdb:" + filepath.Join(dir, "w.duckdb")
	w := open(t, dsn)
	p := pipeline(w, filepath.Join(dir, "archive"))
	run(t, p, write(t, dir, "reg.csv", registryCSV))
	run(t, p, disputesFile(t, dir, "a.csv", 3, [2]string{"石门", "2014-03"}, [2]string{"营盘", "2014-03"}))
	run(t, p, disputesFile(t, dir, "b.csv", 1, [2]string{"石门", "2014-03"}))
	before := render(counts(t, w))
	ctx := context.Background()
	for _, q := range []string{"DROP TABLE current_scopes", "DROP TABLE jobs", "DELETE FROM schema_version WHERE version >= 2"} {
		if err := w.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	w = open(t, dsn)
	defer w.Close()
	if after := render(counts(t, w)); after != before || before != "石门镇 2014-03=1 营盘镇 2014-03=3" {
		t.Errorf("after the upgrade: %s, before: %s", after, before)
	}
	res, _ := w.Query(ctx, "SELECT max(version) FROM schema_version")
	if res.Rows[0][0].(int64) != warehouse.SchemaVersion {
		t.Errorf("schema version %v", res.Rows[0][0])
	}
}

// TestSweep: after a correction, sweeping removes the replaced rows and
// nothing any panel counts.
func TestSweep(t *testing.T) {
	for engine, dsn := range withCluster(t) {
		t.Run(engine, func(t *testing.T) {
			dir, w, p := withRegistry(t, dsn)
			run(t, p, disputesFile(t, dir, "a.csv", 5, [2]string{"石门", "2014-03"}, [2]string{"营盘", "2014-03"}))
			run(t, p, disputesFile(t, dir, "b.csv", 2, [2]string{"石门", "2014-03"}))
			want := "石门镇 2014-03=2 营盘镇 2014-03=5"
			ctx := context.Background()
			n, err := w.Sweep(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 5 {
				t.Errorf("swept %d rows, want the 5 replaced ones", n)
			}
			deadline := time.Now().Add(30 * time.Second) // ClickHouse deletes in the background
			for {
				res, _ := w.Query(ctx, "SELECT count(*) FROM fact_dispute")
				if res.Rows[0][0].(int64) == 7 || time.Now().After(deadline) {
					if got := res.Rows[0][0].(int64); got != 7 {
						t.Errorf("rows left %d, want 7", got)
					}
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			if got := render(counts(t, w)); got != want {
				t.Errorf("after the sweep: %s, want %s", got, want)
			}
			if n, _ := w.Sweep(ctx); n != 0 && engine == "duckdb" {
				t.Errorf("a second sweep removed %d rows", n)
			}
		})
	}
}

// downgrade runs the statements that take a warehouse back (tables and
// columns as they were), sets its schema_version back to v, and reopens it:
// the reopened warehouse has migrated, as a real older one would.
func downgrade(t *testing.T, w *warehouse.Warehouse, engine, dsn string, v int, back ...string) *warehouse.Warehouse {
	t.Helper()
	version := []string{"DROP TABLE schema_version", "CREATE TABLE schema_version (version Int64, applied_at DateTime) ENGINE = MergeTree() ORDER BY version",
		fmt.Sprintf("INSERT INTO schema_version SELECT number + 1, now() FROM system.numbers LIMIT %d", v)}
	if engine == "duckdb" {
		version = []string{"DROP TABLE schema_version", "CREATE TABLE schema_version (version BIGINT NOT NULL, applied_at TIMESTAMP NOT NULL)",
			fmt.Sprintf("INSERT INTO schema_version SELECT range + 1, now() FROM range(%d)", v)}
	}
	for _, q := range append(back, version...) {
		if err := w.Exec(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	w.Close()
	w = open(t, dsn)
	t.Cleanup(func() { w.Close() })
	return w
}

// rowsOf is a query's rows, printed.
func rowsOf(t *testing.T, w *warehouse.Warehouse, q string) string {
	t.Helper()
	res, err := w.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(res.Rows)
}

// scopesOf is the DDL that makes scopes again, on ClickHouse, with its
// first n columns (their rows kept) sorted by orderBy: a warehouse of an
// earlier schema.
func scopesOf(n int, orderBy string) []string {
	var cols []string
	for _, c := range warehouse.Scopes.Columns[:n] {
		cols = append(cols, c.Name)
	}
	return []string{"CREATE TABLE scopes_old ENGINE = MergeTree() ORDER BY " + orderBy + " AS SELECT " + strings.Join(cols, ", ") + " FROM scopes",
		"DROP TABLE scopes", "RENAME TABLE scopes_old TO scopes"}
}

// TestMigrationToV4 takes a warehouse back to schema 3 (mediators by name,
// no accounts, no audit log) and reopens it on each engine: the names are
// gone, the tables are there, the answers are unchanged and loads go on.
func TestMigrationToV4(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			w := open(t, dsn)
			p := pipeline(w, filepath.Join(dir, "archive"))
			run(t, p, write(t, dir, "reg.csv", registryCSV))
			run(t, p, disputesFile(t, dir, "a.csv", 3, [2]string{"石门", "2014-03"}))
			before := render(counts(t, w))
			ctx := context.Background()
			str := "String DEFAULT '王刚'"
			if engine == "duckdb" {
				str = "VARCHAR DEFAULT '王刚'"
			}
			w = downgrade(t, w, engine, dsn, 3, "DROP TABLE accounts", "DROP TABLE audit", "ALTER TABLE fact_dispute DROP COLUMN mediator_key",
				"ALTER TABLE fact_dispute ADD COLUMN mediator "+str)
			names, err := w.Columns(ctx, "fact_dispute")
			if err != nil {
				t.Fatal(err)
			}
			cols := strings.Join(names, ",")
			if strings.Contains(cols, "mediator,") || strings.HasSuffix(cols, ",mediator") || !strings.HasSuffix(cols, ",mediator_key") {
				t.Errorf("columns after the upgrade: %s", cols)
			}
			if _, err := w.Accounts(ctx); err != nil {
				t.Errorf("accounts after the upgrade: %v", err)
			}
			if err := w.RecordAudit(ctx, warehouse.AuditEvent{Action: "login"}); err != nil {
				t.Errorf("audit after the upgrade: %v", err)
			}
			if after := render(counts(t, w)); after != before {
				t.Errorf("after the upgrade: %s, before: %s", after, before)
			}
			run(t, pipeline(w, filepath.Join(dir, "archive")), disputesFile(t, dir, "b.csv", 2, [2]string{"营盘", "2014-03"}))
			if got := render(counts(t, w)); got != "石门镇 2014-03=3 营盘镇 2014-03=2" {
				t.Errorf("a load after the upgrade: %s", got)
			}
		})
	}
}

// TestMigrationToV5 takes a warehouse with a corrected scope back to
// schema 4 (no superseded marks in scopes) and reopens it: the upgrade marks
// the replaced version, so the answers stay the corrected ones, and a
// further correction replaces exactly.
func TestMigrationToV5(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir := t.TempDir()
			w := open(t, dsn)
			p := pipeline(w, filepath.Join(dir, "archive"))
			run(t, p, write(t, dir, "reg.csv", registryCSV))
			run(t, p, disputesFile(t, dir, "a.csv", 3, [2]string{"石门", "2014-03"}))
			run(t, p, write(t, dir, "a_改.csv", "受理日期,乡镇,纠纷类型,调解结果,涉及金额(元)\n2014-03-01,石门,邻里,调解成功,\n2014-03-02,石门,邻里,调解成功,0\n"+
				"2014-03-03,石门,邻里,调解成功,10\n2014-03-04,石门,邻里,调解成功,50\n2014-03-05,石门,邻里,调解成功,\n"))
			const corrected = "石门镇 2014-03=5"
			if got := render(counts(t, w)); got != corrected {
				t.Fatalf("before the downgrade: %s", got)
			}
			ctx := context.Background()
			create := "CREATE TABLE scopes_v4 ENGINE = MergeTree() ORDER BY scope AS SELECT scope, load_id, scope_key, ledger, version FROM scopes WHERE superseded = 0"
			rename := "RENAME TABLE scopes_v4 TO scopes"
			if engine == "duckdb" {
				create = "CREATE TABLE scopes_v4 AS SELECT scope, load_id, scope_key, ledger, version FROM scopes WHERE superseded = 0"
				rename = "ALTER TABLE scopes_v4 RENAME TO scopes"
			}
			w = downgrade(t, w, engine, dsn, 4, create, "DROP TABLE scopes", rename)
			res, err := w.Query(ctx, "SELECT superseded, count(*) FROM scopes WHERE ledger = 'mediation' GROUP BY superseded ORDER BY superseded")
			if err != nil {
				t.Fatal(err)
			}
			want := "[[0 2] [1 1]]" // two loads of the scope; the first marked replaced
			if engine == "duckdb" {
				want = "[[0 2]]" // its current_scopes table already says which is current
			}
			if got := fmt.Sprint(res.Rows); got != want {
				t.Errorf("scopes after the upgrade: %s, want %s", got, want)
			}
			if got := render(counts(t, w)); got != corrected {
				t.Errorf("after the upgrade: %s, want %s", got, corrected)
			}
			run(t, pipeline(w, filepath.Join(dir, "archive")), disputesFile(t, dir, "a_再改.csv", 2, [2]string{"石门", "2014-03"}))
			if got := render(counts(t, w)); got != "石门镇 2014-03=2" {
				t.Errorf("a correction after the upgrade: %s", got)
			}
		})
	}
}

// TestLiteralsOfAnyBytes: a value with a NUL byte, bytes that are not
// UTF-8 and quotes (a fuzzed sign-in name) is looked up and not found, on
// both engines, instead of breaking the query.
func TestLiteralsOfAnyBytes(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			w := open(t, dsn)
			defer w.Close()
			for _, name := range []string{"\x00\xff", "a'b", `a\'; DROP TABLE accounts; --`, "\xe4\xb8", "x\x00' OR '1'='1"} {
				if _, ok, err := w.Account(context.Background(), name); err != nil || ok {
					t.Errorf("Account(%q): found %v, %v", name, ok, err)
				}
			}
			if _, err := w.Accounts(context.Background()); err != nil {
				t.Errorf("the accounts table after the lookups: %v", err)
			}
		})
	}
}

// A wrong http_port is a clear error when the warehouse opens, not a load
// that fails later or goes to another program.
func TestClickHouseHTTPPort(t *testing.T) {
	native, _, _ := strings.Cut(whtest.ClickHouse(t), "?")
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "hello") }))
	defer other.Close()
	_, otherPort, _ := net.SplitHostPort(other.Listener.Addr().String())
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, closedPort, _ := net.SplitHostPort(closed.Addr().String())
	closed.Close()
	for _, c := range []struct{ port, want string }{
		{otherPort, "不是 ClickHouse 的 HTTP 接口"},
		{closedPort, "连不上"},
		{"http", "不是端口号"},
	} {
		w, err := warehouse.Open(context.Background(), native+"?http_port="+c.port)
		if err == nil {
			w.Close()
			t.Fatalf("http_port=%s opened", c.port)
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("http_port=%s: %v, want %q", c.port, err, c.want)
		}
	}
}

// ClickHouse's Date on 18.16 starts in 1970: an earlier birth is NULL there
// (not a day in 2136, as a wrapped number would be), the age is right on
// every engine, and DuckDB keeps the day.
func TestDatesBefore1970(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir, w, p := withRegistry(t, dsn)
			run(t, p, write(t, dir, "roster.csv", "统计时点：2014年12月31日\n姓名,身份证号,单位,在岗状态,参加工作时间\n"+
				"张三,990121195604120134,石门镇司法所,在岗,1969-09-01\n王五,990121197604120133,石门镇司法所,在岗,1995-07-01\n"))
			res, err := w.Query(context.Background(), "SELECT age, toString(birth), toString(work_start) FROM fact_staff ORDER BY age")
			if engine == "duckdb" {
				res, err = w.Query(context.Background(), "SELECT age, CAST(birth AS VARCHAR), CAST(work_start AS VARCHAR) FROM fact_staff ORDER BY age")
			}
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprint(res.Rows)
			want := "[[38 1976-04-12 1995-07-01] [58 <nil> <nil>]]"
			if engine == "duckdb" {
				want = "[[38 1976-04-12 1995-07-01] [58 1956-04-12 1969-09-01]]"
			}
			if got != want {
				t.Errorf("got %s, want %s", got, want)
			}
		})
	}
}

// TestMigrationToV8 takes a warehouse back to schema 7 (a roster without
// 兼任镇村工作) and reopens it: fact_staff gets the column at its end, the
// rows loaded before keep their values, and a roster with the column loads.
func TestMigrationToV8(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir, w, p := withRegistry(t, dsn)
			run(t, p, write(t, dir, "roster2014.csv", "统计时点：2014年12月31日\n姓名,身份证号,单位,在岗状态\n张三,990121196504120131,石门镇司法所,在岗\n"))
			ctx := context.Background()
			w = downgrade(t, w, engine, dsn, 7, "ALTER TABLE fact_staff DROP COLUMN other_duties")
			names, err := w.Columns(ctx, "fact_staff")
			if err != nil {
				t.Fatal(err)
			}
			if cols := strings.Join(names, ","); !strings.HasSuffix(cols, ",status,other_duties") {
				t.Errorf("columns after the upgrade: %s", cols)
			}
			run(t, pipeline(w, filepath.Join(dir, "archive")), write(t, dir, "roster2015.csv",
				"统计时点：2015年12月31日\n姓名,身份证号,单位,在岗状态,兼任镇村工作\n张三,990121196504120131,石门镇司法所,在岗,综治、信访\n"))
			res, err := w.Query(ctx, "SELECT snapshot, other_duties FROM fact_staff ORDER BY snapshot")
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(res.Rows); got != "[[2014-12-31 ] [2015-12-31 综治、信访]]" {
				t.Errorf("rows after the upgrade: %s", got)
			}
		})
	}
}

// TestScopeSums: the rows and sums each current scope row carries
// (warehouse.ScopeSums) equal the visible fact rows' own, per scope, after a
// correction and the sweep, and a warehouse from before schema v10 gets them
// filled from its rows.
func TestScopeSums(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir, w, p := withRegistry(t, dsn)
			run(t, p, disputesFile(t, dir, "a.csv", 3, [2]string{"石门", "2014-03"}, [2]string{"营盘", "2014-04"}))
			run(t, p, write(t, dir, "a_改.csv", "受理日期,乡镇,纠纷类型,调解结果,涉及金额(元),当事人数,防止激化类型,防止激化人数,涉法信访\n"+
				"2014-03-01,石门,邻里,调解成功,,2,无,,否\n2014-03-02,石门,邻里,调解不成功,0,3,防止民转刑,4,是\n"+
				"2014-03-03,石门,邻里,调解成功,10,2,防止民转刑,2,否\n2014-03-04,石门,邻里,终止调解,50,,防止自杀,1,是\n2014-03-05,石门,邻里,正在调解,,2,,,否\n"))
			run(t, p, write(t, dir, "咨询.csv", "日期,乡镇,咨询方式,人次\n2014-03-02,石门,来访,3\n2014-03-09,石门,电话,4\n2014-04-01,营盘,来访,2\n"))
			run(t, p, write(t, dir, "咨询_改.csv", "日期,乡镇,咨询方式,人次\n2014-03-02,石门,来访,7\n"))
			run(t, p, write(t, dir, "援助.csv", "申请日期,乡镇,案件类别,审查决定,挽回经济损失(元)\n2014-03-02,石门,民事,给予援助,1200\n2014-03-09,石门,民事,不予援助,\n2014-03-11,石门,刑事,给予援助,300.5\n"))
			run(t, p, write(t, dir, "帮教.csv", "统计时点,编号,身份证号,乡镇,释放日期,安置情况,重新犯罪\n"+
				"2014-12-31,1,110101197005010013,营盘,2013-01-05,未安置,否\n2014-12-31,2,11010119700501003X,营盘,2013-02-05,务农,是\n"))
			// two registers of 石门: a person twice on the first (counted once),
			// one lost contact, one who reoffended after release
			reg := "统计时点,编号,身份证号,乡镇,矫正类别,状态,脱管,重新犯罪\n"
			run(t, p, write(t, dir, "矫正.csv", reg+
				"2014-06-30,1,110101197005010013,石门,缓刑,在矫,否,否\n2014-06-30,1,110101197005010013,石门,缓刑,在矫,否,否\n"+
				"2014-06-30,2,11010119700501003X,石门,假释,在矫,是,否\n2014-06-30,3,110101197005010056,石门,缓刑,期满解矫,否,是\n"+
				"2014-12-31,1,110101197005010013,石门,缓刑,在矫,否,否\n2014-06-30,4,110101197005010072,营盘,管制,在矫,否,否\n"))
			ctx := context.Background()
			query := func(w *warehouse.Warehouse, q string) string { t.Helper(); return rowsOf(t, w, q) }
			want := map[string]string{
				// rows, amounts (fen, cases), results (成功, 不成功, 终止, 正在), prevented
				// (上访, 民转刑, 自杀, 械斗: cases and persons), petitions, parties, numbered
				"mediation":    "[[990121100 2014-03 5 6000 2 2 1 1 1 0 0 2 6 1 1 0 0 2 9 0] [990121101 2014-04 3 0 0 3 0 0 0 0 0 0 0 0 0 0 0 0 0 0]]",
				"consultation": "[[990121100 2014-03 1 7] [990121101 2014-04 1 2]]",
				"corrections":  "[[990121100 2014-06-30 4 2 1 1] [990121100 2014-12-31 1 1 0 0] [990121101 2014-06-30 1 1 0 0]]",
				"legal_aid":    "[[990121100 2014-03 3 2 150050]]",
				"resettlement": "[[990121101 2014-12-31 2 2 1 1]]",
			}
			check := func(w *warehouse.Warehouse, when string) {
				t.Helper()
				d := w.Dialect()
				for l, wantRows := range want {
					var scopeCols, factCols []string
					for _, s := range warehouse.ScopeSums {
						if s.Ledger != l {
							continue
						}
						scopeCols = append(scopeCols, "sum("+s.Col+")")
						cond := s.Cond()
						switch {
						case s.Persons && cond == "":
							factCols = append(factCols, "count(DISTINCT person_key)")
						case s.Persons:
							factCols = append(factCols, "coalesce(count(DISTINCT CASE WHEN "+cond+" THEN person_key END), 0)")
						case s.Of == "":
							factCols = append(factCols, "sum(CASE WHEN "+cond+" THEN 1 ELSE 0 END)")
						case cond == "":
							factCols = append(factCols, "coalesce(sum("+s.Of+"), 0)")
						default:
							factCols = append(factCols, "coalesce(sum(CASE WHEN "+cond+" THEN "+s.Of+" ELSE 0 END), 0)")
						}
					}
					sel := func(cols []string) string {
						return strings.Join(append([]string{"scope_org", "period", "count(*)"}, cols...), ", ")
					}
					facts := query(w, "SELECT "+sel(factCols)+" FROM "+ledger.FactFor(l).Name+" WHERE "+w.Visible()+" GROUP BY scope_org, period ORDER BY scope_org, period")
					scopeSel := strings.Replace(sel(scopeCols), "count(*)", "sum(rows)", 1)
					scopes := query(w, "SELECT "+scopeSel+" FROM scopes WHERE ledger = '"+l+"' AND "+d.CurrentScopes(l, "", "", "")+" GROUP BY scope_org, period ORDER BY scope_org, period")
					if facts != scopes || facts != wantRows {
						t.Errorf("%s, %s: scope rows %s, facts %s, want %s", when, l, scopes, facts, wantRows)
					}
				}
			}
			check(w, "after the corrections")
			if _, err := w.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			check(w, "after the sweep")
			var back []string
			for _, c := range warehouse.Scopes.Columns[6:] {
				back = append(back, "ALTER TABLE scopes DROP COLUMN "+c.Name)
			}
			if engine != "duckdb" { // ClickHouse drops no column of the sort key: the table of v9 made again
				back = scopesOf(6, "scope")
			}
			w = downgrade(t, w, engine, dsn, 9, back...)
			check(w, "after the upgrade")
			// a warehouse of schema v10 lacks the mediation amounts only
			w = downgrade(t, w, engine, dsn, 10, "ALTER TABLE scopes DROP COLUMN amount_fen", "ALTER TABLE scopes DROP COLUMN amount_cases")
			check(w, "after the upgrade from v10")
			// a warehouse of schema v11 lacks the disputes' results, escalations, petitions and parties
			var v12 []string
			for _, c := range warehouse.Scopes.Columns {
				if c.Name == "petition" || c.Name == "parties" || strings.HasPrefix(c.Name, "result_") || strings.HasPrefix(c.Name, "prevented_") {
					v12 = append(v12, "ALTER TABLE scopes DROP COLUMN "+c.Name)
				}
			}
			if len(v12) != 14 {
				t.Fatalf("the columns of v12: %v", v12)
			}
			w = downgrade(t, w, engine, dsn, 11, v12...)
			check(w, "after the upgrade from v11")
			if engine != "duckdb" {
				// before v14 the table was sorted by scope alone
				w = downgrade(t, w, engine, dsn, 13, scopesOf(len(warehouse.Scopes.Columns), "scope")...)
				check(w, "after the upgrade from v13")
				if key := query(w, "SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'scopes'"); key != "[[ledger, period, scope]]" {
					t.Errorf("scopes sorted by %s after the upgrade", key)
				}
			}
			if has, _ := w.Query(ctx, "SELECT count(*) FROM scopes WHERE superseded = 1 AND rows > 0"); fmt.Sprint(has.Rows) != "[[0]]" {
				t.Errorf("the marks of replaced keys carry counts: %v", has.Rows)
			}
		})
	}
}

// TestCaseRepeats: a commit finds the cases of a township (编号) it sends
// again beside the current rows of other loads, and case_repeats answers
// what grouping the visible fact rows by case answers, after corrections
// that remove and add a repeat, the sweep, and the upgrade from schema v12
// that fills the table from the rows already loaded. A case number of
// another township, or twice in one file, is no repeat.
func TestCaseRepeats(t *testing.T) {
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir, w, p := withRegistry(t, dsn)
			ctx := context.Background()
			query := func(w *warehouse.Warehouse, q string) string { t.Helper(); return rowsOf(t, w, q) }
			check := func(w *warehouse.Warehouse, when, want string) {
				t.Helper()
				got := query(w, "SELECT town_code, case_no, count(DISTINCT load_id) FROM case_repeats WHERE "+w.Visible()+
					" GROUP BY town_code, case_no HAVING count(DISTINCT load_id) > 1 ORDER BY town_code, case_no")
				facts := query(w, "SELECT town_code, case_no, count(DISTINCT load_id) FROM fact_dispute WHERE "+w.Visible()+
					" AND case_no != '' GROUP BY town_code, case_no HAVING count(DISTINCT load_id) > 1 ORDER BY town_code, case_no")
				if got != want || facts != want {
					t.Errorf("%s: case_repeats %s, the facts %s, want %s", when, got, facts, want)
				}
			}
			const head = "编号,受理日期,乡镇,纠纷类型,调解结果\n"
			// X1 in 营盘 too, and X3 twice in one file: no repeats
			run(t, p, write(t, dir, "a.csv", head+"X1,2014-03-01,石门,邻里,调解成功\nX2,2014-03-02,石门,邻里,调解成功\nX3,2014-03-03,石门,邻里,调解成功\n"+
				"X1,2014-03-04,营盘,邻里,调解成功\nX3,2014-04-01,石门,邻里,调解成功\n"))
			check(w, "one file", "[]")
			run(t, p, write(t, dir, "b.csv", head+"X2,2014-05-02,石门,邻里,调解成功\nX9,2014-05-09,石门,邻里,调解成功\n"))
			check(w, "X2 sent again", "[[990121100 X2 2]]")
			run(t, p, write(t, dir, "b_改.csv", head+"X9,2014-05-09,石门,邻里,调解成功\n"))
			check(w, "X2 corrected away", "[]")
			run(t, p, write(t, dir, "a_改.csv", head+"X1,2014-03-01,石门,邻里,调解成功\nX9,2014-03-09,石门,邻里,调解成功\nX1,2014-03-04,营盘,邻里,调解成功\n"))
			check(w, "X9 corrected in", "[[990121100 X9 2]]")
			if _, err := w.Sweep(ctx); err != nil {
				t.Fatal(err)
			}
			check(w, "after the sweep", "[[990121100 X9 2]]")
			// ClickHouse deletes in the background (a mutation): wait for it
			left := ""
			for range 100 {
				if left = query(w, "SELECT count(*) FROM case_repeats WHERE NOT ("+w.Visible()+")"); left == "[[0]]" {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if left != "[[0]]" {
				t.Errorf("the sweep left %s rows of replaced loads in case_repeats", left)
			}
			drop := "DROP TABLE case_repeats"
			if engine == "clickhouse" {
				drop = "DROP TABLE IF EXISTS case_repeats"
			}
			w = downgrade(t, w, engine, dsn, 12, drop, "ALTER TABLE scopes DROP COLUMN numbered")
			check(w, "after the upgrade from v12", "[[990121100 X9 2]]")
			if n := query(w, "SELECT sum(numbered) FROM scopes WHERE ledger = 'mediation' AND "+w.Dialect().CurrentScopes("mediation", "", "", "")); n != "[[5]]" {
				// X1, X9 and 营盘's X1 of a_改, X3 of a's April, X9 of b_改
				t.Errorf("numbered cases after the upgrade: %s, want 5", n)
			}
		})
	}
}
