package panels

import (
	"sifa/transform"
	"sort"
	"strconv"
)

// 作用发挥: legal aid, consultations, publicity, corrections, resettlement.

// correctionsPersons counts, per group, the persons in supervision, those
// of them who lost contact, and those who reoffended.
func correctionsPersons(groups []string) personCount {
	return personCount{groups: groups, counts: []string{"status = '在矫'", "status = '在矫' AND lost_contact = 1", "reoffended = 1"}}
}

// resettlementPersons counts, per group, the released persons registered,
// resettled and reoffended.
func resettlementPersons(groups []string) personCount {
	return personCount{groups: groups, counts: []string{"", "placement <> '未安置'", "reoffended = 1"}}
}

// WorkSummary is 作用发挥: the other station ledgers for the period.
type WorkSummary struct {
	LegalAidCases            int64   `json:"legal_aid_cases"`
	LegalAidApplications     int64   `json:"legal_aid_applications"`
	LegalAidRecovered        float64 `json:"legal_aid_recovered"`
	Consultations            int64   `json:"consultations"`
	PublicityEvents          int64   `json:"publicity_events"`
	PublicityParticipants    int64   `json:"publicity_participants"`
	CorrectionsInSupervision Persons `json:"corrections_in_supervision" sdc:"subjects"`
	CorrectionsLostContact   Persons `json:"corrections_lost_contact" sdc:"of=CorrectionsInSupervision"`
	CorrectionsReoffended    Persons `json:"corrections_reoffended" sdc:"of=CorrectionsInSupervision"`
	ReleasedRegistered       Persons `json:"released_registered" sdc:"subjects"`
	ReleasedResettled        Persons `json:"released_resettled" sdc:"of=ReleasedRegistered"`
	ReleasedReoffended       Persons `json:"released_reoffended" sdc:"of=ReleasedRegistered"`
}

func workSummary(r *request) (any, error) {
	// the five ledgers' reads at once: on ClickHouse each is one thread's work
	res, err := r.rowsAll(
		"SELECT count(*), "+sumIf("decision = '给予援助'")+", sum(recovered_fen)"+r.events("fact_legal_aid", false),
		"SELECT sum(visits)"+r.events("fact_consultation", false),
		"SELECT count(*), sum(participants)"+r.events("fact_publicity", true),
		correctionsPersons(nil).sql(r.d, r.snapshot("fact_corrections", false, true)),
		resettlementPersons(nil).sql(r.d, r.snapshot("fact_resettlement", false, true)))
	if err != nil {
		return nil, err
	}
	one, err := firstRows(res)
	if err != nil {
		return nil, err
	}
	out := &WorkSummary{}
	out.LegalAidApplications, out.LegalAidCases, out.LegalAidRecovered = num(one[0][0]), num(one[0][1]), yuan(num(one[0][2]))
	out.Consultations = num(one[1][0])
	out.PublicityEvents, out.PublicityParticipants = num(one[2][0]), num(one[2][1])
	out.CorrectionsInSupervision, out.CorrectionsLostContact, out.CorrectionsReoffended = pnum(one[3][0]), pnum(one[3][1]), pnum(one[3][2])
	out.ReleasedRegistered, out.ReleasedResettled, out.ReleasedReoffended = pnum(one[4][0]), pnum(one[4][1]), pnum(one[4][2])
	return out, nil
}

// WorkOrgRow is one org of work.by_org.
type WorkOrgRow struct {
	OrgCode string `json:"org_code"`
	OrgName string `json:"org_name"`
	WorkSummary
}

