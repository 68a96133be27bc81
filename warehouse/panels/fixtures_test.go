package panels

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/whtest"
)

// bothEngines is a fresh warehouse DSN per engine.
func bothEngines(t *testing.T) map[string]string {
	return map[string]string{"duckdb": "duckdb:" + filepath.Join(t.TempDir(), "w.duckdb"), "clickhouse": whtest.ClickHouse(t)}
}

// ledgerFile is a file a test writes and loads.
type ledgerFile struct{ name, body string }

// loadFiles opens a warehouse and loads the files in order through the
// ingest path; each must load with the rows rejected that rejects names
// for it (none otherwise).
func loadFiles(t *testing.T, dsn string, files []ledgerFile, rejects map[string]int) (*warehouse.Warehouse, *load.Pipeline) {
	t.Helper()
	ctx := context.Background()
	w, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	dir := t.TempDir()
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(dir, "archive")}, Config: transform.Config{Secret: []byte("k")}}
	for _, f := range files {
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, []byte(f.body), 0o644); err != nil {
			t.Fatal(err)
		}
		reps, err := p.Run(ctx, []string{path})
		if err != nil || reps[0].Err != nil {
			t.Fatalf("%s: %v %v", f.name, err, reps[0].Err)
		}
		if reps[0].Rejected() != rejects[f.name] {
			t.Fatalf("%s: %d rows rejected, want %d: %+v", f.name, reps[0].Rejected(), rejects[f.name], reps[0].Tables)
		}
	}
	return w, p
}
