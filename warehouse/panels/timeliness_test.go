package panels

import (
	"context"
	"fmt"
	"testing"
	"time"

	"sifa/warehouse"
)

// TestTimeliness: 石门镇 sends every month by the 5th; 营盘镇 sends January
// on time (its correction in May does not make it late), February's
// mediation ledger two days and ten hours late, declares March's mediation
// zero, and sends nothing after.
func TestTimeliness(t *testing.T) {
	for engine, dsn := range bothEngines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			w, _ := loadFiles(t, dsn, []ledgerFile{{"reg.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121101,营盘镇,乡镇(街道),990121\n"}}, nil)
			cst := time.FixedZone("CST", 8*3600)
			n := 0
			send := func(ledgerID, org, month string, at time.Time, sheet string) {
				n++
				id := fmt.Sprintf("L%03d", n)
				err := w.Commit(ctx, id, []string{ledgerID + "|" + org + "|" + month}, []warehouse.Load{{LoadID: id, File: id + ".csv", Sheet: sheet,
					SHA256: id, Ledger: ledgerID, Orgs: []string{org}, Periods: []string{month}, At: at}})
				if err != nil {
					t.Fatal(err)
				}
			}
			for m := 1; m <= 12; m++ {
				month := fmt.Sprintf("2016-%02d", m)
				onTime := time.Date(2016, time.Month(m+1), 3, 10, 0, 0, 0, cst)
				send("mediation", "990121100", month, onTime, "Sheet1")
				send("consultation", "990121100", month, onTime, "Sheet1")
				switch m {
				case 1:
					send("mediation", "990121101", month, onTime, "Sheet1")
					send("consultation", "990121101", month, onTime, "Sheet1")
					send("mediation", "990121101", month, time.Date(2016, 5, 1, 9, 0, 0, 0, cst), "Sheet1") // a correction
				case 2:
					send("mediation", "990121101", month, time.Date(2016, 3, 8, 10, 0, 0, 0, cst), "Sheet1")
					send("consultation", "990121101", month, onTime, "Sheet1")
				case 3:
					send("mediation", "990121101", month, time.Date(2016, 4, 2, 9, 0, 0, 0, cst), "零上报")
					send("consultation", "990121101", month, onTime, "Sheet1")
				}
			}
			e := &Engine{Store: w, SubmissionDay: 5, Now: func() time.Time { return time.Date(2017, 1, 10, 0, 0, 0, 0, time.UTC) }}
			v, err := e.Run(ctx, "submissions.timeliness", Filter{Org: "990121", Year: 2016})
			if err != nil {
				t.Fatal(err)
			}
			got := v.(*Timeliness)
			want := []TimelinessRow{
				{OrgCode: "990121100", OrgName: "石门镇", MonthsDue: 12, OnTime: 12, OnTimeRate: 1},
				{OrgCode: "990121101", OrgName: "营盘镇", MonthsDue: 12, OnTime: 2, Late: 1, Missing: 9, Zero: 1, OnTimeRate: 2.0 / 12, LateDays: 2.4},
			}
			if len(got.Months) != 12 || got.Offices != 2 || fmt.Sprint(got.Rows) != fmt.Sprint(want) || fmt.Sprintf("%.4f", got.OnTimeRate) != "0.5833" {
				t.Errorf("timeliness:\n got %+v\nwant %+v (rate 0.5833)", got, want)
			}
			// a 数据员 of 营盘镇 reads only their office
			v, err = e.Run(WithAccess(ctx, &Access{User: "c", Role: RoleClerk, Org: "990121101"}), "submissions.timeliness", Filter{Year: 2016})
			if err != nil || len(v.(*Timeliness).Rows) != 1 || v.(*Timeliness).Rows[0].OrgName != "营盘镇" {
				t.Errorf("a clerk's timeliness: %+v %v", v, err)
			}
		})
	}
}
