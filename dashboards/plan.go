package dashboards

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"sifa/warehouse/panels"
)

// ---- 经费测算 ----

// planKeys are the what-if's own URL keys (the filter keeps its own):
// the standards, the amount per case, and staff_CODE / subjects_CODE.
var planKeys = []string{"public", "corrections", "mediation", "per_case"}

// isPlanKey says whether a URL key is the what-if's.
func isPlanKey(k string) bool {
	return slices.Contains(planKeys, k) || strings.HasPrefix(k, "staff_") || strings.HasPrefix(k, "subjects_")
}

// planView is the what-if's form: the standards and each org's counts, as
// the page was asked (or this year's, to start with).
type planView struct {
	Org, Year                               string
	Public, Corrections, Mediation, PerCase string
	Rows                                    []planFormRow
	PlanYear                                int
}

type planFormRow struct {
	Code, Name, Staff, Subjects string
	Withheld                    bool
}

// planNumber reads a non-negative number of the form, or def.
func planNumber(q url.Values, key string, def float64) (float64, error) {
	s := strings.TrimSpace(q.Get(key))
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v > 1e9 {
		return 0, panels.BadFilter("「%s」不对：应是不小于 0 的数字", s)
	}
	return v, nil
}

func buildPlan(b *builder) error {
	f := b.f
	v, err := b.run("funding.plan", panels.Filter{Org: f.Org, Year: f.Year})
	if err != nil {
		return err
	}
	basis := v.(*panels.FundingPlan)
	if len(basis.Rows) == 0 || (basis.Rows[0].Staff == 0 && basis.Rows[0].BudgetPublic == 0) {
		b.p.Empty = fmt.Sprintf("%s %d年还没有人员花名册或经费台账，无法测算。", b.orgName(), f.Year)
		return nil
	}
	q := b.params
	p := panels.BudgetPlan{Staff: map[string]int64{}, Subjects: map[string]int64{}}
	for _, x := range []struct {
		key string
		def float64
		dst *float64
	}{{"public", basis.PublicPerStaff, &p.PublicPerStaff}, {"corrections", basis.CorrectionsPerSubject, &p.CorrectionsPerSubject},
		{"mediation", basis.MediationPerCounty, &p.MediationPerCounty}, {"per_case", 0, &p.PerCase}} {
		if *x.dst, err = planNumber(q, x.key, x.def); err != nil {
			return err
		}
	}
	view := &planView{Org: f.Org, Year: strconv.Itoa(f.Year), PlanYear: f.Year + 1, Public: ftoa(p.PublicPerStaff), Corrections: ftoa(p.CorrectionsPerSubject),
		Mediation: ftoa(p.MediationPerCounty), PerCase: ftoa(p.PerCase)}
	for i, r := range basis.Rows {
		if i == 0 && len(basis.Rows) > 1 {
			continue
		}
		row := planFormRow{Code: r.OrgCode, Name: r.OrgName, Staff: strconv.FormatInt(r.Staff, 10), Subjects: strconv.FormatInt(int64(r.Subjects), 10), Withheld: r.Subjects.Withheld()}
		for _, c := range []struct {
			key string
			dst map[string]int64
			txt *string
		}{{"staff_" + r.OrgCode, p.Staff, &row.Staff}, {"subjects_" + r.OrgCode, p.Subjects, &row.Subjects}} {
			if s := strings.TrimSpace(q.Get(c.key)); s != "" {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil || n < 0 || n > 1e6 {
					return panels.BadFilter("%s的人数「%s」不对：应是不小于 0 的整数", r.OrgName, s)
				}
				c.dst[r.OrgCode], *c.txt = n, s
			}
		}
		if row.Withheld && q.Get("subjects_"+r.OrgCode) == "" {
			row.Subjects = ""
		}
		view.Rows = append(view.Rows, row)
	}
	b.p.Plan = view
	lines := basis.Plan(p)
	top := lines[0]
	b.p.Cards = append(b.p.Cards,
		card{Label: fmt.Sprintf("%d年三类经费需要", f.Year+1), Value: moneyNum(top.Need), Unit: moneyUnit(top.Need), Sub: "公用经费、社区矫正经费、人民调解经费"},
		card{Label: fmt.Sprintf("%d年预算（同三类）", f.Year), Value: moneyNum(top.Budget), Unit: moneyUnit(top.Budget)},
		card{Label: "缺口", Value: moneyNum(top.Gap), Unit: moneyUnit(top.Gap), Warn: top.Gap > 0,
			Sub: fmt.Sprintf("公用 %s，矫正 %s，调解 %s", moneyText(top.GapPublic), moneyText(top.GapCorrections), moneyText(top.GapMediation))})
	if p.PerCase > 0 {
		b.p.Notes = append(b.p.Notes, note{Level: "info", Text: fmt.Sprintf("以案定补：%s元 × %s件（%d年受理纠纷） = %s元", ftoa(p.PerCase), thousands(top.Received), f.Year,
			thousands(int64(p.PerCase*float64(top.Received))))})
	}
	b.p.Notes = append(b.p.Notes, note{Level: "info", Text: fmt.Sprintf("测算口径：公用经费 = 在岗人员 × %s元；社区矫正经费 = 在矫对象 × %s元；人民调解经费 = 每县 %s元 + 以案定补 %s元 × 受理纠纷件数（按%d年件数估计）。缺口 = 所需 − %d年预算。",
		ftoa(p.PublicPerStaff), ftoa(p.CorrectionsPerSubject), ftoa(p.MediationPerCounty), ftoa(p.PerCase), f.Year, f.Year)})
	t := tableView{Title: fmt.Sprintf("%d年经费测算", f.Year+1), Head: []string{"单位", "在岗人员", "在矫对象", "受理纠纷", "公用经费需要", "社区矫正经费需要", "人民调解经费需要",
		"合计需要", fmt.Sprintf("%d年预算", f.Year), "缺口"}}
	var cats []string
	var gp, gc, gm []float64
	for i, l := range lines {
		subjects, corr := thousands(l.Subjects), moneyText(l.NeedCorrections)
		if l.SubjectsWithheld {
			subjects, corr = "<3", "—"
		}
		class := ""
		if l.Gap > 0 {
			class = "warn"
		}
		t.Rows = append(t.Rows, []cell{{Text: l.OrgName}, {Text: thousands(l.Staff)}, {Text: subjects}, {Text: thousands(l.Received)},
			{Text: moneyText(l.NeedPublic)}, {Text: corr}, {Text: moneyText(l.NeedMediation)}, {Text: moneyText(l.Need)}, {Text: moneyText(l.Budget)},
			{Text: moneyText(l.Gap), Class: class}})
		if i > 0 || len(lines) == 1 {
			cats = append(cats, l.OrgName)
			gp, gc, gm = append(gp, l.GapPublic/10000), append(gc, l.GapCorrections/10000), append(gm, l.GapMediation/10000)
		}
	}
	b.p.Charts = append(b.p.Charts, barChart(fmt.Sprintf("%d年经费缺口（万元）", f.Year+1), cats,
		[]series{{Name: "公用经费", Values: gp}, {Name: "社区矫正经费", Values: gc}, {Name: "人民调解经费", Values: gm}}, "万元", len(cats) > 6))
	b.p.Tables = append(b.p.Tables, t)
	return nil
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func moneyNum(y float64) string  { v, _ := money(y); return v }
func moneyUnit(y float64) string { _, u := money(y); return u }
