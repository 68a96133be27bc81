package load_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sifa/warehouse/load"
	"sifa/warehouse/whtest"
)

// TestReportCapsRejects: a file of more bad rows than are kept lists and
// stores the first MaxReportedRejects, counts them all, and says how many
// more there were, in the listing every printer reads; the push answer
// carries the same and reads back as the same report.
func TestReportCapsRejects(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	ctx := context.Background()
	reg := registryFile(t, dir)
	bad := load.MaxReportedRejects + 123
	var b strings.Builder
	b.WriteString("受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,石门,邻里,调解成功\n")
	for i := 0; i < bad; i++ {
		b.WriteString("2014-02-30,石门,邻里,调解成功\n")
	}
	med := filepath.Join(dir, "调解.csv")
	os.WriteFile(med, []byte(b.String()), 0o644)
	reps, err := p.Run(ctx, []string{reg, med})
	if err != nil || len(reps) != 2 || reps[1].Err != nil {
		t.Fatalf("%v %+v", err, reps)
	}
	tr := reps[1].Tables[0]
	if tr.Rejected != bad || len(tr.Rejects) != load.MaxReportedRejects || tr.Omitted != 123 {
		t.Errorf("rejected %d, listed %d, omitted %d", tr.Rejected, len(tr.Rejects), tr.Omitted)
	}
	rows := load.RejectRows(reps)
	last := rows[len(rows)-1]
	if len(rows) != load.MaxReportedRejects+1 || !strings.Contains(last.Reason, "另有 123 行") || rows[0].Letter != "A" || rows[0].Row != 3 {
		t.Errorf("%d rows, first %+v, last %+v", len(rows), rows[0], last)
	}
	res, err := w.Query(ctx, "SELECT count(*) FROM rejects")
	if err != nil || res.Rows[0][0].(int64) != int64(load.MaxReportedRejects) {
		t.Errorf("the warehouse keeps %v rejected rows, want %d (%v)", res.Rows, load.MaxReportedRejects, err)
	}
	res, err = w.Query(ctx, "SELECT sum(rows_rejected) FROM loads")
	if err != nil || res.Rows[0][0].(int64) != int64(bad) {
		t.Errorf("loads counts %v rejected rows, want %d (%v)", res.Rows, bad, err)
	}
	back := load.NewPushReport("local", reps).FileReports()
	if got := load.RejectRows(back); fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Errorf("the push answer does not read back as the same rejects")
	}
}

// registryFile writes a registry of 青山县 and its 石门镇 into dir.
func registryFile(t *testing.T, dir string) string {
	t.Helper()
	reg := filepath.Join(dir, "名录.csv")
	if err := os.WriteFile(reg, []byte("区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return reg
}
