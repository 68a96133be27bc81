package dashboards_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"sifa/transform"
	"sifa/warehouse/panels"
)

// TestBuildoutSixItems counts, straight from the latest site ledger rows
// and the registry, the sites of each township lacking each of the 六有
// items and lacking any, its villages and those without a work room, and
// holds buildout.by_org to them on both engines.
func TestBuildoutSixItems(t *testing.T) {
	items := []struct{ col, name string }{
		{"has_staff", "有工作人员"}, {"has_premises", "有办公场所"}, {"has_facilities", "有办公设施"},
		{"has_sign", "有标牌"}, {"has_rules", "有制度"}, {"has_ledger", "有工作台账"},
	}
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			w := demoWarehouse(t, engine)
			var without int64
			for _, tc := range []struct {
				county string
				year   int
			}{{"990121", 2016}, {"990122", 2014}} {
				end := fmt.Sprintf("%d-12-31", tc.year)
				q := "SELECT town_code, established, snapshot, level, village_code"
				for _, it := range items {
					q += ", " + it.col
				}
				q += " FROM fact_site WHERE " + w.Visible() + " AND county_code = '" + tc.county + "' AND concat(scope_org, '|', period) " + w.In() +
					" (SELECT concat(scope_org, '|', max(period)) FROM fact_site WHERE " + w.Visible() + " AND county_code = '" + tc.county +
					"' AND period <= '" + end + "' GROUP BY scope_org)"
				res, err := w.Query(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				want := map[string]map[string]int64{}
				wantAny := map[string]int64{}
				room := map[string]bool{}
				for _, r := range res.Rows {
					est := fmt.Sprint(r[1])
					if r[1] == nil || est == "" {
						est = fmt.Sprint(r[2])
					}
					if est > end {
						continue
					}
					town := fmt.Sprint(r[0])
					if r[3] != "乡镇司法行政服务站" {
						room[fmt.Sprint(r[4])] = true
					}
					if want[town] == nil {
						want[town] = map[string]int64{}
					}
					lacks := false
					for k, it := range items {
						if v, _ := r[5+k].(int64); v == 0 {
							want[town][it.name]++
							lacks = true
						}
					}
					if lacks {
						wantAny[town]++
					}
				}
				ans, err := (&panels.Engine{Store: w}).Run(ctx, "buildout.by_org", panels.Filter{Org: tc.county, Year: tc.year})
				if err != nil {
					t.Fatal(err)
				}
				reg, err := w.Registry(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var lacking int64
				for _, row := range ans.(*panels.Rows[panels.BuildoutOrgRow]).Rows {
					for _, it := range items {
						if got := row.MissingSixItems[it.name]; got != want[row.OrgCode][it.name] {
							t.Errorf("%s %d %s lacks %s at %d sites, the ledger says %d", tc.county, tc.year, row.OrgName, it.name, got, want[row.OrgCode][it.name])
						}
					}
					if row.SitesMissingSixItems != wantAny[row.OrgCode] {
						t.Errorf("%s %d %s: %d sites lack an item, the ledger says %d", tc.county, tc.year, row.OrgName, row.SitesMissingSixItems, wantAny[row.OrgCode])
					}
					lacking += row.SitesMissingSixItems
					var noRoom []string
					villages := reg.Under(row.OrgCode, transform.LevelVillage)
					for _, v := range villages {
						if !room[v.Code] {
							noRoom = append(noRoom, v.Name)
						}
					}
					if row.Villages != int64(len(villages)) || strings.Join(row.VillagesWithoutRoom, "、") != strings.Join(noRoom, "、") {
						t.Errorf("%s %d %s: %d villages, without a room %v; the registry and ledger say %d, %v", tc.county, tc.year, row.OrgName,
							row.Villages, row.VillagesWithoutRoom, len(villages), noRoom)
					}
					without += int64(len(noRoom))
				}

				if lacking == 0 {
					t.Errorf("%s %d: no site lacks any item; the demo has some", tc.county, tc.year)
				}
			}
			if without == 0 {
				t.Errorf("every village has a room in every case; the demo has some without")
			}
		})
	}
}
