package panels

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// CompareMeasure is one measure compare.orgs gives per org and year.
type CompareMeasure struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Unit       string `json:"unit"`
	Definition string `json:"definition"`
	Sources    string `json:"sources"` // the ledgers it is computed from
	PerHead    bool   `json:"per_head"`
}

// CompareMeasures are the measures, in the order pages and the dataset show them.
var CompareMeasures = []CompareMeasure{
	{"population", "常住人口", "人", "人口台账的年末常住人口；县没有自己的一行时为各乡镇之和", "人口台账", false},
	{"disputes", "受理矛盾纠纷", "件", "人民调解台账中受理日期在当年的案件数", "人民调解台账", false},
	{"disputes_per10k", "每万人受理纠纷", "件/万人", "受理矛盾纠纷 ÷ 常住人口 × 10000", "人民调解台账、人口台账", true},
	{"legal_aid", "法律援助案件", "件", "法律援助台账中当年决定给予援助的案件数", "法律援助台账", false},
	{"legal_aid_per10k", "每万人法律援助案件", "件/万人", "法律援助案件 ÷ 常住人口 × 10000", "法律援助台账、人口台账", true},
	{"consultations", "法律咨询", "人次", "法律咨询台账当年的接待人次之和", "法律咨询台账", false},
	{"consultations_per10k", "每万人法律咨询", "人次/万人", "法律咨询 ÷ 常住人口 × 10000", "法律咨询台账、人口台账", true},
	{"corrections", "社区矫正在册", "人", "年底（当年最后一次统计时点）社区矫正台账中状态为在矫的人数", "社区矫正台账", false},
	{"corrections_per10k", "每万人社区矫正对象", "人/万人", "社区矫正在册 ÷ 常住人口 × 10000", "社区矫正台账、人口台账", true},
	{"staff", "在岗人员", "人", "年底人员花名册中在岗的人数（县为司法局和各司法所之和）", "人员花名册", false},
	{"staff_per10k", "每万人在岗人员", "人/万人", "在岗人员 ÷ 常住人口 × 10000", "人员花名册、人口台账", true},
	{"funding", "实际支出经费", "元", "经费台账当年各类经费实际支出之和（县为司法局和各司法所之和）", "经费台账", false},
	{"funding_per_head", "人均经费（按常住人口）", "元/人", "实际支出经费 ÷ 常住人口", "经费台账、人口台账", true},
	{"funding_per_staff", "人均经费（按在岗人员）", "元/人", "实际支出经费 ÷ 在岗人员", "经费台账、人员花名册", false},
}

// CompareRow is one org in one year: each measure's value (null when it
// cannot be computed: a rate without a population, a count withheld),
// its change on the year before and its rank among the orgs compared.
type CompareRow struct {
	OrgCode string              `json:"org_code"`
	OrgName string              `json:"org_name"`
	Year    int                 `json:"year"`
	Values  map[string]*float64 `json:"values"`
	Change  map[string]*float64 `json:"change"` // (this year − last) ÷ last
	Rank    map[string]int      `json:"rank"`   // 1 = the highest; 0 = no value
}

// Comparison is compare.orgs: the orgs one level down from the filter's
// (the counties of a city or province, the townships of a county), every
// year of the period, with the level above's average beside them.
type Comparison struct {
	Level    string           `json:"level"`
	Parent   string           `json:"parent"`
	Years    []int            `json:"years"`
	Measures []CompareMeasure `json:"measures"`
	Rows     []CompareRow     `json:"rows"`
	Average  []CompareRow     `json:"average"` // per year: counts per org on average, rates over the whole
	Notes    []string         `json:"notes"`
}

// compareWithheld are the measures of people under supervision: a small
// count (and what would reveal it) is withheld from roles that may not see
// individuals.
var compareWithheld = []string{"corrections", "corrections_per10k"}

// withheld returns a copy with the corrections counts under k withheld
// (suppress calls it for roles that may not see individuals).
func (c *Comparison) withheld(k int64) any {
	b, _ := json.Marshal(c)
	var cp Comparison
	json.Unmarshal(b, &cp)
	for i := range cp.Rows {
		r := &cp.Rows[i]
		if v := r.Values["corrections"]; v != nil && *v > 0 && *v < float64(k) {
			for _, m := range compareWithheld {
				r.Values[m], r.Change[m], r.Rank[m] = nil, nil, 0
			}
		}
	}
	return &cp
}

type compareBase struct {
	population, disputes, legalAid, consultations, corrections, staff *float64
	funding                                                           *float64
}

func fp(x float64) *float64 { return &x }

