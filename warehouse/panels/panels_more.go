package panels

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// ---- funding.shortfall ----

// FundingCategories are the budget ledger's 经费类别 values.
var FundingCategories = ledger.Budget.Values("经费类别")

// FundingRow is one category of funding.shortfall; money in 元.
type FundingRow struct {
	Category      string  `json:"category"`
	Standard      float64 `json:"standard"`
	StandardBasis string  `json:"standard_basis"`
	Budget        float64 `json:"budget"`
	Allocated     float64 `json:"allocated"`
	Actual        float64 `json:"actual"`
	GapToStandard float64 `json:"gap_to_standard"`
	Overspend     float64 `json:"overspend"`
	Units         int64   `json:"units"` // budget lines behind the row
}

// FundingShortfall is 经费 per category for a year.
type FundingShortfall struct {
	Year int          `json:"year"`
	Rows []FundingRow `json:"rows"`
	// the populations the derived standards were computed from
	StaffInPost         int64   `json:"staff_in_post"`
	CorrectionsSubjects Persons `json:"corrections_subjects" sdc:"subjects"`
	Counties            int64   `json:"counties"`
}

type budgetLine struct {
	year                         int
	org, level, county, category string
	standard                     int64
	given                        bool
	budget, allocated, actual    int64
}

// popRow is a count of persons in one unit's roster (or register) on one snapshot date.
type popRow struct {
	scopeOrg, period, county, town string
	n                              int64
}

type populations []popRow

// at returns, for the latest snapshot of each unit on or before the end of
// the year, the persons per township (key: town code), per county bureau
// ("bureau:"+county) and per county in all ("county:"+county).
func (p populations) at(year int) map[string]int64 {
	end := strconv.Itoa(year) + "-12-31"
	latest := map[string]string{}
	for _, x := range p {
		if x.period <= end && x.period > latest[x.scopeOrg] {
			latest[x.scopeOrg] = x.period
		}
	}
	out := map[string]int64{}
	for _, x := range p {
		if latest[x.scopeOrg] != x.period {
			continue
		}
		if x.town == "" {
			out["bureau:"+x.county] += x.n
		} else {
			out[x.town] += x.n
		}
		out["county:"+x.county] += x.n
	}
	return out
}

// fundingData is what the funding panels derive their answers from, read
// once for every year they need.
type fundingData struct {
	lines           map[int][]budgetLine
	staff, subjects populations
}

func (r *request) readPopulation(table, cond string) (populations, error) {
	rows, err := r.rows(personCount{groups: []string{"scope_org", "period", "county_code", "town_code"}, counts: []string{""}}.sql(
		" FROM " + table + " WHERE " + r.st.Visible() + " AND " + r.sc.where(false) + " AND " + cond))
	if err != nil {
		return nil, err
	}
	out := make(populations, len(rows))
	for i, x := range rows {
		out[i] = popRow{scopeOrg: str(x[0]), period: str(x[1]), county: str(x[2]), town: str(x[3]), n: num(x[4])}
	}
	return out, nil
}

// readFunding reads the budget lines of the years from..to (0: all) and the populations.
func (r *request) readFunding(from, to int) (*fundingData, error) {
	q := "SELECT year, scope_org, org_level, county_code, category, standard_fen, standard_given, budget_fen, allocated_fen, actual_fen FROM fact_budget WHERE " +
		r.st.Visible() + " AND " + r.sc.where(false) + r.category("category")
	if from > 0 {
		q += fmt.Sprintf(" AND year >= %d AND year <= %d", from, to)
	}
	rows, err := r.rows(q + " ORDER BY year, scope_org, category")
	if err != nil {
		return nil, err
	}
	d := &fundingData{lines: map[int][]budgetLine{}}
	for _, x := range rows {
		l := budgetLine{year: int(num(x[0])), org: str(x[1]), level: str(x[2]), county: str(x[3]), category: str(x[4]), standard: num(x[5]),
			given: num(x[6]) == 1, budget: num(x[7]), allocated: num(x[8]), actual: num(x[9])}
		d.lines[l.year] = append(d.lines[l.year], l)
	}
	var wg sync.WaitGroup
	var e1, e2 error
	wg.Add(2)
	go func() { defer wg.Done(); d.staff, e1 = r.readPopulation("fact_staff", "status = '在岗'") }()
	go func() { defer wg.Done(); d.subjects, e2 = r.readPopulation("fact_corrections", "status = '在矫'") }()
	wg.Wait()
	if e1 != nil {
		return nil, e1
	}
	if e2 != nil {
		return nil, e2
	}
	return d, nil
}

