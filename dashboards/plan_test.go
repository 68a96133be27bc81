package dashboards_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"sifa/warehouse/panels"
)

// TestFundingPlan: the what-if over funding.plan, by hand: 青山县 2016 has
// 1,138 disputes received, 45 staff in post (the 经费 page's 公用经费 standard
// is 45 × 18,000 = 810,000 元) and one county bureau; 以案定补 at 200 元 a
// case adds 227,600 元 to the 200,000 元 per county (the example).
func TestFundingPlan(t *testing.T) {
	ctx := context.Background()
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) {
			e := &panels.Engine{Store: demoWarehouse(t, engine)}
			v, err := e.Run(ctx, "funding.plan", panels.Filter{Org: "990121", Year: 2016})
			if err != nil {
				t.Fatal(err)
			}
			b := v.(*panels.FundingPlan)
			top := b.Rows[0]
			if top.Received != 1138 || top.Staff != 45 || top.Counties != 1 || len(b.Rows) != 14 {
				t.Fatalf("青山县 2016: %d received, %d staff, %d counties, %d rows; want 1138, 45, 1, 14", top.Received, top.Staff, top.Counties, len(b.Rows))
			}
			var received, staff int64
			for _, r := range b.Rows[1:] {
				received += r.Received
				staff += r.Staff
			}
			if received != 1138 || staff >= 45 {
				t.Errorf("the townships add up to %d received, %d staff (the bureau's staff are the county's only)", received, staff)
			}
			p := panels.BudgetPlan{PublicPerStaff: 18000, CorrectionsPerSubject: 1500, MediationPerCounty: 200000, PerCase: 200}
			l := b.Plan(p)[0]
			if l.NeedMediation != 427600 || l.NeedPublic != 810000 {
				t.Errorf("mediation %v (want 200,000 + 200 × 1,138 = 427,600), public %v (want 810,000)", l.NeedMediation, l.NeedPublic)
			}
			if l.GapMediation != 427600-top.BudgetMediation || l.Gap != l.GapPublic+l.GapCorrections+l.GapMediation {
				t.Errorf("gaps %+v against budget %v", l, top.BudgetMediation)
			}
			// two more staff for 石门镇 next year: the county needs 2 × 18,000 more
			shimen := b.Rows[1]
			p.Staff = map[string]int64{shimen.OrgCode: shimen.Staff + 2}
			lines := b.Plan(p)
			if lines[0].NeedPublic != 810000+36000 || lines[1].NeedPublic != float64(shimen.Staff+2)*18000 {
				t.Errorf("with 2 more staff in 石门镇: county %v, 石门镇 %v", lines[0].NeedPublic, lines[1].NeedPublic)
			}
		})
	}
}

// TestPlanPage: 政府用户 open 经费测算 with their own figures; a bad figure
// is refused with a message; a 数据员 may not open it.
func TestPlanPage(t *testing.T) {
	srv := demoSite(t)
	st := storeOf(t, srv.URL)
	gov := signIn(t, srv.URL, st, panels.RoleGovernment, "990121")
	code, body := gov.get(t, "/plan?year=2016&per_case=200")
	if code != http.StatusOK || !strings.Contains(body, "以案定补：200元 × 1,138件（2016年受理纠纷） = 227,600元") {
		t.Errorf("/plan as 政府用户: %d\n%s", code, body[:min(len(body), 400)])
	}
	if !strings.Contains(body, `name="staff_990121100"`) {
		t.Errorf("the form lacks the townships' staff")
	}
	if code, _ := gov.get(t, "/plan?year=2016&public=-5"); code != http.StatusBadRequest {
		t.Errorf("a negative standard: %d, want 400", code)
	}
	clerk := signIn(t, srv.URL, st, panels.RoleClerk, "990121100")
	if code, _ := clerk.get(t, "/plan?year=2016"); code != http.StatusForbidden {
		t.Errorf("a 数据员 on /plan: %d, want 403", code)
	}
}
