package panels

import (
	"context"
	"fmt"
	"testing"
)

// TestCompareRates: per-head rates of two townships against hand-computed
// values; a year without a population has no rate and says so; the
// county's average is the whole over the whole; a corrections count under
// the minimum group is withheld, with its rate, from a researcher.
func TestCompareRates(t *testing.T) {
	for engine, dsn := range bothEngines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			med := "受理日期,乡镇,纠纷类型,调解结果\n"
			for i := 0; i < 30; i++ { // 石门镇: 30 in 2016, 20 in 2015
				med += fmt.Sprintf("2016-%02d-10,石门镇,邻里,调解成功\n", 1+i%12)
			}
			for i := 0; i < 20; i++ {
				med += fmt.Sprintf("2015-%02d-10,石门镇,邻里,调解成功\n", 1+i%12)
			}
			for i := 0; i < 40; i++ { // 营盘镇: 40 in 2016
				med += fmt.Sprintf("2016-%02d-11,营盘镇,邻里,调解成功\n", 1+i%12)
			}
			roster := "统计时点,姓名,身份证号,单位,在岗状态\n"
			for i, town := range []string{"石门镇", "石门镇", "营盘镇", "营盘镇", "营盘镇"} {
				roster += fmt.Sprintf("2016-12-31,员工%d,%s,%s,在岗\n", i, idNumber(i+1), town)
			}
			corr := "统计时点,身份证号,乡镇,矫正类别,状态\n"
			for i := 0; i < 7; i++ { // 石门镇 2 (under the minimum group of 3), 营盘镇 5
				town := "营盘镇"
				if i < 2 {
					town = "石门镇"
				}
				corr += fmt.Sprintf("2016-12-31,%s,%s,缓刑,在矫\n", idNumber(200+i), town)
			}
			w, _ := loadFiles(t, dsn, []ledgerFile{
				{"机构名录.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n"},
				{"调解.csv", med},
				{"花名册.csv", roster},
				{"矫正.csv", corr},
				{"经费.csv", "年度,单位,经费类别,预算数,实际支出\n2016,石门镇,公用经费,40000,36000\n2016,营盘镇,公用经费,60000,54000\n"},
				// 营盘镇 has no 2015 population
				{"人口.csv", "年度,单位,常住人口(人),户籍人口(人)\n2016,石门镇,20000,21000\n2016,营盘镇,50000,52000\n2015,石门镇,19000,20000\n"},
			}, nil)
			e := &Engine{Store: w}
			v, err := e.Run(ctx, "compare.orgs", Filter{Org: "990121", From: "2015-01", To: "2016-12"})
			if err != nil {
				t.Fatal(err)
			}
			c := v.(*Comparison)
			got := map[string]string{}
			for _, r := range append(c.Rows, c.Average...) {
				for _, id := range []string{"population", "disputes", "disputes_per10k", "staff_per10k", "corrections", "corrections_per10k", "funding_per_head", "funding_per_staff"} {
					s := "nil"
					if v := r.Values[id]; v != nil {
						s = fmt.Sprint(*v)
					}
					got[fmt.Sprintf("%s %d %s", r.OrgName, r.Year, id)] = s
				}
				if r.OrgName == "石门镇" && r.Year == 2016 {
					if ch := r.Change["disputes"]; ch == nil || *ch != 0.5 {
						t.Errorf("石门镇's change in disputes: %v, want +50%% (20 → 30)", ch)
					}
					if r.Rank["disputes_per10k"] != 1 {
						t.Errorf("石门镇's rank by disputes per 10,000: %d, want 1 (15 > 8)", r.Rank["disputes_per10k"])
					}
				}
			}
			for key, want := range map[string]string{
				"石门镇 2016 disputes_per10k":    "15",    // 30 / 20000 × 10000
				"营盘镇 2016 disputes_per10k":    "8",     // 40 / 50000 × 10000
				"石门镇 2016 staff_per10k":       "1",     // 2 / 20000 × 10000
				"营盘镇 2016 staff_per10k":       "0.6",   // 3 / 50000 × 10000
				"营盘镇 2016 corrections_per10k": "1",     // 5 / 50000 × 10000
				"石门镇 2016 funding_per_head":   "1.8",   // 36000 / 20000
				"营盘镇 2016 funding_per_staff":  "18000", // 54000 / 3
				"石门镇 2015 disputes_per10k":    "10.53", // 20 / 19000 × 10000
				"营盘镇 2015 disputes_per10k":    "nil",   // no population: no rate
				"平均 2016 disputes":            "35",    // (30 + 40) / 2 per township
				"平均 2016 disputes_per10k":     "10",    // 70 / 70000 × 10000
				"平均 2016 population":          "35000",
			} {
				if got[key] != want {
					t.Errorf("%s = %s, want %s", key, got[key], want)
				}
			}
			if len(c.Notes) != 1 || c.Notes[0] != "没有人口数，每万人指标空缺：营盘镇2015年。请上传人口台账" {
				t.Errorf("notes: %q", c.Notes)
			}
			// a researcher: 石门镇's 2 subjects withheld, with the rate that would give them away; 营盘镇's 5 shown
			v, err = e.Run(WithAccess(ctx, &Access{User: "r", Role: RoleResearcher}), "compare.orgs", Filter{Org: "990121", Year: 2016})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range v.(*Comparison).Rows {
				withheld := r.Values["corrections"] == nil && r.Values["corrections_per10k"] == nil && r.Change["corrections"] == nil
				if (r.OrgName == "石门镇") != withheld {
					t.Errorf("%s for a researcher: corrections %v, per 10,000 %v", r.OrgName, r.Values["corrections"], r.Values["corrections_per10k"])
				}
			}
			// the dataset: a row per org and year, a codebook line per column
			if ds, cb := c.Dataset(), c.Codebook(); len(ds) != 4 || len(ds[0]) != len(cb) || cb[4].Name != "population" {
				t.Errorf("dataset %d rows of %d columns, codebook %d", len(ds), len(ds[0]), len(cb))
			}
		})
	}
}