func fundingShortfall(r *request) (any, error) {
	year := r.f.Year
	if year == 0 {
		_, to := r.f.Months()
		if to != "" {
			year, _ = strconv.Atoi(to[:4])
		}
	}
	if year == 0 {
		row, err := r.one("SELECT max(year) FROM fact_budget WHERE " + r.st.Visible() + " AND " + r.sc.where(false))
		if err != nil {
			return nil, err
		}
		year = int(num(row[0]))
	}
	if year == 0 || r.sc.level == transform.LevelVillage {
		return &FundingShortfall{Year: year, Rows: []FundingRow{}}, nil
	}
	d, err := r.readFunding(year-1, year)
	if err != nil {
		return nil, err
	}
	return r.funding(d, year), nil
}

// funding derives one year's funding.shortfall from the data read.
func (r *request) funding(d *fundingData, year int) *FundingShortfall {
	out := &FundingShortfall{Year: year, Rows: []FundingRow{}}
	lines := d.lines[year]
	staff, subjects := d.staff.at(year), d.subjects.at(year)
	// A county-level line covers its county less the townships that have a line of their own.
	ownLine := map[string]bool{}
	for _, l := range lines {
		if l.level == "乡镇" {
			ownLine[l.category+"|"+l.org] = true
		}
	}
	coveredBelow := func(pop map[string]int64, category, county string) int64 {
		var n int64
		for _, t := range r.reg.Under(county, transform.LevelTown) {
			if ownLine[category+"|"+t.Code] {
				n += pop[t.Code]
			}
		}
		return n
	}
	prevActual := map[string]int64{}
	for _, p := range d.lines[year-1] {
		prevActual[p.category+"|"+p.org] += p.actual
	}
	derive := func(l budgetLine) (int64, string) {
		switch l.category {
		case "公用经费":
			n := staff[l.org]
			if l.level == "县" {
				// the bureau and the townships without a line of their own
				n = staff["county:"+l.county] - coveredBelow(staff, l.category, l.county)
			}
			return int64(r.std.PublicPerStaff*100) * n, fmt.Sprintf("每人每年%.0f元", r.std.PublicPerStaff)
		case "人民调解经费":
			if l.level == "县" {
				return int64(r.std.MediationPerCounty * 100), fmt.Sprintf("每县每年不少于%.0f元", r.std.MediationPerCounty)
			}
			return 0, "按县计算"
		case "社区矫正经费":
			n := subjects[l.org]
			if l.level == "县" {
				n = subjects["county:"+l.county] - coveredBelow(subjects, l.category, l.county)
			}
			return int64(r.std.CorrectionsPerSubject*100) * n, fmt.Sprintf("每名矫正对象每年%.0f-%.0f元（按%.0f元计）", r.std.CorrectionsPerSubject, r.std.CorrectionsHigh, r.std.CorrectionsPerSubject)
		case "法律援助经费":
			return prevActual[l.category+"|"+l.org], "上年实际支出"
		}
		return 0, "无统一标准"
	}
	byCat := map[string]*FundingRow{}
	for _, c := range FundingCategories {
		byCat[c] = &FundingRow{Category: c}
	}
	for _, l := range lines {
		row := byCat[l.category]
		if row == nil {
			continue
		}
		row.Units++
		row.Budget += yuan(l.budget)
		row.Allocated += yuan(l.allocated)
		row.Actual += yuan(l.actual)
		std, basis := l.standard, "台账填报"
		if !l.given {
			std, basis = derive(l)
		}
		row.Standard += yuan(std)
		if row.StandardBasis == "" || row.StandardBasis == basis {
			row.StandardBasis = basis
		} else {
			row.StandardBasis = "台账填报与配置标准"
		}
	}
	for _, c := range FundingCategories {
		row := byCat[c]
		if row.Units == 0 {
			continue
		}
		row.GapToStandard = max(row.Standard-row.Budget, 0)
		row.Overspend = max(row.Actual-row.Budget, 0)
		out.Rows = append(out.Rows, *row)
	}
	for k, n := range staff {
		if strings.HasPrefix(k, "county:") {
			out.StaffInPost += n
		}
	}
	for k, n := range subjects {
		if strings.HasPrefix(k, "county:") {
			out.CorrectionsSubjects += Persons(n)
		}
	}
	out.Counties = int64(len(r.reg.Under(r.sc.code, transform.LevelCounty)))
	if r.sc.level == transform.LevelTown {
		out.Counties = 0
	}
	return out
}

