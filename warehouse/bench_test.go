package warehouse_test

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shakinm/xlsReader/xls"
	"github.com/xuri/excelize/v2"

	"sifa/ingest"
	"sifa/warehouse"
	"sifa/warehouse/whtest"
)

const benchRows = 200000

// rawColumns are the typed columns of the engine's own load of the ledger.
const rawColumns = "no String, received Date, town String, village String, org_type String, dispute_type String, parties Int64, amount Int64, " +
	"result String, closed Date, agreement String, prevented String, prevented_persons Int64, petition String, mediator String"

var benchHeader = []string{"编号", "受理日期", "乡镇", "村(社区)", "调解组织类型", "纠纷类型", "当事人数", "涉及金额(元)", "调解结果",
	"结案日期", "协议形式", "防止激化类型", "防止激化人数", "涉法信访", "调解员"}

type benchFiles struct {
	dir, registry, csv, xlsx string
}

var (
	clusterOnce sync.Once
	clusterSrv  []*whtest.Server
	clusterErr  error
	clusterSeq  int

	benchOnce sync.Once
	benchF    benchFiles
	benchRes  = map[string]float64{}
	benchMu   sync.Mutex
)

// benchLedger writes a 200,000-row mediation ledger as CSV and as XLSX
// (streamed), over a registry of one county with 13 townships.
func benchLedger(b *testing.B) benchFiles {
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sifa-bench-*")
		if err != nil {
			b.Fatal(err)
		}
		var reg strings.Builder
		reg.WriteString("区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n")
		for i := 0; i < 13; i++ {
			fmt.Fprintf(&reg, "990121%d,镇%02d,乡镇(街道),990121\n", 100+i, i)
			for k := 0; k < 10; k++ {
				fmt.Fprintf(&reg, "990121%d%d,村%02d%02d,村(社区),990121%d\n", 100+i, 201+k, i, k, 100+i)
			}
		}
		rng := rand.New(rand.NewPCG(1, 2))
		types := []string{"婚姻家庭", "邻里", "房屋宅基地", "合同", "损害赔偿", "山林土地"}
		results := []string{"调解成功", "调解成功", "调解成功", "调解不成功"}
		rows := make([][]string, benchRows)
		for i := range rows {
			t := rng.IntN(13)
			d := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365))
			rows[i] = []string{fmt.Sprint(i + 1), d.Format("2006-01-02"), fmt.Sprintf("镇%02d", t), fmt.Sprintf("村%02d%02d", t, rng.IntN(10)),
				"村居调委会", types[rng.IntN(len(types))], fmt.Sprint(2 + rng.IntN(3)), fmt.Sprint(rng.IntN(100000)), results[rng.IntN(4)],
				d.AddDate(0, 0, 5).Format("2006-01-02"), "书面", "无", "0", "否", "调解员"}
		}
		var csvb strings.Builder
		csvb.WriteString(strings.Join(benchHeader, ",") + "\n")
		for _, r := range rows {
			csvb.WriteString(strings.Join(r, ",") + "\n")
		}
		benchF = benchFiles{dir: dir, registry: filepath.Join(dir, "reg.csv"), csv: filepath.Join(dir, "med.csv"), xlsx: filepath.Join(dir, "med.xlsx")}
		os.WriteFile(benchF.registry, []byte(reg.String()), 0o644)
		os.WriteFile(benchF.csv, []byte(csvb.String()), 0o644)
		f := excelize.NewFile()
		sw, _ := f.NewStreamWriter("Sheet1")
		hdr := make([]any, len(benchHeader))
		for i, h := range benchHeader {
			hdr[i] = h
		}
		sw.SetRow("A1", hdr)
		for i, r := range rows {
			vals := make([]any, len(r))
			for k, v := range r {
				vals[k] = v
			}
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			sw.SetRow(cell, vals)
		}
		sw.Flush()
		if err := f.SaveAs(benchF.xlsx); err != nil {
			b.Fatal(err)
		}
	})
	return benchF
}

var (
	xlsOnce sync.Once
	xlsPath string
	xlsErr  error
)

