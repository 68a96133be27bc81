package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"sifa/ingest/ledger"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ScopeSum is a figure of a scope's rows that a load adds up as it writes
// them and the commit writes on the scope's row (a column of scopes), in
// the block that makes the scope current: a panel that wants a ledger's
// totals per office, month or year reads the current scope rows (a
// province's 156,000 consultation office-months, 13,000 corrections
// registers) instead of the fact rows behind them through a lookup of every
// current key (on ClickHouse 18.16 the lookup of 156,000 keys alone took
// 45–60 ms a query: docs/bench.md). One definition gives both the SQL a
// migration and the tests add fact rows up with (sumSQL) and what a load
// adds up in Go as its rows pass (scopeTotals).
type ScopeSum struct {
	Ledger string // the ledger whose rows it adds up
	Col    string // its column on scopes
	// Of is the column summed over the rows where Where holds; "" counts
	// those rows. Persons counts the distinct persons (person_key) of those
	// rows instead.
	Of      string
	Persons bool
	Where   []Is
}

// Is is a condition on a fact column: it compares (Op "=", "<>" or, for a
// number, ">") with the value (a text, or a number such as 1 of a 是/否
// column).
type Is struct {
	Col string
	Op  string
	Val any // string or int64
}

// ScopeSums are the figures the scope rows carry. The persons are counted
// per scope, that is per office and snapshot: what a panel adds up over
// offices (a person on two offices' registers counts in each, as the
// registers say).
var ScopeSums = []ScopeSum{
	{Ledger: "mediation", Col: "amount_fen", Of: "amount_fen"},
	{Ledger: "mediation", Col: "amount_cases", Where: []Is{{"amount_fen", ">", int64(0)}}},
	// the disputes' results, escalations prevented (cases and persons),
	// petitions and parties (schema v12): disputes.summary, by_month and
	// by_org without a type
	{Ledger: "mediation", Col: "result_success", Where: []Is{{"result", "=", "调解成功"}}},
	{Ledger: "mediation", Col: "result_failed", Where: []Is{{"result", "=", "调解不成功"}}},
	{Ledger: "mediation", Col: "result_ended", Where: []Is{{"result", "=", "终止调解"}}},
	{Ledger: "mediation", Col: "result_ongoing", Where: []Is{{"result", "=", "正在调解"}}},
	{Ledger: "mediation", Col: "prevented_petition", Where: []Is{{"prevented_type", "=", "防止群体性上访"}}},
	{Ledger: "mediation", Col: "prevented_petition_persons", Of: "prevented_persons", Where: []Is{{"prevented_type", "=", "防止群体性上访"}}},
	{Ledger: "mediation", Col: "prevented_crime", Where: []Is{{"prevented_type", "=", "防止民转刑"}}},
	{Ledger: "mediation", Col: "prevented_crime_persons", Of: "prevented_persons", Where: []Is{{"prevented_type", "=", "防止民转刑"}}},
	{Ledger: "mediation", Col: "prevented_suicide", Where: []Is{{"prevented_type", "=", "防止自杀"}}},
	{Ledger: "mediation", Col: "prevented_suicide_persons", Of: "prevented_persons", Where: []Is{{"prevented_type", "=", "防止自杀"}}},
	{Ledger: "mediation", Col: "prevented_fight", Where: []Is{{"prevented_type", "=", "制止群体性械斗"}}},
	{Ledger: "mediation", Col: "prevented_fight_persons", Of: "prevented_persons", Where: []Is{{"prevented_type", "=", "制止群体性械斗"}}},
	{Ledger: "mediation", Col: "petition", Of: "petition"},
	{Ledger: "mediation", Col: "parties", Of: "parties"},
	// the cases with a 编号, which quality.offices checks for repeats (schema v13)
	{Ledger: "mediation", Col: "numbered", Where: []Is{{"case_no", "<>", ""}}},
	{Ledger: "legal_aid", Col: "aided", Where: []Is{{"decision", "=", "给予援助"}}},
	{Ledger: "legal_aid", Col: "recovered_fen", Of: "recovered_fen"},
	{Ledger: "consultation", Col: "visits", Of: "visits"},
	{Ledger: "publicity", Col: "participants", Of: "participants"},
	{Ledger: "corrections", Col: "persons", Persons: true, Where: []Is{{"status", "=", "在矫"}}},
	{Ledger: "corrections", Col: "persons_lost", Persons: true, Where: []Is{{"status", "=", "在矫"}, {"lost_contact", "=", int64(1)}}},
	{Ledger: "corrections", Col: "persons_reoffended", Persons: true, Where: []Is{{"reoffended", "=", int64(1)}}},
	{Ledger: "resettlement", Col: "persons", Persons: true},
	{Ledger: "resettlement", Col: "persons_resettled", Persons: true, Where: []Is{{"placement", "<>", "未安置"}}},
	{Ledger: "resettlement", Col: "persons_reoffended", Persons: true, Where: []Is{{"reoffended", "=", int64(1)}}},
	{Ledger: "roster", Col: "persons", Persons: true, Where: []Is{{"status", "=", "在岗"}}},
}

