package panels

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
)

// QualityCheck is one of the checks quality.offices runs: how many
// things it looked at and how many it flagged.
type QualityCheck struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Rule    string `json:"rule"`
	Checked int64  `json:"checked"`
	Flagged int64  `json:"flagged"`
}

// QualityFlag is one figure a check found doubtful.
type QualityFlag struct {
	Check    string  `json:"check"`
	OrgCode  string  `json:"org_code"`
	OrgName  string  `json:"org_name"`
	Period   string  `json:"period"`
	Value    float64 `json:"value"`
	Expected float64 `json:"expected"`
	Text     string  `json:"text"`
}

// QualityReason is a reject reason and how many rows it cost.
type QualityReason struct {
	Reason string `json:"reason"`
	Rows   int64  `json:"rows"`
}

// QualityRow is one township office: its months sent, late and missing,
// its rows loaded and rejected (and why), its flags.
type QualityRow struct {
	TimelinessRow
	RowsLoaded   int64           `json:"rows_loaded"`
	RowsRejected int64           `json:"rows_rejected"`
	Reasons      []QualityReason `json:"reasons"` // of files of this office alone, the most frequent first, at most 3
	Flags        int64           `json:"flags"`
}

// Quality is quality.offices: how far a scope's figures over the
// filter's months can be trusted, per township office (docs/panels.md).
type Quality struct {
	Months     []string `json:"months"`
	Offices    int64    `json:"offices"`
	MonthsDue  int64    `json:"months_due"`
	MonthsSent int64    `json:"months_sent"` // on time or late, 零上报 included
	Coverage   float64  `json:"coverage"`    // MonthsSent / MonthsDue
	OnTimeRate float64  `json:"on_time_rate"`
	// rows the files behind the months rejected, and the most frequent reasons
	RowsRejected int64           `json:"rows_rejected"`
	Reasons      []QualityReason `json:"reasons"`
	Rows         []QualityRow    `json:"rows"`
	Flags        []QualityFlag   `json:"flags"`
	Checks       []QualityCheck  `json:"checks"`
}

// The checks and their thresholds.
const (
	QualityHigh        = "outlier_high"
	QualityZero        = "sudden_zero"
	QualityStaff       = "staff_mismatch"
	QualityCorrections = "corrections_mismatch"
	QualityDuplicate   = "duplicate_case"

	// a month at OutlierFactor × the office's median of the 12 months before
	// (months with cases, at least OutlierHistory of them)
	OutlierFactor  = 3.0
	OutlierHistory = 6
	OutlierExcess  = 10.0 // and at least this many cases above it
	// a 零上报 of an office whose median is at least ZeroMedian cases
	ZeroMedian = 5.0
)

var qualityChecks = []QualityCheck{
	{ID: QualityHigh, Name: "月度数字异常偏高", Rule: "某月受理纠纷超过本所此前12个月中位数的3倍，且多出10件以上（此前至少有6个月有案件）"},
	{ID: QualityZero, Name: "突然为零", Rule: "平时每月受理纠纷的中位数在5件以上，某月却零上报"},
	{ID: QualityStaff, Name: "人数对不上：花名册与经费", Rule: "经费台账公用经费的标准金额按每人标准折算的人数，与花名册年底在岗人数不同"},
	{ID: QualityCorrections, Name: "人数对不上：矫正台账与经费", Rule: "社区矫正经费的标准金额按每人1500–3000元折算的人数范围，不包括矫正台账年底在册人数"},
	{ID: QualityDuplicate, Name: "同一案件报了两次", Rule: "同一乡镇、同一编号的调解案件，出现在两个不同的文件里"},
}

