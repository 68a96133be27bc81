package panels

import (
	"errors"
	"fmt"
	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The query helpers every panel uses: its reads within scope and period, persons counted once, snapshots.

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
	reads := make([]func() error, len(qs))
	for i, q := range qs {
		reads[i] = func() (err error) { out[i], err = r.rows(q); return }
	}
	if err := atOnce(reads...); err != nil {
		return nil, err
	}
	return out, nil
}

// atOnce runs independent reads at once (the warehouse serves concurrent
// readers) and answers their errors, joined.
func atOnce(reads ...func() error) error {
	errs := make([]error, len(reads))
	var wg sync.WaitGroup
	for i, read := range reads {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = read() }()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// one returns the single row of an aggregate query.
func (r *request) one(q string) ([]any, error) {
	rows, err := r.rows(q)
	if err != nil {
		return nil, err
	}
	return firstRow(rows)
}

// firstRow is the single row an aggregate query answers.
func firstRow(rows [][]any) ([]any, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("查询没有返回结果")
	}
	return rows[0], nil
}

// firstRows is firstRow of each of several queries' rows (rowsAll's answer).
func firstRows(res [][][]any) ([][]any, error) {
	out := make([][]any, len(res))
	for i, rows := range res {
		row, err := firstRow(rows)
		if err != nil {
			return nil, err
		}
		out[i] = row
	}
	return out, nil
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

// tableRead is one table a panel answer read and the condition of the rows
// it read: lineage and the rows behind an answer follow these, never the
// SQL text.
type tableRead struct{ table, cond string }

// readLog collects a panel run's reads (queries may be built on several goroutines).
type readLog struct {
	mu    sync.Mutex
	reads []tableRead
}

func (l *readLog) add(table, cond string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, x := range l.reads {
		if x.table == table && x.cond == cond {
			return
		}
	}
	l.reads = append(l.reads, tableRead{table, cond})
}

// from is " FROM table WHERE cond" of a panel query, the read recorded.
// Every panel query reads its table through from (or events and snapshot,
// which use it).
func (r *request) from(table, cond string) string {
	if r.log != nil {
		r.log.add(table, cond)
	}
	return " FROM " + table + " WHERE " + cond
}

// events is the FROM … WHERE of an event table for the request, with any
// further conditions (" AND …").
func (r *request) events(table string, villages bool, more ...string) string {
	from, to := r.f.Months()
	return r.from(table, r.visibleIn(table, from, to)+" AND "+r.sc.where(villages)+" AND "+monthWhere(r.f)+strings.Join(more, ""))
}

// rowCounts is a query of how many current rows of a ledger's facts each
// org has per month in the request's scope, months from to to (an org and
// month may come in more than one row: add them up): its org
// (the scope's: a township for the monthly ledgers; with county, the first
// six digits, its county), month and count. It reads the current scope
// rows (a row per office-month, carrying its rows) instead of the facts (a
// province's ten million disputes: 0.5–0.9 s on ClickHouse 18.16). ok is false
// when the scope or the account's limit is a village, whose rows the counts
// do not split out. The read recorded is the fact rows counted, so lineage
// and the rows behind an answer are what they were.
// sums are more of the scope rows' columns (warehouse.ScopeSums) to answer
// beside the count, added up like it.
func (r *request) rowCounts(l *ledger.Ledger, county bool, from, to string, sums ...string) (q string, ok bool) {
	if !r.onScopes() {
		return "", false
	}
	r.from(l.Fact.Name, r.inMonths(l.Fact.Name, from, to))
	cur := r.scopeRows(l.ID, r.d.CurrentScopes(l.ID, r.sc.orgPrefix(), from, to))
	more := ""
	for _, c := range sums {
		if county {
			c = "sum(" + c + ")"
		}
		more += ", " + c
	}
	if county {
		return "SELECT substring(scope_org, 1, 6), period, sum(rows)" + more + cur + " GROUP BY substring(scope_org, 1, 6), period", true
	}
	// a township's month is one scope: its current row, ungrouped (ClickHouse
	// 18.16 grouped two years of a province's 31,000 by the two strings in
	// 50 ms p50 against 22 ms for the rows). Two loads committed at once in
	// two processes could both be current: the callers add the rows up.
	return "SELECT scope_org, period, rows" + more + cur, true
}

// onScopes says whether the scope rows split out the request's rows: not
// when the scope or the account's limit is a village (its rows are its
// township's scopes).
func (r *request) onScopes() bool {
	return !r.factsOnly && r.sc.level != transform.LevelVillage && (r.sc.limit == nil || r.sc.limit.level != transform.LevelVillage)
}

// scopeRows is the FROM … WHERE of a ledger's scope rows (their counts and
// sums: warehouse.ScopeSums) where current holds (Dialect.CurrentScopes),
// of the scopes with rows: a 零上报 makes its month's scope current with
// none, and like the facts the figures have no row for it.
func (r *request) scopeRows(ledgerID, current string) string {
	return " FROM " + warehouse.Scopes.Name + " WHERE ledger = " + r.d.Lit(ledgerID) + " AND rows > 0 AND " + current
}

// townMonths counts a ledger's current rows per township and month, from
// rowCounts where it can answer, else from the facts; with where, a fourth
// column counts the rows where it holds (a count the scope rows carry:
// warehouse.ScopeSums, which gives both forms one definition).
func (r *request) townMonths(l *ledger.Ledger, from, to string, where ...warehouse.Is) ([][]any, error) {
	var sums []string
	more := ""
	if len(where) > 0 {
		c, ok := warehouse.ScopeColumn(l.ID, "", where...)
		if !ok {
			panic("the scope rows carry no count of " + l.ID + " for these conditions")
		}
		sums, more = []string{c}, ", "+sumIf(warehouse.ScopeSum{Where: where}.Cond())
	}
	if q, ok := r.rowCounts(l, false, from, to, sums...); ok {
		return r.rows(q)
	}
	return r.rows("SELECT town_code, period, count(*)" + more + r.from(l.Fact.Name, r.inMonths(l.Fact.Name, from, to)) + " GROUP BY town_code, period")
}

// inMonths is the condition on a fact table's rows that keeps the current
// rows of the scope's townships in the months from..to ("2016-01").
func (r *request) inMonths(table, from, to string) string {
	return r.visibleIn(table, from, to) + " AND " + r.sc.where(false) + " AND period >= " + r.d.Lit(from) + " AND period <= " + r.d.Lit(to)
}

// townTotals counts a ledger's current rows per township over the months
// from..to (town, rows): from the scope rows where they answer, grouped by
// office alone (a province's year of consultations: 1,300 rows to read,
// not its 15,600 office-months, and 4.2 against 5.9 ms of ClickHouse 18.16's
// CPU), else from the facts.
func (r *request) townTotals(l *ledger.Ledger, from, to string) ([][]any, error) {
	facts := r.from(l.Fact.Name, r.inMonths(l.Fact.Name, from, to)) // the rows counted, for lineage
	if r.onScopes() {
		return r.rows("SELECT scope_org, sum(rows)" + r.scopeRows(l.ID, r.d.CurrentScopes(l.ID, r.sc.orgPrefix(), from, to)) + " GROUP BY scope_org")
	}
	return r.rows("SELECT town_code, count(*)" + facts + " GROUP BY town_code")
}

// visible is the condition that keeps a fact table to its current loads,
// looked up among the scopes of the request's org only.
func (r *request) visible(table string) string { return r.d.VisibleOf(table, r.sc.orgPrefix(), "", "") }

// visibleIn is visible for the rows whose period is within [from, to] ("" open).
func (r *request) visibleIn(table, from, to string) string {
	return r.d.VisibleOf(table, r.sc.orgPrefix(), from, to)
}

// upToEnd keeps a read to the periods on or before the filter's end (""
// when open): a panel of the years up to 2014 reads no 2015 file, so none
// is among its sources.
func (r *request) upToEnd() string {
	if end := r.f.End(); end != "" {
		return " AND period <= " + r.d.Lit(end)
	}
	return ""
}

// visibleYearEnds is visible for the rows of each org's last snapshot of each year.
func (r *request) visibleYearEnds(table string) string {
	return r.d.VisibleYearEnds(table, r.sc.orgPrefix())
}

// category is the condition of the category filter on a column (the value
// was checked against the panel's list).
func (r *request) category(col string) string {
	if r.f.Category == "" {
		return ""
	}
	return " AND " + col + " = " + r.d.Lit(r.f.Category)
}

// snapshot is the FROM … WHERE of a snapshot table: for each scope org,
// its latest snapshot on or before the filter's end (and, when inPeriod,
// not before its start), with any further conditions (" AND …").
func (r *request) snapshot(table string, villages, inPeriod bool, more ...string) string {
	// the inner query keeps to the scope too: for one county it reads that county, not the province
	start, end := r.f.Start(), r.f.End()
	if !inPeriod {
		start = ""
	}
	// the latest period per org is at most end (and at least start): the
	// current loads are looked up among those periods' scopes
	vis := r.visibleIn(table, start, end)
	cond := vis + " AND " + r.sc.where(villages)
	if end != "" {
		cond += " AND period <= '" + end + "'"
	}
	if start != "" {
		cond += " AND period >= '" + start + "'"
	}
	// a current (org, period) has the one key of its current load: the
	// latest snapshot of each org is a set of 64-bit keys, not a string
	// built and looked up on every row. Visibility is a matter of the key
	// alone, so the rows of a key the inner query found among the current
	// rows are current: the outer query does not look the keys up again (on
	// ClickHouse two reads of the scopes fewer per snapshot query).
	facts := r.from(table, r.sc.where(villages)+
		" AND scope_key "+r.d.In()+" (SELECT argMax(scope_key, period) FROM "+table+
		" WHERE "+cond+" GROUP BY scope_org)"+strings.Join(more, ""))
	if t := tableNamed(table); t != nil && r.onScopes() {
		l := t.Ledger
		// the same keys picked among the current scope rows with rows (on
		// ClickHouse 18.16 a province's 13,000 roster scope rows instead of
		// every roster row looked up in the set of current keys); the read
		// recorded, for lineage, is the facts' above
		return " FROM " + table + " WHERE " + r.sc.where(villages) + " AND scope_key " + r.d.In() + " (SELECT argMax(scope_key, period)" +
			r.scopeRows(l, r.d.CurrentScopes(l, r.sc.orgPrefix(), start, end)) + " GROUP BY scope_org)" + strings.Join(more, "")
	}
	return facts
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
func (p personCount) sql(d warehouse.Dialect, from string) string {
	if _, ok := d.CountPersons(""); ok {
		// each group's persons counted by the engine's exact distinct count,
		// grouped by the narrowest keys that make the same groups
		cols, keys := p.groupKeys()
		for _, c := range p.counts {
			n, _ := d.CountPersons(c)
			cols = append(cols, n)
		}
		if p.latest {
			cols = append(cols, "max(period)")
		}
		q := "SELECT " + strings.Join(cols, ", ") + from + " AND person_key IS NOT NULL"
		if len(keys) > 0 {
			q += " GROUP BY " + strings.Join(keys, ", ") + d.ManyGroups()
		}
		return q
	}
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

// keyedBy names, for a group column, the column that decides it among the
// current rows: a scope's org and period are its load's scope_key (one key
// per scope is current), a township's county is its town_code.
var keyedBy = map[string]string{"scope_org": "scope_key", "period": "scope_key", "county_code": "town_code", "county_name": "town_code", "town_name": "town_code"}

// groupKeys is the select list of the group columns and the GROUP BY that
// makes the same groups over current rows with fewer and narrower keys: a
// group by scope_org, period, county_code, town_code is one by scope_key,
// town_code, the others any() of their group (the province's 13,000
// corrections snapshots: 19 ms grouped by the 64-bit key and a code against
// 31 ms by four strings on ClickHouse 18.16). A column whose key is not
// there is a key itself.
func (p personCount) groupKeys() (cols, keys []string) {
	has := map[string]bool{}
	for _, g := range p.groups {
		has[g] = true
	}
	scopeKeyed := has["scope_org"] && has["period"]
	added := map[string]bool{}
	for _, g := range p.groups {
		k, ok := keyedBy[g]
		if ok && (k == "scope_key" && scopeKeyed || k == "town_code" && has[k]) {
			cols = append(cols, "any("+g+")")
			if !added[k] {
				keys, added[k] = append(keys, k), true
			}
			continue
		}
		cols = append(cols, g)
		if !added[g] {
			keys, added[g] = append(keys, g), true
		}
	}
	return cols, keys
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
	s, years := snapshotsOf(rows)
	return s, years, nil
}

// snapshotsOf reads the rows of such a query, and the years they hold.
func snapshotsOf(rows [][]any) (snapshotCounts, []int) {
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
	return out, ys
}