// Cond is the SQL of the sum's Where ("" when none).
func (s ScopeSum) Cond() string {
	var c []string
	for _, is := range s.Where {
		op := " " + is.Op + " "
		switch v := is.Val.(type) {
		case string:
			c = append(c, is.Col+op+"'"+strings.ReplaceAll(v, "'", "''")+"'")
		case int64:
			c = append(c, is.Col+op+strconv.FormatInt(v, 10))
		}
	}
	return strings.Join(c, " AND ")
}

// PersonsCounted are the conditions of the persons a ledger's scope rows
// count ("" every person), and their columns on scopes, in the order of
// ScopeSums: the panels that count them over the fact rows count the same
// persons.
func PersonsCounted(ledgerID string) (conds, cols []string) {
	for _, s := range sumsOf(ledgerID) {
		if s.Persons {
			conds, cols = append(conds, s.Cond()), append(cols, s.Col)
		}
	}
	return conds, cols
}

func sumsOf(ledgerID string) []ScopeSum {
	var out []ScopeSum
	for _, s := range ScopeSums {
		if s.Ledger == ledgerID {
			out = append(out, s)
		}
	}
	return out
}

// sumColumns are the columns of ScopeSums, each once, in their order.
func sumColumns() []ledger.Col {
	var cols []ledger.Col
	seen := map[string]bool{}
	for _, s := range ScopeSums {
		if !seen[s.Col] {
			seen[s.Col] = true
			cols = append(cols, ledger.I(s.Col))
		}
	}
	return cols
}

// SumOf is the aggregate over a group of a ledger's fact rows of its sum
// whose column on scopes is col: what the scope rows carry, counted over
// the facts (a panel reads the facts where the scope rows do not answer).
func (d Dialect) SumOf(ledgerID, col string) string {
	s, ok := sumOf(ledgerID, col)
	if !ok {
		panic("no sum " + col + " of " + ledgerID)
	}
	return d.sumSQL(s)
}

// ScopeColumn is the column on scopes of a ledger's sum of of ("" a
// count) over the rows where every condition of where holds, in that order.
func ScopeColumn(ledgerID, of string, where ...Is) (string, bool) {
	for _, s := range sumsOf(ledgerID) {
		if !s.Persons && s.Of == of && slices.Equal(s.Where, where) {
			return s.Col, true
		}
	}
	return "", false
}

// sumOf is a ledger's sum whose column on scopes is col.
func sumOf(ledgerID, col string) (ScopeSum, bool) {
	for _, s := range sumsOf(ledgerID) {
		if s.Col == col {
			return s, true
		}
	}
	return ScopeSum{}, false
}

// sumSQL is the aggregate of a sum over a group of a ledger's fact rows.
func (d Dialect) sumSQL(s ScopeSum) string {
	cond := s.Cond()
	if !s.Persons {
		switch {
		case s.Of == "":
			return "coalesce(sum(CASE WHEN " + cond + " THEN 1 ELSE 0 END), 0)"
		case cond == "":
			return "coalesce(sum(" + s.Of + "), 0)"
		}
		return "coalesce(sum(CASE WHEN " + cond + " THEN " + s.Of + " ELSE 0 END), 0)"
	}
	if cond == "" {
		cond = "person_key IS NOT NULL"
	} else {
		cond = "person_key IS NOT NULL AND " + cond
	}
	if n, ok := d.CountPersons(cond); ok {
		return n
	}
	return "count(DISTINCT CASE WHEN " + cond + " THEN person_key END)"
}

