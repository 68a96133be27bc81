// Package panels is the semantic layer: each panel is one question the
// dashboards, exports and the report appendix ask, answered with SQL written
// once over the warehouse seam, within the caller's access (the role table
// in access.go). Lineage and the rows behind an answer come from the same
// reads. dashboards serves panels; it writes no SQL.
package panels

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
)

// Store is what panels need from the warehouse.
type Store interface {
	Query(ctx context.Context, q string) (*warehouse.Result, error)
	Visible() string
	// In is IN, or GLOBAL IN on a ClickHouse cluster, before a subquery.
	In() string
	DateLit(d string) string
	Lit(s string) string
	Registry(ctx context.Context) (*transform.Registry, error)
	// DataVersion changes whenever a load commits or the targets change.
	DataVersion(ctx context.Context) (string, error)
}

// Standards are the funding standards (docs/design.md); all in 元.
type Standards struct {
	PublicPerStaff        float64 // 公用经费 per in-post staff per year
	MediationPerCounty    float64 // 人民调解经费 per county per year
	CorrectionsPerSubject float64 // 社区矫正经费 per subject per year (the low end of the range)
	CorrectionsHigh       float64 // the high end, shown beside it
}

// DefaultStandards are the seeds' figures.
var DefaultStandards = Standards{PublicPerStaff: 18000, MediationPerCounty: 200000, CorrectionsPerSubject: 1500, CorrectionsHigh: 3000}

// Panel is one question a dashboard answers. The one table of them is in
// catalog.go.
type Panel struct {
	ID    string
	Title string
	// Categories are the values the panel's category filter takes (nil: none).
	Categories []string
	// Reads are the tables its queries read (a test holds them to the
	// queries); with the registry's dim_org among them, the panel counts
	// registry units, and the registry file is one of its sources.
	Reads []*ledger.Table
	// Roles are the roles that may read it.
	Roles []Role
	// Derived panels count no fact rows of their own (the years on file,
	// the job log, which offices have reported): they have no rows behind
	// them to export.
	Derived bool
	run     func(r *request) (any, error)
}

// panelByID finds a panel.
func panelByID(id string) (Panel, bool) {
	for _, p := range panels {
		if p.ID == id {
			return p, true
		}
	}
	return Panel{}, false
}

type request struct {
	ctx    context.Context
	st     Store
	f      Filter
	sc     scope
	reg    *transform.Registry
	std    Standards
	now    time.Time
	dueDay int
}

// StandardsInForce are the configured standards, or the seeds' defaults.
func (e *Engine) StandardsInForce() Standards {
	if e.Standards == (Standards{}) {
		return DefaultStandards
	}
	return e.Standards
}

// Engine runs panels over a store.
type Engine struct {
	Store     Store
	Standards Standards
	// Cache keeps answers until the warehouse's data version changes (a load
	// commits): the dashboards are read far more often than data arrives.
	// Answers handed out are shared: callers must not change them.
	Cache bool
	// SubmissionDay is the day of the month by which last month's ledgers
	// are due (default 5); Now is the clock (default time.Now).
	SubmissionDay int
	Now           func() time.Time
	// MinGroup is the smallest group of people a count may describe for
	// roles that may not see individuals (default 3).
	MinGroup int
	// MaxRowsBehind bounds the rows one Parquet export of the rows behind
	// an answer writes (default MaxRowsBehind).
	MaxRowsBehind int

	mu       sync.Mutex
	cache    map[string]any
	version  string
	inflight map[string]*flight
}

// cacheLimit bounds the answers kept; past it the cache starts over.
const cacheLimit = 5000

// authorize checks a filter and applies the caller's access to it: the
// panel must be one of the role's, an empty org becomes the account's org,
// an org outside it is refused, and the limit rides along into every query.
func (e *Engine) authorize(ctx context.Context, id string, f Filter) (Filter, *Access, error) {
	if err := f.Validate(); err != nil {
		return f, nil, err
	}
	a := AccessFrom(ctx)
	if a == nil {
		return f, nil, nil
	}
	if !a.Role.MayPanel(id) {
		return f, a, Denied("您的账号（%s）不能查看面板「%s」", a.Role, id)
	}
	reg, err := e.Store.Registry(ctx)
	if err != nil {
		return f, a, err
	}
	if f, err = a.limit(reg, f); err != nil {
		return f, a, err
	}
	f.limit = a.Org
	return f, a, nil
}

// Run answers panel id for a filter. A bad id or filter is a *FilterError.
func (e *Engine) Run(ctx context.Context, id string, f Filter) (any, error) {
	f, a, err := e.authorize(ctx, id, f)
	if err != nil {
		return nil, err
	}
	ans, err := e.cached(ctx, id, f)
	if err != nil || a == nil || a.Role.SeesIndividuals() {
		return ans, err
	}
	k := e.MinGroup
	if k == 0 {
		k = DefaultMinGroup
	}
	return suppress(ans, k)
}

