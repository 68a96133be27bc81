package warehouse

import (
	"fmt"
	"slices"
	"strings"

	"sifa/ingest/ledger"
)

// Dialect is the SQL that differs between the engines, as a value of pure
// functions (the habit of Rill's drivers.Dialect): the panels write their
// SQL once through it. It holds no connection; each engine gives its own
// (dialect() in duckdb.go and clickhouse*.go), and the warehouse hands it out.
type Dialect struct {
	name         string
	in           string
	current      func(where string) string        // the condition that scope_key is the current load's, of the scopes where holds ("" all)
	currentAmong func(where, among string) string // current(where + " AND " + among), where among only narrows which keys can be current (nil: that)
	scopePeriod  string                           // the period part of scopes.scope ("ledger|org|period")
	// keyed: every condition on the scopes may name its ledger and period
	// columns, the table's sort key (ClickHouse); else only scope itself
	// (DuckDB's current_scopes holds scope and scope_key)
	keyed        bool
	scopeOrg     string // its org part
	quote        func(string) string
	dateLit      func(string) string
	countPersons func(cond string) string  // an exact distinct count of persons that beats a GROUP BY per person (nil: group per person)
	manyGroups   string                    // settings appended to a distinct count over many groups
	hashDistinct bool                      // count distinct values by a 64-bit hash of them (ClickHouse's cityHash64)
	unmarked     func(where string) string // the condition that a scope row's key is no later commit's mark, of the scopes where holds (nil: current)
	dayOf        string                    // format of a date's text ("2016-12-31") as a date
	yearOf       string                    // format of a date's year
	dayText      string                    // format of a date as its text
}

// CountDistinct is the number of distinct combinations of the columns
// (text) in a group. On ClickHouse it counts their 64-bit cityHash64: a
// province's million mediation cases of a year, per township, by case and by
// (case, file), took 123 ms so against 198 ms as strings (and 180 for
// uniqExact of the columns) on 18.16. Two combinations of one group would
// have to share a hash to be counted once, about 1 in 10^13 for a township's
// few thousand. DuckDB counts the values joined with '|' (none of the
// columns it is given holds one where it would matter: a case number and a
// load id).
func (d Dialect) CountDistinct(cols ...string) string {
	if d.hashDistinct {
		return "uniqExact(cityHash64(" + strings.Join(cols, ", ") + "))"
	}
	if len(cols) == 1 {
		return "count(DISTINCT " + cols[0] + ")"
	}
	return "count(DISTINCT concat(" + strings.Join(cols, ", '|', ") + "))"
}

// CountPersons is the engine's exact distinct count of the persons of a
// group's rows where cond holds ("" every row), and true, when counting each
// group's persons that way is much faster than one GROUP BY per person: on
// ClickHouse 18.16 the persons of the province's 180,000 resettlement rows
// take 82 ms so against 250-530 ms grouped by person (docs/engines.md). It
// counts the 64-bit cityHash64 of person_key (82 ms against 122 for the
// string): two persons of one group would have to share it, about 1 in
// 10^15 for a township's few hundred. DuckDB answers false: it groups per
// person as fast and with less memory.
func (d Dialect) CountPersons(cond string) (string, bool) {
	if d.countPersons == nil {
		return "", false
	}
	return d.countPersons(cond), true
}

// ManyGroups is what to append to a query that counts persons in many
// groups (a snapshot each): on ClickHouse 18.16 each thread keeps its own
// distinct-count state per group and merging them costs more than the
// second thread saves (the province's 13,000 corrections snapshots: 118 ms
// on two threads, 65 ms on one). Empty on DuckDB.
func (d Dialect) ManyGroups() string { return d.manyGroups }

// Name is the engine's: duckdb or clickhouse.
func (d Dialect) Name() string { return d.name }

// In is the operator of a condition on a subquery: IN, or GLOBAL IN on a
// ClickHouse cluster (each shard would otherwise read only its own part).
func (d Dialect) In() string { return d.in }

// Lit writes a string literal (any bytes: see literalText).
func (d Dialect) Lit(s string) string { return d.quote(s) }

// DateLit writes a date literal from a validated "2006-01-02" (ClickHouse
// 18.16 compares a Date with a bound time as raw numbers: docs/engines.md).
func (d Dialect) DateLit(s string) string { return d.dateLit(s) }