// scopeTotals adds up the ScopeSums of the fact rows a load writes, per
// scope key, as the rows pass on their way to the warehouse (Stream.Write):
// the commit needs no query of them (one per file cost the five-county
// test load 75 ms a file on ClickHouse 18.16).
type scopeTotals struct {
	mu      sync.Mutex
	sums    map[int64][]int64                 // key → a figure per column of sumColumns, in its order
	persons map[int64]map[int]map[string]bool // key → column → the persons counted
}

// sumColumnAt is each column of ScopeSums' place among sumColumns.
var sumColumnAt = func() map[string]int {
	at := map[string]int{}
	for i, c := range sumColumns() {
		at[c.Name] = i
	}
	return at
}()

// figure is a ScopeSum over the columns of one record.
type figure struct {
	col   int // its place among sumColumns
	holds []func(i int) bool
	of    *array.Int64  // the column summed (nil: count)
	who   *array.String // the persons (nil: not a count of persons)
}

// column is a record's column of a table, of the Arrow type T (what kind
// names, for the error).
func column[T arrow.Array](t *ledger.Table, rec arrow.Record, name, kind string) (T, error) {
	var none T
	i := t.Index(name)
	if i < 0 {
		return none, fmt.Errorf("%s 没有列 %s", t.Name, name)
	}
	x, ok := rec.Column(i).(T)
	if !ok {
		return none, fmt.Errorf("%s.%s 不是%s列", t.Name, name, kind)
	}
	return x, nil
}

// figures binds a table's sums to a record's columns.
func figures(t *ledger.Table, rec arrow.Record) ([]figure, *array.Int64, error) {
	ints := func(name string) (*array.Int64, error) { return column[*array.Int64](t, rec, name, "整数") }
	texts := func(name string) (*array.String, error) { return column[*array.String](t, rec, name, "文字") }
	key, err := ints("scope_key")
	if err != nil {
		return nil, nil, err
	}
	var figs []figure
	for _, s := range sumsOf(t.Ledger) {
		f := figure{col: sumColumnAt[s.Col]}
		for _, is := range s.Where {
			switch v := is.Val.(type) {
			case string:
				x, err := texts(is.Col)
				if err != nil {
					return nil, nil, err
				}
				eq := is.Op == "="
				if !eq && is.Op != "<>" {
					return nil, nil, fmt.Errorf("%s.%s：文字不能用 %s 比较", t.Name, is.Col, is.Op)
				}
				f.holds = append(f.holds, func(i int) bool { return x.IsValid(i) && (x.Value(i) == v) == eq })
			case int64:
				x, err := ints(is.Col)
				if err != nil {
					return nil, nil, err
				}
				cmp := map[string]func(int64) bool{"=": func(n int64) bool { return n == v }, "<>": func(n int64) bool { return n != v },
					">": func(n int64) bool { return n > v }}[is.Op]
				if cmp == nil {
					return nil, nil, fmt.Errorf("%s.%s：不认识的比较 %s", t.Name, is.Col, is.Op)
				}
				f.holds = append(f.holds, func(i int) bool { return x.IsValid(i) && cmp(x.Value(i)) })
			}
		}
		if s.Of != "" {
			if f.of, err = ints(s.Of); err != nil {
				return nil, nil, err
			}
		}
		if s.Persons {
			if f.who, err = texts("person_key"); err != nil {
				return nil, nil, err
			}
		}
		figs = append(figs, f)
	}
	return figs, key, nil
}

