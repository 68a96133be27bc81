package panels

import (
	"sort"
	"strconv"
)

// snapshotCounts is, per scope org and snapshot date, some counts.
type snapshotCounts map[string]map[string][]int64

// latest sums, over scope orgs, the counts of each org's latest snapshot in
// [from, to] (dates as "2006-01-02"; from may be "").
func (s snapshotCounts) latest(from, to string, width int) []int64 {
	sum := make([]int64, width)
	for _, byPeriod := range s {
		best := ""
		for p := range byPeriod {
			if p <= to && p >= from && p > best {
				best = p
			}
		}
		if best != "" {
			for i, v := range byPeriod[best] {
				sum[i] += v
			}
		}
	}
	return sum
}

// readSnapshots runs a GROUP BY scope_org, period query whose first two
// columns are those and the rest counts.
func (r *request) readSnapshots(q string) (snapshotCounts, []int, error) {
	rows, err := r.rows(q)
	if err != nil {
		return nil, nil, err
	}
	out := snapshotCounts{}
	years := map[int]bool{}
	for _, x := range rows {
		org, period := str(x[0]), str(x[1])
		if out[org] == nil {
			out[org] = map[string][]int64{}
		}
		vals := make([]int64, len(x)-2)
		for i := range vals {
			vals[i] = num(x[i+2])
		}
		out[org][period] = vals
		if y, err := strconv.Atoi(period[:4]); err == nil {
			years[y] = true
		}
	}
	var ys []int
	for y := range years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return out, ys, nil
}

// StaffYear is one year of staffing.by_year: each unit's latest roster on
// or before 31 December, persons counted per unit.
type StaffYear struct {
	Year        int     `json:"year"`
	Staff       int64   `json:"staff"`
	BureauStaff int64   `json:"bureau_staff"`
	Aged46Plus  Persons `json:"aged_46_plus" sdc:"of=Staff"`
	NoComputer  Persons `json:"no_computer" sdc:"of=Staff"`
}

func staffingByYear(r *request) (any, error) {
	out := &Rows[StaffYear]{Rows: []StaffYear{}}
	snaps, years, err := r.readSnapshots(personCount{groups: []string{"scope_org", "period"},
		counts: []string{"org_level = '乡镇'", "org_level = '县'", "org_level = '乡镇' AND age >= 46", "org_level = '乡镇' AND computer = 0"}}.sql(
		" FROM fact_staff WHERE " + r.st.Visible() + " AND " + r.sc.where(false) + " AND status = '在岗'"))
	if err != nil {
		return nil, err
	}
	for _, y := range years {
		if r.f.Year != 0 && y > r.f.Year {
			continue
		}
		c := snaps.latest("", strconv.Itoa(y)+"-12-31", 4)
		out.Rows = append(out.Rows, StaffYear{Year: y, Staff: c[0], BureauStaff: c[1], Aged46Plus: Persons(c[2]), NoComputer: Persons(c[3])})
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
	where := " WHERE " + r.st.Visible() + " AND " + r.sc.where(false)
	yearOf := "substring(period, 1, 4)"
	rows, err := r.rows("SELECT " + yearOf + ", count(*), " + sumIf("decision = '给予援助'") + ", sum(recovered_fen) FROM fact_legal_aid" + where + " GROUP BY " + yearOf)
	if err != nil {
		return nil, err
	}
	for _, x := range rows {
		y, _ := strconv.Atoi(str(x[0]))
		w := get(y)
		w.LegalAidApplications, w.LegalAidCases, w.LegalAidRecovered = num(x[1]), num(x[2]), yuan(num(x[3]))
	}
	if rows, err = r.rows("SELECT " + yearOf + ", sum(visits) FROM fact_consultation" + where + " GROUP BY " + yearOf); err != nil {
		return nil, err
	}
	for _, x := range rows {
		y, _ := strconv.Atoi(str(x[0]))
		get(y).Consultations = num(x[1])
	}
	pubWhere := " WHERE " + r.st.Visible() + " AND " + r.sc.where(true)
	if rows, err = r.rows("SELECT " + yearOf + ", count(*), sum(participants) FROM fact_publicity" + pubWhere + " GROUP BY " + yearOf); err != nil {
		return nil, err
	}
	for _, x := range rows {
		y, _ := strconv.Atoi(str(x[0]))
		w := get(y)
		w.PublicityEvents, w.PublicityParticipants = num(x[1]), num(x[2])
	}
	corr, cy, err := r.readSnapshots(correctionsPersons([]string{"scope_org", "period"}).sql(" FROM fact_corrections" + where))
	if err != nil {
		return nil, err
	}
	rel, ry, err := r.readSnapshots(resettlementPersons([]string{"scope_org", "period"}).sql(" FROM fact_resettlement" + where))
	if err != nil {
		return nil, err
	}
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