func qualityOffices(r *request) (any, error) {
	out := &Quality{Months: r.dueMonths(), Rows: []QualityRow{}, Flags: []QualityFlag{}, Reasons: []QualityReason{}}
	for _, c := range qualityChecks {
		out.Checks = append(out.Checks, c)
	}
	if len(out.Months) == 0 || r.sc.level == transform.LevelVillage {
		tl, _, err := r.timeliness() // the months and offices, with no check to run
		if err != nil {
			return nil, err
		}
		return qualityOf(out, tl), nil
	}
	// the offices are the township offices in scope, as timeliness counts
	// them: the checks fill their rows while timeliness reads
	for _, t := range r.reg.Under(r.sc.code, transform.LevelTown) {
		out.Rows = append(out.Rows, QualityRow{TimelinessRow: TimelinessRow{OrgCode: t.Code, OrgName: t.Name}, Reasons: []QualityReason{}})
	}
	byOrg := map[string]*QualityRow{}
	for i := range out.Rows {
		byOrg[out.Rows[i].OrgCode] = &out.Rows[i]
	}
	checks := map[string]*QualityCheck{}
	for i := range out.Checks {
		checks[out.Checks[i].ID] = &out.Checks[i]
	}
	var mu sync.Mutex // the checks below run at once
	flag := func(f QualityFlag) {
		mu.Lock()
		defer mu.Unlock()
		out.Flags = append(out.Flags, f)
		checks[f.Check].Flagged++
		if row := byOrg[f.OrgCode]; row != nil {
			row.Flags++
		}
	}
	// timeliness and the checks read different tables and count into
	// different checks (flags go through flag): they run at once, and the
	// months' check, which needs the 零上报 timeliness finds, after
	var (
		tl       *Timeliness
		was      sent
		rejected [][]any            // the loads' rejected rows per reason
		months   map[string][]int64 // disputes per office and month, the year before the months too
		loaded   map[string]int64   // disputes per office in the months
		numbered int64              // disputes in the months with a 编号: those the duplicate check looks at
	)
	err := atOnce(
		func() (err error) { tl, was, err = r.timeliness(); return },
		func() (err error) { rejected, err = r.qualityRows(out, byOrg); return },
		func() (err error) { months, loaded, numbered, err = r.qualityMonthCounts(out); return },
		func() error { return r.qualityFunding(out, checks, flag) },
		func() error { return r.qualityDuplicates(out, checks, flag) })
	if err != nil {
		return nil, err
	}
	for office, n := range loaded {
		if row := byOrg[office]; row != nil {
			row.RowsLoaded += n
		}
	}
	checks[QualityDuplicate].Checked += numbered
	qualityRejects(out, byOrg, rejected, was.orgs)
	r.qualityMonths(out, months, was.arrived, checks, flag)
	qualityOf(out, tl)
	sort.SliceStable(out.Flags, func(i, j int) bool {
		a, b := out.Flags[i], out.Flags[j]
		if a.OrgCode != b.OrgCode {
			return a.OrgCode < b.OrgCode
		}
		return a.Period < b.Period
	})
	return out, nil
}

// qualityOf fills quality.offices' timeliness: each office's months sent,
// late and missing, and the scope's coverage.
func qualityOf(out *Quality, tl *Timeliness) *Quality {
	out.Months, out.Offices, out.OnTimeRate = tl.Months, tl.Offices, tl.OnTimeRate
	byOrg := map[string]TimelinessRow{}
	for _, t := range tl.Rows {
		byOrg[t.OrgCode] = t
		out.MonthsDue += t.MonthsDue
		out.MonthsSent += t.OnTime + t.Late
	}
	if len(out.Rows) == 0 {
		for _, t := range tl.Rows {
			out.Rows = append(out.Rows, QualityRow{TimelinessRow: t, Reasons: []QualityReason{}})
		}
	}
	for i := range out.Rows {
		if t, ok := byOrg[out.Rows[i].OrgCode]; ok {
			out.Rows[i].TimelinessRow = t
		}
	}
	out.Coverage = rate(out.MonthsSent, out.MonthsDue)
	return out
}

