package panels

import (
	"fmt"
	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// 经费: each funding category against its standard, by year.

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
	// gapByOrg is each budget line's gap to its standard, by the line's org
	// (the target outlook's costs add them up per township).
	gapByOrg map[string]float64
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
	scopeOrg, period string
	// own is the key of at's answer the row counts in (its township, or
	// "bureau:"+county), all "county:"+county: made once when read, not for
	// every year asked
	own, all string
	n        int64
}

// populations are the rows of readPopulation, one slice per scope org,
// each by date.
type populations [][]popRow

// at returns, for the latest snapshot of each unit on or before the end of
// the year, the persons per township (key: town code), per county bureau
// ("bureau:"+county) and per county in all ("county:"+county).
func (p populations) at(year int) map[string]int64 {
	end := strconv.Itoa(year) + "-12-31"
	out := make(map[string]int64, len(p)+len(p)/8+1) // an org's own key, and its county's
	for _, rows := range p {
		// rows by date: the latest on or before end ends the first k
		k := sort.Search(len(rows), func(i int) bool { return rows[i].period > end })
		for i := k - 1; i >= 0 && rows[i].period == rows[k-1].period; i-- {
			out[rows[i].own] += rows[i].n
			out[rows[i].all] += rows[i].n
		}
	}
	return out
}

// fundingData is what the funding panels derive their answers from, read
// once for every year they need.
type fundingData struct {
	lines           map[int][]budgetLine
	staff, subjects populations
}

// readPopulation counts the persons of a snapshot ledger its scope rows
// count (warehouse.ScopeSums: 在岗 on a roster, 在矫 on a corrections
// register), per scope org, snapshot and township, in the snapshots on or
// before end ("" open): of each org's last snapshot of each year, or, when
// the years from..to are few, only of each org's latest on or before each
// of those years' ends (what populations.at reads for them). A snapshot
// counts with 0 when it lists nobody counted: an office whose latest
// register has no one 在矫 has none, not the number of an older one. The
// counts are the scope rows' where they answer (a township's scope org is
// its code, its first six digits its county's; a county bureau's is the
// county's), else the fact rows'.
func (r *request) readPopulation(l *ledger.Ledger, end string, from, to int) (populations, error) {
	table := l.Fact.Name
	var ends []string
	if from > 0 && to >= from && to-from < 3 {
		for y := from; y <= to; y++ {
			ends = append(ends, fmt.Sprintf("%d-12-31", y))
		}
	}
	vis := r.visibleYearEnds(table)
	if ends != nil {
		vis = r.d.VisibleLatestAt(table, r.sc.orgPrefix(), ends)
	}
	cond := vis + " AND " + r.sc.where(false)
	if end != "" {
		cond += " AND period <= " + r.d.Lit(end)
	}
	conds, cols := warehouse.PersonsCounted(l.ID)
	onScopes := r.onScopes()
	q := personCount{groups: []string{"scope_org", "period", "county_code", "town_code"}, counts: conds[:1]}.sql(r.d, r.from(table, cond))
	if onScopes {
		// the county and township are the scope org's (scopeOrgAs), cut
		// below; the latest registers at the years' ends are all on or
		// before end
		q = r.d.YearEndScopes(l.ID, r.sc.orgPrefix(), cols[:1], end)
		if ends != nil {
			q = r.d.LatestScopes(l.ID, r.sc.orgPrefix(), cols[:1], ends)
		}
	}
	rows, err := r.rows(q)
	if err != nil {
		return nil, err
	}
	// each org's rows together in one slice of them all, by date (at looks
	// for an org's latest on or before a year's end once for every year):
	// made in two passes, not grown row by row
	group := map[string]int{}
	keys := map[string][2]string{} // a county's keys of at's answer, made once
	all := make([]popRow, len(rows))
	of := make([]int, len(rows)) // each row's org, numbered
	var sizes []int
	for i, x := range rows {
		org := str(x[0])
		var county, town string
		var n int64
		if onScopes {
			county, n = org[:min(6, len(org))], num(x[2])
			if len(org) > 6 {
				town = org
			}
		} else {
			county, town, n = str(x[2]), str(x[3]), num(x[4])
		}
		k, ok := keys[county]
		if !ok {
			k = [2]string{"bureau:" + county, "county:" + county}
			keys[county] = k
		}
		all[i] = popRow{scopeOrg: org, period: str(x[1]), own: town, all: k[1], n: n}
		if town == "" {
			all[i].own = k[0]
		}
		g, ok := group[org]
		if !ok {
			g = len(sizes)
			group[org] = g
			sizes = append(sizes, 0)
		}
		of[i] = g
		sizes[g]++
	}
	out := make(populations, len(sizes))
	placed := make([]popRow, len(all))
	start := 0
	for g, n := range sizes {
		out[g] = placed[start : start : start+n]
		start += n
	}
	for i, row := range all {
		out[of[i]] = append(out[of[i]], row)
	}
	for _, rows := range out {
		slices.SortFunc(rows, func(a, b popRow) int { return strings.Compare(a.period, b.period) })
	}
	return out, nil
}

