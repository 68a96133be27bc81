package panels

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/load"
)

// idNumber is a valid 18-digit ID number of the demo area.
func idNumber(seq int) string {
	base := fmt.Sprintf("990121%s%03d", time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (seq*97)%18000).Format("20060102"), seq%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range base {
		sum += int(c-'0') * weights[i]
	}
	return base + string("10X98765432"[sum%11])
}

// plantedCounty is a county of three offices with one of each problem
// quality.offices looks for planted in 2016, and nothing else wrong.
func plantedCounty(t *testing.T, dsn string) (*warehouse.Warehouse, *load.Pipeline) {
	ctx := context.Background()
	towns := []string{"石门镇", "营盘镇", "青石镇"}
	var med strings.Builder
	med.WriteString("编号,受理日期,乡镇,纠纷类型,调解结果\n")
	n := 0
	for ti, town := range towns {
		for m := 1; m <= 12; m++ {
			cases := 6 + (m+ti)%3 // 6–8 a month
			switch {
			case town == "石门镇" && m == 10:
				cases = 40 // planted: far above its usual level
			case town == "青石镇" && m == 11:
				cases = 0 // planted: declared zero below
			case town == "营盘镇" && m == 4:
				cases = 0 // sent in a file of its own below
			}
			for k := 0; k < cases; k++ {
				n++
				fmt.Fprintf(&med, "C%04d,2016-%02d-%02d,%s,邻里,调解成功\n", n, m, 1+k%27, town)
			}
		}
	}
	// 营盘镇's April on its own: one row refused, and March's case C0167 sent again
	april := "编号,受理日期,乡镇,纠纷类型,调解结果\nYP1,2016-04-03,营盘镇,邻里,调解成功\nYP2,2016-04-09,营盘镇,邻里,调解成功\nYP3,2016-04-11,营盘镇,邻里,调解成功\n" +
		"YP4,2016-04-12,营盘镇,邻里,调解成功\nYP5,2016-04-14,营盘镇,邻里,调解成功\nYP6,2016-04-15,营盘镇,邻里,调解成功\nYP7,2016-04-16,营盘镇,打架,调解成功\n"
	var dup string
	for _, line := range strings.Split(med.String(), "\n") {
		if strings.Contains(line, ",2016-03-") && strings.Contains(line, "营盘镇") {
			dup = strings.Split(line, ",")[0]
			april += dup + ",2016-04-20,营盘镇,邻里,调解成功\n"
			break
		}
	}
	roster := "统计时点,姓名,身份证号,单位,在岗状态\n"
	for i, town := range []string{"石门镇", "石门镇", "营盘镇", "营盘镇", "青石镇"} {
		roster += fmt.Sprintf("2016-12-31,员工%d,%s,%s,在岗\n", i, idNumber(i+1), town)
	}
	corr := "统计时点,身份证号,乡镇,矫正类别,状态\n"
	for i := 0; i < 25; i++ {
		corr += fmt.Sprintf("2016-12-31,%s,%s,缓刑,在矫\n", idNumber(100+i), towns[i%3])
	}
	budget := "年度,单位,经费类别,标准金额,预算数\n" +
		"2016,石门镇,公用经费,54000,54000\n" + // planted: 3 staff's worth, the roster has 2
		"2016,营盘镇,公用经费,36000,36000\n" + // 2 staff, as the roster
		"2016,青山县,社区矫正经费,30000,30000\n" // planted: 10–20 subjects, the register has 25
	w, p := loadFiles(t, dsn, []ledgerFile{
		{"机构名录.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n990121102,青石镇,乡镇(街道),990121\n"},
		{"人民调解2016.csv", med.String()},
		{"营盘镇2016年4月.csv", april},
		{"花名册.csv", roster},
		{"矫正.csv", corr},
		{"经费.csv", budget},
	}, map[string]int{"营盘镇2016年4月.csv": 1})
	if rep, err := p.DeclareZero(ctx, "", t.TempDir(), load.ZeroDeclaration{Ledger: "mediation", Org: "990121102", Month: "2016-11", By: "clerk"}); err != nil || rep.Err != nil {
		t.Fatalf("青石镇's 零上报: %v %v", err, rep.Err)
	}
	return w, p
}

// TestQualityFindsPlanted: each planted problem is found, once, and nothing else.
func TestQualityFindsPlanted(t *testing.T) {
	for engine, dsn := range bothEngines(t) {
		t.Run(engine, func(t *testing.T) {
			w, _ := plantedCounty(t, dsn)
			e := &Engine{Store: w, Now: func() time.Time { return time.Date(2017, 1, 10, 0, 0, 0, 0, time.UTC) }}
			v, err := e.Run(context.Background(), "quality.offices", Filter{Org: "990121", Year: 2016})
			if err != nil {
				t.Fatal(err)
			}
			q := v.(*Quality)
			var got []string
			for _, f := range q.Flags {
				got = append(got, f.Check+" "+f.OrgName+" "+f.Period+" "+strconv.FormatFloat(f.Value, 'f', -1, 64))
			}
			sort.Strings(got)
			want := []string{
				"corrections_mismatch 青山县 2016 25",
				"duplicate_case 营盘镇 2016-03 2",
				"outlier_high 石门镇 2016-10 40",
				"staff_mismatch 石门镇 2016 2",
				"sudden_zero 青石镇 2016-11 0",
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("flags:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			for _, c := range q.Checks {
				if c.Checked == 0 {
					t.Errorf("check %s looked at nothing", c.ID)
				}
			}
			byName := map[string]QualityRow{}
			for _, r := range q.Rows {
				byName[r.OrgName] = r
			}
			// 营盘镇's own April file: 7 rows loaded with C0167 again, 1 refused (打架 is no dispute type)
			yp := byName["营盘镇"]
			if yp.RowsRejected != 1 || len(yp.Reasons) != 1 || !strings.Contains(yp.Reasons[0].Reason, "不在可选范围内") || q.RowsRejected != 1 {
				t.Errorf("营盘镇's rejects: %+v (scope %d)", yp, q.RowsRejected)
			}
			// 7+8+6+7+8+6+7+8+6+40+8+6 mediation rows; every month lacks its consultation ledger
			if sm := byName["石门镇"]; sm.RowsLoaded != 117 || sm.Missing != 12 || sm.Flags != 2 {
				t.Errorf("石门镇: %+v", sm)
			}
			// 12 months due for 3 offices, every mediation month sent (青石镇's November declared); no consultation ledger at all
			if q.MonthsDue != 36 || q.MonthsSent != 0 || q.Offices != 3 {
				t.Errorf("coverage: %d of %d months sent, %d offices", q.MonthsSent, q.MonthsDue, q.Offices)
			}
		})
	}
}
