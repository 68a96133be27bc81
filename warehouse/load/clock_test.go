package load_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/whtest"
)

// TestPipelineClock: a pipeline given a clock stamps its loads with it (the
// lateness of a month's file is measured from that stamp); without one
// it is the time of the load.
func TestPipelineClock(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	ctx := context.Background()
	at := time.Date(2017, 2, 3, 4, 5, 6, 0, time.UTC)
	p.Now = func() time.Time { return at }
	reg := registryFile(t, dir)
	med := filepath.Join(dir, "调解.csv")
	os.WriteFile(med, []byte("受理日期,乡镇,纠纷类型,调解结果\n2016-03-05,石门镇,邻里,调解成功\n"), 0o644)
	reps, err := p.Run(ctx, []string{reg, med})
	if err != nil || len(reps) != 2 || reps[1].Err != nil {
		t.Fatalf("%v %+v", err, reps)
	}
	res, err := w.Query(ctx, "SELECT loaded_at FROM loads WHERE ledger = 'mediation'")
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("%v %v", res, err)
	}
	if got := warehouse.TimeOf(res.Rows[0][0]); !got.Equal(at) {
		t.Errorf("the load is stamped %v, want the pipeline's clock %v", got, at)
	}
	p.Now = nil
	before := time.Now().Add(-time.Second)
	os.WriteFile(med, []byte("受理日期,乡镇,纠纷类型,调解结果\n2016-04-05,石门镇,邻里,调解成功\n"), 0o644)
	if reps, err = p.Run(ctx, []string{med}); err != nil || reps[0].Err != nil {
		t.Fatalf("%v %+v", err, reps)
	}
	res, err = w.Query(ctx, "SELECT max(loaded_at) FROM loads WHERE ledger = 'mediation'")
	if err != nil {
		t.Fatal(err)
	}
	if got := warehouse.TimeOf(res.Rows[0][0]); got.Before(before) {
		t.Errorf("without a clock the load is stamped %v, before it ran (%v)", got, before)
	}
}