// workByOrg answers work.summary per org of the level under the scope.
func workByOrg(r *request) (any, error) {
	level, codeCol, _ := r.childLevel()
	if level == transform.LevelVillage { // the station ledgers record townships, not villages
		level, codeCol = transform.LevelTown, "town_code"
	}
	out := &Rows[WorkOrgRow]{Level: level, Rows: []WorkOrgRow{}}
	byOrg := map[string]*WorkSummary{}
	get := func(code string) *WorkSummary {
		if byOrg[code] == nil {
			byOrg[code] = &WorkSummary{}
		}
		return byOrg[code]
	}
	group := " GROUP BY " + codeCol
	res, err := r.rowsAll(
		"SELECT "+codeCol+", count(*), "+sumIf("decision = '给予援助'")+", sum(recovered_fen)"+r.events("fact_legal_aid", false)+group,
		"SELECT "+codeCol+", sum(visits)"+r.events("fact_consultation", false)+group,
		"SELECT "+codeCol+", count(*), sum(participants)"+r.events("fact_publicity", true)+group,
		correctionsPersons([]string{codeCol}).sql(r.d, r.snapshot("fact_corrections", false, true)),
		resettlementPersons([]string{codeCol}).sql(r.d, r.snapshot("fact_resettlement", false, true)))
	if err != nil {
		return nil, err
	}
	for _, x := range res[0] {
		w := get(str(x[0]))
		w.LegalAidApplications, w.LegalAidCases, w.LegalAidRecovered = num(x[1]), num(x[2]), yuan(num(x[3]))
	}
	for _, x := range res[1] {
		get(str(x[0])).Consultations = num(x[1])
	}
	for _, x := range res[2] {
		w := get(str(x[0]))
		w.PublicityEvents, w.PublicityParticipants = num(x[1]), num(x[2])
	}
	for _, x := range res[3] {
		w := get(str(x[0]))
		w.CorrectionsInSupervision, w.CorrectionsLostContact, w.CorrectionsReoffended = pnum(x[1]), pnum(x[2]), pnum(x[3])
	}
	for _, x := range res[4] {
		w := get(str(x[0]))
		w.ReleasedRegistered, w.ReleasedResettled, w.ReleasedReoffended = pnum(x[1]), pnum(x[2]), pnum(x[3])
	}
	scopeCode := r.sc.code
	if r.sc.level == transform.LevelVillage {
		scopeCode = r.sc.org.TownCode
	}
	for _, o := range r.reg.Under(scopeCode, level) {
		row := WorkOrgRow{OrgCode: o.Code, OrgName: o.Name}
		if w := byOrg[o.Code]; w != nil {
			row.WorkSummary = *w
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// WorkYear is one year of work.by_year.
type WorkYear struct {
	Year int `json:"year"`
	WorkSummary
}

func workByYear(r *request) (any, error) {
	byYear := map[int]*WorkSummary{}
	get := func(y int) *WorkSummary {
		if byYear[y] == nil {
			byYear[y] = &WorkSummary{}
		}
		return byYear[y]
	}
	cond := func(table string) string { return r.visible(table) + " AND " + r.sc.where(false) + r.upToEnd() }
	yearOf := "substring(period, 1, 4)"
	pubCond := r.visible("fact_publicity") + " AND " + r.sc.where(true) + r.upToEnd()
	// each org's last snapshot of each year is all latest() below reads
	ends := func(table string) string { return r.visibleYearEnds(table) + " AND " + r.sc.where(false) + r.upToEnd() }
	res, err := r.rowsAll(
		"SELECT "+yearOf+", count(*), "+sumIf("decision = '给予援助'")+", sum(recovered_fen)"+r.from("fact_legal_aid", cond("fact_legal_aid"))+" GROUP BY "+yearOf,
		"SELECT "+yearOf+", sum(visits)"+r.from("fact_consultation", cond("fact_consultation"))+" GROUP BY "+yearOf,
		"SELECT "+yearOf+", count(*), sum(participants)"+r.from("fact_publicity", pubCond)+" GROUP BY "+yearOf,
		correctionsPersons([]string{"scope_org", "period"}).sql(r.d, r.from("fact_corrections", ends("fact_corrections"))),
		resettlementPersons([]string{"scope_org", "period"}).sql(r.d, r.from("fact_resettlement", ends("fact_resettlement"))))
	if err != nil {
		return nil, err
	}
	year := func(v any) int { y, _ := strconv.Atoi(str(v)); return y }
	for _, x := range res[0] {
		w := get(year(x[0]))
		w.LegalAidApplications, w.LegalAidCases, w.LegalAidRecovered = num(x[1]), num(x[2]), yuan(num(x[3]))
	}
	for _, x := range res[1] {
		get(year(x[0])).Consultations = num(x[1])
	}
	for _, x := range res[2] {
		w := get(year(x[0]))
		w.PublicityEvents, w.PublicityParticipants = num(x[1]), num(x[2])
	}
	corr, cy := snapshotsOf(res[3])
	rel, ry := snapshotsOf(res[4])
	for _, y := range append(cy, ry...) {
		get(y)
	}
	out := &Rows[WorkYear]{Rows: []WorkYear{}}
	var years []int
	for y := range byYear {
		if r.f.Year == 0 || y <= r.f.Year {
			years = append(years, y)
		}
	}
	sort.Ints(years)
	for _, y := range years {
		w := byYear[y]
		from, to := strconv.Itoa(y)+"-01-01", strconv.Itoa(y)+"-12-31"
		c := corr.latest(from, to, 3)
		w.CorrectionsInSupervision, w.CorrectionsLostContact, w.CorrectionsReoffended = Persons(c[0]), Persons(c[1]), Persons(c[2])
		c = rel.latest(from, to, 3)
		w.ReleasedRegistered, w.ReleasedResettled, w.ReleasedReoffended = Persons(c[0]), Persons(c[1]), Persons(c[2])
		out.Rows = append(out.Rows, WorkYear{Year: y, WorkSummary: *w})
	}
	return out, nil
}