// FundingYear is one year of funding.by_year: the categories added up.
type FundingYear struct {
	Year          int     `json:"year"`
	Standard      float64 `json:"standard"`
	Budget        float64 `json:"budget"`
	Allocated     float64 `json:"allocated"`
	Actual        float64 `json:"actual"`
	GapToStandard float64 `json:"gap_to_standard"`
	Overspend     float64 `json:"overspend"`
}

func fundingByYear(r *request) (any, error) {
	out := &Rows[FundingYear]{Rows: []FundingYear{}}
	if r.sc.level == transform.LevelVillage {
		return out, nil
	}
	d, err := r.readFunding(0, 0)
	if err != nil {
		return nil, err
	}
	var years []int
	for y := range d.lines {
		if r.f.Year == 0 || y <= r.f.Year {
			years = append(years, y)
		}
	}
	sort.Ints(years)
	for _, y := range years {
		fy := FundingYear{Year: y}
		for _, row := range r.funding(d, y).Rows {
			fy.Standard += row.Standard
			fy.Budget += row.Budget
			fy.Allocated += row.Allocated
			fy.Actual += row.Actual
			fy.GapToStandard += row.GapToStandard
			fy.Overspend += row.Overspend
		}
		out.Rows = append(out.Rows, fy)
	}
	return out, nil
}

// ---- buildout.progress ----

// BuildoutLevels are the two levels of sites and the registry level each
// counts against.
var BuildoutLevels = []struct{ Site, Unit string }{
	{ledger.StationLevel, transform.LevelTown},
	{ledger.RoomLevel, transform.LevelVillage},
}

// BuildoutRow is one level and year of buildout.progress.
type BuildoutRow struct {
	Level                  string  `json:"level"`
	Year                   int     `json:"year"`
	Units                  int64   `json:"units"`
	Established            int64   `json:"established"`
	Standardized           int64   `json:"standardized"`
	EstablishedRate        float64 `json:"established_rate"`
	StandardizedRate       float64 `json:"standardized_rate"`
	TargetEstablishedRate  float64 `json:"target_established_rate"`
	TargetStandardizedRate float64 `json:"target_standardized_rate"`
	OnTrack                bool    `json:"on_track"`
}