func compareOrgs(r *request) (any, error) {
	out := &Comparison{Measures: CompareMeasures, Rows: []CompareRow{}, Average: []CompareRow{}, Notes: []string{}, Years: []int{}}
	from, to := r.f.Months()
	if from == "" || to == "" { // no period: the latest year with data
		yv, err := metaYears(r)
		if err != nil {
			return nil, err
		}
		latest := yv.(*Years).Latest
		if latest == 0 {
			return out, nil
		}
		if from == "" {
			from = fmt.Sprintf("%04d-01", latest)
		}
		if to == "" {
			to = fmt.Sprintf("%04d-12", latest)
		}
	}
	y0, _ := strconv.Atoi(from[:4])
	y1, _ := strconv.Atoi(to[:4])
	for y := y0; y <= y1; y++ {
		out.Years = append(out.Years, y)
	}
	level, codeCol := transform.LevelTown, "town_code"
	var orgs []*Org
	switch r.sc.level {
	case transform.LevelTown, transform.LevelVillage:
		if o := r.reg.Org(r.sc.code); o != nil {
			t := r.reg.Org(o.TownCode)
			if t == nil {
				t = o
			}
			orgs = []*Org{t}
		}
	case transform.LevelCounty:
		orgs = r.reg.Under(r.sc.code, transform.LevelTown)
	default:
		level, codeCol = transform.LevelCounty, "county_code"
		orgs = r.reg.Under(r.sc.code, transform.LevelCounty)
	}
	out.Level, out.Parent = level, r.sc.code
	// the bases, per org code and year, from the year before the first (for the change)
	first := fmt.Sprintf("%04d-01", y0-1)
	base := map[string]map[int]*compareBase{}
	get := func(code string, y int) *compareBase {
		if base[code] == nil {
			base[code] = map[int]*compareBase{}
		}
		if base[code][y] == nil {
			base[code][y] = &compareBase{}
		}
		return base[code][y]
	}
	add := func(p **float64, v float64) {
		if *p == nil {
			*p = fp(0)
		}
		**p += v
	}
	// the event counts and the funding data are read at once (the engines
	// serve concurrent readers; on ClickHouse this panel is a second of SQL)
	events := []struct {
		table, agg string
		villages   bool
		dst        func(*compareBase) **float64
	}{
		{"fact_dispute", "count(*)", true, func(b *compareBase) **float64 { return &b.disputes }},
		{"fact_legal_aid", sumIf("decision = '给予援助'"), false, func(b *compareBase) **float64 { return &b.legalAid }},
		{"fact_consultation", "sum(visits)", false, func(b *compareBase) **float64 { return &b.consultations }},
	}
	var qs []string
	for i, q := range events {
		if i == 0 { // disputes are counted per office-month already
			if c, ok := r.rowCounts(ledger.Mediation, level == transform.LevelCounty, first, to); ok {
				qs = append(qs, c)
				continue
			}
		}
		cond := r.visibleIn(q.table, first, to) + " AND " + r.sc.where(q.villages) + fmt.Sprintf(" AND period >= '%s' AND period <= '%s'", first, to)
		// grouped by month, not by year: a substring per row costs ClickHouse more than a few thousand groups
		qs = append(qs, "SELECT "+codeCol+", period, "+q.agg+r.from(q.table, cond)+" GROUP BY "+codeCol+", period")
	}
	var fd *fundingData
	var res [][][]any
	err := atOnce(func() (err error) { fd, err = r.readFunding(y0-1, y1); return }, func() (err error) { res, err = r.rowsAll(qs...); return })
	if err != nil {
		return nil, err
	}
	for i, q := range events {
		for _, x := range res[i] {
			y, _ := strconv.Atoi(str(x[1])[:4])
			add(q.dst(get(str(x[0]), y)), float64(num(x[2])))
		}
	}

	// staff and subjects at each year's end, and the budget's actual spending
	for y := y0 - 1; y <= y1; y++ {
		staff, subjects := fd.staff.at(y), fd.subjects.at(y)
		for _, o := range orgs {
			key := o.Code
			if level == transform.LevelCounty {
				key = "county:" + o.Code
			}
			b := get(o.Code, y)
			if n, ok := staff[key]; ok {
				b.staff = fp(float64(n))
			}
			if n, ok := subjects[key]; ok {
				b.corrections = fp(float64(n))
			}
		}
		for _, l := range fd.lines[y] {
			code := l.org
			if level == transform.LevelCounty {
				code = l.county
			} else if l.level != "乡镇" {
				continue
			}
			add(&get(code, y).funding, float64(l.actual)/100)
		}
	}
	// population: each org's own row; a county without one, its townships' sum
	popCond := r.visible("fact_population") + " AND " + r.sc.where(false) + fmt.Sprintf(" AND year >= %d AND year <= %d", y0-1, y1)
	prows, err := r.rows("SELECT scope_org, org_level, county_code, year, resident" + r.from("fact_population", popCond))
	if err != nil {
		return nil, err
	}
	own, towns := map[string]map[int]float64{}, map[string]map[int]float64{}
	for _, x := range prows {
		y := int(num(x[3]))
		m, key := own, str(x[0])
		if level == transform.LevelCounty && str(x[1]) == "乡镇" {
			m, key = towns, str(x[2])
		}
		if m[key] == nil {
			m[key] = map[int]float64{}
		}
		m[key][y] += float64(num(x[4]))
	}
	summed := map[string]bool{}
	for _, o := range orgs {
		for y := y0 - 1; y <= y1; y++ {
			if n, ok := own[o.Code][y]; ok {
				get(o.Code, y).population = fp(n)
			} else if n, ok := towns[o.Code][y]; ok {
				get(o.Code, y).population = fp(n)
				summed[o.Name] = true
			}
		}
	}
	for name := range summed {
		out.Notes = append(out.Notes, name+"的人口台账没有县一级的行，常住人口按各乡镇之和计")
	}
	sort.Strings(out.Notes)
	// the rows, the changes, the ranks, and the level above's average
	var missingPop []string
	for _, y := range out.Years {
		var yearRows []CompareRow
		total := &compareBase{}
		for _, o := range orgs {
			b := get(o.Code, y)
			row := CompareRow{OrgCode: o.Code, OrgName: o.Name, Year: y, Values: compareValues(b), Change: map[string]*float64{}, Rank: map[string]int{}}
			prev := compareValues(get(o.Code, y-1))
			for id, v := range row.Values {
				if p := prev[id]; v != nil && p != nil && *p != 0 {
					row.Change[id] = fp(math.Round((*v-*p) / *p * 10000) / 10000)
				} else {
					row.Change[id] = nil
				}
			}
			if b.population == nil {
				missingPop = append(missingPop, fmt.Sprintf("%s%d年", o.Name, y))
			}
			for _, f := range []struct{ dst, src **float64 }{{&total.population, &b.population}, {&total.disputes, &b.disputes}, {&total.legalAid, &b.legalAid},
				{&total.consultations, &b.consultations}, {&total.corrections, &b.corrections}, {&total.staff, &b.staff}, {&total.funding, &b.funding}} {
				if *f.src != nil {
					add(f.dst, **f.src)
				}
			}
			yearRows = append(yearRows, row)
		}
		for _, m := range CompareMeasures {
			var have []int
			for i, row := range yearRows {
				if row.Values[m.ID] != nil {
					have = append(have, i)
				}
			}
			sort.SliceStable(have, func(a, b int) bool { return *yearRows[have[a]].Values[m.ID] > *yearRows[have[b]].Values[m.ID] })
			for k, i := range have {
				if k > 0 && *yearRows[i].Values[m.ID] == *yearRows[have[k-1]].Values[m.ID] {
					yearRows[i].Rank[m.ID] = yearRows[have[k-1]].Rank[m.ID]
				} else {
					yearRows[i].Rank[m.ID] = k + 1
				}
			}
		}
		out.Rows = append(out.Rows, yearRows...)
		avg := CompareRow{OrgCode: r.sc.code, OrgName: "平均", Year: y, Values: compareValues(total), Change: map[string]*float64{}, Rank: map[string]int{}}
		if n := float64(len(orgs)); n > 0 {
			for _, m := range CompareMeasures {
				if v := avg.Values[m.ID]; v != nil && !m.PerHead && m.ID != "funding_per_staff" {
					avg.Values[m.ID] = fp(math.Round(*v/n*100) / 100) // counts: per org on average
				}
			}
		}
		out.Average = append(out.Average, avg)
	}
	if len(missingPop) > 0 {
		if len(missingPop) > 6 {
			missingPop = append(missingPop[:6], fmt.Sprintf("等%d处", len(missingPop)))
		}
		out.Notes = append(out.Notes, "没有人口数，每万人指标空缺："+strings.Join(missingPop, "、")+"。请上传人口台账")
	}
	return out, nil
}

// compareValues computes the measures from the bases (nil where a base is missing).
func compareValues(b *compareBase) map[string]*float64 {
	per := func(n, d *float64, scale float64) *float64 {
		if n == nil || d == nil || *d == 0 {
			return nil
		}
		return fp(math.Round(*n / *d * scale * 100) / 100)
	}
	zero := func(p *float64) *float64 {
		if p == nil {
			return fp(0)
		}
		return p
	}
	// counts of events are 0 when nothing was recorded; snapshots and money are unknown without a file
	d, la, c := zero(b.disputes), zero(b.legalAid), zero(b.consultations)
	return map[string]*float64{
		"population": b.population, "disputes": d, "disputes_per10k": per(d, b.population, 10000),
		"legal_aid": la, "legal_aid_per10k": per(la, b.population, 10000),
		"consultations": c, "consultations_per10k": per(c, b.population, 10000),
		"corrections": b.corrections, "corrections_per10k": per(b.corrections, b.population, 10000),
		"staff": b.staff, "staff_per10k": per(b.staff, b.population, 10000),
		"funding": b.funding, "funding_per_head": per(b.funding, b.population, 1), "funding_per_staff": per(b.funding, b.staff, 1),
	}
}