// Visible is the condition that keeps a fact table to the rows of the
// current load of each scope: a load's rows count from its commit on, and
// stop counting when a later load of the same scope commits.
func (d Dialect) Visible() string {
	return d.current("")
}

// VisibleOf is Visible for the rows of one fact table within an org (a
// code: the org's own scopes and those of the orgs under it, whose codes
// start with it; "" for all) whose period is within [from, to] (compared as
// the query compares its rows' period; "" leaves a side open): the current
// loads are looked up among those scopes only, since a scope's rows all
// have its org and period. On ClickHouse that is a range of the scopes
// table's sort key instead of an argMax over every scope of every ledger in
// every query (docs/bench.md: 400–500 ms a query for a province). A table
// that is no ledger's facts gets Visible.
func (d Dialect) VisibleOf(table, org, from, to string) string {
	l := ledgerOfTable[table]
	if l == "" {
		return d.Visible()
	}
	return d.current(d.scopesIn(l, org, from, to))
}

// scopesIn is ScopesOf for the scopes whose period is within [from, to]
// ("" leaves a side open).
func (d Dialect) scopesIn(ledgerID, org, from, to string) string {
	where := d.ScopesOf(ledgerID, org)
	if from != "" {
		where += " AND " + d.PeriodOf(ledgerID) + " >= " + d.quote(from)
	}
	if to != "" {
		where += " AND " + d.PeriodOf(ledgerID) + " <= " + d.quote(to)
	}
	return where
}

// CurrentScopes is the condition on the scopes table that keeps the rows
// of a ledger's current scopes within an org (a code prefix, "" all) whose
// period is within [from, to] ("" leaves a side open): one row a scope,
// carrying its rows and sums (ScopeSums). On ClickHouse these are the
// rows written current that no later commit marked: the marks are few, so
// no set of every current key is built (the 45–60 ms of a province's
// consultation scopes on 18.16).
func (d Dialect) CurrentScopes(ledgerID, org, from, to string) string {
	return d.currentRows(d.scopesIn(ledgerID, org, from, to))
}

// currentRows keeps the scope rows where within holds that are current.
func (d Dialect) currentRows(within string) string {
	if d.unmarked != nil {
		return "superseded = 0 AND " + within + " AND " + d.unmarked(within)
	}
	return "superseded = 0 AND " + within + " AND " + d.current(within)
}

// periodWidth is how long a scope's period is, by the kind of its ledger:
// a month ("2016-03") for the event ledgers, a date for the snapshots, a
// year for the yearly ones (transform places every row so).
var periodWidth = map[ledger.Kind]int{ledger.Event: 7, ledger.Snapshot: 10, ledger.Yearly: 4}

// PeriodOf is the expression of the period of a ledger's scopes in a
// condition on the scopes table. On ClickHouse it is the period column,
// the second of the sort key (ledger, period, scope): a province's year of
// a ledger is one range of the table (schema v14; before it, a year's
// 15,600 mediation scope rows were read as 156,000, every year's).
func (d Dialect) PeriodOf(ledgerID string) string {
	if d.keyed {
		return "period"
	}
	return d.scopePeriod
}

// ScopesOf is the condition on the scopes table that keeps the scopes of a
// ledger within an org (a code, or a prefix of codes; "" for all): on
// ClickHouse its ledger (the first column of the sort key) and, within an
// org, a range of scope (every scope of a ledger starts with its ID: the
// range adds nothing for all, and an OR of several ledgers' ranges kept
// 18.16 from using the key, 27-37 ms against 15-20 for meta.years).
func (d Dialect) ScopesOf(ledgerID, org string) string {
	lo := ledgerID + "|" + org
	where := "scope >= " + d.quote(lo) + " AND scope < " + d.quote(nextPrefix(lo))
	switch {
	case d.keyed && org == "":
		where = "ledger = " + d.quote(ledgerID)
	case d.keyed:
		where = "ledger = " + d.quote(ledgerID) + " AND " + where
	}
	return where
}