func buildoutProgress(r *request) (any, error) {
	out := &Rows[BuildoutRow]{Rows: []BuildoutRow{}}
	rows, err := r.rows("SELECT level, town_code, village_code, established, standardized, snapshot" + r.snapshot("fact_site", true, false))
	if err != nil {
		return nil, err
	}
	targets, err := r.rows("SELECT level, year, established_rate, standardized_rate FROM dim_target WHERE version = (SELECT max(version) FROM dim_target) ORDER BY level, year")
	if err != nil {
		return nil, err
	}
	type dates struct{ est, std string }
	sites := map[string]map[string]dates{} // level → unit code → earliest dates
	last := 0
	for _, x := range rows {
		level, unit := str(x[0]), str(x[1])
		if level == ledger.RoomLevel {
			unit = str(x[2])
		}
		est, std, snap := str(x[3]), str(x[4]), str(x[5])
		if est == "" {
			est = snap // in the snapshot without a date: there by then
		}
		if y, _ := strconv.Atoi(snap[:4]); y > last {
			last = y
		}
		if sites[level] == nil {
			sites[level] = map[string]dates{}
		}
		d, ok := sites[level][unit]
		if !ok || est < d.est {
			d.est = est
		}
		if std != "" && (d.std == "" || std < d.std) {
			d.std = std
		}
		sites[level][unit] = d
	}
	if r.f.Year != 0 && last > r.f.Year {
		last = r.f.Year
	}
	first := 2014
	for _, t := range targets {
		if y := int(num(t[1])); y < first {
			first = y
		}
	}
	target := func(level string, year int) (float64, float64) {
		var e, s float64
		best := 0
		for _, t := range targets {
			y := int(num(t[1]))
			if str(t[0]) == level && y <= year && y >= best {
				best, e, s = y, t[2].(float64), t[3].(float64)
			}
		}
		return e, s
	}
	for _, lv := range BuildoutLevels {
		units := r.reg.Under(r.sc.code, lv.Unit)
		if r.sc.level == transform.LevelVillage && lv.Unit == transform.LevelTown {
			units = nil
		}
		for y := first; y <= last; y++ {
			end := fmt.Sprintf("%d-12-31", y)
			row := BuildoutRow{Level: lv.Site, Year: y, Units: int64(len(units))}
			for _, u := range units {
				d, ok := sites[lv.Site][u.Code]
				if !ok {
					continue
				}
				if d.est <= end {
					row.Established++
				}
				if d.std != "" && d.std <= end {
					row.Standardized++
				}
			}
			row.EstablishedRate = rate(row.Established, row.Units)
			row.StandardizedRate = rate(row.Standardized, row.Units)
			row.TargetEstablishedRate, row.TargetStandardizedRate = target(lv.Site, y)
			row.OnTrack = row.EstablishedRate >= row.TargetEstablishedRate && row.StandardizedRate >= row.TargetStandardizedRate
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

// ---- work.summary ----

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
	out := &WorkSummary{}
	row, err := r.one("SELECT count(*), " + sumIf("decision = '给予援助'") + ", sum(recovered_fen)" + r.events("fact_legal_aid", false))
	if err != nil {
		return nil, err
	}
	out.LegalAidApplications, out.LegalAidCases, out.LegalAidRecovered = num(row[0]), num(row[1]), yuan(num(row[2]))
	if row, err = r.one("SELECT sum(visits)" + r.events("fact_consultation", false)); err != nil {
		return nil, err
	}
	out.Consultations = num(row[0])
	if row, err = r.one("SELECT count(*), sum(participants)" + r.events("fact_publicity", true)); err != nil {
		return nil, err
	}
	out.PublicityEvents, out.PublicityParticipants = num(row[0]), num(row[1])
	if row, err = r.one(correctionsPersons(nil).sql(r.snapshot("fact_corrections", false, true))); err != nil {
		return nil, err
	}
	out.CorrectionsInSupervision, out.CorrectionsLostContact, out.CorrectionsReoffended = pnum(row[0]), pnum(row[1]), pnum(row[2])
	if row, err = r.one(resettlementPersons(nil).sql(r.snapshot("fact_resettlement", false, true))); err != nil {
		return nil, err
	}
	out.ReleasedRegistered, out.ReleasedResettled, out.ReleasedReoffended = pnum(row[0]), pnum(row[1]), pnum(row[2])
	return out, nil
}
