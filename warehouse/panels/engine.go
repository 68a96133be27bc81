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
	// Dialect is the engine's SQL dialect: panels write their SQL once through it.
	Dialect() warehouse.Dialect
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
	// SiteItemCosts are the county's unit costs (元) of the 六有 items a
	// station or work room lacks, by item (有办公场所 …); an item not in it
	// uses DefaultSiteItemCosts and the answer says so.
	SiteItemCosts map[string]float64
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
	d      warehouse.Dialect
	log    *readLog // set when the reads are wanted (lineage, rows behind)
	f      Filter
	sc     scope
	reg    *transform.Registry
	std    Standards
	now    time.Time
	dueDay int
	// factsOnly: see Engine
	factsOnly bool
}

// StandardsInForce are the configured standards, the seeds' defaults for
// any not configured.
func (e *Engine) StandardsInForce() Standards {
	s, d := e.Standards, DefaultStandards
	for _, f := range []struct{ v, d *float64 }{{&s.PublicPerStaff, &d.PublicPerStaff}, {&s.MediationPerCounty, &d.MediationPerCounty},
		{&s.CorrectionsPerSubject, &d.CorrectionsPerSubject}, {&s.CorrectionsHigh, &d.CorrectionsHigh}} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	return s
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

	// factsOnly reads the fact rows where the scope rows would answer (the
	// tests hold the two reads to the same answers).
	factsOnly bool

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
	return e.runLogged(ctx, id, f, nil)
}

// runLogged runs a panel, recording its reads in log when it is not nil.
func (e *Engine) runLogged(ctx context.Context, id string, f Filter, log *readLog) (any, error) {
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
		std := e.StandardsInForce()
		now := time.Now()
		if e.Now != nil {
			now = e.Now()
		}
		day := e.SubmissionDay
		if day <= 0 {
			day = 5
		}
		return p.run(&request{ctx: ctx, st: e.Store, d: e.Store.Dialect(), log: log, f: f, sc: sc, reg: reg, std: std, now: now, dueDay: day, factsOnly: e.factsOnly})
	}
	ids := make([]string, len(panels))
	for i, p := range panels {
		ids[i] = p.ID
	}
	return nil, BadFilter("没有名为「%s」的面板，可用的有：%s", id, strings.Join(ids, "、"))
}