// qualityRows counts each office's rows loaded in the months of the
// monthly ledgers other than mediation (qualityMonths reads those), and
// answers the rows the loads behind the months' current data rejected, per
// load and reason (qualityRejects tells them out).
func (r *request) qualityRows(out *Quality, byOrg map[string]*QualityRow) ([][]any, error) {
	from, to := out.Months[0], out.Months[len(out.Months)-1]
	for _, l := range monthlyLedgers {
		if l == ledger.Mediation {
			continue
		}
		rows, err := r.townTotals(l, from, to)
		if err != nil {
			return nil, err
		}
		for _, x := range rows {
			if row := byOrg[str(x[0])]; row != nil {
				row.RowsLoaded += num(x[1])
			}
		}
	}
	in := "load_id " + r.d.In() + " (SELECT load_id FROM scopes WHERE " + r.monthlyScopesIn(from, to) + " AND superseded = 0)"
	return r.rows("SELECT load_id, reason, count(*)" + r.from("rejects", in) + " GROUP BY load_id, reason")
}

// qualityRejects counts the rows rejected and their reasons, per office
// where a load was one office's (orgs: each load's, as timeliness read them
// for the same months), and for the scope as a whole.
func qualityRejects(out *Quality, byOrg map[string]*QualityRow, rejected [][]any, orgs map[string]string) {
	reasons := map[string]map[string]int64{}
	add := func(key, reason string, n int64) {
		if reasons[key] == nil {
			reasons[key] = map[string]int64{}
		}
		reasons[key][reason] += n
	}
	for _, x := range rejected {
		n := num(x[2])
		out.RowsRejected += n
		add("", str(x[1]), n)
		if office := orgs[str(x[0])]; byOrg[office] != nil {
			byOrg[office].RowsRejected += n
			add(office, str(x[1]), n)
		}
	}
	top := func(rs map[string]int64, k int) []QualityReason {
		out := []QualityReason{}
		for reason, n := range rs {
			out = append(out, QualityReason{reason, n})
		}
		slices.SortFunc(out, func(a, b QualityReason) int {
			if a.Rows != b.Rows {
				return int(b.Rows - a.Rows)
			}
			return strings.Compare(a.Reason, b.Reason)
		})
		return out[:min(k, len(out))]
	}
	out.Reasons = top(reasons[""], 5)
	for office, rs := range reasons {
		if office != "" {
			byOrg[office].Reasons = top(rs, 3)
		}
	}
}

// numberedCase is a dispute with a 编号: those the duplicate check looks at.
var numberedCase = warehouse.Is{Col: "case_no", Op: "<>", Val: ""}

// monthNumber numbers a "YYYY-MM" month (year*12 + month-1), so months a
// year apart are 12 apart; -1 for anything else.
func monthNumber(m string) int {
	if len(m) != 7 || m[4] != '-' {
		return -1
	}
	y, err1 := strconv.Atoi(m[:4])
	mo, err2 := strconv.Atoi(m[5:])
	if err1 != nil || err2 != nil || mo < 1 || mo > 12 {
		return -1
	}
	return y*12 + mo - 1
}

// qualityMonthCounts reads each office's disputes per month, from a year
// before the months, and answers them, each office's disputes in the
// months (for its rows loaded) and those of the months with a 编号 (the
// duplicate check's "checked"). An office's counts run month by month from
// 12 months before the first (index 0) to the last; -1 where it sent no
// dispute that month.
func (r *request) qualityMonthCounts(out *Quality) (counts map[string][]int64, loaded map[string]int64, numbered int64, err error) {
	first := monthNumber(out.Months[0])
	from := fmt.Sprintf("%04d-%02d", (first-12)/12, (first-12)%12+1)
	rows, err := r.townMonths(ledger.Mediation, from, out.Months[len(out.Months)-1], numberedCase)
	if err != nil {
		return nil, nil, 0, err
	}
	span := 12 + len(out.Months)
	counts, loaded = map[string][]int64{}, map[string]int64{}
	for _, x := range rows {
		at := monthNumber(str(x[1])) - (first - 12)
		if at < 0 || at >= span {
			continue
		}
		office, n := str(x[0]), num(x[2])
		c := counts[office]
		if c == nil {
			c = make([]int64, span)
			for i := range c {
				c[i] = -1
			}
			counts[office] = c
		}
		c[at] = max(c[at], 0) + n
		if at >= 12 {
			loaded[office] += n
			numbered += num(x[3])
		}
	}
	return counts, loaded, numbered, nil
}

