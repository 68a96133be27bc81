package dashboards_test

import (
	"context"
	"sifa/warehouse/panels"
	"testing"
)

// TestDemoReproducesSeeds holds the demo data to the seed reports' own
// figures, on both engines.
func TestDemoReproducesSeeds(t *testing.T) {
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) {
			e := &panels.Engine{Store: demoWarehouse(t, engine)}
			ctx := context.Background()
			run := func(id string, f panels.Filter) any {
				v, err := e.Run(ctx, id, f)
				if err != nil {
					t.Fatalf("%s: %v", id, err)
				}
				return v
			}
			// 篇一: 青山县, 2014-12-31
			s := run("staffing.summary", panels.Filter{Org: "990121", Year: 2014}).(*panels.StaffingSummary)
			checks := []struct {
				name      string
				got, want int64
			}{
				{"offices", s.Offices, 13}, {"staff", s.Staff, 26}, {"offices_multi_staff", s.OfficesMultiStaff, 9},
				{"offices_single_staff", s.OfficesSingleStaff, 4}, {"deputy_section_rank", int64(s.DeputySectionRank), 12},
				{"高中", int64(s.Education["高中"]), 10}, {"aged_46_plus", int64(s.Aged46Plus), 17}, {"no_computer", int64(s.NoComputer), 11},
				{"law_major", int64(s.LawMajor), 8}, {"bureau_staff", s.BureauStaff, 16},
			}
			w := run("work.summary", panels.Filter{Org: "990121", Year: 2014}).(*panels.WorkSummary)
			checks = append(checks, []struct {
				name      string
				got, want int64
			}{
				{"consultations", w.Consultations, 38000}, {"corrections_in_supervision", int64(w.CorrectionsInSupervision), 80},
				{"corrections_lost_contact", int64(w.CorrectionsLostContact), 0}, {"corrections_reoffended", int64(w.CorrectionsReoffended), 0},
				{"released_resettled", int64(w.ReleasedResettled), 176},
			}...)
			if w.LegalAidCases < 100 || w.LegalAidCases > 120 {
				t.Errorf("青山县 2014 legal aid cases = %d, want 100–120", w.LegalAidCases)
			}
			// 篇二: 绿水县, 2014
			d := run("disputes.summary", panels.Filter{Org: "990122", Year: 2014}).(*panels.DisputesSummary)
			w2 := run("work.summary", panels.Filter{Org: "990122", Year: 2014}).(*panels.WorkSummary)
			checks = append(checks, []struct {
				name      string
				got, want int64
			}{
				{"received", d.Received, 2116}, {"mediated_success", d.MediatedSuccess, 2084}, {"petition_related", d.PetitionRelated, 218},
				{"上访 cases", d.Prevented["防止群体性上访"].Cases, 15}, {"上访 persons", d.Prevented["防止群体性上访"].Persons, 213},
				{"自杀 cases", d.Prevented["防止自杀"].Cases, 13}, {"自杀 persons", d.Prevented["防止自杀"].Persons, 15},
				{"民转刑 cases", d.Prevented["防止民转刑"].Cases, 98}, {"民转刑 persons", d.Prevented["防止民转刑"].Persons, 157},
				{"械斗 cases", d.Prevented["制止群体性械斗"].Cases, 128}, {"械斗 persons", d.Prevented["制止群体性械斗"].Persons, 261},
				{"released_registered", int64(w2.ReleasedRegistered), 460}, {"released_resettled", int64(w2.ReleasedResettled), 437},
			}...)
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
				}
			}
			if d.SuccessRate != 2084.0/2116.0 {
				t.Errorf("success_rate = %v", d.SuccessRate)
			}
			// funding: 绿水县 mediation far below 200,000; corrections under 50 元 per subject
			fs := run("funding.shortfall", panels.Filter{Org: "990122", Year: 2014}).(*panels.FundingShortfall)
			for _, r := range fs.Rows {
				switch r.Category {
				case "人民调解经费":
					if r.Standard != 200000 || r.Budget >= 100000 {
						t.Errorf("绿水县 mediation funding: %+v", r)
					}
				case "社区矫正经费":
					if per := r.Budget / float64(fs.CorrectionsSubjects); per >= 50 || fs.CorrectionsSubjects == 0 {
						t.Errorf("绿水县 corrections funding per subject = %.1f 元 (%d subjects)", per, fs.CorrectionsSubjects)
					}
				}
			}
			// 青山县 legal aid: budget 1–3万 against 8–12万 spent, 2012–2014
			for _, y := range []int{2012, 2013, 2014} {
				fs := run("funding.shortfall", panels.Filter{Org: "990121", Year: y}).(*panels.FundingShortfall)
				found := false
				for _, r := range fs.Rows {
					if r.Category == "法律援助经费" {
						found = true
						if r.Budget < 10000 || r.Budget > 30000 || r.Actual < 80000 || r.Actual > 120000 || r.Overspend != r.Actual-r.Budget {
							t.Errorf("青山县 %d legal aid funding: %+v", y, r)
						}
					}
				}
				if !found {
					t.Errorf("青山县 %d: no legal aid funding row", y)
				}
			}
			// build-out: some targets met, some missed
			b := run("buildout.progress", panels.Filter{Org: "990121"}).(*panels.Rows[panels.BuildoutRow])
			onTrack, behind := 0, 0
			for _, r := range b.Rows {
				if r.OnTrack {
					onTrack++
				} else {
					behind++
				}
				if r.Level == "乡镇司法行政服务站" && r.Units != 13 {
					t.Errorf("stations units = %d, want 13", r.Units)
				}
			}
			if len(b.Rows) != 6 || onTrack == 0 || behind == 0 {
				t.Errorf("build-out rows %d, on track %d, behind %d: want 6 rows, some of each", len(b.Rows), onTrack, behind)
			}
		})
	}
}