// readFunding reads the budget lines of the years from..to (0: open) and
// the populations of the snapshots up to the end of to: no later file is
// read, so none is among the answer's sources.
func (r *request) readFunding(from, to int) (*fundingData, error) {
	cond := r.visible("fact_budget") + " AND " + r.sc.where(false) + r.category("category")
	popEnd := ""
	// the years bound the period too, which starts with the year: the fact
	// tables are partitioned by it (a province's year of budget lines read
	// 18,000 rows of the table and the scopes' sets, not 28,000; 8.2 -> 5.9
	// ms of ClickHouse 18.16's CPU)
	if from > 0 {
		cond += fmt.Sprintf(" AND year >= %d AND period >= %s", from, r.d.Lit(strconv.Itoa(from)))
	}
	if to > 0 {
		cond += fmt.Sprintf(" AND year <= %d AND period < %s", to, r.d.Lit(strconv.Itoa(to+1)))
		popEnd = fmt.Sprintf("%d-12-31", to)
	}
	// the budget lines and both populations at once
	d := &fundingData{lines: map[int][]budgetLine{}}
	var rows [][]any
	budget := func() (err error) {
		rows, err = r.rows("SELECT year, scope_org, org_level, county_code, category, standard_fen, standard_given, budget_fen, allocated_fen, actual_fen" +
			r.from("fact_budget", cond) + " ORDER BY year, scope_org, category")
		return
	}
	staff := func() (err error) {
		d.staff, err = r.readPopulation(ledger.Roster, popEnd, from, to)
		return
	}
	subjects := func() (err error) {
		d.subjects, err = r.readPopulation(ledger.Corrections, popEnd, from, to)
		return
	}
	err := atOnce(budget, staff, subjects)
	if err != nil {
		return nil, err
	}
	for _, x := range rows {
		l := budgetLine{year: int(num(x[0])), org: str(x[1]), level: str(x[2]), county: str(x[3]), category: str(x[4]), standard: num(x[5]),
			given: num(x[6]) == 1, budget: num(x[7]), allocated: num(x[8]), actual: num(x[9])}
		d.lines[l.year] = append(d.lines[l.year], l)
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
		row, err := r.one("SELECT max(year)" + r.from("fact_budget", r.visible("fact_budget")+" AND "+r.sc.where(false)))
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
	out := &FundingShortfall{Year: year, Rows: []FundingRow{}, gapByOrg: map[string]float64{}}
	lines := d.lines[year]
	staff, subjects := d.staff.at(year), d.subjects.at(year)
	// A county-level line covers its county less the townships that have a line of their own.
	type lineOf struct{ category, org string } // a key of no text of its own: a lookup a line allocates nothing
	ownLine := map[lineOf]bool{}
	for _, l := range lines {
		if l.level == "乡镇" {
			ownLine[lineOf{l.category, l.org}] = true
		}
	}
	coveredBelow := func(pop map[string]int64, category, county string) int64 {
		var n int64
		for _, t := range r.reg.Under(county, transform.LevelTown) {
			if ownLine[lineOf{category, t.Code}] {
				n += pop[t.Code]
			}
		}
		return n
	}
	prevActual := map[lineOf]int64{}
	for _, p := range d.lines[year-1] {
		prevActual[lineOf{p.category, p.org}] += p.actual
	}
	// the standards' wording, once (not a Sprintf a line of a province's ten years)
	var (
		publicBasis      = fmt.Sprintf("每人每年%.0f元", r.std.PublicPerStaff)
		mediationBasis   = fmt.Sprintf("每县每年不少于%.0f元", r.std.MediationPerCounty)
		correctionsBasis = fmt.Sprintf("每名矫正对象每年%.0f-%.0f元（按%.0f元计）", r.std.CorrectionsPerSubject, r.std.CorrectionsHigh, r.std.CorrectionsPerSubject)
	)
	derive := func(l budgetLine) (int64, string) {
		switch l.category {
		case "公用经费":
			n := staff[l.org]
			if l.level == "县" {
				// the bureau and the townships without a line of their own
				n = staff["county:"+l.county] - coveredBelow(staff, l.category, l.county)
			}
			return int64(r.std.PublicPerStaff*100) * n, publicBasis
		case "人民调解经费":
			if l.level == "县" {
				return int64(r.std.MediationPerCounty * 100), mediationBasis
			}
			return 0, "按县计算"
		case "社区矫正经费":
			n := subjects[l.org]
			if l.level == "县" {
				n = subjects["county:"+l.county] - coveredBelow(subjects, l.category, l.county)
			}
			return int64(r.std.CorrectionsPerSubject*100) * n, correctionsBasis
		case "法律援助经费":
			return prevActual[lineOf{l.category, l.org}], "上年实际支出"
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
		out.gapByOrg[l.org] += max(yuan(std)-yuan(l.budget), 0)
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
	d, err := r.readFunding(0, r.f.Year)
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
