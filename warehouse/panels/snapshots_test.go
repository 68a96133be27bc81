package panels

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"

	"sifa/ingest/ledger"
	"sifa/warehouse"
)

// TestSnapshotPicks: the registers a panel counts are each org's last of a
// year (work.by_year) or its latest on or before a year's end
// (funding.plan), picked among the scope rows as the facts would pick them:
// a year whose last register is after the filter's end has none, and an
// earlier register never stands in for it. The scope rows and the facts
// give the same answers.
func TestSnapshotPicks(t *testing.T) {
	registers := []struct {
		date, town    string
		inSupervision int
	}{
		{"2015-06-30", "石门镇", 3}, {"2015-12-31", "石门镇", 2}, {"2016-03-31", "石门镇", 4}, {"2016-09-30", "石门镇", 5},
		{"2015-11-30", "营盘镇", 6}, {"2016-06-30", "营盘镇", 7},
	}
	corr := "统计时点,身份证号,乡镇,矫正类别,状态\n"
	seq := 0
	for _, r := range registers {
		for i := 0; i < r.inSupervision; i++ {
			seq++
			corr += fmt.Sprintf("%s,%s,%s,缓刑,在矫\n", r.date, idNumber(500+seq), r.town)
		}
	}
	for engine, dsn := range bothEngines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			w, _ := loadFiles(t, dsn, []ledgerFile{
				{"机构名录.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n"},
				{"矫正.csv", corr},
			}, nil)
			scopes, facts := &Engine{Store: w}, &Engine{Store: w, factsOnly: true}
			for _, c := range []struct {
				name string
				f    Filter
				want map[int]Persons
			}{
				{"every year's last", Filter{Org: "990121"}, map[int]Persons{2015: 2 + 6, 2016: 5 + 7}},
				// 石门镇's last of 2016 is after August: it has none that year
				{"the end before a year's last", Filter{Org: "990121", From: "2016-01", To: "2016-08"}, map[int]Persons{2015: 8, 2016: 7}},
				{"one township", Filter{Org: "990121101"}, map[int]Persons{2015: 6, 2016: 7}},
			} {
				v, err := scopes.Run(ctx, "work.by_year", c.f)
				if err != nil {
					t.Fatal(err)
				}
				got := map[int]Persons{}
				for _, y := range v.(*Rows[WorkYear]).Rows {
					got[y.Year] = y.CorrectionsInSupervision
				}
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Errorf("work.by_year, %s: %v, want %v", c.name, got, c.want)
				}
				sameAsFacts(t, scopes, facts, "work.by_year", c.f)
			}
			for year, want := range map[int]map[string]Persons{2016: {"石门镇": 5, "营盘镇": 7, "青山县": 12}, 2015: {"石门镇": 2, "营盘镇": 6, "青山县": 8}} {
				f := Filter{Org: "990121", Year: year}
				v, err := scopes.Run(ctx, "funding.plan", f)
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]Persons{}
				for _, r := range v.(*FundingPlan).Rows {
					got[r.OrgName] = r.Subjects
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("funding.plan %d: %v, want %v", year, got, want)
				}
				sameAsFacts(t, scopes, facts, "funding.plan", f)
				// two years' ends at once (this year's and last): a register
				// latest at both is read once
				sameAsFacts(t, scopes, facts, "funding.shortfall", f)
			}
			sameAsFacts(t, scopes, facts, "compare.orgs", Filter{Org: "990121", From: "2016-01", To: "2017-12"})
			// a register that is an office's latest at two dates is picked once
			_, cols := warehouse.PersonsCounted(ledger.Corrections.ID)
			res, err := w.Query(ctx, w.Dialect().LatestScopes(ledger.Corrections.ID, "990121", cols[:1], []string{"2016-12-31", "2017-12-31"}))
			if err != nil {
				t.Fatal(err)
			}
			var picked []string
			for _, r := range res.Rows {
				picked = append(picked, fmt.Sprintf("%v %v %v", r...))
			}
			sort.Strings(picked)
			if got := strings.Join(picked, "; "); got != "990121100 2016-09-30 5; 990121101 2016-06-30 7" {
				t.Errorf("the latest registers at two years' ends: %s", got)
			}
		})
	}
}