func (e *Engine) cached(ctx context.Context, id string, f Filter) (any, error) {
	if !e.Cache {
		return e.run(ctx, id, f)
	}
	v, err := e.Store.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s|%s|%d|%s|%s|%s|%s", id, f.Org, f.Year, f.From, f.To, f.Category, f.limit)
	e.mu.Lock()
	if e.version != v || len(e.cache) > cacheLimit {
		e.cache, e.version = map[string]any{}, v
	}
	cached, ok := e.cache[key]
	if ok {
		e.mu.Unlock()
		return cached, nil
	}
	// readers asking the same at once (twenty people opening the overview
	// after a load) wait for one answer instead of each running the queries
	if c, ok := e.inflight[key]; ok {
		e.mu.Unlock()
		<-c.done
		return c.ans, c.err
	}
	c := &flight{done: make(chan struct{})}
	if e.inflight == nil {
		e.inflight = map[string]*flight{}
	}
	e.inflight[key] = c
	e.mu.Unlock()
	c.ans, c.err = e.run(ctx, id, f)
	e.mu.Lock()
	delete(e.inflight, key)
	if c.err == nil && e.version == v { // errors are not kept
		e.cache[key] = c.ans
	}
	e.mu.Unlock()
	close(c.done)
	return c.ans, c.err
}

// flight is an answer being computed for everyone who asked for it.
type flight struct {
	done chan struct{}
	ans  any
	err  error
}

func (e *Engine) run(ctx context.Context, id string, f Filter) (any, error) {
	for _, p := range panels {
		if p.ID != id {
			continue
		}
		if f.Category != "" && !slices.Contains(p.Categories, f.Category) {
			if len(p.Categories) == 0 {
				return nil, BadFilter("面板「%s」不按类别筛选，请去掉 category", id)
			}
			return nil, BadFilter("类别「%s」不对，面板「%s」的类别可以是：%s", f.Category, id, strings.Join(p.Categories, "、"))
		}
		reg, err := e.Store.Registry(ctx)
		if err != nil {
			return nil, err
		}
		sc, err := ResolveOrg(reg, f.Org)
		if err != nil {
			return nil, err
		}
		if f.limit != "" {
			lim, err := ResolveOrg(reg, f.limit)
			if err != nil {
				return nil, err
			}
			sc.limit = &lim
		}
		std := e.Standards
		if std == (Standards{}) {
			std = DefaultStandards
		}
		now := time.Now()
		if e.Now != nil {
			now = e.Now()
		}
		day := e.SubmissionDay
		if day <= 0 {
			day = 5
		}
		return p.run(&request{ctx: ctx, st: e.Store, f: f, sc: sc, reg: reg, std: std, now: now, dueDay: day})
	}
	ids := make([]string, len(panels))
	for i, p := range panels {
		ids[i] = p.ID
	}
	return nil, BadFilter("没有名为「%s」的面板，可用的有：%s", id, strings.Join(ids, "、"))
}

// ---- query helpers ----

func (r *request) rows(q string) ([][]any, error) {
	res, err := r.st.Query(r.ctx, q)
	if err != nil {
		return nil, err
	}
	return res.Rows, nil
}

// rowsAll runs independent queries at once and returns their rows in order.
func (r *request) rowsAll(qs ...string) ([][][]any, error) {
	out := make([][][]any, len(qs))
	errs := make([]error, len(qs))
	var wg sync.WaitGroup
	for i, q := range qs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = r.rows(q)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// one returns the single row of an aggregate query.
func (r *request) one(q string) ([]any, error) {
	rows, err := r.rows(q)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("查询没有返回结果")
	}
	return rows[0], nil
}

func num(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	}
	return 0
}

func pnum(v any) Persons { return Persons(num(v)) }

func str(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}