// Named is the condition on the scopes table that keeps the scopes named
// (ledger|org|period): on ClickHouse also their ledgers and periods, so
// the lookup reads the ranges of the sort key they are in.
func (d Dialect) Named(scopes []string) string {
	lits := make([]string, len(scopes))
	var ledgers, periods []string
	for i, s := range scopes {
		lits[i] = d.quote(s)
		l, _, p := scopeParts(s)
		if !slices.Contains(ledgers, d.quote(l)) {
			ledgers = append(ledgers, d.quote(l))
		}
		if !slices.Contains(periods, d.quote(p)) {
			periods = append(periods, d.quote(p))
		}
	}
	where := "scope IN (" + strings.Join(lits, ", ") + ")"
	if d.keyed {
		where = "ledger IN (" + strings.Join(ledgers, ", ") + ") AND period IN (" + strings.Join(periods, ", ") + ") AND " + where
	}
	return where
}

// YearEndScopes is the SQL of each org's last snapshot of each year among
// a snapshot ledger's current scope rows within org (a code prefix, ""
// all), where it is on or before to ("2016-12-31", "" any) and lists
// someone (rows > 0): scope_org, its date ("2016-12-31"), then cols of it.
// What VisibleYearEnds keeps of the facts, so a year whose last snapshot
// is after to has none: the last current scope of a year is its last
// scope, since every scope loaded has one current version (a commit marks
// only the keys of the scopes it writes again). Picked by argMax over the
// snapshot's date, grouped by org and year: on ClickHouse 18.16, for a
// province's 12,578 corrections registers, 9 ms of CPU against 17–19 for
// scope IN (the scope less its last six characters' max) and 12–15 for the
// same argMax over the date as text.
func (d Dialect) YearEndScopes(ledgerID, org string, cols []string, to string) string {
	upTo, having := "", ""
	if to != "" {
		upTo = to[:4] + "-12-31" // the year of to's last snapshot, to know whether it is after to
		having = " AND max(" + d.day("period") + ") <= " + d.dateLit(to)
	}
	return d.snapshotScopes(ledgerID, org, cols, upTo, "scope_org, "+fmt.Sprintf(d.yearOf, d.day("period")), having)
}

