package warehouse

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// ScopeSum is a figure of a scope's rows that the commit adds up and
// writes on the scope's row (a column of scopes), in the block that makes
// the scope current: a panel that wants a ledger's totals per office,
// month or year reads the current scope rows (a province's 156,000
// consultation office-months, 13,000 corrections registers) instead of the
// fact rows behind them through a lookup of every current key (on
// ClickHouse 18.16 the lookup of 156,000 keys alone took 45–60 ms a query:
// docs/bench.md). It is added up by the same SQL the panels would run on the
// facts, so both engines count as they did.
type ScopeSum struct {
	Ledger string // the ledger whose rows it adds up
	Col    string // its column on scopes
	// Sum is the expression summed over the rows; when Persons, the sum is
	// instead the number of distinct persons (person_key) of the rows where
	// Sum holds ("" every person).
	Sum     string
	Persons bool
}

// ScopeSums are the figures the scope rows carry. The persons are counted
// per scope, that is per office and snapshot: what a panel adds up over
// offices (a person on two offices' registers counts in each, as the
// registers say).
var ScopeSums = []ScopeSum{
	{Ledger: "legal_aid", Col: "aided", Sum: "CASE WHEN decision = '给予援助' THEN 1 ELSE 0 END"},
	{Ledger: "legal_aid", Col: "recovered_fen", Sum: "recovered_fen"},
	{Ledger: "consultation", Col: "visits", Sum: "visits"},
	{Ledger: "publicity", Col: "participants", Sum: "participants"},
	{Ledger: "corrections", Col: "persons", Persons: true, Sum: "status = '在矫'"},
	{Ledger: "corrections", Col: "persons_lost", Persons: true, Sum: "status = '在矫' AND lost_contact = 1"},
	{Ledger: "corrections", Col: "persons_reoffended", Persons: true, Sum: "reoffended = 1"},
	{Ledger: "resettlement", Col: "persons", Persons: true},
	{Ledger: "resettlement", Col: "persons_resettled", Persons: true, Sum: "placement <> '未安置'"},
	{Ledger: "resettlement", Col: "persons_reoffended", Persons: true, Sum: "reoffended = 1"},
	{Ledger: "roster", Col: "persons", Persons: true, Sum: "status = '在岗'"},
}

// PersonsCounted are the conditions of the persons a ledger's scope rows
// count, in the order of ScopeSums ("" every person): the panels that
// count them over the fact rows count the same persons.
func PersonsCounted(ledgerID string) []string {
	var out []string
	for _, s := range sumsOf(ledgerID) {
		if s.Persons {
			out = append(out, s.Sum)
		}
	}
	return out
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

// sumSQL is the aggregate of a sum over a group of a ledger's fact rows.
func (d Dialect) sumSQL(s ScopeSum) string {
	if !s.Persons {
		return "coalesce(sum(" + s.Sum + "), 0)"
	}
	cond := "person_key IS NOT NULL"
	if s.Sum != "" {
		cond += " AND (" + s.Sum + ")"
	}
	if n, ok := d.CountPersons(cond); ok {
		return n
	}
	return "count(DISTINCT CASE WHEN " + cond + " THEN person_key END)"
}

// loadSums adds up the ScopeSums of the rows a load wrote, per scope of
// the scopes given: scope → column → value. It reads each ledger's fact
// rows of the load only (on ClickHouse within their counties: the tables
// are sorted by county_code, then load_id).
func (w *Warehouse) loadSums(ctx context.Context, loadID string, scopes []string) (map[string]map[string]int64, error) {
	byLedger := map[string][]string{}
	for _, s := range scopes {
		l, _, _ := strings.Cut(s, "|")
		if len(sumsOf(l)) > 0 {
			byLedger[l] = append(byLedger[l], s)
		}
	}
	d := w.eng.dialect()
	out := map[string]map[string]int64{}
	for _, l := range slices.Sorted(maps.Keys(byLedger)) {
		t := ledger.FactFor(l)
		sums := sumsOf(l)
		cols := []string{"scope_key"}
		for _, s := range sums {
			cols = append(cols, d.sumSQL(s))
		}
		where := "load_id = " + w.eng.quote(loadID)
		if t.Index("county_code") >= 0 {
			counties := map[string]bool{}
			for _, s := range byLedger[l] {
				_, rest, _ := strings.Cut(s, "|")
				if org, _, _ := strings.Cut(rest, "|"); len(org) >= 6 {
					counties[w.eng.quote(org[:6])] = true
				}
			}
			where += " AND county_code IN (" + strings.Join(slices.Sorted(maps.Keys(counties)), ", ") + ")"
		}
		res, err := w.eng.query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+t.Name+" WHERE "+where+" GROUP BY scope_key")
		if err != nil {
			return nil, err
		}
		byKey := map[int64]map[string]int64{}
		for _, r := range res.Rows {
			vals := map[string]int64{}
			for i, s := range sums {
				if vals[s.Col], err = count(r[i+1]); err != nil {
					return nil, err
				}
			}
			key, err := count(r[0])
			if err != nil {
				return nil, err
			}
			byKey[key] = vals
		}
		for _, s := range byLedger[l] {
			if v := byKey[transform.ScopeKey(s, loadID)]; v != nil {
				out[s] = v
			}
		}
	}
	return out, nil
}

// scopeRow is a row of scopes: the scope, the load, its key, version and
// mark, its counts (nil: none, as on a superseded key's mark).
func scopeRow(scope, loadID string, key int64, version, superseded int64, rows int64, sums map[string]int64) []any {
	l, rest, _ := strings.Cut(scope, "|")
	org, period, _ := strings.Cut(rest, "|")
	row := []any{scope, loadID, key, l, version, superseded, org, period, rows}
	for _, c := range sumColumns() {
		row = append(row, sums[c.Name])
	}
	return row
}

// count reads a count or sum a query answered (normalize makes every
// integer int64; DuckDB answers a sum as a HUGEINT, normalized too).
func count(v any) (int64, error) {
	if n, ok := v.(int64); ok {
		return n, nil
	}
	if f, ok := v.(float64); ok {
		return int64(f), nil
	}
	return 0, fmt.Errorf("合计不是整数：%v（%T）", v, v)
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
			for _, s := range sumsOf(l.ID) {
				if s.Col == c.Name {
					expr = d.sumSQL(s)
				}
			}
			cols = append(cols, "CAST("+expr+" AS "+intType+") AS sum_"+c.Name)
		}
		arms = append(arms, "SELECT "+strings.Join(cols, ", ")+" FROM "+t.Name+" GROUP BY scope_key")
	}
	return strings.Join(arms, " UNION ALL ")
}

// sumsFrom is the select list, over scopes joined with factSums, of the
// columns the scope rows gained at schema v10 (org, period at from the
// scope by part): the counts on the rows that point at a load, 0 on the
// marks of the keys replaced.
func sumsFrom(part func(n int) string) string {
	cols := []string{part(2), part(3), "CASE WHEN superseded = 0 THEN sum_rows ELSE 0 END"}
	for _, c := range sumColumns() {
		cols = append(cols, "CASE WHEN superseded = 0 THEN sum_"+c.Name+" ELSE 0 END")
	}
	return strings.Join(cols, ", ")
}
