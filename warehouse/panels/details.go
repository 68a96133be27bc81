package panels

import (
	"math"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// The quantities the survey reports argue from that the ledgers already
// hold and no page showed (issue 18 §3): work.details for the period,
// staffing.posts per office.

// AidGroup is what legal aid did for one group of aided persons.
type AidGroup struct {
	Group     string  `json:"group"`
	Cases     int64   `json:"cases"`
	Recovered float64 `json:"recovered"` // 元 of economic loss recovered
}

// WorkDetails is work.details.
type WorkDetails struct {
	// 人民调解: the amounts the disputes were about
	DisputesWithAmount int64   `json:"disputes_with_amount"`
	DisputesAmount     float64 `json:"disputes_amount"` // 元
	// 法律援助 per group of aided persons (农民工, 老年人, 未成年人, 残疾人, 妇女, 其他)
	AidGroups []AidGroup `json:"aid_groups"`
	// 社区矫正 on the latest snapshot of the period: subjects in supervision and
	// their education and community service (as the ledger counts them)
	CorrectionsSubjects  Persons `json:"corrections_subjects" sdc:"subjects"`
	GroupEducation       int64   `json:"group_education"`      // 集中教育, times
	IndividualEducation  int64   `json:"individual_education"` // 个别教育, times
	CommunityServiceHour int64   `json:"community_service_hours"`
	// 安置帮教 on the latest snapshot: the released persons registered, received
	// at the gate (必接必送), and with one-to-one mentoring
	Released       Persons `json:"released" sdc:"subjects"`
	HandedOver     Persons `json:"handed_over" sdc:"of=Released"`
	HandedOverRate float64 `json:"handed_over_rate"`
	Mentored       Persons `json:"mentored" sdc:"of=Released"`
	MentoredRate   float64 `json:"mentored_rate"`
	// 普法: the villages (communities) with at least one event, of those in the registry
	VillagesCovered int64   `json:"villages_covered"`
	Villages        int64   `json:"villages"`
	VillageCoverage float64 `json:"village_coverage"`
}

// AidGroups are the groups of aided persons, in the ledger's order.
var AidGroups = []string{"农民工", "老年人", "未成年人", "残疾人", "妇女", "其他"}

func workDetails(r *request) (any, error) {
	out := &WorkDetails{AidGroups: []AidGroup{}}
	// the disputes' amounts from the scope rows where they answer: a
	// province's year is a million disputes and 15,600 scope rows
	amounts := "SELECT " + r.d.SumOf(ledger.Mediation.ID, "amount_cases") + ", " + r.d.SumOf(ledger.Mediation.ID, "amount_fen") + r.events("fact_dispute", true)
	if r.onScopes() {
		from, to := r.f.Months()
		amounts = "SELECT sum(amount_cases), sum(amount_fen)" + r.scopeRows(ledger.Mediation.ID, r.d.CurrentScopes(ledger.Mediation.ID, r.sc.orgPrefix(), from, to))
	}
	// the six reads at once; corrections: persons counted once, their
	// education and service summed over the subjects' rows of the latest snapshot
	res, err := r.rowsAll(
		amounts,
		personCount{counts: []string{"status = '在矫'"}}.sql(r.d, r.snapshot("fact_corrections", false, true)),
		"SELECT sum(group_education), sum(individual_education), sum(service_hours)"+r.snapshot("fact_corrections", false, true, " AND status = '在矫'"),
		personCount{counts: []string{"", "handover = '必接必送'", "mentoring = 1"}}.sql(r.d, r.snapshot("fact_resettlement", false, true)),
		"SELECT count(DISTINCT village_code)"+r.events("fact_publicity", true, " AND village_code != ''"),
		"SELECT aided_group, count(*), sum(recovered_fen)"+r.events("fact_legal_aid", false, " AND decision = '给予援助'")+" GROUP BY aided_group")
	if err != nil {
		return nil, err
	}
	one, err := firstRows(res[:5]) // the last is a row per group
	if err != nil {
		return nil, err
	}
	out.DisputesWithAmount, out.DisputesAmount = num(one[0][0]), yuan(num(one[0][1]))
	byGroup := map[string]AidGroup{}
	for _, x := range res[5] {
		g := str(x[0])
		if g == "" {
			g = "其他"
		}
		a := byGroup[g]
		a.Group, a.Cases, a.Recovered = g, a.Cases+num(x[1]), a.Recovered+yuan(num(x[2]))
		byGroup[g] = a
	}
	for _, g := range AidGroups {
		a := byGroup[g]
		a.Group = g
		out.AidGroups = append(out.AidGroups, a)
	}
	out.CorrectionsSubjects = pnum(one[1][0])
	out.GroupEducation, out.IndividualEducation, out.CommunityServiceHour = num(one[2][0]), num(one[2][1]), num(one[2][2])
	out.Released, out.HandedOver, out.Mentored = pnum(one[3][0]), pnum(one[3][1]), pnum(one[3][2])
	out.HandedOverRate, out.MentoredRate = rate(int64(out.HandedOver), int64(out.Released)), rate(int64(out.Mentored), int64(out.Released))
	out.VillagesCovered = num(one[4][0])
	out.Villages = int64(len(r.reg.Under(r.sc.code, transform.LevelVillage)))
	out.VillageCoverage = math.Min(1, rate(out.VillagesCovered, out.Villages))
	return out, nil
}

// PostRow is one township office of staffing.posts: its staff on the
// latest roster by status, whether its head (所长) holds 副科级 or above,
// and the corrections subjects per staff member in post.
type PostRow struct {
	OrgCode   string  `json:"org_code"`
	OrgName   string  `json:"org_name"`
	InPost    int64   `json:"in_post"`
	Seconded  Persons `json:"seconded" sdc:"subjects"`   // 借调
	OtherPost Persons `json:"other_post" sdc:"subjects"` // 兼职他岗
	SickLeave Persons `json:"sick_leave" sdc:"subjects"` // 长期病假
	// OtherDuties are those in post who also carry the town's own work
	// (the roster's 兼任镇村工作: 综治, 信访, 包村 …): 身兼数职
	OtherDuties Persons `json:"other_duties" sdc:"subjects"`
	HeadRanked  Persons `json:"head_ranked" sdc:"subjects"` // 1 when the head holds 副科级 or 正科级
	HasHead     bool    `json:"has_head"`
	Subjects    Persons `json:"corrections_subjects" sdc:"subjects"`
	// SubjectsPerStaff is Subjects ÷ InPost (null with no staff, or when Subjects is withheld)
	SubjectsPerStaff *float64 `json:"subjects_per_staff"`
}

// Posts is staffing.posts.
type Posts struct {
	Offices         int64     `json:"offices"`
	OfficesWithHead int64     `json:"offices_with_head"`
	HeadsRanked     int64     `json:"heads_ranked"` // offices whose head holds 副科级 or above
	NotDoingJustice int64     `json:"not_doing_justice_work"`
	WithOtherDuties int64     `json:"with_other_duties"` // in post and also carrying town work (身兼数职)
	Rows            []PostRow `json:"rows"`
}

// withheld withholds small counts and the ratio that would give a
// withheld subjects count away.
func (p *Posts) withheld(k int64) any {
	cp := *p
	cp.Rows = make([]PostRow, len(p.Rows))
	for i, r := range p.Rows {
		for _, n := range []*Persons{&r.Seconded, &r.OtherPost, &r.SickLeave, &r.OtherDuties, &r.HeadRanked, &r.Subjects} {
			if *n > 0 && int64(*n) < k {
				*n = Persons(-k)
				if n == &r.Subjects {
					r.SubjectsPerStaff = nil
				}
			}
		}
		cp.Rows[i] = r
	}
	return &cp
}

func staffingPosts(r *request) (any, error) {
	out := &Posts{Rows: []PostRow{}}
	if r.sc.level == transform.LevelVillage {
		return out, nil
	}
	res, err := r.rowsAll(personCount{groups: []string{"town_code"}, counts: []string{"status = '在岗'", "status = '借调'", "status = '兼职他岗'", "status = '长期病假'",
		"post = '所长'", "post = '所长' AND rank IN ('副科级', '正科级')", "status = '在岗' AND other_duties <> ''"}}.sql(r.d, r.snapshot("fact_staff", false, false, " AND org_level = '乡镇'")),
		personCount{groups: []string{"town_code"}, counts: []string{"status = '在矫'"}}.sql(r.d, r.snapshot("fact_corrections", false, true)))
	if err != nil {
		return nil, err
	}
	rows, subj := res[0], res[1]
	got := map[string][]any{}
	for _, x := range rows {
		got[str(x[0])] = x
	}
	subjects := map[string]int64{}
	for _, x := range subj {
		subjects[str(x[0])] = num(x[1])
	}
	for _, o := range r.reg.Under(r.sc.code, transform.LevelTown) {
		p := PostRow{OrgCode: o.Code, OrgName: o.Name, Subjects: Persons(subjects[o.Code])}
		if x, ok := got[o.Code]; ok {
			p.InPost, p.Seconded, p.OtherPost, p.SickLeave = num(x[1]), pnum(x[2]), pnum(x[3]), pnum(x[4])
			p.HasHead, p.HeadRanked, p.OtherDuties = num(x[5]) > 0, Persons(min(1, num(x[6]))), pnum(x[7])
		}
		if p.InPost > 0 {
			v := math.Round(float64(p.Subjects)/float64(p.InPost)*10) / 10
			p.SubjectsPerStaff = &v
		}
		out.Offices++
		if p.HasHead {
			out.OfficesWithHead++
		}
		out.HeadsRanked += int64(p.HeadRanked)
		out.NotDoingJustice += int64(p.Seconded + p.OtherPost)
		out.WithOtherDuties += int64(p.OtherDuties)
		out.Rows = append(out.Rows, p)
	}
	return out, nil
}