// qualityMonths compares each office's disputes per month with its own
// usual level (the median of the 12 months before).
func (r *request) qualityMonths(out *Quality, counts map[string][]int64, arrived *arrivals, checks map[string]*QualityCheck, flag func(QualityFlag)) {
	var scratch []int64
	for i := range out.Rows {
		row := &out.Rows[i].TimelinessRow // its code and name only: the other checks fill the rest at once
		c := counts[row.OrgCode]
		if c == nil {
			continue // no dispute in two years: no usual level to hold a month to
		}
		for j, m := range out.Months {
			var med float64
			var ok bool
			med, ok, scratch = usualLevel(c[j:j+12], OutlierHistory, scratch) // the 12 months before month j
			if !ok {
				continue
			}
			n := c[12+j]
			has := n >= 0
			checks[QualityHigh].Checked++
			if has && float64(n) > OutlierFactor*med && float64(n)-med >= OutlierExcess {
				flag(QualityFlag{Check: QualityHigh, OrgCode: row.OrgCode, OrgName: row.OrgName, Period: m, Value: float64(n), Expected: med,
					Text: fmt.Sprintf("%s%s受理纠纷 %d 件，是此前12个月中位数（%g 件）的 %.1f 倍：请核对是否重复录入或把别的月份算了进来", row.OrgName, MonthName(m), n, med, float64(n)/med)})
			}
			if !has && med >= ZeroMedian {
				checks[QualityZero].Checked++
				if arrived.zero(ledger.Mediation, row.OrgCode, m) {
					flag(QualityFlag{Check: QualityZero, OrgCode: row.OrgCode, OrgName: row.OrgName, Period: m, Value: 0, Expected: med,
						Text: fmt.Sprintf("%s%s零上报人民调解，而此前12个月每月中位数是 %g 件：请核对是否漏报", row.OrgName, MonthName(m), med)})
				}
			}
		}
	}
}

// qualityFunding holds the budget's own standards (标准金额) to the
// rosters: the 公用经费 standard over the per-head standard is a staff count;
// the 社区矫正经费 standard over 1500–3000 元 a range of subjects.
func (r *request) qualityFunding(out *Quality, checks map[string]*QualityCheck, flag func(QualityFlag)) error {
	year, _ := strconv.Atoi(out.Months[len(out.Months)-1][:4])
	d, err := r.readFunding(year, year)
	if err != nil {
		return err
	}
	staff, subjects := d.staff.at(year), d.subjects.at(year)
	y := strconv.Itoa(year)
	for _, l := range d.lines[year] {
		if !l.given || l.standard <= 0 {
			continue
		}
		std := float64(l.standard) / 100
		name := l.org
		if o := r.reg.Org(l.org); o != nil {
			name = o.Name
		}
		switch l.category {
		case "公用经费":
			if r.std.PublicPerStaff <= 0 {
				continue
			}
			key := l.org
			if l.level == "县" {
				key = "bureau:" + l.county
				name += "司法局"
			}
			implied, have := std/r.std.PublicPerStaff, staff[key]
			checks[QualityStaff].Checked++
			if math.Abs(implied-float64(have)) >= 0.5 {
				flag(QualityFlag{Check: QualityStaff, OrgCode: l.org, OrgName: name, Period: y, Value: float64(have), Expected: math.Round(implied*10) / 10,
					Text: fmt.Sprintf("%s%s年公用经费标准 %s 元，按每人 %g 元是 %g 人；花名册年底在岗 %d 人", name, y, strconv.FormatFloat(std, 'f', -1, 64), r.std.PublicPerStaff, math.Round(implied*10)/10, have)})
			}
		case "社区矫正经费":
			if l.level != "县" || r.std.CorrectionsPerSubject <= 0 {
				continue
			}
			hi := r.std.CorrectionsHigh
			if hi < r.std.CorrectionsPerSubject {
				hi = r.std.CorrectionsPerSubject
			}
			lo, up := std/hi, std/r.std.CorrectionsPerSubject
			have := subjects["county:"+l.county]
			checks[QualityCorrections].Checked++
			if float64(have) < math.Floor(lo) || float64(have) > math.Ceil(up) {
				flag(QualityFlag{Check: QualityCorrections, OrgCode: l.org, OrgName: name, Period: y, Value: float64(have), Expected: math.Round(up),
					Text: fmt.Sprintf("%s%s年社区矫正经费标准 %s 元，按每人 %g–%g 元是 %d–%d 人；矫正台账年底在册 %d 人", name, y, strconv.FormatFloat(std, 'f', -1, 64),
						r.std.CorrectionsPerSubject, hi, int(math.Floor(lo)), int(math.Ceil(up)), have)})
			}
		}
	}
	return nil
}