// add adds up a record of a fact table's rows.
func (st *scopeTotals) add(t *ledger.Table, rec arrow.Record) error {
	if t.Ledger == "" || len(sumsOf(t.Ledger)) == 0 || rec.NumRows() == 0 {
		return nil
	}
	figs, key, err := figures(t, rec)
	if err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.sums == nil {
		st.sums, st.persons = map[int64][]int64{}, map[int64]map[int]map[string]bool{}
	}
	width := len(sumColumnAt)
	for i := 0; i < int(rec.NumRows()); i++ {
		k := key.Value(i)
		sums := st.sums[k]
		if sums == nil {
			sums = make([]int64, width)
			st.sums[k] = sums
		}
	next:
		for _, f := range figs {
			for _, h := range f.holds {
				if !h(i) {
					continue next
				}
			}
			switch {
			case f.who != nil:
				if !f.who.IsValid(i) {
					continue
				}
				if st.persons[k] == nil {
					st.persons[k] = map[int]map[string]bool{}
				}
				seen := st.persons[k][f.col]
				if seen == nil {
					seen = map[string]bool{}
					st.persons[k][f.col] = seen
				}
				if p := f.who.Value(i); !seen[p] {
					seen[p] = true
					sums[f.col]++
				}
			case f.of != nil:
				if f.of.IsValid(i) {
					sums[f.col] += f.of.Value(i)
				}
			default:
				sums[f.col]++
			}
		}
	}
	return nil
}

// take hands over the totals of the keys and forgets every key: the loads
// of one warehouse are one at a time (LoadLock), so any key left is of a
// load that failed before its commit.
func (st *scopeTotals) take(keys []int64) map[int64][]int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := map[int64][]int64{}
	for _, k := range keys {
		if v := st.sums[k]; v != nil {
			out[k] = v
		}
	}
	st.sums, st.persons = nil, nil
	return out
}

// missingColumns are the columns of a table that the table in the
// warehouse lacks (a migration's step may have run before a restart).
func missingColumns(ctx context.Context, e engine, t *ledger.Table) ([]ledger.Col, error) {
	have, err := columnsOf(ctx, e, t.Name)
	if err != nil {
		return nil, err
	}
	var out []ledger.Col
	for _, c := range t.Columns {
		if !slices.Contains(have, c.Name) {
			out = append(out, c)
		}
	}
	return out, nil
}

// scopeParts cuts a scope (ledger|org|period) into its parts.
func scopeParts(scope string) (ledgerID, org, period string) {
	ledgerID, rest, _ := strings.Cut(scope, "|")
	org, period, _ = strings.Cut(rest, "|")
	return ledgerID, org, period
}

// scopeRow is a row of scopes: the scope, the load, its key, version and
// mark, its counts (one per column of sumColumns; nil: none, as on a
// superseded key's mark).
func scopeRow(scope, loadID string, key int64, version, superseded int64, rows int64, sums []int64) []any {
	l, org, period := scopeParts(scope)
	row := make([]any, 0, 9+len(sumColumnAt))
	row = append(row, scope, loadID, key, l, version, superseded, org, period, rows)
	for i := range len(sumColumnAt) {
		var n int64
		if i < len(sums) {
			n = sums[i]
		}
		row = append(row, n)
	}
	return row
}

// factSums is a query of every scope key's rows and sums over all the fact
// tables, as scope_key, sum_rows and sum_<column> for each column of
// ScopeSums (0 where a ledger has none), each cast to intType: what a
// migration writes on the scope rows loaded before they carried them.
func factSums(d Dialect, intType string) string {
	var arms []string
	for _, l := range ledger.Ledgers {
		t := ledger.FactFor(l.ID)
		if t == nil {
			continue
		}
		cols := []string{"scope_key", "CAST(count(*) AS " + intType + ") AS sum_rows"}
		for _, c := range sumColumns() {
			expr := "0"
			if s, ok := sumOf(l.ID, c.Name); ok {
				expr = d.sumSQL(s)
			}
			cols = append(cols, "CAST("+expr+" AS "+intType+") AS sum_"+c.Name)
		}
		arms = append(arms, "SELECT "+strings.Join(cols, ", ")+" FROM "+t.Name+" GROUP BY scope_key")
	}
	return strings.Join(arms, " UNION ALL ")
}

// sumsFrom is the select list, over scopes joined with factSums, of the
// columns the scope rows gained at schema v10 (the org and period cut from
// the scope): the counts on the rows that point at a load, 0 on the marks
// of the keys replaced.
func sumsFrom(d Dialect) string {
	cols := []string{d.scopeOrg, d.scopePeriod, "CASE WHEN superseded = 0 THEN sum_rows ELSE 0 END"}
	for _, c := range sumColumns() {
		cols = append(cols, "CASE WHEN superseded = 0 THEN sum_"+c.Name+" ELSE 0 END")
	}
	return strings.Join(cols, ", ")
}
