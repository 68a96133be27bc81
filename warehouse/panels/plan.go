package panels

import (
	"strings"

	"sifa/transform"
)

// 经费测算: the bases a budget for next year is worked out from (staff in
// post, corrections subjects, disputes received, this year's budget per
// category), per org, and the arithmetic of a what-if over them (Plan):
// a county government edits the per-head standards, next year's staff and
// subject counts and a 以案定补 amount per case, and reads the budget needed
// and the gap to this year's.

// PlanRow is one org of funding.plan; money in 元.
type PlanRow struct {
	OrgCode  string  `json:"org_code"`
	OrgName  string  `json:"org_name"`
	Staff    int64   `json:"staff_in_post"`
	Subjects Persons `json:"corrections_subjects" sdc:"subjects"`
	Received int64   `json:"received"` // disputes received in the year: the cases 以案定补 pays for
	Counties int64   `json:"counties"` // county bureaus in the org (人民调解经费 is per county)
	// this year's budget of the three categories with a per-head standard
	BudgetPublic      float64 `json:"budget_public"`
	BudgetCorrections float64 `json:"budget_corrections"`
	BudgetMediation   float64 `json:"budget_mediation"`
}

// FundingPlan is funding.plan: the scope first, then each org under it.
type FundingPlan struct {
	Year                  int       `json:"year"`
	PublicPerStaff        float64   `json:"public_per_staff"`
	CorrectionsPerSubject float64   `json:"corrections_per_subject"`
	MediationPerCounty    float64   `json:"mediation_per_county"`
	Rows                  []PlanRow `json:"rows"`
}

func fundingPlan(r *request) (any, error) {
	year := r.f.Year
	out := &FundingPlan{Year: year, PublicPerStaff: r.std.PublicPerStaff, CorrectionsPerSubject: r.std.CorrectionsPerSubject,
		MediationPerCounty: r.std.MediationPerCounty, Rows: []PlanRow{}}
	if year == 0 || r.sc.level == transform.LevelVillage {
		return out, nil
	}
	d, err := r.readFunding(year, year)
	if err != nil {
		return nil, err
	}
	level, codeCol, _ := r.childLevel()
	q := "SELECT " + codeCol + ", count(*)" + r.events("fact_dispute", false) + " GROUP BY " + codeCol
	if r.onScopes() && level != transform.LevelVillage {
		// the same counts from the scope rows (a township's scope org is its
		// code, its first six digits its county's): a province's million
		// disputes of a year were 170-210 ms of a two-shard cluster's read
		code := scopeOrgAs(codeCol)
		q = "SELECT " + code + ", sum(rows)" + r.disputeScopes() + " GROUP BY " + code
	}
	cases, err := r.rows(q)
	if err != nil {
		return nil, err
	}
	orgs := r.outlookOrgs()
	rows := make([]PlanRow, len(orgs))
	byCode := make(map[string]*PlanRow, len(orgs))
	for i, o := range orgs {
		rows[i] = PlanRow{OrgCode: o.Code, OrgName: o.Name, Counties: int64(len(r.reg.Under(o.Code, transform.LevelCounty)))}
		if i > 0 {
			byCode[o.Code] = &rows[i]
		}
	}
	if r.sc.level == transform.LevelTown {
		rows[0].Counties = 0
	}
	holder := holderIn(r.reg, byCode)
	add := func(code string, f func(*PlanRow)) {
		f(&rows[0])
		if h := holder(code); h != nil {
			f(h)
		}
	}
	for _, x := range cases {
		n := num(x[1])
		add(str(x[0]), func(p *PlanRow) { p.Received += n })
	}
	// persons: per township, and the county bureau's to its county only
	for pop, dst := range map[*populations]func(*PlanRow, int64){
		&d.staff:    func(p *PlanRow, n int64) { p.Staff += n },
		&d.subjects: func(p *PlanRow, n int64) { p.Subjects += Persons(n) },
	} {
		for k, n := range pop.at(year) {
			if strings.HasPrefix(k, "county:") {
				continue // the county totals: the townships and bureaus below add up to them
			}
			code, _ := strings.CutPrefix(k, "bureau:")
			add(code, func(p *PlanRow) { dst(p, n) })
		}
	}
	for _, l := range d.lines[year] {
		b := yuan(l.budget)
		switch l.category {
		case "公用经费":
			add(l.org, func(p *PlanRow) { p.BudgetPublic += b })
		case "社区矫正经费":
			add(l.org, func(p *PlanRow) { p.BudgetCorrections += b })
		case "人民调解经费":
			add(l.org, func(p *PlanRow) { p.BudgetMediation += b })
		}
	}
	out.Rows = rows
	return out, nil
}

