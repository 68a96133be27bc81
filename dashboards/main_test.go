package dashboards_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/ingest/demo"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/whtest"
)

func TestMain(m *testing.M) {
	// audit lines go to the log at info level: keep test output to warnings
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	code := m.Run()
	whtest.StopShared()
	os.Exit(code)
}

var (
	demoOnce sync.Once
	demoDir  string
	demoErr  error
	loaded   = map[string]*warehouse.Warehouse{}
	archives = map[string]ingest.Archive{} // the raw files of each engine's demo warehouse
	loadedMu sync.Mutex
)

// demoFiles writes the demo folder once per test binary.
func demoFiles(t testing.TB) string {
	demoOnce.Do(func() {
		demoDir, demoErr = os.MkdirTemp("", "sifa-demo-*")
		if demoErr == nil {
			_, demoErr = demo.Write(demoDir)
		}
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoDir
}

// demoLoadedAt is when every demo load of the test binary says it was
// loaded: a month's lateness (submissions.timeliness, quality.offices) is
// measured from it, in tenths of a day, and warehouses loaded minutes
// apart straddled a tenth now and then, failing parity for no fault.
var demoLoadedAt = time.Now()

func demoNow() time.Time { return demoLoadedAt }

// demoWarehouse returns a warehouse of the engine with the demo ingested
// through the normal pipeline (once per engine per test binary).
func demoWarehouse(t testing.TB, engine string) *warehouse.Warehouse {
	t.Helper()
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if w := loaded[engine]; w != nil {
		return w
	}
	var dsn string
	dir, err := os.MkdirTemp("", "sifa-wh-*")
	if err != nil {
		t.Fatal(err)
	}
	switch engine {
	case "duckdb":
		dsn = "duckdb:" + filepath.Join(dir, "w.duckdb")
	case "clickhouse":
		dsn = whtest.ClickHouse(t)
	}
	ctx := context.Background()
	w, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	archives[engine] = ingest.Archive{Dir: filepath.Join(dir, "archive")}
	p := &load.Pipeline{W: w, Archive: archives[engine], Config: transform.Config{Secret: []byte("test-secret")}, Now: demoNow}
	reps, err := p.Run(ctx, []string{demoFiles(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Err != nil && filepath.Ext(r.File) != ".txt" {
			t.Fatalf("%s: %v", r.File, r.Err)
		}
	}
	reg, err := w.Registry(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for county, shape := range demo.Maps() {
		if _, err := dashboards.KeepCountyMap(ctx, w, reg, county, shape, "演示数据"); err != nil {
			t.Fatal(err)
		}
	}
	loaded[engine] = w
	return w
}
