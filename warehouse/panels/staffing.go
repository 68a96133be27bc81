package panels

import (
	"fmt"
	"sifa/ingest/ledger"
	"sifa/transform"
	"strconv"
)

// 队伍: the staff of the township offices and the county bureau.

var (
	// EducationLevels are the roster's 学历 values, highest first.
	EducationLevels = ledger.Roster.Values("学历")
	// AgeBands are the age groups staffing panels count.
	AgeBands = []string{"35岁及以下", "36-45岁", "46-55岁", "56岁及以上"}
)

// StaffingSummary is the 队伍 profile of the township offices in scope.
type StaffingSummary struct {
	Offices            int64              `json:"offices"`
	Staff              int64              `json:"staff"`
	OfficesSingleStaff int64              `json:"offices_single_staff"`
	OfficesMultiStaff  int64              `json:"offices_multi_staff"`
	OfficesNoStaff     int64              `json:"offices_no_staff"`
	BureauStaff        int64              `json:"bureau_staff"`
	DeputySectionRank  Persons            `json:"deputy_section_rank" sdc:"of=Staff"`
	Education          map[string]Persons `json:"education" sdc:"of=Staff"`
	AgeBands           map[string]Persons `json:"age_bands" sdc:"of=Staff"`
	Aged46Plus         Persons            `json:"aged_46_plus" sdc:"of=Staff"`
	NoComputer         Persons            `json:"no_computer" sdc:"of=Staff"`
	LawMajor           Persons            `json:"law_major" sdc:"of=Staff"`
	Snapshot           string             `json:"snapshot"`
}

func staffingSummary(r *request) (any, error) {
	from := r.snapshot("fact_staff", false, false)
	inPost := " AND status = '在岗'"
	town := " AND org_level = '乡镇'"
	out := &StaffingSummary{Education: map[string]Persons{}, AgeBands: map[string]Persons{}}
	for _, e := range EducationLevels {
		out.Education[e] = 0
	}
	for _, b := range AgeBands {
		out.AgeBands[b] = 0
	}
	if r.sc.level == transform.LevelVillage {
		return out, nil
	}
	out.Offices = int64(len(r.reg.Under(r.sc.code, transform.LevelTown)))
	res, err := r.rowsAll(personCount{counts: []string{"", "rank = '副科级'", "age >= 46", "computer = 0", "law_major = 1",
		"age <= 35", "age >= 36 AND age <= 45", "age >= 46 AND age <= 55", "age >= 56"}, latest: true}.sql(r.d, from+inPost+town),
		personCount{groups: []string{"education"}, counts: []string{""}}.sql(r.d, from+inPost+town),
		personCount{groups: []string{"town_code"}, counts: []string{""}}.sql(r.d, from+inPost+town),
		personCount{counts: []string{""}, latest: true}.sql(r.d, from+inPost+" AND org_level = '县'"))
	if err != nil {
		return nil, err
	}
	if len(res[0]) == 0 || len(res[3]) == 0 {
		return nil, fmt.Errorf("查询没有返回结果")
	}
	row := res[0][0]
	out.Staff, out.DeputySectionRank, out.Aged46Plus, out.NoComputer, out.LawMajor = num(row[0]), pnum(row[1]), pnum(row[2]), pnum(row[3]), pnum(row[4])
	for i, b := range AgeBands {
		out.AgeBands[b] = pnum(row[5+i])
	}
	out.Snapshot = str(row[9])
	for _, x := range res[1] {
		if e := str(x[0]); e != "" {
			out.Education[e] = pnum(x[1])
		}
	}
	for _, x := range res[2] {
		if num(x[1]) == 1 {
			out.OfficesSingleStaff++
		} else if num(x[1]) > 1 {
			out.OfficesMultiStaff++
		}
	}
	out.OfficesNoStaff = out.Offices - out.OfficesSingleStaff - out.OfficesMultiStaff
	if out.OfficesNoStaff < 0 {
		out.OfficesNoStaff = 0
	}
	row = res[3][0]
	out.BureauStaff = num(row[0])
	if s := str(row[1]); s > out.Snapshot {
		out.Snapshot = s
	}
	return out, nil
}

// StaffRow is one township office of staffing.by_org.
type StaffRow struct {
	OrgCode     string  `json:"org_code"`
	OrgName     string  `json:"org_name"`
	Staff       int64   `json:"staff"`
	SingleStaff bool    `json:"single_staff"`
	Aged46Plus  Persons `json:"aged_46_plus" sdc:"of=Staff"`
	NoComputer  Persons `json:"no_computer" sdc:"of=Staff"`
	LawMajor    Persons `json:"law_major" sdc:"of=Staff"`
}

// staffingByOrg lists every township office under the scope with its in-post staff.
func staffingByOrg(r *request) (any, error) {
	out := &Rows[StaffRow]{Level: transform.LevelTown, Rows: []StaffRow{}}
	if r.sc.level == transform.LevelVillage {
		return out, nil
	}
	rows, err := r.rows(personCount{groups: []string{"town_code"}, counts: []string{"", "age >= 46", "computer = 0", "law_major = 1"}}.sql(r.d,
		r.snapshot("fact_staff", false, false, " AND status = '在岗' AND org_level = '乡镇'")))
	if err != nil {
		return nil, err
	}
	got := map[string][]any{}
	for _, x := range rows {
		got[str(x[0])] = x
	}
	for _, o := range r.reg.Under(r.sc.code, transform.LevelTown) {
		s := StaffRow{OrgCode: o.Code, OrgName: o.Name}
		if x, ok := got[o.Code]; ok {
			s.Staff, s.Aged46Plus, s.NoComputer, s.LawMajor = num(x[1]), pnum(x[2]), pnum(x[3]), pnum(x[4])
		}
		s.SingleStaff = s.Staff == 1
		out.Rows = append(out.Rows, s)
	}
	return out, nil
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
		counts: []string{"org_level = '乡镇'", "org_level = '县'", "org_level = '乡镇' AND age >= 46", "org_level = '乡镇' AND computer = 0"}}.sql(r.d,
		r.from("fact_staff", r.visible("fact_staff")+" AND "+r.sc.where(false)+" AND status = '在岗'"+r.upToEnd())))
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