// holderIn finds, for a code (a township, a county, an office), the entry
// of byCode whose org it lies in, walking up the registry; nil when none.
func holderIn[T any](reg *transform.Registry, byCode map[string]*T) func(string) *T {
	return func(code string) *T {
		for o := reg.Org(code); o != nil; o = reg.Org(o.Parent) {
			if p := byCode[o.Code]; p != nil {
				return p
			}
			if o.Parent == "" || o.Parent == o.Code {
				break
			}
		}
		return nil
	}
}

// BudgetPlan is a what-if: the standards and per-case amount to apply, and
// next year's staff and subjects per org (an org left out keeps this year's).
type BudgetPlan struct {
	PublicPerStaff, CorrectionsPerSubject, MediationPerCounty, PerCase float64
	Staff, Subjects                                                    map[string]int64
}

// PlanLine is one org of a what-if; money in 元.
type PlanLine struct {
	OrgCode, OrgName                                 string
	Staff, Subjects, Received                        int64
	SubjectsWithheld                                 bool // too few to show: the line's corrections figures are left out
	NeedPublic, NeedCorrections, NeedMediation       float64
	Need, Budget, Gap                                float64 // Gap = Need - Budget, 0 when covered
	GapPublic, GapCorrections, GapMediation          float64
	BudgetPublic, BudgetCorrections, BudgetMediation float64
}

// Plan works a what-if out over the bases: per org the budget each of the
// three categories needs next year and the gap to this year's budget.
func (b *FundingPlan) Plan(p BudgetPlan) []PlanLine {
	out := make([]PlanLine, 0, len(b.Rows))
	for i, r := range b.Rows {
		l := PlanLine{OrgCode: r.OrgCode, OrgName: r.OrgName, Staff: r.Staff, Received: r.Received,
			BudgetPublic: r.BudgetPublic, BudgetCorrections: r.BudgetCorrections, BudgetMediation: r.BudgetMediation}
		l.Subjects, l.SubjectsWithheld = int64(r.Subjects), r.Subjects.Withheld()
		if n, ok := p.Staff[r.OrgCode]; ok && i > 0 {
			l.Staff = n
		}
		if n, ok := p.Subjects[r.OrgCode]; ok && i > 0 {
			l.Subjects, l.SubjectsWithheld = n, false
		}
		out = append(out, l)
	}
	// the scope's counts are its orgs' when any was edited
	if len(out) > 1 && (len(p.Staff) > 0 || len(p.Subjects) > 0) {
		var staff, subjects int64
		withheld := false
		for _, l := range out[1:] {
			staff += l.Staff
			subjects += l.Subjects
			withheld = withheld || l.SubjectsWithheld
		}
		// the scope holds staff of offices outside every org listed (the bureau)
		var listedNow int64
		for _, r := range b.Rows[1:] {
			listedNow += r.Staff
		}
		out[0].Staff = b.Rows[0].Staff - listedNow + staff
		if !withheld {
			out[0].Subjects, out[0].SubjectsWithheld = subjects, false
		}
	}
	for i := range out {
		l := &out[i]
		l.NeedPublic = float64(l.Staff) * p.PublicPerStaff
		if !l.SubjectsWithheld {
			l.NeedCorrections = float64(l.Subjects) * p.CorrectionsPerSubject
		}
		l.NeedMediation = float64(l.Received)*p.PerCase + float64(b.Rows[i].Counties)*p.MediationPerCounty
		l.GapPublic = max(l.NeedPublic-l.BudgetPublic, 0)
		l.GapCorrections = max(l.NeedCorrections-l.BudgetCorrections, 0)
		l.GapMediation = max(l.NeedMediation-l.BudgetMediation, 0)
		l.Need = l.NeedPublic + l.NeedCorrections + l.NeedMediation
		l.Budget = l.BudgetPublic + l.BudgetCorrections + l.BudgetMediation
		l.Gap = l.GapPublic + l.GapCorrections + l.GapMediation
	}
	return out
}