func rate(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func yuan(fen int64) float64 { return float64(fen) / 100 }

// events is the FROM … WHERE of an event table for the request.
func (r *request) events(table string, villages bool) string {
	return " FROM " + table + " WHERE " + r.st.Visible() + " AND " + r.sc.where(villages) + " AND " + monthWhere(r.f)
}

// category is the condition of the category filter on a column (the value
// was checked against the panel's list).
func (r *request) category(col string) string {
	if r.f.Category == "" {
		return ""
	}
	return " AND " + col + " = " + r.st.Lit(r.f.Category)
}

// snapshot is the FROM … WHERE of a snapshot table: for each scope org,
// its latest snapshot on or before the filter's end (and, when inPeriod,
// not before its start).
func (r *request) snapshot(table string, villages, inPeriod bool) string {
	// the inner query keeps to the scope too: for one county it reads that county, not the province
	cond := r.st.Visible() + " AND " + r.sc.where(villages)
	if end := r.f.End(); end != "" {
		cond += " AND period <= '" + end + "'"
	}
	if start := r.f.Start(); inPeriod && start != "" {
		cond += " AND period >= '" + start + "'"
	}
	return " FROM " + table + " WHERE " + r.sc.where(villages) + " AND " + r.st.Visible() +
		" AND concat(scope_org, '|', period) " + r.st.In() + " (SELECT concat(scope_org, '|', max(period)) FROM " + table +
		" WHERE " + cond + " GROUP BY scope_org)"
}

func sumIf(cond string) string { return "sum(CASE WHEN " + cond + " THEN 1 ELSE 0 END)" }

// personCount counts people, each once, per group of a ledger's rows:
// counts[i] is the number of persons with a row where counts[i] holds ("" is
// every person), and latest adds the last period read. It answers what
// count(DISTINCT CASE WHEN c THEN person_key END) would, but groups by person
// once instead of keeping one hash table per DISTINCT (the engines build each
// of those per thread and per partition: nine of them took 24 MB of memory
// for a county's few hundred staff, one GROUP BY takes 6 MB).
type personCount struct {
	groups []string
	counts []string
	latest bool
}

// sql is the query over from (" FROM t WHERE ...", without GROUP BY). It
// answers the group columns, then the counts, then the latest period.
func (p personCount) sql(from string) string {
	var inner, outer, keys []string
	for i, g := range p.groups {
		a := "g" + strconv.Itoa(i)
		inner, outer, keys = append(inner, g+" AS "+a), append(outer, a), append(keys, a)
	}
	inner = append(inner, "person_key")
	for i, c := range p.counts {
		if c == "" {
			outer = append(outer, "count(*)")
			continue
		}
		a := "f" + strconv.Itoa(i)
		inner, outer = append(inner, "max(CASE WHEN "+c+" THEN 1 ELSE 0 END) AS "+a), append(outer, "count(CASE WHEN "+a+" = 1 THEN 1 END)")
	}
	if p.latest {
		inner, outer = append(inner, "max(period) AS latest_period"), append(outer, "max(latest_period)")
	}
	q := "SELECT " + strings.Join(outer, ", ") + " FROM (SELECT " + strings.Join(inner, ", ") + from +
		" AND person_key IS NOT NULL GROUP BY " + strings.Join(append(keys, "person_key"), ", ") + ")"
	if len(keys) > 0 {
		q += " GROUP BY " + strings.Join(keys, ", ")
	}
	return q
}

// ---- staffing.summary ----

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
		"age <= 35", "age >= 36 AND age <= 45", "age >= 46 AND age <= 55", "age >= 56"}, latest: true}.sql(from+inPost+town),
		personCount{groups: []string{"education"}, counts: []string{""}}.sql(from+inPost+town),
		personCount{groups: []string{"town_code"}, counts: []string{""}}.sql(from+inPost+town),
		personCount{counts: []string{""}, latest: true}.sql(from+inPost+" AND org_level = '县'"))
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

// ---- disputes ----

var (
	// DisputeResults are the mediation ledger's 调解结果 values.
	DisputeResults = ledger.Mediation.Values("调解结果")
	// PreventedTypes are its 防止激化类型 values other than 无.
	PreventedTypes = ledger.Mediation.Values("防止激化类型")[1:]
)

// Prevented counts escalations prevented: cases and the persons involved.
type Prevented struct {
	Cases   int64 `json:"cases"`
	Persons int64 `json:"persons"`
}

// DisputesSummary is 人民调解 for the period.
type DisputesSummary struct {
	Received        int64                `json:"received"`
	MediatedSuccess int64                `json:"mediated_success"`
	SuccessRate     float64              `json:"success_rate"`
	ByResult        map[string]int64     `json:"by_result"`
	Prevented       map[string]Prevented `json:"prevented"`
	PetitionRelated int64                `json:"petition_related"`
	Parties         int64                `json:"parties"`
	AmountInvolved  float64              `json:"amount_involved"`
}

// DisputeTypes are the mediation ledger's 纠纷类型 values.
var DisputeTypes = ledger.Mediation.Values("纠纷类型")