// LatestScopes is YearEndScopes for each org's latest snapshot on or
// before each of the dates, each snapshot once (one that is an org's
// latest at two dates too): what VisibleLatestAt keeps of the facts. One
// pick a date, their union made distinct (18.16 has UNION ALL only).
func (d Dialect) LatestScopes(ledgerID, org string, cols []string, dates []string) string {
	qs := make([]string, len(dates))
	for i, date := range dates {
		qs[i] = d.snapshotScopes(ledgerID, org, cols, date, "scope_org", "")
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return "SELECT DISTINCT * FROM (" + strings.Join(qs, " UNION ALL ") + ")"
}

// snapshotScopes picks, among a snapshot ledger's current scope rows on or
// before upTo, one row a group (its last), where it lists someone and
// having holds.
func (d Dialect) snapshotScopes(ledgerID, org string, cols []string, upTo, groupBy, having string) string {
	day := d.day("period")
	sel := []string{"scope_org", fmt.Sprintf(d.dayText, "max("+day+")")}
	for _, c := range cols {
		sel = append(sel, "argMax("+c+", "+day+")")
	}
	return "SELECT " + strings.Join(sel, ", ") + " FROM scopes WHERE ledger = " + d.quote(ledgerID) + " AND " + d.CurrentScopes(ledgerID, org, "", upTo) +
		" GROUP BY " + groupBy + " HAVING argMax(rows, " + day + ") > 0" + having
}

// day is the expression of a column holding a date as text as a date.
func (d Dialect) day(col string) string { return fmt.Sprintf(d.dayOf, col) }

// VisibleYearEnds is VisibleOf for a snapshot table's rows of each org's
// last snapshot in each year only: what a panel reads when it wants, per
// year, each org's latest count. The snapshots are picked among the scopes
// ("ledger|org|period" sorts by period within an org), before any fact row
// is read: on ClickHouse 18.16 counting the persons of every quarter's
// snapshot of ten years cost 4× the year ends' (docs/bench.md). A
// snapshot's period is a date ("2016-12-31"), so a scope less its last six
// characters is its ledger, org and year: grouped by that, not by the parts
// splitByChar cuts out (20 against 32 ms p50 for the province's 13,000
// corrections scopes on 18.16). The year ends only narrow the keys that can
// be current; a superseded key is never current, so the superseded side is
// looked up among all the ledger's scopes (one GROUP BY a query, not two).
func (d Dialect) VisibleYearEnds(table, org string) string {
	l := ledgerOfTable[table]
	if l == "" {
		return d.Visible()
	}
	within := d.ScopesOf(l, org)
	return d.currentOf(within, d.yearEnds(l, within))
}

// yearEnds is the condition on scopes that a scope is its org's last of
// its year among the scopes where within holds.
func (d Dialect) yearEnds(ledgerID, within string) string {
	return "scope " + d.in + " (SELECT max(scope) FROM scopes WHERE " + within + " GROUP BY " + d.scopeCut(ledgerID, 4) + ")"
}

// scopeCut is the expression of a ledger's scope with its period cut to
// its first keep characters ("ledger|org|2016" for 4; 0 drops the period
// and its "|"): where the ledger's periods have one width, the scope less
// its last characters, else the parts cut out by splitting.
func (d Dialect) scopeCut(ledgerID string, keep int) string {
	if l := ledger.ByID(ledgerID); l != nil {
		if n, ok := periodWidth[l.Kind]; ok {
			drop := n - keep
			if keep == 0 {
				drop++
			}
			return fmt.Sprintf("substring(scope, 1, length(scope) - %d)", drop)
		}
	}
	if keep == 0 {
		return d.scopeOrg
	}
	return fmt.Sprintf("%s, substring(%s, 1, %d)", d.scopeOrg, d.scopePeriod, keep)
}

// currentOf is the condition that scope_key is current among the scopes
// where within holds and among picks: among only narrows the keys written
// (a superseded key is never current), which ClickHouse uses to read the
// superseded side without it.
func (d Dialect) currentOf(within, among string) string {
	if d.currentAmong != nil {
		return d.currentAmong(within, among)
	}
	return d.current(within + " AND " + among)
}

// VisibleLatestAt is VisibleOf for a snapshot table's rows of each org's
// latest snapshot on or before each of the dates ("2006-01-02") only: what
// a panel reads when it wants, for a year or two, each org's count as of
// the year's end, carried from an earlier year when the org sent none that
// year. Picked among the scopes like VisibleYearEnds: a year or two of a
// province is 2,600 snapshots where its year ends are 13,000.
func (d Dialect) VisibleLatestAt(table, org string, dates []string) string {
	l := ledgerOfTable[table]
	if l == "" || len(dates) == 0 {
		return d.Visible()
	}
	within := d.ScopesOf(l, org)
	return d.currentOf(within, d.latestAt(l, within, dates))
}

// latestAt is the condition on scopes that a scope is its org's latest
// among the scopes where within holds on or before one of the dates.
func (d Dialect) latestAt(ledgerID, within string, dates []string) string {
	var latest []string
	for _, date := range dates {
		latest = append(latest, "SELECT max(scope) FROM scopes WHERE "+within+" AND "+d.PeriodOf(ledgerID)+" <= "+d.quote(date)+" GROUP BY "+d.scopeCut(ledgerID, 0))
	}
	return "scope " + d.in + " (" + strings.Join(latest, " UNION ALL ") + ")"
}

// ScopePeriod is the expression of a scope's period ("2016-03" or
// "2016-12-31") on the scopes table.
func (d Dialect) ScopePeriod() string { return d.PeriodOf("") }

// VisibleScopes is Visible for the rows of the scopes named (ledger|org|period).
func (d Dialect) VisibleScopes(scopes []string) string {
	if len(scopes) == 0 {
		return "1 = 0"
	}
	return d.current(d.Named(scopes))
}

// nextPrefix is the least string above every string that starts with p
// (p is ASCII: a ledger id, "|" and digits).
func nextPrefix(p string) string {
	b := []byte(p)
	b[len(b)-1]++
	return string(b)
}

// ledgerOfTable maps each fact table to its ledger's id (a scope is "ledger|org|period").
var ledgerOfTable = func() map[string]string {
	m := map[string]string{}
	for _, l := range ledger.Ledgers {
		if t := ledger.FactFor(l.ID); t != nil {
			m[t.Name] = l.ID
		}
	}
	return m
}()

// Dialect is this warehouse's SQL dialect.
func (w *Warehouse) Dialect() Dialect { return w.eng.dialect() }
