package panels

import (
	"fmt"
	"math"
	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// What the pages need beside the numbers: which offices have reported, the years on file, the job log.

// monthlyLedgers are the ledgers every township office sends each month.
var monthlyLedgers = ledger.Monthly()

// SubmissionRow is one township of submissions.monthly.
type SubmissionRow struct {
	OrgCode string   `json:"org_code"`
	OrgName string   `json:"org_name"`
	Missing []string `json:"missing"` // the monthly ledgers not received for the month
}

// Submissions says, for a month, which township offices have not sent
// which monthly ledgers.
type Submissions struct {
	Month   string          `json:"month"`
	Offices int64           `json:"offices"`
	Missing int64           `json:"offices_missing"`
	Rows    []SubmissionRow `json:"rows"`
}

// dueMonth is the latest month whose ledgers are due by now: last month
// once the due day has come, the month before until then.
func dueMonth(now time.Time, day int) string {
	back := 1
	if now.Day() < day {
		back = 2
	}
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -back, 0).Format("2006-01")
}

// submissionsMonthly checks the latest month whose ledgers are due within
// the filter: for a past year its December, for the current year the month
// due by now (after the due day of the month), without a filter the month due now.
func submissionsMonthly(r *request) (any, error) {
	due := dueMonth(r.now, r.dueDay)
	_, month := r.f.Months()
	if month == "" || month > due {
		month = due
	}
	out := &Submissions{Month: month, Rows: []SubmissionRow{}}
	if month == "" || r.sc.level == transform.LevelVillage {
		return out, nil
	}
	towns := r.reg.Under(r.sc.code, transform.LevelTown)
	if len(towns) == 0 {
		return out, nil
	}
	rows, err := r.rows("SELECT scope" + r.from("scopes", r.monthlyScopesIn(month, month)) + " GROUP BY scope")
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, x := range rows {
		have[str(x[0])] = true
	}
	for _, t := range towns {
		out.Offices++
		row := SubmissionRow{OrgCode: t.Code, OrgName: t.Name, Missing: []string{}}
		for _, l := range monthlyLedgers {
			if !have[l.ID+"|"+t.Code+"|"+month] {
				row.Missing = append(row.Missing, l.Name)
			}
		}
		if len(row.Missing) > 0 {
			out.Missing++
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

// Years lists the years the warehouse has data for.
type Years struct {
	Years  []int `json:"years"`
	Latest int   `json:"latest"`
}

func metaYears(r *request) (any, error) {
	out := &Years{Years: []int{}}
	// the years of the caller's own scope: another county's files neither
	// show here nor move an account's default year. A scope is written only
	// by a load that has rows in it, so the years of the scopes are the
	// years of the rows, read from the scopes' sort key instead of every
	// fact row (every page asks: 1.1 s a page for a province on ClickHouse).
	var within []string
	for _, l := range []*ledger.Ledger{ledger.Mediation, ledger.Roster, ledger.Budget} {
		within = append(within, "("+r.d.ScopesOf(l.ID, r.sc.orgPrefix())+")")
	}
	rows, err := r.rows("SELECT DISTINCT substring(" + r.d.ScopePeriod() + ", 1, 4)" + r.from("scopes", strings.Join(within, " OR ")))
	if err != nil {
		return nil, err
	}
	for _, x := range rows {
		if y, err := strconv.Atoi(str(x[0])); err == nil {
			out.Years = append(out.Years, y)
		}
	}
	sort.Ints(out.Years)
	if n := len(out.Years); n > 0 {
		out.Latest = out.Years[n-1]
	}
	return out, nil
}

// MonthName writes 2014-03 as 2014年3月.
func MonthName(m string) string {
	if len(m) != 7 {
		return m
	}
	mo, _ := strconv.Atoi(m[5:])
	return fmt.Sprintf("%s年%d月", m[:4], mo)
}

// jobNames are the scheduled jobs (jobs.job) as people read them.
var jobNames = map[string]string{"inbox": "收件目录扫描", "optimize": "夜间整理", "backup": "每周备份", "submissions": "报送检查", "notices": "提醒发送"}

// JobName is a scheduled job's name as people read it (the 作业 page, the notices).
func JobName(job string) string {
	if n := jobNames[job]; n != "" {
		return n
	}
	return job
}

// JobRow is one run of a scheduled job (times in UTC, "2006-01-02 15:04:05").
type JobRow struct {
	RunID        string `json:"run_id"`
	Job          string `json:"job"`
	Started      string `json:"started"`
	Ended        string `json:"ended"`
	Files        int64  `json:"files"`
	RowsAccepted int64  `json:"rows_accepted"`
	RowsRejected int64  `json:"rows_rejected"`
	FilesFailed  int64  `json:"files_failed"`
	Result       string `json:"result"`
	Error        string `json:"error"`
}

// JobsRecent is the job history: the last runs, the last success of each
// job, and the jobs whose last run failed. It ignores org and period.
type JobsRecent struct {
	Rows        []JobRow          `json:"rows"`
	LastSuccess map[string]string `json:"last_success"`
	Failing     []string          `json:"failing"`
}

func jobsRecent(r *request) (any, error) {
	rows, err := r.rows("SELECT run_id, job, started, ended, files, rows_accepted, rows_rejected, files_failed, result, error" + r.from("jobs", "1 = 1") + " ORDER BY seq DESC LIMIT 200")
	if err != nil {
		return nil, err
	}
	out := &JobsRecent{Rows: []JobRow{}, LastSuccess: map[string]string{}, Failing: []string{}}
	latest := map[string]string{}
	for _, x := range rows {
		j := JobRow{RunID: str(x[0]), Job: str(x[1]), Started: str(x[2]), Ended: str(x[3]), Files: num(x[4]), RowsAccepted: num(x[5]),
			RowsRejected: num(x[6]), FilesFailed: num(x[7]), Result: str(x[8]), Error: str(x[9])}
		if len(out.Rows) < 50 {
			out.Rows = append(out.Rows, j)
		}
		if _, seen := latest[j.Job]; !seen {
			latest[j.Job] = j.Result
		}
		if j.Result != "失败" && out.LastSuccess[j.Job] == "" {
			out.LastSuccess[j.Job] = j.Ended
		}
	}
	for job, result := range latest {
		if result == "失败" {
			out.Failing = append(out.Failing, job)
		}
	}
	sort.Strings(out.Failing)
	return out, nil
}

// TimelinessRow is one township office's record of sending its monthly
// ledgers on time over the filter's months.
type TimelinessRow struct {
	OrgCode    string  `json:"org_code"`
	OrgName    string  `json:"org_name"`
	MonthsDue  int64   `json:"months_due"`
	OnTime     int64   `json:"on_time"` // every monthly ledger arrived by the due day
	Late       int64   `json:"late"`    // all arrived, one or more after the due day
	Missing    int64   `json:"missing"` // one or more never arrived
	Zero       int64   `json:"zero"`    // months with a 零上报 among their ledgers
	OnTimeRate float64 `json:"on_time_rate"`
	LateDays   float64 `json:"late_days"` // of the late months, days after the due day on average
}

// Timeliness is submissions.timeliness: per office, how many of the
// months due in the filter's period had their monthly ledgers (or a 零上报)
// by the due day. A ledger's arrival is the first load of its scope, so a
// corrected file sent later does not make a month late.
type Timeliness struct {
	DueDay     int             `json:"due_day"`
	Months     []string        `json:"months"` // the months due in the period
	Offices    int64           `json:"offices"`
	OnTimeRate float64         `json:"on_time_rate"`
	Rows       []TimelinessRow `json:"rows"`
}

// monthlyScopesIn is the condition on the scopes table that keeps the
// monthly ledgers' scopes of the offices within the request's org, months
// from to to: one range of the scopes' sort key per ledger, so the read (and
// its lineage) never touches another county's scopes. (Naming a province's
// 31,000 office-months one by one made a query larger than ClickHouse's
// 256 KiB limit.)
func (r *request) monthlyScopesIn(from, to string) string {
	var ranges []string
	for _, l := range monthlyLedgers {
		ranges = append(ranges, r.d.ScopesOf(l.ID, r.sc.orgPrefix()))
	}
	p := r.d.PeriodOf(monthlyLedgers[0].ID) // a month, for every monthly ledger
	return "(" + strings.Join(ranges, " OR ") + ") AND " + p + " >= " + r.d.Lit(from) + " AND " + p + " <= " + r.d.Lit(to)
}

func submissionsTimeliness(r *request) (any, error) {
	t, _, err := r.timeliness()
	return t, err
}

// dueMonths are the months due in the filter's period: up to the last
// month whose due day has passed, from January of the period's last year
// when the filter names no start.
func (r *request) dueMonths() []string {
	months := []string{}
	from, to := r.f.Months()
	due := dueMonth(r.now, r.dueDay)
	if to == "" || to > due {
		to = due
	}
	if from == "" {
		from = to[:4] + "-01"
	}
	for m, _ := time.Parse("2006-01", from); m.Format("2006-01") <= to; m = m.AddDate(0, 1, 0) {
		months = append(months, m.Format("2006-01"))
	}
	return months
}

// sent is what timeliness learns of the loads of the months beside it:
// each monthly ledger's arrival in each office and month, and the orgs
// each load's rows were of (loads.orgs).
type sent struct {
	arrived *arrivals // nil when there was no month or office to look at
	orgs    map[string]string
}

// arrival is a monthly ledger's first load of an office's month, and
// whether a load of it was a 零上报.
type arrival struct {
	at   time.Time
	zero bool
}

// arrivals are the arrivals of the monthly ledgers in the township offices
// and months of timeliness, by their indices.
type arrivals struct {
	office map[string]int // a township office's index
	towns  int
	first  int // the first month's monthNumber
	months int
	all    []arrival
}

// of is the arrival of ledger l (its index in monthlyLedgers) in office o
// and month m (indices).
func (a *arrivals) of(l, o, m int) *arrival { return &a.all[(l*a.towns+o)*a.months+m] }

// zero says whether a ledger's month ("2016-03") of an office was declared
// zero (零上报).
func (a *arrivals) zero(l *ledger.Ledger, office, month string) bool {
	if a == nil {
		return false
	}
	o, ok := a.office[office]
	m := monthNumber(month) - a.first
	i := slices.Index(monthlyLedgers, l)
	return ok && i >= 0 && m >= 0 && m < a.months && a.of(i, o, m).zero
}

// timeliness answers submissions.timeliness, and what it learnt of the
// loads (sent).
func (r *request) timeliness() (*Timeliness, sent, error) {
	was := sent{orgs: map[string]string{}}
	out := &Timeliness{DueDay: r.dueDay, Months: r.dueMonths(), Rows: []TimelinessRow{}}
	if len(out.Months) == 0 || r.sc.level == transform.LevelVillage {
		return out, was, nil
	}
	towns := r.reg.Under(r.sc.code, transform.LevelTown)
	if len(towns) == 0 {
		return out, was, nil
	}
	// every load that ever wrote each scope (corrections and replaced
	// versions too), then when each load committed
	// both at once; the scope rows ungrouped (a load's mark of the key it
	// replaced names the scope and load again: a load is kept once per scope
	// here), which ClickHouse 18.16 answers in half the time of a GROUP BY
	// of a province's 31,000 office-months by the two strings. A scope is
	// read as its ledger, office and month, each a few values repeated: the
	// scope's own text is different in every row, a text made for each.
	within := r.monthlyScopesIn(out.Months[0], out.Months[len(out.Months)-1])
	res, err := r.rowsAll("SELECT ledger, scope_org, period, load_id"+r.from("scopes", within),
		"SELECT load_id, min(loaded_at), max(sheet), min(orgs)"+r.from("loads", "load_id "+r.d.In()+" (SELECT load_id FROM scopes WHERE "+within+")")+" GROUP BY load_id")
	if err != nil {
		return nil, was, err
	}
	// each load's commit and whether it was a 零上报
	loads := make(map[string]arrival, len(res[1]))
	for _, x := range res[1] {
		loads[str(x[0])] = arrival{warehouse.TimeOf(x[1]), str(x[2]) == warehouse.ZeroReportSheet}
		was.orgs[str(x[0])] = str(x[3])
	}
	// each scope's first arrival (at: its first load's)
	arrived := &arrivals{office: make(map[string]int, len(towns)), towns: len(towns), first: monthNumber(out.Months[0]), months: len(out.Months),
		all: make([]arrival, len(monthlyLedgers)*len(towns)*len(out.Months))}
	for i, t := range towns {
		arrived.office[t.Code] = i
	}
	was.arrived = arrived
	for _, x := range res[0] {
		l := slices.IndexFunc(monthlyLedgers, func(m *ledger.Ledger) bool { return m.ID == str(x[0]) })
		o, ok := arrived.office[str(x[1])]
		m := monthNumber(str(x[2])) - arrived.first
		ld, known := loads[str(x[3])]
		if l < 0 || !ok || m < 0 || m >= arrived.months || !known {
			continue
		}
		a := arrived.of(l, o, m)
		if a.at.IsZero() || ld.at.Before(a.at) {
			a.at = ld.at
		}
		a.zero = a.zero || ld.zero
	}
	china := time.FixedZone("CST", 8*3600)
	deadlines := make([]time.Time, len(out.Months)) // each month's due day's end, Beijing time
	for i, m := range out.Months {
		mt, _ := time.Parse("2006-01", m)
		deadlines[i] = time.Date(mt.Year(), mt.Month()+1, r.dueDay+1, 0, 0, 0, 0, china)
	}
	var onTime, dueAll int64
	for o, t := range towns {
		row := TimelinessRow{OrgCode: t.Code, OrgName: t.Name}
		var lateDays float64
		for i := range out.Months {
			deadline := deadlines[i]
			row.MonthsDue++
			var latest time.Time
			missing, zero := false, false
			for l := range monthlyLedgers {
				a := arrived.of(l, o, i)
				first := a.at
				zero = zero || a.zero
				if first.IsZero() {
					missing = true
				} else if first.After(latest) {
					latest = first
				}
			}
			if zero {
				row.Zero++
			}
			switch {
			case missing:
				row.Missing++
			case latest.After(deadline):
				row.Late++
				lateDays += latest.Sub(deadline).Hours() / 24
			default:
				row.OnTime++
			}
		}
		row.OnTimeRate = rate(row.OnTime, row.MonthsDue)
		if row.Late > 0 {
			row.LateDays = math.Round(lateDays/float64(row.Late)*10) / 10
		}
		onTime += row.OnTime
		dueAll += row.MonthsDue
		out.Rows = append(out.Rows, row)
		out.Offices++
	}
	out.OnTimeRate = rate(onTime, dueAll)
	return out, was, nil
}