func disputesSummary(r *request) (any, error) {
	from := r.events("fact_dispute", true) + r.category("dispute_type")
	cols := []string{"count(*)", "sum(petition)", "sum(parties)", "sum(amount_fen)"}
	for _, res := range DisputeResults {
		cols = append(cols, sumIf("result = '"+res+"'"))
	}
	for _, p := range PreventedTypes {
		cols = append(cols, sumIf("prevented_type = '"+p+"'"), "sum(CASE WHEN prevented_type = '"+p+"' THEN prevented_persons ELSE 0 END)")
	}
	row, err := r.one("SELECT " + strings.Join(cols, ", ") + from)
	if err != nil {
		return nil, err
	}
	out := &DisputesSummary{Received: num(row[0]), PetitionRelated: num(row[1]), Parties: num(row[2]), AmountInvolved: yuan(num(row[3])),
		ByResult: map[string]int64{}, Prevented: map[string]Prevented{}}
	for i, res := range DisputeResults {
		out.ByResult[res] = num(row[4+i])
	}
	for i, p := range PreventedTypes {
		out.Prevented[p] = Prevented{Cases: num(row[8+2*i]), Persons: num(row[9+2*i])}
	}
	out.MediatedSuccess = out.ByResult["调解成功"]
	out.SuccessRate = rate(out.MediatedSuccess, out.Received)
	return out, nil
}

// DisputeRow is one line of disputes.by_month, by_type or by_org.
type DisputeRow struct {
	Month           string  `json:"month,omitempty"`
	Type            string  `json:"type,omitempty"`
	OrgCode         string  `json:"org_code,omitempty"`
	OrgName         string  `json:"org_name,omitempty"`
	Received        int64   `json:"received"`
	MediatedSuccess int64   `json:"mediated_success"`
	SuccessRate     float64 `json:"success_rate"`
}

// Rows is the shape of the list panels.
type Rows[T any] struct {
	Level string `json:"level,omitempty"`
	Rows  []T    `json:"rows"`
}

// childLevel is the level a by_org panel lists under the scope.
func (r *request) childLevel() (level, codeCol, nameCol string) {
	switch r.sc.level {
	case transform.LevelTown, transform.LevelVillage:
		return transform.LevelVillage, "village_code", "village_name"
	case transform.LevelCounty:
		return transform.LevelTown, "town_code", "town_name"
	}
	if len(r.reg.Under(r.sc.code, transform.LevelCounty)) > 1 {
		return transform.LevelCounty, "county_code", "county_name"
	}
	return transform.LevelTown, "town_code", "town_name"
}

func disputesBy(by string) func(r *request) (any, error) {
	return func(r *request) (any, error) {
		from := r.events("fact_dispute", true) + r.category("dispute_type")
		agg := "count(*), " + sumIf("result = '调解成功'")
		out := &Rows[DisputeRow]{Rows: []DisputeRow{}}
		switch by {
		case "month":
			rows, err := r.rows("SELECT period, " + agg + from + " GROUP BY period ORDER BY period")
			if err != nil {
				return nil, err
			}
			for _, x := range rows {
				out.Rows = append(out.Rows, DisputeRow{Month: str(x[0]), Received: num(x[1]), MediatedSuccess: num(x[2]), SuccessRate: rate(num(x[2]), num(x[1]))})
			}
		case "type":
			rows, err := r.rows("SELECT dispute_type, " + agg + from + " GROUP BY dispute_type")
			if err != nil {
				return nil, err
			}
			for _, x := range rows {
				out.Rows = append(out.Rows, DisputeRow{Type: str(x[0]), Received: num(x[1]), MediatedSuccess: num(x[2]), SuccessRate: rate(num(x[2]), num(x[1]))})
			}
			sort.SliceStable(out.Rows, func(i, j int) bool {
				if out.Rows[i].Received != out.Rows[j].Received {
					return out.Rows[i].Received > out.Rows[j].Received
				}
				return out.Rows[i].Type < out.Rows[j].Type
			})
		case "org":
			level, codeCol, nameCol := r.childLevel()
			out.Level = level
			rows, err := r.rows("SELECT " + codeCol + ", max(" + nameCol + "), " + agg + from + " GROUP BY " + codeCol)
			if err != nil {
				return nil, err
			}
			got := map[string][]any{}
			for _, x := range rows {
				got[str(x[0])] = x
			}
			for _, o := range r.reg.Under(r.sc.code, level) {
				if r.sc.level == transform.LevelVillage && o.Code != r.sc.code {
					continue
				}
				d := DisputeRow{OrgCode: o.Code, OrgName: o.Name}
				if x, ok := got[o.Code]; ok {
					d.Received, d.MediatedSuccess = num(x[2]), num(x[3])
					d.SuccessRate = rate(d.MediatedSuccess, d.Received)
					delete(got, o.Code)
				}
				out.Rows = append(out.Rows, d)
			}
			if x, ok := got[""]; ok && level == transform.LevelVillage {
				// disputes recorded without a village
				out.Rows = append(out.Rows, DisputeRow{OrgCode: "", OrgName: "未注明村(社区)", Received: num(x[2]), MediatedSuccess: num(x[3]), SuccessRate: rate(num(x[3]), num(x[2]))})
			}
		}
		return out, nil
	}
}
