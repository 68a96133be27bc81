package panels

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"sifa/ingest/ledger"
	"sifa/warehouse"
)

// Source is one load a panel answer read: where a number came from.
type Source struct {
	LoadID   string   `json:"load_id"`
	File     string   `json:"file"`
	Sheet    string   `json:"sheet,omitempty"`
	SHA256   string   `json:"sha256"`
	Ledger   string   `json:"ledger"`
	Orgs     []string `json:"orgs"`
	Periods  []string `json:"periods"`
	LoadedAt string   `json:"loaded_at"`
	Accepted int64    `json:"rows_accepted"`
	Rejected int64    `json:"rows_rejected"`
}

// Lineage is the answer of GET /api/v1/panels/ID/lineage.
type Lineage struct {
	Panel   string   `json:"panel"`
	Sources []Source `json:"sources"`
}

// recorder is a Store that keeps the queries a panel runs.
type recorder struct {
	Store
	mu      sync.Mutex
	queries []string
}

func (r *recorder) Query(ctx context.Context, q string) (*warehouse.Result, error) {
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	return r.Store.Query(ctx, q)
}

// record runs a panel (uncached, within the caller's access) and returns
// the queries it ran, with the filter as the access limited it.
func (e *Engine) record(ctx context.Context, id string, f Filter) (Filter, []string, error) {
	f, _, err := e.authorize(ctx, id, f)
	if err != nil {
		return f, nil, err
	}
	rec := &recorder{Store: e.Store}
	run := &Engine{Store: rec, Standards: e.Standards, SubmissionDay: e.SubmissionDay, Now: e.Now}
	if _, err := run.run(ctx, id, f); err != nil {
		return f, nil, err
	}
	return f, rec.queries, nil
}

// Queries returns the SQL a panel runs for a filter (within the caller's
// access): the benchmark runs it through the engine's own client.
func (e *Engine) Queries(ctx context.Context, id string, f Filter) ([]string, error) {
	_, qs, err := e.record(ctx, id, f)
	return qs, err
}

// Lineage lists the loads (files) a panel answer read, for the same
// filter and within the same limits as Run: the panel is run with its
// queries recorded, and each query's table and condition asked for the
// loads of the rows it read.
func (e *Engine) Lineage(ctx context.Context, id string, f Filter) (*Lineage, error) {
	f, queries, err := e.record(ctx, id, f)
	if err != nil {
		return nil, err
	}
	reg, err := e.Store.Registry(ctx)
	if err != nil {
		return nil, err
	}
	// the account's limit rides along into every read, whatever the
	// panel's own condition says: a second wall
	wall, err := e.limitScope(ctx, f)
	if err != nil {
		return nil, err
	}
	p, _ := panelByID(id)
	reads := map[string]bool{} // "SELECT DISTINCT load_id FROM t WHERE cond"
	for _, q := range queries {
		table, cond, ok := tableRead(q)
		if !ok || !p.readsTable(table) {
			continue
		}
		if t := tableNamed(table); t != nil && t.Index("county_code") >= 0 {
			cond = "(" + cond + ") AND " + wall.own(t.Index("village_code") >= 0)
		}
		reads["SELECT DISTINCT load_id FROM "+table+" WHERE "+cond] = true
	}
	if p.countsUnits() {
		sc, err := ResolveOrg(reg, f.Org)
		if err != nil {
			return nil, err
		}
		sc.limit = &wall
		reads["SELECT DISTINCT load_id FROM dim_org WHERE "+e.Store.Visible()+" AND "+sc.where(true)] = true
	}
	ids := map[string]bool{}
	for q := range reads {
		res, err := e.Store.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("数据来源查询失败：%w", err)
		}
		for _, row := range res.Rows {
			ids[str(row[0])] = true
		}
	}
	out := &Lineage{Panel: id, Sources: []Source{}}
	if len(ids) == 0 {
		return out, nil
	}
	lits := make([]string, 0, len(ids))
	for id := range ids {
		lits = append(lits, e.Store.Lit(id))
	}
	sort.Strings(lits)
	res, err := e.Store.Query(ctx, "SELECT load_id, file, sheet, sha256, ledger, orgs, periods, rows_accepted, rows_rejected, loaded_at FROM loads WHERE load_id IN ("+
		strings.Join(lits, ", ")+") ORDER BY file, sheet")
	if err != nil {
		return nil, err
	}
	for _, r := range res.Rows {
		src := Source{LoadID: str(r[0]), File: str(r[1]), Sheet: str(r[2]), SHA256: str(r[3]), Ledger: str(r[4]),
			Orgs: splitList(str(r[5])), Periods: splitList(str(r[6])), Accepted: num(r[7]), Rejected: num(r[8]), LoadedAt: rfc3339Beijing(str(r[9]))}
		if f.limit != "" {
			// a file that also covers orgs outside the account's (a city's
			// registry) is listed with the account's orgs only; a file of
			// none of them is not listed at all
			var mine []string
			for _, o := range src.Orgs {
				if reg.Within(o, f.limit) {
					mine = append(mine, o)
				}
			}
			if len(mine) == 0 {
				continue
			}
			src.Orgs = mine
		}
		out.Sources = append(out.Sources, src)
	}
	return out, nil
}

