package warehouse

import (
	"context"
	"path/filepath"
	"runtime"
	"testing"
)

// TestDuckDBThreadsFitSize: a small warehouse runs each query on one DuckDB
// thread; once its fact tables hold oneThreadBelow rows, DuckDB gets its
// default of a thread per core back, and loses it again when they shrink
// (DuckDB's estimate counts deleted rows until a checkpoint; a dropped table
// stops counting at once).
func TestDuckDBThreadsFitSize(t *testing.T) {
	ctx := context.Background()
	e, err := openDuckDB(filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	defer func(v int64) { oneThreadBelow = v }(oneThreadBelow)
	oneThreadBelow = 1000
	threads := func() int64 {
		t.Helper()
		res, err := e.query(ctx, "SELECT CAST(current_setting('threads') AS BIGINT)")
		if err != nil {
			t.Fatal(err)
		}
		return res.Rows[0][0].(int64)
	}
	if err := e.fitThreads(ctx); err != nil {
		t.Fatal(err)
	}
	if n := threads(); n != 1 {
		t.Fatalf("an empty warehouse runs on %d threads, want 1", n)
	}
	for _, step := range []struct {
		sql  string
		want int64
	}{
		{"CREATE TABLE fact_x AS SELECT range AS v FROM range(999)", 1},
		{"CREATE TABLE other AS SELECT range AS v FROM range(5000)", 1}, // not a fact table
		{"INSERT INTO fact_x VALUES (1)", int64(runtime.NumCPU())},
		{"DROP TABLE fact_x", 1},
	} {
		if err := e.exec(ctx, step.sql); err != nil {
			t.Fatal(err)
		}
		if err := e.fitThreads(ctx); err != nil {
			t.Fatal(err)
		}
		if n := threads(); n != step.want {
			t.Errorf("after %s: %d threads, want %d", step.sql, n, step.want)
		}
	}
}
