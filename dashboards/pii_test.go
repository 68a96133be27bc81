package dashboards_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

var (
	reIDNumber = regexp.MustCompile(`\d{17}[\dXx]`)
	reSigner   = regexp.MustCompile(`(?:填表人|审核人)：\s*(\p{Han}{2,4})`)
)

// demoPeople reads the raw demo files, as a clerk sent them, for every
// person's name (roster, mediators, case handlers, who filled in the form)
// and every ID number (roster, corrections subjects, released prisoners).
func demoPeople(t *testing.T, dir string) (names, ids map[string]bool) {
	names, ids = map[string]bool{}, map[string]bool{}
	nameCols := map[string]bool{"姓名": true, "调解员": true, "承办人": true}
	take := func(rows [][]string) {
		var cols []int
		for _, row := range rows {
			for _, cell := range row {
				for _, m := range reIDNumber.FindAllString(cell, -1) {
					ids[strings.ToUpper(m)] = true
				}
				for _, m := range reSigner.FindAllStringSubmatch(cell, -1) {
					names[m[1]] = true
				}
			}
			if cols == nil {
				for i, cell := range row {
					if nameCols[strings.TrimSpace(cell)] {
						cols = append(cols, i)
					}
				}
				continue
			}
			for _, i := range cols {
				if i < len(row) && utf8.RuneCountInString(strings.TrimSpace(row[i])) >= 2 {
					names[strings.TrimSpace(row[i])] = true
				}
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		switch filepath.Ext(f) {
		case ".xlsx":
			x, err := excelize.OpenFile(f)
			if err != nil {
				continue // the demo's deliberately broken files
			}
			for _, sh := range x.GetSheetList() {
				rows, _ := x.GetRows(sh)
				take(rows)
			}
			x.Close()
		case ".csv":
			b, _ := os.ReadFile(f)
			if !utf8.Valid(b) {
				b, _ = simplifiedchinese.GB18030.NewDecoder().Bytes(b)
			}
			r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))))
			r.FieldsPerRecord, r.LazyQuotes = -1, true
			rows, _ := r.ReadAll()
			take(rows)
		}
	}
	return names, ids
}

// TestNoPersonalData ingests the demo into both engines (and uploads and
// views pages through the site), then searches every table of each
// warehouse, the raw-archive index and the logs for any name or ID number
// the demo files hold: none may be found.
func TestNoPersonalData(t *testing.T) {
	dir := demoFiles(t)
	names, ids := demoPeople(t, dir)
	if len(names) < 50 || len(ids) < 200 {
		t.Fatalf("only %d names and %d ID numbers found in the demo files: the search would prove nothing", len(names), len(ids))
	}
	var logs bytes.Buffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(old)
	type hit struct{ where, what string }
	var hits []hit
	search := func(where, text string) {
		for n := range names {
			if strings.Contains(text, n) {
				hits = append(hits, hit{where, n})
			}
		}
		for id := range ids {
			if strings.Contains(text, id) {
				hits = append(hits, hit{where, id})
			}
		}
	}
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			tmp := t.TempDir()
			dsn := "duckdb:" + filepath.Join(tmp, "w.duckdb")
			if engine == "clickhouse" {
				dsn = whtest.ClickHouse(t)
			}
			w, err := warehouse.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			archive := filepath.Join(tmp, "archive")
			p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: archive}, Config: transform.Config{Secret: []byte("test-secret")}}
			reps, err := p.Run(ctx, []string{dir})
			if err != nil {
				t.Fatal(err)
			}
			rejected := 0
			for _, r := range reps {
				rejected += r.Rejected()
			}
			// the site: pages viewed, the roster uploaded again, rejects downloaded
			srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: tmp})
			for _, path := range append(pagePaths, "/jobs", "/admin/audit") {
				for _, org := range []string{"990121", "990122", "990121100"} {
					get(t, srv.URL+path+"?org="+org+"&year=2014")
				}
			}
			rosters, _ := filepath.Glob(filepath.Join(dir, "*花名册*"))
			for _, f := range rosters {
				b, _ := os.ReadFile(f)
				postFiles(t, srv.URL+"/upload", map[string]string{filepath.Base(f): string(b)})
			}
			// a roster with mistakes in the personal columns: the rejects keep no name or ID
			var some []string
			for n := range names {
				if len(some) < 3 {
					some = append(some, n)
				}
			}
			var someIDs []string
			for id := range ids {
				if len(someIDs) < 3 {
					someIDs = append(someIDs, id)
				}
			}
			wrong := "0"
			if someIDs[0][17] == '0' {
				wrong = "1"
			}
			bad := "统计时点,姓名,身份证号,性别,单位,学历,在岗状态\n" +
				"2014-12-31," + some[0] + "," + someIDs[0][:17] + wrong + ",男,石门镇,高中,在岗\n" + // wrong check digit
				"2014-12-31," + some[1] + "," + someIDs[1][:16] + ",女,石门镇,高中,在岗\n" + // too short
				"2014-12-31," + some[2] + "," + someIDs[2] + ",男,石门镇,小学毕业,休假\n" // bad codes
			_, page := postFiles(t, srv.URL+"/upload", map[string]string{"改过的花名册.csv": bad})
			if !strings.Contains(page, "退回 3 行") {
				t.Errorf("the crafted roster: %s", page)
			}
			if strings.Contains(page, someIDs[0]) || strings.Contains(page, someIDs[1][:16]) {
				t.Errorf("the upload page shows an ID number whole")
			}
			// every table the engine holds, every column
			q := "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
			if engine == "clickhouse" {
				q = "SELECT name FROM system.tables WHERE database = currentDatabase()"
			}
			res, err := w.Query(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			cells := 0
			for _, row := range res.Rows {
				table := row[0].(string)
				all, err := w.Query(ctx, "SELECT * FROM "+table)
				if err != nil {
					t.Fatalf("%s: %v", table, err)
				}
				var b strings.Builder
				for _, r := range all.Rows {
					for _, v := range r {
						fmt.Fprintf(&b, "%v\x1f", v)
						cells++
					}
				}
				search(engine+" table "+table, b.String())
			}
			// the archive's index: the names files were sent under
			filepath.WalkDir(archive, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && strings.HasSuffix(path, ".names") {
					b, _ := os.ReadFile(path)
					search(engine+" archive index "+filepath.Base(path), string(b))
				}
				return nil
			})
			t.Logf("%d tables, %d cells searched for %d names and %d ID numbers; %d rows rejected on the way", len(res.Rows), cells, len(names), len(ids), rejected)
		})
	}
	search("logs", logs.String())
	if logs.Len() == 0 {
		t.Errorf("nothing was logged: the log search proves nothing")
	}
	for _, h := range hits {
		t.Errorf("%s holds %q", h.where, h.what)
	}
}
