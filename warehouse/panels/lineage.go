package panels

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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

// recorder is a Store that keeps the queries a panel runs (for the
// benchmark, which runs them through the engine's own client).
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

// Queries returns the SQL a panel runs for a filter (within the caller's
// access): the benchmark runs it through the engine's own client.
func (e *Engine) Queries(ctx context.Context, id string, f Filter) ([]string, error) {
	f, _, err := e.authorize(ctx, id, f)
	if err != nil {
		return nil, err
	}
	rec := &recorder{Store: e.Store}
	run := &Engine{Store: rec, Standards: e.Standards, SubmissionDay: e.SubmissionDay, Now: e.Now}
	if _, err := run.run(ctx, id, f); err != nil {
		return nil, err
	}
	return rec.queries, nil
}

// reads runs a panel (uncached, within the caller's access) and returns
// the tables and conditions its queries read, as the panel built them, with
// the filter as the access limited it.
func (e *Engine) reads(ctx context.Context, id string, f Filter) (Filter, []tableRead, error) {
	f, _, err := e.authorize(ctx, id, f)
	if err != nil {
		return f, nil, err
	}
	log := &readLog{}
	if _, err := e.runLogged(ctx, id, f, log); err != nil {
		return f, nil, err
	}
	return f, log.reads, nil
}

// Lineage lists the loads (files) a panel answer read, for the same
// filter and within the same limits as Run: the panel is run with its
// queries recorded, and each query's table and condition asked for the
// loads of the rows it read.
func (e *Engine) Lineage(ctx context.Context, id string, f Filter) (*Lineage, error) {
	f, reads, err := e.reads(ctx, id, f)
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
	loadsOf := map[string]bool{} // "SELECT DISTINCT load_id FROM t WHERE cond"
	for _, rd := range reads {
		t := tableNamed(rd.table)
		switch {
		case !p.readsTable(rd.table):
			continue
		case t != nil: // a fact table or the registry
			loadsOf["SELECT DISTINCT load_id FROM "+rd.table+" WHERE ("+rd.cond+") AND "+wall.own(t.Index("village_code") >= 0)] = true
		case rd.table == warehouse.Scopes.Name: // the scope pointers name their loads too
			loadsOf["SELECT DISTINCT load_id FROM "+rd.table+" WHERE "+rd.cond] = true
		}
	}
	if p.countsUnits() {
		sc, err := ResolveOrg(reg, f.Org)
		if err != nil {
			return nil, err
		}
		sc.limit = &wall
		loadsOf["SELECT DISTINCT load_id FROM dim_org WHERE "+e.Store.Dialect().Visible()+" AND "+sc.where(true)] = true
	}
	ids := map[string]bool{}
	for q := range loadsOf {
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
		lits = append(lits, e.Store.Dialect().Lit(id))
	}
	sort.Strings(lits)
	var rows [][]any
	for _, part := range warehouse.InChunks(lits) {
		res, err := e.Store.Query(ctx, "SELECT load_id, file, sheet, sha256, ledger, orgs, periods, rows_accepted, rows_rejected, loaded_at FROM loads WHERE load_id IN ("+
			strings.Join(part, ", ")+")")
		if err != nil {
			return nil, err
		}
		rows = append(rows, res.Rows...)
	}
	// by file and sheet, as a reader looks for them
	slices.SortFunc(rows, func(a, b []any) int {
		return cmp.Or(strings.Compare(str(a[1]), str(b[1])), strings.Compare(str(a[2]), str(b[2])))
	})
	for _, r := range rows {
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
	res, err := e.Store.Query(ctx, "SELECT file, sha256, ledger, orgs FROM loads WHERE load_id = "+e.Store.Dialect().Lit(loadID)+" LIMIT 1")
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
	t := warehouse.TimeOf(utc)
	if t.IsZero() {
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

// Beijing is 北京时间, the time every page and report shows.
var Beijing = func() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}()

// History lists the newest loads, each file's load with its sheets together
// (at most limit): the admin makes an earlier file current again from it.
func (e *Engine) History(ctx context.Context, limit int) ([]warehouse.Load, error) {
	h, ok := e.Store.(interface {
		LoadHistory(context.Context, int) ([]warehouse.Load, error)
	})
	if !ok {
		return nil, errors.New("这个仓库不保留载入历史")
	}
	return h.LoadHistory(ctx, limit)
}
