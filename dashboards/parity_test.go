package dashboards_test

import (
	"context"
	"encoding/json"
	"sifa/warehouse/panels"
	"testing"
)

// filters every panel is asked with in the parity test.
var parityFilters = []panels.Filter{
	{},
	{Org: "990121", Year: 2014},
	{Org: "990122", Year: 2014},
	{Org: "990122", Year: 2016},
	{Org: "990121101", Year: 2015},
	{Org: "990121101201", Year: 2016},
	{From: "2013-03", To: "2014-02"},
	{Org: "99", Year: 2013},
	{Org: "990122", From: "2012-01", To: "2012-06"},
}

// TestParity ingests the demo folder into DuckDB and into ClickHouse and
// holds every panel's JSON to be identical for every filter.
func TestParity(t *testing.T) {
	duck := demoWarehouse(t, "duckdb")
	ch := demoWarehouse(t, "clickhouse")
	ctx := context.Background()
	ed := &panels.Engine{Store: duck}
	ec := &panels.Engine{Store: ch}
	compared := 0
	for _, p := range panels.Panels() {
		filters := parityFilters
		if len(p.Categories) > 0 {
			filters = append(append([]panels.Filter{}, filters...),
				panels.Filter{Org: "990122", Year: 2014, Category: p.Categories[0]},
				panels.Filter{Org: "990121", Year: 2015, Category: p.Categories[len(p.Categories)-1]})
		}
		for _, f := range filters {
			a, err := ed.Run(ctx, p.ID, f)
			if err != nil {
				t.Fatalf("duckdb %s %+v: %v", p.ID, f, err)
			}
			b, err := ec.Run(ctx, p.ID, f)
			if err != nil {
				t.Fatalf("clickhouse %s %+v: %v", p.ID, f, err)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Errorf("%s %+v differs:\nduckdb:     %s\nclickhouse: %s", p.ID, f, ja, jb)
			}
			if len(ja) < 10 {
				t.Errorf("%s %+v: suspiciously empty answer %s", p.ID, f, ja)
			}
			compared++
		}
	}
	t.Logf("compared %d panel answers", compared)
}
