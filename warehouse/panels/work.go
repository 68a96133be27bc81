package panels

import (
	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
	"sort"
	"strconv"
	"strings"
)

// 作用发挥: legal aid, consultations, publicity, corrections, resettlement.

// correctionsPersons counts, per group, the persons in supervision, those
// of them who lost contact, and those who reoffended: the persons a
// corrections register's scope row counts (warehouse.ScopeSums).
func correctionsPersons(groups []string) personCount {
	conds, _ := warehouse.PersonsCounted(ledger.Corrections.ID)
	return personCount{groups: groups, counts: conds}
}

// resettlementPersons counts, per group, the released persons registered,
// resettled and reoffended.
func resettlementPersons(groups []string) personCount {
	conds, _ := warehouse.PersonsCounted(ledger.Resettlement.ID)
	return personCount{groups: groups, counts: conds}
}

// workEvent is a read of one of work.*'s event ledgers: its figures over
// the fact rows (the rows, then the ledger's sums: warehouse.ScopeSums)
// and the same figures over its scope rows.
type workEvent struct {
	ledger   *ledger.Ledger
	sums     []string // the ledger's sums read, by their columns on scopes
	villages bool     // the table records villages
	rows     bool     // the rows are counted too
}

var workEvents = []workEvent{
	{ledger: ledger.LegalAid, rows: true, sums: []string{"aided", "recovered_fen"}},
	{ledger: ledger.Consultation, sums: []string{"visits"}},
	{ledger: ledger.Publicity, rows: true, sums: []string{"participants"}, villages: true},
}

// workEventReads are the queries of the three event ledgers for work.*,
// grouped by group (a fact column: county_code or town_code; "period" the
// month; "" none), within the filter's months or, byYear, up to its end:
// from the scope rows where they answer (one a township's month where a
// province's consultations are 676,000 rows), else from the facts. By
// month, not by year: the months of ten years are a few hundred groups the
// caller adds up, where substring(period, 1, 4) per row cost ClickHouse
// 18.16 a third more (a province's legal aid: 16.9 ms of CPU against 11.6).
func (r *request) workEventReads(group string, byYear bool) []string {
	from, to := r.f.Months()
	if byYear {
		from, to = "", r.f.End()
	}
	var factBy, scopeBy string
	switch group {
	case "":
	case "period":
		factBy, scopeBy = "period", "period"
	default:
		factBy, scopeBy = group, scopeOrgAs(group)
	}
	sel := func(by string, figures []string, from string) string {
		if by == "" {
			return "SELECT " + strings.Join(figures, ", ") + from
		}
		return "SELECT " + by + ", " + strings.Join(figures, ", ") + from + " GROUP BY " + by
	}
	var qs []string
	for _, e := range workEvents {
		l, table := e.ledger.ID, e.ledger.Fact.Name
		var cond string
		if byYear {
			cond = r.visible(table) + " AND " + r.sc.where(e.villages) + r.upToEnd()
		} else {
			cond = r.visibleIn(table, from, to) + " AND " + r.sc.where(e.villages) + " AND " + monthWhere(r.f)
		}
		factRead := r.from(table, cond) // the rows the figures add up, for lineage
		var facts, sums []string
		if e.rows {
			facts, sums = append(facts, "count(*)"), append(sums, "sum(rows)")
		}
		for _, c := range e.sums {
			facts, sums = append(facts, r.d.SumOf(l, c)), append(sums, "sum("+c+")")
		}
		if r.onScopes() {
			qs = append(qs, sel(scopeBy, sums, r.scopeRows(l, r.d.CurrentScopes(l, r.sc.orgPrefix(), from, to))))
		} else {
			qs = append(qs, sel(factBy, facts, factRead))
		}
	}
	return qs
}

// scopeOrgAs is the expression over scope rows of a fact column naming an
// org: a township's scope org is its code, its first six digits its county's.
func scopeOrgAs(col string) string {
	if col == "county_code" {
		return "substring(scope_org, 1, 6)"
	}
	return "scope_org"
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
	res, err := r.rowsAll(append(r.workEventReads("", false),
		correctionsPersons(nil).sql(r.d, r.snapshot("fact_corrections", false, true)),
		resettlementPersons(nil).sql(r.d, r.snapshot("fact_resettlement", false, true)))...)
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
	res, err := r.rowsAll(append(r.workEventReads(codeCol, false),
		correctionsPersons([]string{codeCol}).sql(r.d, r.snapshot("fact_corrections", false, true)),
		resettlementPersons([]string{codeCol}).sql(r.d, r.snapshot("fact_resettlement", false, true)))...)
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
	// each org's last snapshot of each year (on or before the end): its
	// persons as its scope row counts them, where it answers
	end := r.f.End()
	ends := func(l *ledger.Ledger, count personCount) string {
		factRead := r.from(l.Fact.Name, r.visibleYearEnds(l.Fact.Name)+" AND "+r.sc.where(false)+r.upToEnd())
		if !r.onScopes() {
			return count.sql(r.d, factRead)
		}
		_, cols := warehouse.PersonsCounted(l.ID)
		return r.d.YearEndScopes(l.ID, r.sc.orgPrefix(), cols, end)
	}
	res, err := r.rowsAll(append(r.workEventReads("period", true),
		ends(ledger.Corrections, correctionsPersons([]string{"scope_org", "period"})),
		ends(ledger.Resettlement, resettlementPersons([]string{"scope_org", "period"})))...)
	if err != nil {
		return nil, err
	}
	year := func(v any) int { s := str(v); y, _ := strconv.Atoi(s[:min(4, len(s))]); return y }
	recovered := map[int]int64{} // fen, added up before they turn into yuan
	for _, x := range res[0] {
		y := year(x[0])
		w := get(y)
		w.LegalAidApplications += num(x[1])
		w.LegalAidCases += num(x[2])
		recovered[y] += num(x[3])
	}
	for y, fen := range recovered {
		get(y).LegalAidRecovered = yuan(fen)
	}
	for _, x := range res[1] {
		get(year(x[0])).Consultations += num(x[1])
	}
	for _, x := range res[2] {
		w := get(year(x[0]))
		w.PublicityEvents += num(x[1])
		w.PublicityParticipants += num(x[2])
	}
	// a row is an org's last snapshot of a year (one an org and year): a
	// year's persons are its rows' (a province's 1,300 offices over ten
	// years: 13,000 rows added once, not looked through for every year)
	for _, x := range res[3] {
		w := get(year(x[1]))
		w.CorrectionsInSupervision += Persons(num(x[2]))
		w.CorrectionsLostContact += Persons(num(x[3]))
		w.CorrectionsReoffended += Persons(num(x[4]))
	}
	for _, x := range res[4] {
		w := get(year(x[1]))
		w.ReleasedRegistered += Persons(num(x[2]))
		w.ReleasedResettled += Persons(num(x[3]))
		w.ReleasedReoffended += Persons(num(x[4]))
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
		out.Rows = append(out.Rows, WorkYear{Year: y, WorkSummary: *byYear[y]})
	}
	return out, nil
}