// benchXLS writes the same 200,000 rows as an Excel 97–2003 workbook, the
// way offices get one: LibreOffice converts a four-sheet .xlsx (an .xls
// sheet holds at most 65,536 rows) of 50,000 rows each.
func benchXLS(b *testing.B) string {
	f := benchLedger(b)
	xlsOnce.Do(func() {
		soffice, err := exec.LookPath("soffice")
		if err != nil {
			xlsErr = fmt.Errorf("soffice not installed (Debian: libreoffice-calc-nogui)")
			return
		}
		src, err := os.ReadFile(f.csv)
		if err != nil {
			xlsErr = err
			return
		}
		lines := strings.Split(strings.TrimSpace(string(src)), "\n")
		x := excelize.NewFile()
		per := benchRows / 4
		for s := 0; s < 4; s++ {
			name := fmt.Sprintf("第%d部分", s+1)
			if s == 0 {
				x.SetSheetName("Sheet1", name)
			} else {
				x.NewSheet(name)
			}
			sw, _ := x.NewStreamWriter(name)
			row := func(line string) []any {
				var out []any
				for k, v := range strings.Split(line, ",") {
					switch k {
					case 1, 9: // the dates as dates, as a clerk's workbook has them
						d, _ := time.Parse("2006-01-02", v)
						out = append(out, d)
					case 6, 7, 12:
						var n int
						fmt.Sscan(v, &n)
						out = append(out, n)
					default:
						out = append(out, v)
					}
				}
				return out
			}
			hdr := make([]any, len(benchHeader))
			for i, h := range benchHeader {
				hdr[i] = h
			}
			sw.SetRow("A1", hdr)
			for i, line := range lines[1+s*per : 1+(s+1)*per] {
				cell, _ := excelize.CoordinatesToCellName(1, i+2)
				sw.SetRow(cell, row(line))
			}
			sw.Flush()
		}
		src4 := filepath.Join(f.dir, "med4.xlsx")
		if xlsErr = x.SaveAs(src4); xlsErr != nil {
			return
		}
		out, err := exec.Command(soffice, "--headless", "--convert-to", "xls:MS Excel 97", "--outdir", f.dir, src4).CombinedOutput()
		if err != nil {
			xlsErr = fmt.Errorf("soffice: %v %s", err, out)
			return
		}
		xlsPath = filepath.Join(f.dir, "med4.xls")
	})
	if xlsErr != nil {
		b.Skip(xlsErr)
	}
	return xlsPath
}

// readAllRows is sifa's read of a file to Arrow records, without the warehouse.
func readAllRows(b *testing.B, path string) {
	n := 0
	err := ingest.Read(path, ingest.Options{}, func(t *ingest.Table) error {
		for {
			rec, err := t.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			n += int(rec.NumRows())
			rec.Release()
		}
	})
	if err != nil || n != benchRows {
		b.Fatalf("read %d rows: %v", n, err)
	}
}

func record(name string, rowsPerSec float64) {
	benchMu.Lock()
	benchRes[name] = rowsPerSec
	benchMu.Unlock()
}

// measure runs fn b.N times (setup outside the timer) and reports rows/s.
func measure(b *testing.B, name string, setup func() func()) {
	var total time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fn := setup()
		b.StartTimer()
		start := time.Now()
		fn()
		total += time.Since(start)
	}
	rps := float64(benchRows*b.N) / total.Seconds()
	b.ReportMetric(rps, "rows/s")
	b.ReportMetric(0, "ns/op")
	record(name, rps)
}

func benchDSN(b *testing.B, engine string) string {
	switch engine {
	case "duckdb":
		return "duckdb:" + filepath.Join(b.TempDir(), fmt.Sprintf("w%d.duckdb", time.Now().UnixNano()))
	case "clickhouse-native": // loads through clickhouse-go, without the HTTP port
		dsn, _, _ := strings.Cut(whtest.ClickHouse(b), "?")
		return dsn
	case "cluster": // a fresh database on the two-shard cluster
		s := benchCluster(b)
		benchMu.Lock()
		clusterSeq++
		n := clusterSeq
		benchMu.Unlock()
		return fmt.Sprintf("clickhouse://127.0.0.1:%d/bench%d?cluster=sifa2&http_port=%d", s[0].TCPPort, n, s[0].HTTPPort)
	}
	return whtest.ClickHouse(b)
}

// benchCluster starts a two-shard cluster once (stopped in TestMain).
func benchCluster(b *testing.B) []*whtest.Server {
	clusterOnce.Do(func() { clusterSrv, clusterErr = whtest.StartCluster(2, "sifa2") })
	if clusterErr != nil {
		b.Skipf("no ClickHouse cluster: %v", clusterErr)
	}
	return clusterSrv
}

