package warehouse_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"sifa/warehouse"
	"sifa/warehouse/load"
)

// scopeLoaded says whether a scope has a current load.
func scopeLoaded(t *testing.T, w *warehouse.Warehouse, scope string) bool {
	t.Helper()
	res, err := w.Query(context.Background(), "SELECT count(*) FROM scopes WHERE scope = "+w.Lit(scope)+" AND superseded = 0")
	if err != nil {
		t.Fatal(err)
	}
	return res.Rows[0][0].(int64) > 0
}

// TestZeroReport: an office's 零上报 makes its month present without rows;
// it never hides data that was sent, stays within the sender's office,
// survives a rebuild from the archive, and real data sent later counts.
func TestZeroReport(t *testing.T) {
	ctx := context.Background()
	for engine, dsn := range engines(t) {
		t.Run(engine, func(t *testing.T) {
			dir, w, p := withRegistry(t, dsn)
			run(t, p, disputesFile(t, dir, "石门镇11月.csv", 3, [2]string{"石门镇", "2016-11"}))
			zero := func(org, month string) load.ZeroDeclaration {
				return load.ZeroDeclaration{Ledger: "mediation", Org: org, Month: month, By: "clerk"}
			}
			rep, err := p.DeclareZero(ctx, "", t.TempDir(), zero("990121101", "2016-12"))
			if err != nil || rep.Err != nil || rep.Accepted() != 0 || len(rep.Tables) != 1 || rep.Tables[0].LedgerName != "人民调解台账" {
				t.Fatalf("营盘镇's 零上报: %+v %v", rep, err)
			}
			if !scopeLoaded(t, w, "mediation|990121101|2016-12") {
				t.Fatal("the declared month has no load")
			}
			// a second declaration of the month changes nothing
			if rep, _ := p.DeclareZero(ctx, "", t.TempDir(), zero("990121101", "2016-12")); rep.Err != nil || !scopeLoaded(t, w, "mediation|990121101|2016-12") {
				t.Errorf("the month declared again: %v", rep.Err)
			}
			if _, err := p.DeclareZero(ctx, "", t.TempDir(), load.ZeroDeclaration{Ledger: "roster", Org: "990121101", Month: "2016-12"}); err == nil || !strings.Contains(err.Error(), "只有按月报送的台账") {
				t.Errorf("a 零上报 of the roster: %v", err)
			}
			for _, c := range []struct {
				name, org, month, within, want string
			}{
				{"a month with rows", "990121100", "2016-11", "", "已经有 3 行人民调解台账"},
				{"another office", "990121101", "2016-10", "990121100", "只能为本单位"},
				{"a village", "990121100201", "2016-10", "", "不是机构名录里的乡镇司法所"},
				{"a month to come", "990121101", "2999-01", "", "还没到"},
			} {
				rep, err := p.DeclareZero(ctx, c.within, t.TempDir(), zero(c.org, c.month))
				if err != nil || rep.Err == nil || !strings.Contains(rep.Err.Error(), c.want) {
					t.Errorf("%s: %v %v, want %q", c.name, rep.Err, err, c.want)
				}
			}
			if got := counts(t, w); got["石门镇 2016-11"] != 3 {
				t.Errorf("a refused declaration changed the data: %v", got)
			}
			// a rebuild from the archive replays the declaration
			w2 := open(t, "duckdb:"+filepath.Join(t.TempDir(), "rebuilt.duckdb"))
			defer w2.Close()
			p2 := pipeline(w2, filepath.Join(dir, "archive"))
			if _, err := p2.Replay(ctx, t.TempDir()); err != nil {
				t.Fatal(err)
			}
			if !scopeLoaded(t, w2, "mediation|990121101|2016-12") || counts(t, w2)["石门镇 2016-11"] != 3 {
				t.Errorf("the rebuilt warehouse lost the declaration or the data: %v", counts(t, w2))
			}
			// the office's ledger sent after all: its rows count
			run(t, p, disputesFile(t, dir, "营盘镇12月.csv", 2, [2]string{"营盘镇", "2016-12"}))
			if got := counts(t, w); got["营盘镇 2016-12"] != 2 {
				t.Errorf("rows sent after a declaration: %v", got)
			}
		})
	}
}
