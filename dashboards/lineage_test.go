package dashboards_test

import (
	"context"
	"sifa/warehouse/panels"
	"sort"
	"strings"
	"testing"
)

// TestLineage: disputes.summary for 绿水县 2014 lists exactly the files
// whose rows it counts (found independently, from the visible fact rows'
// loads), on both engines; a township narrows it, and a panel
// that counts registry units lists the registry too.
func TestLineage(t *testing.T) {
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) {
			w := demoWarehouse(t, engine)
			e := &panels.Engine{Store: w}
			ctx := context.Background()
			lin, err := e.Lineage(ctx, "disputes.summary", panels.Filter{Org: "990122", Year: 2014})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range lin.Sources {
				got = append(got, s.File)
				if s.SHA256 == "" || s.Ledger != "mediation" || s.Accepted == 0 || s.LoadedAt == "" {
					t.Errorf("source %+v lacks its details", s)
				}
			}
			res, err := w.Query(ctx, "SELECT DISTINCT file FROM loads WHERE load_id IN (SELECT load_id FROM fact_dispute WHERE county_code = '990122' AND year = 2014 AND "+
				w.Visible()+")")
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, r := range res.Rows {
				want = append(want, r[0].(string))
			}
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "|") != strings.Join(want, "|") || len(want) == 0 {
				t.Errorf("lineage %v, the files holding the rows %v", got, want)
			}
			for _, f := range got {
				if !strings.Contains(f, "绿水县") || !strings.Contains(f, "调解") || !strings.Contains(f, "2014") {
					t.Errorf("%s in the lineage of 绿水县's 2014 disputes", f)
				}
			}
			t.Logf("disputes.summary 绿水县 2014 read %v", got)
			// the registry is a source where units are counted
			lin, err = e.Lineage(ctx, "buildout.progress", panels.Filter{Org: "990121", Year: 2014})
			if err != nil {
				t.Fatal(err)
			}
			ledgers := map[string]bool{}
			for _, s := range lin.Sources {
				ledgers[s.Ledger] = true
				if strings.Contains(s.File, "绿水县") {
					t.Errorf("青山县's build-out read %s", s.File)
				}
			}
			if !ledgers["registry"] || !ledgers["site"] || len(ledgers) != 2 {
				t.Errorf("buildout.progress sources: %v", ledgers)
			}
		})
	}
}