// sifaLoad returns a prepared ingest of one file into a fresh warehouse.
func sifaLoad(b *testing.B, engine, file string) func() func() {
	f := benchLedger(b)
	return func() func() {
		w, err := warehouse.Open(context.Background(), benchDSN(b, engine))
		if err != nil {
			b.Fatal(err)
		}
		p := pipeline(w, filepath.Join(b.TempDir(), "archive"))
		if _, err := p.Run(context.Background(), []string{f.registry}); err != nil {
			b.Fatal(err)
		}
		return func() {
			reps, err := p.Run(context.Background(), []string{file})
			if err != nil || reps[0].Err != nil || reps[0].Accepted() != benchRows {
				b.Fatalf("ingest: %v %+v", err, reps)
			}
			w.Close()
		}
	}
}

// BenchmarkIngest measures sifa's ingest of a 200,000-row mediation ledger
// on each engine beside each engine's own bulk load of the same file, and
// the XLSX path beside excelize's raw streaming read; it prints the ratios.
func BenchmarkIngest(b *testing.B) {
	f := benchLedger(b)
	for _, engine := range []string{"duckdb", "clickhouse"} {
		b.Run("csv/"+engine+"/sifa", func(b *testing.B) { measure(b, "csv/"+engine+"/sifa", sifaLoad(b, engine, f.csv)) })
		b.Run("xlsx/"+engine+"/sifa", func(b *testing.B) { measure(b, "xlsx/"+engine+"/sifa", sifaLoad(b, engine, f.xlsx)) })
	}
	b.Run("csv/clickhouse-native/sifa", func(b *testing.B) {
		measure(b, "csv/clickhouse-native/sifa", sifaLoad(b, "clickhouse-native", f.csv))
	})
	b.Run("csv/cluster/sifa", func(b *testing.B) { measure(b, "csv/cluster/sifa", sifaLoad(b, "cluster", f.csv)) })
	b.Run("csv/duckdb/read_csv", func(b *testing.B) {
		measure(b, "csv/duckdb/read_csv", func() func() {
			w, err := warehouse.Open(context.Background(), benchDSN(b, "duckdb"))
			if err != nil {
				b.Fatal(err)
			}
			return func() {
				if err := w.Exec(context.Background(), "CREATE TABLE raw AS SELECT * FROM read_csv('"+f.csv+"', header = true)"); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
		})
	})
	b.Run("csv/clickhouse/client", func(b *testing.B) {
		client, err := exec.LookPath("clickhouse-client")
		if err != nil {
			b.Skip("clickhouse-client not installed")
		}
		measure(b, "csv/clickhouse/client", func() func() {
			dsn := benchDSN(b, "clickhouse")
			db, _, _ := strings.Cut(dsn[strings.LastIndex(dsn, "/")+1:], "?")
			w, err := warehouse.Open(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			w.Exec(context.Background(), "CREATE TABLE raw ("+rawColumns+") ENGINE = MergeTree() ORDER BY town")
			w.Close()
			return clientInsert(b, client, whtest.SharedServer().TCPPort, db, f.csv)
		})
	})
	b.Run("csv/cluster/client", func(b *testing.B) {
		client, err := exec.LookPath("clickhouse-client")
		if err != nil {
			b.Skip("clickhouse-client not installed")
		}
		measure(b, "csv/cluster/client", func() func() {
			dsn := benchDSN(b, "cluster")
			db, _, _ := strings.Cut(dsn[strings.LastIndex(dsn, "/")+1:], "?")
			w, err := warehouse.Open(context.Background(), dsn)
			if err != nil {
				b.Fatal(err)
			}
			w.Close()
			servers := benchCluster(b)
			for _, s := range servers {
				for _, q := range []string{"CREATE TABLE raw_local (" + rawColumns + ") ENGINE = MergeTree() ORDER BY town",
					// the ledger is one county's, so all its rows go to one shard, as sifa's sharding by county sends them
					"CREATE TABLE raw AS raw_local ENGINE = Distributed(sifa2, " + db + ", raw_local, toUInt64(990121))"} {
					if out, err := exec.Command(client, "--port", fmt.Sprint(s.TCPPort), "--database", db, "--query", q).CombinedOutput(); err != nil {
						b.Fatalf("%s: %v %s", q, err, out)
					}
				}
			}
			return clientInsert(b, client, servers[0].TCPPort, db, f.csv, "--insert_distributed_sync", "1")
		})
	})
	xlsFile := ""
	b.Run("xls/read/sifa", func(b *testing.B) {
		xlsFile = benchXLS(b)
		measure(b, "xls/read/sifa", func() func() { return func() { readAllRows(b, xlsFile) } })
	})
	b.Run("xls/read/xlsReader", func(b *testing.B) {
		xlsFile = benchXLS(b)
		// shakinm/xlsReader, the one Go .xls library on the proxy that reads
		// LibreOffice's numbers right (docs/formats.md): every cell as text
		measure(b, "xls/read/xlsReader", func() func() {
			return func() {
				wb, err := xls.OpenFile(xlsFile)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for i := 0; i < wb.GetNumberSheets(); i++ {
					s, _ := wb.GetSheet(i)
					for r := 1; r < s.GetNumberRows(); r++ {
						row, err := s.GetRow(r)
						if err != nil {
							continue
						}
						filled := false
						for _, c := range row.GetCols() {
							if c.GetString() != "" {
								filled = true
							}
						}
						if filled {
							n++ // the library also lists rows past the last filled one
						}
					}
				}
				if n != benchRows {
					b.Fatalf("read %d rows", n)
				}
			}
		})
	})
	for _, engine := range []string{"duckdb", "clickhouse"} {
		b.Run("xls/"+engine+"/sifa", func(b *testing.B) {
			xlsFile = benchXLS(b)
			measure(b, "xls/"+engine+"/sifa", sifaLoad(b, engine, xlsFile))
		})
	}
	b.Run("xlsx/excelize-raw", func(b *testing.B) {
		measure(b, "xlsx/excelize-raw", func() func() {
			return func() {
				x, err := excelize.OpenFile(f.xlsx)
				if err != nil {
					b.Fatal(err)
				}
				rows, _ := x.Rows("Sheet1")
				n := 0
				for rows.Next() {
					if _, err := rows.Columns(excelize.Options{RawCellValue: true}); err != nil {
						b.Fatal(err)
					}
					n++
				}
				rows.Close()
				x.Close()
				if n != benchRows+1 {
					b.Fatalf("read %d rows", n)
				}
			}
		})
	})
	printRatios(b)
}

// clientInsert is clickhouse-client loading a CSV file into the table raw.
func clientInsert(b *testing.B, client string, port int, db, file string, settings ...string) func() {
	return func() {
		args := append([]string{"--port", fmt.Sprint(port), "--database", db}, settings...)
		cmd := exec.Command(client, append(args, "--query", "INSERT INTO raw FORMAT CSVWithNames")...)
		in, err := os.Open(file)
		if err != nil {
			b.Fatal(err)
		}
		defer in.Close()
		cmd.Stdin = in
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("clickhouse-client: %v %s", err, out)
		}
	}
}

func printRatios(b *testing.B) {
	benchMu.Lock()
	defer benchMu.Unlock()
	type line struct {
		what, sifa, anchor string
		target             float64
	}
	lines := []line{
		{"CSV → DuckDB", "csv/duckdb/sifa", "csv/duckdb/read_csv", 0.5},
		{"CSV → ClickHouse", "csv/clickhouse/sifa", "csv/clickhouse/client", 0.5},
		{"CSV → ClickHouse, native protocol only (no http_port)", "csv/clickhouse-native/sifa", "csv/clickhouse/client", 0.5},
		{"CSV → ClickHouse 2-shard cluster", "csv/cluster/sifa", "csv/cluster/client", 0.5},
		{"XLSX → DuckDB", "xlsx/duckdb/sifa", "xlsx/excelize-raw", 0.8},
		{"XLSX → ClickHouse", "xlsx/clickhouse/sifa", "xlsx/excelize-raw", 0.8},
		{"XLS read (sifa's BIFF8 reader, to Arrow)", "xls/read/sifa", "xls/read/xlsReader", 1},
		{"XLS → DuckDB", "xls/duckdb/sifa", "xls/read/xlsReader", 0.8},
		{"XLS → ClickHouse", "xls/clickhouse/sifa", "xls/read/xlsReader", 0.8},
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\n200,000-row mediation ledger, rows/s (same run, same machine)\n")
	fmt.Fprintf(&out, "| path | sifa | anchor | anchor rows/s | ratio | target |\n|---|---:|---|---:|---:|---:|\n")
	for _, l := range lines {
		s, a := benchRes[l.sifa], benchRes[l.anchor]
		if s == 0 || a == 0 {
			continue
		}
		fmt.Fprintf(&out, "| %s | %.0f | %s | %.0f | %.2f× | ≥ %.1f× |\n", l.what, s, l.anchor, a, s/a, l.target)
	}
	keys := make([]string, 0, len(benchRes))
	for k := range benchRes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Print(out.String())
}