// qualityDuplicates finds a mediation case (township, 编号) in two files.
// The commits found them (warehouse.CaseRepeats: every row of a case that
// more than one load sent); the check keeps the current ones of the
// months, and counts as checked the disputes with a 编号 (the scope rows'
// numbered, where they answer). Grouping a province's year of disputes by
// case here cost 120–200 ms on ClickHouse 18.16 every time.
func (r *request) qualityDuplicates(out *Quality, checks map[string]*QualityCheck, flag func(QualityFlag)) error {
	from, to := out.Months[0], out.Months[len(out.Months)-1]
	// the disputes checked are counted with the months' (qualityMonthCounts)
	cond := r.inMonths("fact_dispute", from, to) + " AND case_no != ''"
	rows, err := r.rows("SELECT town_code, case_no, count(DISTINCT load_id), min(period), max(period) FROM " + warehouse.CaseRepeats.Name + " WHERE " + cond +
		" GROUP BY town_code, case_no HAVING count(DISTINCT load_id) > 1 ORDER BY town_code, case_no")
	if err != nil {
		return err
	}
	names := map[string]string{}
	for i := range out.Rows {
		names[out.Rows[i].OrgCode] = out.Rows[i].OrgName
	}
	for _, x := range rows {
		town := str(x[0])
		flag(QualityFlag{Check: QualityDuplicate, OrgCode: town, OrgName: names[town], Period: str(x[3]), Value: float64(num(x[2])), Expected: 1,
			Text: fmt.Sprintf("%s编号「%s」的调解案件出现在 %d 个文件里（%s 至 %s）：同一案件只应报一次，请删去重复的一条后重新发送", names[town], str(x[1]), num(x[2]), MonthName(str(x[3])), MonthName(str(x[4])))})
	}
	return nil
}

// UsualLevel is an office's usual monthly count: the median of the months
// that had any (an empty month is a month not reported, not a quiet one);
// ok is false with fewer than history such months. The 数据质量 check and
// the notices' dispute jump both measure a month against it.
func UsualLevel(months []int64, history int) (median float64, ok bool) {
	median, ok, _ = usualLevel(months, history, nil)
	return median, ok
}

// usualLevel is UsualLevel sorting in scratch (grown as needed and handed
// back), for a caller that asks for many.
func usualLevel(months []int64, history int, scratch []int64) (median float64, ok bool, _ []int64) {
	s := scratch[:0]
	for _, x := range months {
		if x > 0 {
			s = append(s, x)
		}
	}
	if len(s) < history || len(s) == 0 {
		return 0, false, s
	}
	slices.Sort(s)
	if len(s)%2 == 1 {
		return float64(s[len(s)/2]), true, s
	}
	return float64(s[len(s)/2-1]+s[len(s)/2]) / 2, true, s
}
