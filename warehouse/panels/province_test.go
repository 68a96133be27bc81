package panels

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"sifa/warehouse"
)

// TestProvinceSizedQueries runs every panel for a province of 100 counties
// and 1,300 township offices that each sent their monthly ledgers for a
// year: no panel's SQL may grow with the number of offices past what an
// engine takes (ClickHouse refuses a query over 256 KiB; naming each
// office-month's scope once made submissions.timeliness 1 MB).
func TestProvinceSizedQueries(t *testing.T) {
	var reg strings.Builder
	reg.WriteString("区划代码,单位名称,层级,上级区划代码\n")
	var towns []string
	for c := 1; c <= 100; c++ {
		county := fmt.Sprintf("98%02d%02d", (c-1)/10+1, (c-1)%10+1)
		fmt.Fprintf(&reg, "%s,第%d县,县,\n", county, c)
		for n := 0; n < 13; n++ {
			town := fmt.Sprintf("%s%03d", county, 100+n)
			towns = append(towns, town)
			fmt.Fprintf(&reg, "%s,第%d县第%d镇,乡镇(街道),%s\n", town, c, n+1, county)
		}
	}
	for engine, dsn := range bothEngines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			w, _ := loadFiles(t, dsn, []ledgerFile{{"reg.csv", reg.String()}}, nil)
			var scopes []string
			for _, town := range towns {
				for m := 1; m <= 12; m++ {
					for _, l := range monthlyLedgers {
						scopes = append(scopes, fmt.Sprintf("%s|%s|2016-%02d", l.ID, town, m))
					}
				}
			}
			at := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC) // before every due day
			if err := w.Commit(ctx, "P1", scopes, []warehouse.Load{{LoadID: "P1", File: "p.csv", Sheet: "Sheet1", SHA256: "p", Ledger: "mediation",
				Orgs: towns, Periods: []string{"2016-01"}, At: at}}); err != nil {
				t.Fatal(short(err))
			}
			e := &Engine{Store: w, SubmissionDay: 5, Now: func() time.Time { return time.Date(2017, 1, 10, 0, 0, 0, 0, time.UTC) }}
			for _, p := range Panels() {
				for _, f := range []Filter{{Year: 2016}, {Org: "98", Year: 2016}} {
					if _, err := e.Run(ctx, p.ID, f); err != nil {
						t.Errorf("%s %+v: %s", p.ID, f, short(err))
					}
				}
			}
			v, err := e.Run(ctx, "submissions.timeliness", Filter{Year: 2016})
			if err != nil {
				t.Fatal(err)
			}
			if got := v.(*Timeliness); got.Offices != 1300 || got.OnTimeRate != 1 {
				t.Errorf("timeliness: %d offices, on time %.3f; want 1300 offices all on time", got.Offices, got.OnTimeRate)
			}
			lin, err := e.Lineage(ctx, "submissions.timeliness", Filter{Year: 2016})
			if err != nil {
				t.Fatal(short(err))
			}
			var files []string
			for _, src := range lin.Sources {
				files = append(files, src.File)
			}
			if fmt.Sprint(files) != "[p.csv reg.csv]" {
				t.Errorf("lineage: %v, want [p.csv reg.csv]", files)
			}
		})
	}
}

// short is the start of an error whose text quotes a long query.
func short(err error) string {
	s := err.Error()
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return s
}
