package panels

import (
	"context"
	"fmt"
	"testing"
)

// TestLatestRegisterCounts: the persons a funding panel counts for an
// office are those of its latest register on or before the year's end,
// also when that register lists nobody in the state counted: 营盘镇's 2016
// register lists its four persons as 期满解矫, so it has no subjects in
// 2016, not the four of its 2015 register. Both ways of reading the
// registers: the latest before each of a few years' ends (funding.plan)
// and every year's last (compare.orgs over five years).
func TestLatestRegisterCounts(t *testing.T) {
	for engine, dsn := range bothEngines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			corr := "统计时点,身份证号,乡镇,矫正类别,状态\n"
			for i := 0; i < 3; i++ { // 石门镇: the same three 在矫 at both ends
				corr += fmt.Sprintf("2015-12-31,%s,石门镇,缓刑,在矫\n2016-12-31,%s,石门镇,缓刑,在矫\n", idNumber(300+i), idNumber(300+i))
			}
			for i := 0; i < 4; i++ { // 营盘镇: four 在矫 at the end of 2015, all 期满解矫 by the end of 2016
				corr += fmt.Sprintf("2015-12-31,%s,营盘镇,缓刑,在矫\n2016-12-31,%s,营盘镇,缓刑,期满解矫\n", idNumber(400+i), idNumber(400+i))
			}
			w, _ := loadFiles(t, dsn, []ledgerFile{
				{"机构名录.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n"},
				{"矫正.csv", corr},
				{"人口.csv", "年度,单位,常住人口(人),户籍人口(人)\n2016,石门镇,20000,21000\n2016,营盘镇,50000,52000\n2015,石门镇,20000,21000\n2015,营盘镇,50000,52000\n"},
			}, nil)
			e := &Engine{Store: w}
			for year, want := range map[int]map[string]Persons{2016: {"石门镇": 3, "营盘镇": 0}, 2015: {"石门镇": 3, "营盘镇": 4}} {
				v, err := e.Run(ctx, "funding.plan", Filter{Org: "990121", Year: year})
				if err != nil {
					t.Fatal(err)
				}
				got := map[string]Persons{}
				for _, r := range v.(*FundingPlan).Rows {
					got[r.OrgName] = r.Subjects
				}
				for town, n := range want {
					if got[town] != n {
						t.Errorf("funding.plan %d: %s has %d subjects, want %d", year, town, got[town], n)
					}
				}
			}
			v, err := e.Run(ctx, "compare.orgs", Filter{Org: "990121", From: "2012-01", To: "2016-12"})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, r := range v.(*Comparison).Rows {
				if c := r.Values["corrections"]; c != nil {
					got[fmt.Sprintf("%s %d", r.OrgName, r.Year)] = fmt.Sprint(*c)
				}
			}
			for key, want := range map[string]string{"石门镇 2016": "3", "营盘镇 2016": "0", "营盘镇 2015": "4"} {
				if got[key] != want {
					t.Errorf("compare.orgs corrections %s = %q, want %s (all: %v)", key, got[key], want, got)
				}
			}
		})
	}
}