// LoadSource is the load with an id (nil when there is none), for the
// raw-file download: the caller checks the account may have it.
func (e *Engine) LoadSource(ctx context.Context, loadID string) (*Source, error) {
	res, err := e.Store.Query(ctx, "SELECT file, sha256, ledger, orgs FROM loads WHERE load_id = "+e.Store.Lit(loadID)+" LIMIT 1")
	if err != nil || len(res.Rows) == 0 {
		return nil, err
	}
	row := res.Rows[0]
	return &Source{LoadID: loadID, File: str(row[0]), SHA256: str(row[1]), Ledger: str(row[2]), Orgs: splitList(str(row[3]))}, nil
}

// limitScope is the account's limit of an authorized filter as a scope
// (everything when there is none).
func (e *Engine) limitScope(ctx context.Context, f Filter) (scope, error) {
	if f.limit == "" {
		return scope{}, nil
	}
	reg, err := e.Store.Registry(ctx)
	if err != nil {
		return scope{}, err
	}
	return ResolveOrg(reg, f.limit)
}

// tableNamed finds a fact table (or the registry's dim_org) by name.
func tableNamed(name string) *ledger.Table {
	for _, t := range ledger.Facts {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// rfc3339Beijing writes a warehouse time (UTC) as RFC 3339 in 北京时间.
func rfc3339Beijing(utc string) string {
	t, err := time.Parse("2006-01-02 15:04:05", utc)
	if err != nil {
		return utc
	}
	return t.In(Beijing).Format(time.RFC3339)
}

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// tableRead finds the table a panel query reads rows of (a fact table,
// the registry or the scopes) and its condition: the text after the outer
// WHERE up to the outer GROUP BY, ORDER BY or LIMIT. A query that reads a
// subquery (SELECT ... FROM (SELECT ... FROM t WHERE ...)) reads what the
// subquery reads.
func tableRead(q string) (table, cond string, ok bool) {
	depth := 0
	from := -1
	for i := 0; i < len(q); i++ {
		switch q[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'':
			if j := strings.IndexByte(q[i+1:], '\''); j >= 0 {
				i += j + 1
			}
		case ' ':
			if depth == 0 && strings.HasPrefix(q[i:], " FROM ") && from < 0 {
				from = i + len(" FROM ")
			}
		}
	}
	if from < 0 {
		return "", "", false
	}
	rest := q[from:]
	if strings.HasPrefix(rest, "(") {
		if end := closingParen(rest); end > 0 {
			return tableRead(rest[1:end])
		}
		return "", "", false
	}
	name, after, found := strings.Cut(rest, " WHERE ")
	if !found || strings.ContainsAny(name, " (") {
		return "", "", false
	}
	if !strings.HasPrefix(name, "fact_") && name != "dim_org" && name != "scopes" {
		return "", "", false
	}
	end := len(after)
	depth = 0
	for i := 0; i < len(after); i++ {
		switch after[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'':
			if j := strings.IndexByte(after[i+1:], '\''); j >= 0 {
				i += j + 1
			}
		case ' ':
			if depth == 0 && (strings.HasPrefix(after[i:], " GROUP BY ") || strings.HasPrefix(after[i:], " ORDER BY ") || strings.HasPrefix(after[i:], " LIMIT ")) {
				end = i
				i = len(after)
			}
		}
	}
	return name, after[:end], true
}

// closingParen is the index of the parenthesis that closes s[0], or -1.
func closingParen(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		case '\'':
			if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
				i += j + 1
			}
		}
	}
	return -1
}

// Beijing is 北京时间, the time every page and report shows.
var Beijing = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()
