// Package warehouse stores the fact tables in an analytical engine, embedded
// DuckDB by default or ClickHouse, behind one seam: the SQL that differs
// between engines (DDL types, table engines, the atomic commit of a load)
// lives in the engine files; everything above it is written once.
package warehouse

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// SchemaVersion is the warehouse layout this build writes and reads.
const SchemaVersion = 14

// ErrLocked says the embedded warehouse file is held by another process
// (a running sifa serve): hand the files to that process instead.
var ErrLocked = errors.New("仓库被另一个进程占用")

// DefaultDSN is where the embedded warehouse lives when nothing says otherwise.
const DefaultDSN = "duckdb:var/sifa.duckdb"

// Result is the answer of a query: column names and rows of plain Go values
// (int64, float64, string, nil; dates as "2006-01-02"), the same on every
// engine. An answer with no row may name no column (ClickHouse over HTTP
// sends nothing for it): a table's columns are Columns'.
type Result struct {
	Columns []string
	Rows    [][]any
}

// engine is what each warehouse engine provides.
type engine interface {
	name() string
	exec(ctx context.Context, q string) error
	query(ctx context.Context, q string) (*Result, error)
	// each runs a query and hands its rows to fn one at a time (fn's error
	// stops it), so that a long answer is never held whole; the first call
	// has the columns and a nil row.
	each(ctx context.Context, q string, fn func(cols []string, row []any) error) error
	// ensureTable creates a table when it is not there (on a cluster: the
	// local table on every shard and the Distributed table over them).
	ensureTable(ctx context.Context, t *ledger.Table) error
	// in is the operator of a condition on a subquery: IN, or GLOBAL IN on a
	// cluster (each shard would otherwise read only its own part).
	in() string
	// deleteRows deletes a table's rows matching a condition (on a cluster,
	// on every shard's local table).
	deleteRows(ctx context.Context, table, cond string) error
	// appendRecord bulk-loads a record into a table, columnar.
	appendRecord(ctx context.Context, t *ledger.Table, rec arrow.Record) error
	// openStream starts a bulk load of many records into one table.
	openStream(ctx context.Context, t *ledger.Table) (tableStream, error)
	// commit writes the scope rows and the loads rows of one file so that
	// readers switch to the new rows at once.
	commit(ctx context.Context, scopes, loads arrow.Record) error
	// migrateEngine runs an engine's own steps of a schema version (tables
	// that only one engine keeps).
	migrateEngine(ctx context.Context, version int) error
	// quote makes a string literal.
	quote(s string) string
	// backup writes a consistent copy of the warehouse into a new file.
	backup(ctx context.Context, path string) error
	// dialect is the engine's SQL dialect (see Dialect).
	dialect() Dialect
	// addedTextColumn is the type of a text column added to a table that
	// has rows (ALTER TABLE … ADD COLUMN): every row gets "".
	addedTextColumn() string
	// addedIntColumn is the type of an Int64 column added to a table with rows (0 in them).
	addedIntColumn() string
	// addColumn adds a column to a table that lacks it.
	addColumn(ctx context.Context, t *ledger.Table, name, typ string) error
	// execLocal runs a statement built for table names with a suffix: on
	// a cluster once on each shard with "_local" (its own tables), else once with "".
	execLocal(ctx context.Context, build func(suffix string) string) error
	// notIn is NOT IN, or GLOBAL NOT IN on a cluster.
	notIn() string
	// dateLit makes a date literal from a validated "2006-01-02".
	dateLit(d string) string
	close() error
}

// Warehouse is an opened warehouse.
type Warehouse struct {
	eng engine
	DSN string
	mu  sync.Mutex // one load at a time in this process

	regMu      sync.Mutex
	reg        *transform.Registry
	regVersion int64
	regAt      time.Time // when the registry's version was last asked for

	verMu sync.Mutex
	ver   string
	verAt time.Time

	totals scopeTotals // the sums of the load being written, per scope key, until its commit
}

// freshFor is how long the data version and the registry's version are
// taken as read without asking the warehouse again: a dashboard page asks
// a dozen panels at once, each of which wants both. This process's own
// loads are seen at once (Commit forgets them); another process's within freshFor.
const freshFor = time.Second

// forget makes the next DataVersion and Registry ask the warehouse.
func (w *Warehouse) forget() {
	w.verMu.Lock()
	w.verAt = time.Time{}
	w.verMu.Unlock()
	w.regMu.Lock()
	w.regAt = time.Time{}
	w.regMu.Unlock()
}

// Open opens (creating and migrating) the warehouse a DSN names:
// duckdb:PATH or clickhouse://HOST:PORT/DB. An empty DSN takes
// SIFA_WAREHOUSE, then DefaultDSN.
func Open(ctx context.Context, dsn string) (*Warehouse, error) {
	if dsn == "" {
		dsn = os.Getenv("SIFA_WAREHOUSE")
	}
	if dsn == "" {
		dsn = DefaultDSN
	}
	var eng engine
	var err error
	switch {
	case strings.HasPrefix(dsn, "duckdb:"):
		eng, err = openDuckDB(strings.TrimPrefix(dsn, "duckdb:"))
	case strings.HasPrefix(dsn, "clickhouse://"):
		eng, err = openClickHouse(ctx, dsn)
	default:
		return nil, fmt.Errorf("仓库地址「%s」不对：应是 duckdb:文件路径 或 clickhouse://主机:端口/库名", dsn)
	}
	if err != nil {
		return nil, err
	}
	w := &Warehouse{eng: eng, DSN: dsn}
	if err := w.migrate(ctx); err != nil {
		eng.close()
		return nil, err
	}
	if ts, err := w.Targets(ctx); err != nil || len(ts) == 0 {
		if err == nil {
			err = w.SetTargets(ctx, DefaultTargets)
		}
		if err != nil {
			eng.close()
			return nil, err
		}
	}
	return w, nil
}

// Engine names the engine: duckdb or clickhouse.
func (w *Warehouse) Engine() string { return w.eng.name() }

// Close closes the warehouse.
func (w *Warehouse) Close() error { return w.eng.close() }

var schemaTable = &ledger.Table{Name: "schema_version", Columns: []ledger.Col{{Name: "version", Type: ledger.Int}, {Name: "applied_at", Type: ledger.Time}}, OrderBy: []string{"version"}}

// migrations[k] brings a warehouse from version k to k+1.
var migrations = []func(ctx context.Context, w *Warehouse) error{
	func(ctx context.Context, w *Warehouse) error {
		for _, t := range Tables {
			if err := w.eng.ensureTable(ctx, t); err != nil {
				return fmt.Errorf("建表 %s 失败：%w", t.Name, err)
			}
		}
		return nil
	},
	func(ctx context.Context, w *Warehouse) error { return w.eng.migrateEngine(ctx, 2) },
	func(ctx context.Context, w *Warehouse) error {
		return w.eng.ensureTable(ctx, Jobs)
	},
	// v4: accounts and the audit log; mediators are kept as keyed hashes,
	// never by name (the names an older build stored are dropped).
	func(ctx context.Context, w *Warehouse) error {
		for _, t := range []*ledger.Table{Accounts, Audit} {
			if err := w.eng.ensureTable(ctx, t); err != nil {
				return fmt.Errorf("建表 %s 失败：%w", t.Name, err)
			}
		}
		if has, err := w.hasColumn(ctx, "fact_dispute", "mediator"); err != nil || !has {
			return err
		}
		for _, q := range []string{"ALTER TABLE fact_dispute DROP COLUMN mediator", "ALTER TABLE fact_dispute ADD COLUMN mediator_key " + w.eng.addedTextColumn()} {
			if err := w.eng.exec(ctx, q); err != nil {
				return fmt.Errorf("升级仓库结构失败：%w", err)
			}
		}
		return nil
	},
	// v5: scopes.superseded, and a row with it for every version a later
	// one replaced, so the current keys need no GROUP BY over every scope.
	func(ctx context.Context, w *Warehouse) error {
		has, err := w.hasColumn(ctx, Scopes.Name, "superseded")
		if err != nil {
			return err
		}
		if !has {
			if err := w.eng.addColumn(ctx, Scopes, "superseded", w.eng.addedIntColumn()); err != nil {
				return fmt.Errorf("升级仓库结构失败：%w", err)
			}
		}
		return w.eng.migrateEngine(ctx, 5)
	},
	// v6: the counties' township maps (the cockpit's map).
	func(ctx context.Context, w *Warehouse) error { return w.eng.ensureTable(ctx, DimMap) },
	// v7: notices, their deliveries and each person's choices.
	func(ctx context.Context, w *Warehouse) error {
		for _, t := range []*ledger.Table{Notices, Deliveries, NoticePrefs} {
			if err := w.eng.ensureTable(ctx, t); err != nil {
				return fmt.Errorf("建表 %s 失败：%w", t.Name, err)
			}
		}
		return nil
	},
	// v8: the roster's 兼任镇村工作 (身兼数职), at the end of fact_staff
	// (a new warehouse creates the table with it here).
	func(ctx context.Context, w *Warehouse) error {
		t := ledger.FactFor(ledger.Roster.ID)
		if err := w.eng.ensureTable(ctx, t); err != nil {
			return fmt.Errorf("建表 %s 失败：%w", t.Name, err)
		}
		has, err := w.hasColumn(ctx, t.Name, "other_duties")
		if err != nil || has {
			return err
		}
		if err := w.eng.addColumn(ctx, t, "other_duties", w.eng.addedTextColumn()); err != nil {
			return fmt.Errorf("升级仓库结构失败：%w", err)
		}
		return nil
	},
	// v9: scope_rows, filled from the fact rows already loaded (every
	// version, current or not, so a version made current again counts).
	func(ctx context.Context, w *Warehouse) error {
		if err := w.eng.ensureTable(ctx, ScopeRows); err != nil {
			return fmt.Errorf("建表 %s 失败：%w", ScopeRows.Name, err)
		}
		for _, l := range ledger.Ledgers {
			t := ledger.FactFor(l.ID)
			if t == nil {
				continue
			}
			if err := w.eng.ensureTable(ctx, t); err != nil {
				return fmt.Errorf("建表 %s 失败：%w", t.Name, err)
			}
			err := w.eng.execLocal(ctx, func(suffix string) string {
				return "INSERT INTO " + ScopeRows.Name + suffix + " (scope_key, load_id, ledger, scope_org, period, rows) SELECT scope_key, load_id, " +
					w.eng.quote(l.ID) + ", scope_org, period, count(*) FROM " + t.Name + suffix + " GROUP BY scope_key, load_id, scope_org, period"
			})
			if err != nil {
				return fmt.Errorf("升级仓库结构失败（%s）：%w", t.Name, err)
			}
		}
		return nil
	},
	// v10: each scope row carries its rows and sums (ScopeSums), filled
	// from the fact rows already loaded; scope_rows goes.
	engineStep(10),
	// v11: the mediation amounts among the sums, filled the same way.
	engineStep(11),
	// v12: the disputes' results, escalations prevented, petitions and
	// parties among the sums, filled the same way.
	engineStep(12),
	// v13: CaseRepeats, filled from the rows already loaded, and each
	// mediation scope's numbered cases among the sums.
	func(ctx context.Context, w *Warehouse) error {
		if err := w.eng.ensureTable(ctx, CaseRepeats); err != nil {
			return fmt.Errorf("建表 %s 失败：%w", CaseRepeats.Name, err)
		}
		if err := engineStep(13)(ctx, w); err != nil {
			return err
		}
		if err := w.fillRepeats(ctx); err != nil {
			return fmt.Errorf("升级仓库结构失败（%s）：%w", CaseRepeats.Name, err)
		}
		return nil
	},
	// v14: on ClickHouse scopes is sorted by ledger, period and scope, so a
	// year of a ledger is one range (Dialect.PeriodOf); copied in the order.
	engineStep(14),
}

// engineStep is a migration that is the engines' own steps of a version.
func engineStep(version int) func(ctx context.Context, w *Warehouse) error {
	return func(ctx context.Context, w *Warehouse) error {
		if err := w.eng.migrateEngine(ctx, version); err != nil {
			return fmt.Errorf("升级仓库结构失败：%w", err)
		}
		return nil
	}
}

// hasColumn says whether a table has a column (a migration's step may
// have run before a restart).
func (w *Warehouse) hasColumn(ctx context.Context, table, col string) (bool, error) {
	cols, err := columnsOf(ctx, w.eng, table)
	return slices.Contains(cols, col), err
}

// Columns are the names of a table's columns in the warehouse, in order.
func (w *Warehouse) Columns(ctx context.Context, table string) ([]string, error) {
	if !identifier(table) {
		return nil, fmt.Errorf("表名「%s」只能用字母、数字和下划线", table)
	}
	return columnsOf(ctx, w.eng, table)
}

// identifier says whether a name (a database, a cluster, a table) is one
// the SQL can be written with as it is: letters, digits and underscores.
func identifier(name string) bool {
	for _, r := range name {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return name != ""
}

// columnsOf are the names of a table's columns in the warehouse, read
// through each, which names them before any row.
func columnsOf(ctx context.Context, e engine, table string) ([]string, error) {
	res, err := collect(ctx, e.each, "SELECT * FROM "+table+" LIMIT 0")
	if err != nil {
		return nil, err
	}
	return res.Columns, nil
}

func (w *Warehouse) migrate(ctx context.Context) error {
	if err := w.eng.ensureTable(ctx, schemaTable); err != nil {
		return fmt.Errorf("无法初始化仓库：%w", err)
	}
	res, err := w.eng.query(ctx, "SELECT max(version) FROM schema_version")
	if err != nil {
		return err
	}
	have := int64(0)
	if len(res.Rows) == 1 && res.Rows[0][0] != nil {
		have = res.Rows[0][0].(int64)
	}
	if have > SchemaVersion {
		return fmt.Errorf("仓库的结构版本是 %d，比这个程序（%d）新：请换用新版程序", have, SchemaVersion)
	}
	for v := have; v < SchemaVersion; v++ {
		if err := migrations[v](ctx, w); err != nil {
			return err
		}
		rec := transform.BuildRecord(schemaTable, [][]any{{v + 1, time.Now().UTC()}})
		err := w.eng.appendRecord(ctx, schemaTable, rec)
		rec.Release()
		if err != nil {
			return err
		}
	}
	// a ledger type added to the catalog gets its table on the next open,
	// without a migration of its own
	for _, t := range ledger.Facts {
		if err := w.eng.ensureTable(ctx, t); err != nil {
			return fmt.Errorf("建表 %s 失败：%w", t.Name, err)
		}
	}
	return nil
}

// Query runs a read-only query and returns engine-neutral values.
func (w *Warehouse) Query(ctx context.Context, q string) (*Result, error) {
	return w.eng.query(ctx, q)
}

// collect runs a query through an engine's each and keeps every row: the
// engines' query.
func collect(ctx context.Context, each func(context.Context, string, func([]string, []any) error) error, q string) (*Result, error) {
	res := &Result{}
	err := each(ctx, q, func(cols []string, row []any) error {
		if row == nil {
			res.Columns = cols
			return nil
		}
		res.Rows = append(res.Rows, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Each runs a read-only query and hands each row to fn as it comes (values
// as Query gives them); an error from fn stops the query.
func (w *Warehouse) Each(ctx context.Context, q string, fn func(row []any) error) error {
	return w.eng.each(ctx, q, func(_ []string, row []any) error {
		if row == nil {
			return nil
		}
		return fn(row)
	})
}

// Exec runs a statement (used by tests and maintenance).
func (w *Warehouse) Exec(ctx context.Context, q string) error { return w.eng.exec(ctx, q) }

// Visible is the dialect's condition that keeps a fact table's current
// rows (see Dialect.Visible).
func (w *Warehouse) Visible() string { return w.eng.dialect().Visible() }

// In is the operator for a condition on a subquery in this warehouse's SQL:
// IN, or GLOBAL IN on a ClickHouse cluster.
func (w *Warehouse) In() string { return w.eng.dialect().In() }

// Append bulk-loads rows into a table. They stay invisible until Commit.
func (w *Warehouse) Append(ctx context.Context, t *ledger.Table, rec arrow.Record) error {
	if rec.NumRows() == 0 {
		return nil
	}
	return w.eng.appendRecord(ctx, t, rec)
}

// tableStream is an open bulk load of one table.
type tableStream interface {
	write(rec arrow.Record) error
	close() error
}

// Stream is an open bulk load of one table: records written to it stay
// invisible until the load's Commit.
type Stream struct {
	s      tableStream
	t      *ledger.Table
	totals *scopeTotals
}

// OpenStream starts a bulk load into a table.
func (w *Warehouse) OpenStream(ctx context.Context, t *ledger.Table) (*Stream, error) {
	s, err := w.eng.openStream(ctx, t)
	if err != nil {
		return nil, err
	}
	return &Stream{s: s, t: t, totals: &w.totals}, nil
}

// Write adds a record; the caller keeps its own reference. A fact
// table's rows are added up per scope on the way (ScopeSums), for the
// commit to write on the scope rows.
func (s *Stream) Write(rec arrow.Record) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if err := s.totals.add(s.t, rec); err != nil {
		return err
	}
	return s.s.write(rec)
}

// Close ends the load of the table and reports its first error.
func (s *Stream) Close() error { return s.s.close() }

// recordStream writes each record as its own bulk insert.
type recordStream struct {
	ctx context.Context
	e   engine
	t   *ledger.Table
}

func (s *recordStream) write(rec arrow.Record) error { return s.e.appendRecord(s.ctx, s.t, rec) }
func (s *recordStream) close() error                 { return nil }

// Load is one file's entry in the loads table.
type Load struct {
	LoadID, File, Sheet, SHA256, Ledger string
	Orgs, Periods                       []string
	Accepted, Rejected                  int
	At                                  time.Time
	// ScopeRows is how many rows the load wrote into each of its scopes
	// (ledger|org|period): Commit writes them on the scope rows.
	ScopeRows map[string]int
}

// Commit makes a file's rows current: every scope it wrote points at its
// load, and its loads rows record it, at once. present are the scopes'
// current rows the load read since its lock began (Present); the scopes
// they do not cover are read here.
func (w *Warehouse) Commit(ctx context.Context, loadID string, scopes []string, loads []Load, present ...*Present) error {
	version := time.Now().UnixNano()
	// each scope's row carries its counts: the rows the load wrote into it
	// and the sums of its rows, so they turn current with it
	rows := map[string]int64{}
	for _, l := range loads {
		for s, n := range l.ScopeRows {
			rows[s] += int64(n)
		}
	}
	keys := make([]int64, len(scopes))
	for i, s := range scopes {
		keys[i] = transform.ScopeKey(s, loadID)
	}
	sums := w.totals.take(keys)
	var srows [][]any
	for i, s := range scopes {
		srows = append(srows, scopeRow(s, loadID, keys[i], version, 0, rows[s], sums[keys[i]]))
	}
	// the keys this load replaces, marked in the same block as its own:
	// those read before (present) and those of the other scopes
	var current []presentRow
	var unread []string
	mine := make(map[string]bool, len(scopes))
	for _, s := range scopes {
		mine[s] = true
		if !slices.ContainsFunc(present, func(p *Present) bool { return p.looked[s] }) {
			unread = append(unread, s)
		}
	}
	seen := map[int64]bool{} // a scope two sheets wrote was read for each
	for _, p := range present {
		for _, r := range p.rows {
			if mine[r.scope] && !seen[r.key] {
				seen[r.key] = true
				current = append(current, r)
			}
		}
	}
	more, err := w.readPresent(ctx, unread)
	if err != nil {
		return fmt.Errorf("提交载入失败：%w", err)
	}
	current = append(current, more...)
	var replaced []int64
	for _, r := range current {
		srows = append(srows, scopeRow(r.scope, loadID, r.key, version, 1, 0, nil))
		replaced = append(replaced, r.key)
	}
	// the cases this load sends again, written before the block that makes
	// the load current (their rows of this load count from then on)
	repeats, err := w.repeatsOf(ctx, loadID, scopes, replaced)
	if err == nil {
		err = w.writeRepeats(ctx, repeats)
	}
	if err != nil {
		return fmt.Errorf("提交载入失败（查重复案件）：%w", err)
	}
	var lrows [][]any
	for _, l := range loads {
		lrows = append(lrows, []any{l.LoadID, l.File, l.Sheet, l.SHA256, l.Ledger, strings.Join(l.Orgs, ","),
			strings.Join(l.Periods, ","), int64(l.Accepted), int64(l.Rejected), l.At.UTC()})
	}
	sr := transform.BuildRecord(Scopes, srows)
	defer sr.Release()
	lr := transform.BuildRecord(Loads, lrows)
	defer lr.Release()
	defer w.forget()
	return w.eng.commit(ctx, sr, lr)
}

// Seen reports whether a file with these bytes was loaded before.
func (w *Warehouse) Seen(ctx context.Context, sha string) (bool, error) {
	if !isHex(sha) {
		return false, errors.New("bad sha256")
	}
	res, err := w.eng.query(ctx, "SELECT count(*) FROM loads WHERE sha256 = '"+sha+"'")
	if err != nil {
		return false, err
	}
	return res.Rows[0][0].(int64) > 0, nil
}

// LoadLock holds the warehouse for one load (from its first append to its
// commit) and returns the function that lets it go: the sweep and the
// backup wait for it, and so does the next load of this process.
func (w *Warehouse) LoadLock() (unlock func()) {
	w.mu.Lock()
	return w.mu.Unlock
}

// LoadCount is the number of loads (files or sheets) ever committed.
func (w *Warehouse) LoadCount(ctx context.Context) (int64, error) {
	res, err := w.eng.query(ctx, "SELECT count(*) FROM loads")
	if err != nil {
		return 0, err
	}
	return res.Rows[0][0].(int64), nil
}

// CommittedFile is one committed load of a file, all its sheets together.
type CommittedFile struct {
	LoadID, File, SHA256 string
	At                   time.Time
	Accepted, Rejected   int
}

// CommittedFiles lists every committed load in the order it committed
// (an archive written before its journal was kept gets one from this).
func (w *Warehouse) CommittedFiles(ctx context.Context) ([]CommittedFile, error) {
	res, err := w.eng.query(ctx, "SELECT load_id, min(file), min(sha256), min(loaded_at), sum(rows_accepted), sum(rows_rejected) FROM loads GROUP BY load_id ORDER BY min(loaded_at), load_id")
	if err != nil {
		return nil, err
	}
	out := make([]CommittedFile, 0, len(res.Rows))
	for _, r := range res.Rows {
		at := TimeOf(r[3])
		out = append(out, CommittedFile{LoadID: fmt.Sprint(r[0]), File: fmt.Sprint(r[1]), SHA256: fmt.Sprint(r[2]), At: at,
			Accepted: int(toInt(r[4])), Rejected: int(toInt(r[5]))})
	}
	return out, nil
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	n, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
	return n
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return s != ""
}

// DataVersion changes whenever what panels read can change: a load
// commits (scopes), the targets change, or a county's map. Caches key on it.
func (w *Warehouse) DataVersion(ctx context.Context) (string, error) {
	w.verMu.Lock()
	if time.Since(w.verAt) < freshFor {
		v := w.ver
		w.verMu.Unlock()
		return v, nil
	}
	w.verMu.Unlock()
	asked := time.Now()
	res, err := w.eng.query(ctx, "SELECT (SELECT count(*) FROM scopes), (SELECT max(version) FROM scopes), (SELECT max(version) FROM dim_target), (SELECT max(version) FROM dim_map)")
	if err != nil {
		return "", err
	}
	v := fmt.Sprint(res.Rows[0]...)
	w.verMu.Lock()
	if w.verAt.Before(asked) {
		w.ver, w.verAt = v, asked
	}
	w.verMu.Unlock()
	return v, nil
}

// Registry returns the current org registry. It is read once and kept
// until a registry load commits (seen by its scope version, so a load by
// another process is noticed too): panels ask for it on every answer.
func (w *Warehouse) Registry(ctx context.Context) (*transform.Registry, error) {
	w.regMu.Lock()
	if w.reg != nil && time.Since(w.regAt) < freshFor {
		reg := w.reg
		w.regMu.Unlock()
		return reg, nil
	}
	w.regMu.Unlock()
	asked := time.Now()
	res, err := w.eng.query(ctx, "SELECT count(*), max(version) FROM scopes WHERE ledger = 'registry'")
	if err != nil {
		return nil, err
	}
	version := int64(-1)
	if n, _ := res.Rows[0][0].(int64); n > 0 {
		version, _ = res.Rows[0][1].(int64)
	}
	w.regMu.Lock()
	defer w.regMu.Unlock()
	if w.reg != nil && w.regVersion == version {
		w.regAt = asked
		return w.reg, nil
	}
	reg, err := w.readRegistry(ctx)
	if err != nil {
		return nil, err
	}
	w.reg, w.regVersion, w.regAt = reg, version, asked
	return reg, nil
}

func (w *Warehouse) readRegistry(ctx context.Context) (*transform.Registry, error) {
	res, err := w.eng.query(ctx, "SELECT code, name, level, parent_code, aliases FROM dim_org WHERE "+w.Visible()+" ORDER BY code")
	if err != nil {
		return nil, err
	}
	orgs := make([]transform.Org, 0, len(res.Rows))
	for _, r := range res.Rows {
		o := transform.Org{Code: r[0].(string), Name: r[1].(string), Level: r[2].(string), Parent: r[3].(string)}
		if a := r[4].(string); a != "" {
			o.Aliases = strings.Split(a, "、")
		}
		orgs = append(orgs, o)
	}
	return transform.NewRegistry(orgs), nil
}

// Lit quotes a string literal for this warehouse's engine.
func (w *Warehouse) Lit(s string) string { return w.eng.dialect().Lit(s) }

// literalText is what a string literal may hold: a NUL byte would end the
// query text in DuckDB's parser, and bytes that are not UTF-8 are not text;
// both become U+FFFD, so a lookup of such a value finds nothing instead of failing.
func literalText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// normalize turns what a driver returns into the engine-neutral values of Result.
func normalize(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case *any:
		if x == nil { // clickhouse-go's NULL of type Nothing (SELECT NULL)
			return nil
		}
		return normalize(*x)
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	case *big.Int:
		return x.Int64()
	case big.Int:
		return x.Int64()
	case float32:
		return float64(x)
	case float64:
		return x
	case bool:
		if x {
			return int64(1)
		}
		return int64(0)
	case string:
		return x
	case []byte:
		return string(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format("2006-01-02")
		}
		return x.UTC().Format("2006-01-02 15:04:05")
	case *time.Time:
		if x == nil {
			return nil
		}
		return normalize(*x)
	case *string:
		if x == nil {
			return nil
		}
		return *x
	case fmt.Stringer:
		return x.String()
	}
	// pointers to other types (Nullable columns on ClickHouse: *uint64, *int64, …)
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return nil
		}
		return normalize(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

// DateLit writes a date literal ("2014-12-31") in this engine's SQL; the
// date must already be validated.
func (w *Warehouse) DateLit(d string) string { return w.eng.dialect().DateLit(d) }

// JobRun is one run of a scheduled job, for the job history.
type JobRun struct {
	RunID, Job                string
	Started, Ended            time.Time
	Files, Accepted, Rejected int
	FailedFiles               int
	Result, Error             string
}

// JobHistory lists every job run in the order they ended (job, times and
// result: what /metrics reports).
func (w *Warehouse) JobHistory(ctx context.Context) ([]JobRun, error) {
	res, err := w.eng.query(ctx, "SELECT job, started, ended, result FROM jobs ORDER BY seq")
	if err != nil {
		return nil, err
	}
	out := make([]JobRun, 0, len(res.Rows))
	for _, x := range res.Rows {
		s := TimeOf(x[1])
		e := TimeOf(x[2])
		out = append(out, JobRun{Job: fmt.Sprint(x[0]), Started: s, Ended: e, Result: fmt.Sprint(x[3])})
	}
	return out, nil
}

// LoadTotals are the warehouse's totals of loads since it began.
type LoadTotals struct {
	Loads, Files, Accepted, Rejected int64 // ledger tables, distinct files, rows
}

// Totals counts the loads, distinct files and rows ever committed.
func (w *Warehouse) Totals(ctx context.Context) (LoadTotals, error) {
	res, err := w.eng.query(ctx, "SELECT count(*), count(DISTINCT sha256), sum(rows_accepted), sum(rows_rejected) FROM loads")
	if err != nil {
		return LoadTotals{}, err
	}
	r := res.Rows[0]
	return LoadTotals{Loads: toInt(r[0]), Files: toInt(r[1]), Accepted: toInt(r[2]), Rejected: toInt(r[3])}, nil
}

// Ping says whether the warehouse answers.
func (w *Warehouse) Ping(ctx context.Context) error {
	_, err := w.eng.query(ctx, "SELECT 1")
	return err
}

// RecordJob appends a run to the job history.
func (w *Warehouse) RecordJob(ctx context.Context, j JobRun) error {
	rec := transform.BuildRecord(Jobs, [][]any{{j.RunID, j.Job, j.Started.UTC(), j.Ended.UTC(), int64(j.Files), int64(j.Accepted),
		int64(j.Rejected), int64(j.FailedFiles), j.Result, j.Error, j.Ended.UnixNano()}})
	defer rec.Release()
	return w.eng.appendRecord(ctx, Jobs, rec)
}

// Sweep deletes the fact rows that a later load replaced: rows of committed
// loads whose scope now points at another load. Rows of a load still in
// progress (no loads row yet, perhaps in another process) are never touched.
// It returns the rows it removed (ClickHouse removes them in the background:
// its count is of the rows asked to go).
func (w *Warehouse) Sweep(ctx context.Context) (int64, error) {
	w.mu.Lock() // no load of this process is between append and commit
	defer w.mu.Unlock()
	var total int64
	for _, t := range append(append([]*ledger.Table{}, ledger.Facts...), CaseRepeats) {
		cond := "NOT (" + w.Visible() + ") AND load_id " + w.eng.in() + " (SELECT load_id FROM loads)"
		res, err := w.eng.query(ctx, "SELECT count(*) FROM "+t.Name+" WHERE "+cond)
		if err != nil {
			return total, err
		}
		n := res.Rows[0][0].(int64)
		if n == 0 {
			continue
		}
		if err := w.eng.deleteRows(ctx, t.Name, cond); err != nil {
			return total, fmt.Errorf("清理 %s 失败：%w", t.Name, err)
		}
		total += n
	}
	return total, nil
}

// Backup writes a consistent copy of an embedded warehouse into a new file
// (the running process can do it while it serves). ClickHouse warehouses
// are backed up with ClickHouse's own tools.
func (w *Warehouse) Backup(ctx context.Context, path string) error {
	w.mu.Lock() // between loads: no load of this process is half appended
	defer w.mu.Unlock()
	return w.eng.backup(ctx, path)
}

// TimeOf reads a time as Query answers it: UTC text "2006-01-02 15:04:05",
// or "2006-01-02" for a time at midnight to the second (Query cannot tell a
// DATE from a TIMESTAMP that falls on midnight); the zero time otherwise.
func TimeOf(v any) time.Time {
	switch x := v.(type) {
	case time.Time:
		return x
	case string:
		if t, err := time.Parse("2006-01-02 15:04:05", x); err == nil {
			return t
		}
		if t, err := time.Parse("2006-01-02", x); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Current is what a scope's current load holds: the rows a new load of
// the scope replaces.
type Current struct {
	Org, Period  string // the scope's org and period
	LoadID, File string
	LoadedAt     time.Time
	Rows         int64
}

// Present is what is current in some scopes, read once by a load under
// its lock (LoadLock) after its rows are written: its report names the
// loads it replaces from it (Loads), and its commit marks the keys in it
// replaced without reading the scope rows again. A province's file load on
// ClickHouse 18.16 read them twice, 9 ms each (docs/bench.md, seventh pass).
type Present struct {
	looked map[string]bool // the scopes read (ledger|org|period)
	rows   []presentRow
	files  map[string]loadFile // load_id → its file, of the loads with rows here
}

// presentRow is a current scope row: its scope, key, load and rows.
type presentRow struct {
	scope, loadID string
	key, rows     int64
}

type loadFile struct {
	file string
	at   time.Time
}

// Present reads the current scope rows of scopes of one fact table
// ("org|period"). The list of scopes is a plain IN: a cluster's GLOBAL IN
// is for subqueries, and ClickHouse 18.16 fails it on a list of literals.
func (w *Warehouse) Present(ctx context.Context, t *ledger.Table, scopes []string) (*Present, error) {
	p := &Present{looked: map[string]bool{}, files: map[string]loadFile{}}
	full := make([]string, len(scopes))
	for i, s := range scopes {
		full[i] = ledgerOfTable[t.Name] + "|" + s
		p.looked[full[i]] = true
	}
	var err error
	if p.rows, err = w.readPresent(ctx, full); err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, r := range p.rows {
		if r.rows > 0 {
			ids[r.loadID] = true
		}
	}
	if len(ids) == 0 {
		return p, nil
	}
	d := w.eng.dialect()
	var idl []string
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		idl = append(idl, d.Lit(id))
	}
	files, err := w.eng.query(ctx, "SELECT load_id, min(file), min(loaded_at) FROM loads WHERE load_id IN ("+strings.Join(idl, ", ")+") GROUP BY load_id")
	if err != nil {
		return nil, err
	}
	for _, f := range files.Rows {
		p.files[fmt.Sprint(f[0])] = loadFile{fmt.Sprint(f[1]), TimeOf(f[2])}
	}
	return p, nil
}

// readPresent reads the current rows of the scopes named (ledger|org|period):
// on ClickHouse those written current less those marked since,
// without reading the written ones again in a subquery (21 ms against 34
// for a county's year of mediation scopes). The rows carry the rows their
// load wrote, so the facts are not read: a file's lookup read its
// counties' fact rows (10-25 ms a file on ClickHouse 18.16 while a
// province loads) where the scope rows take a few.
func (w *Warehouse) readPresent(ctx context.Context, scopes []string) ([]presentRow, error) {
	d := w.eng.dialect()
	var rows []presentRow
	for _, part := range InChunks(scopes) {
		res, err := w.eng.query(ctx, "SELECT scope, scope_key, load_id, rows FROM scopes WHERE "+d.currentRows(d.Named(part)))
		if err != nil {
			return nil, err
		}
		for _, r := range res.Rows {
			rows = append(rows, presentRow{scope: fmt.Sprint(r[0]), key: toInt(r[1]), loadID: fmt.Sprint(r[2]), rows: toInt(r[3])})
		}
	}
	return rows, nil
}

// Loads are the loads current in the scopes read, with their rows there,
// per org and period (scopes whose current load wrote no row, a 零上报,
// are left out: they replace nothing).
func (p *Present) Loads() []Current {
	type at struct{ org, period, loadID string }
	most := map[at]int64{}
	for _, r := range p.rows {
		if r.rows <= 0 {
			continue
		}
		_, org, period := scopeParts(r.scope)
		k := at{org, period, r.loadID}
		most[k] = max(most[k], r.rows)
	}
	out := make([]Current, 0, len(most))
	for k, n := range most {
		f := p.files[k.loadID]
		out = append(out, Current{Org: k.org, Period: k.period, LoadID: k.loadID, File: f.file, LoadedAt: f.at, Rows: n})
	}
	slices.SortFunc(out, func(a, b Current) int {
		return cmp.Or(cmp.Compare(a.Org, b.Org), cmp.Compare(a.Period, b.Period), cmp.Compare(a.LoadID, b.LoadID))
	})
	return out
}

// InChunks splits a list of scopes a query names one by one into parts of
// at most 2,000 (about 70 KB of SQL): ClickHouse refuses a query over
// 256 KiB, and a province's file can hold 15,000 office-months.
func InChunks(scopes []string) [][]string {
	const n = 2000
	var out [][]string
	for len(scopes) > n {
		out = append(out, scopes[:n])
		scopes = scopes[n:]
	}
	if len(scopes) > 0 {
		out = append(out, scopes)
	}
	return out
}

// LoadHistory lists the newest loads first (at most limit), each a file's
// committed load with its sheets together: the admin makes an earlier one
// current again from it.
func (w *Warehouse) LoadHistory(ctx context.Context, limit int) ([]Load, error) {
	res, err := w.eng.query(ctx, fmt.Sprintf("SELECT load_id, min(file), min(sha256), min(ledger), min(orgs), min(periods), sum(rows_accepted), sum(rows_rejected), min(loaded_at)"+
		" FROM loads GROUP BY load_id ORDER BY min(loaded_at) DESC, load_id LIMIT %d", limit))
	if err != nil {
		return nil, err
	}
	out := make([]Load, 0, len(res.Rows))
	for _, r := range res.Rows {
		at := TimeOf(r[8])
		l := Load{LoadID: fmt.Sprint(r[0]), File: fmt.Sprint(r[1]), SHA256: fmt.Sprint(r[2]), Ledger: fmt.Sprint(r[3]),
			Accepted: int(toInt(r[6])), Rejected: int(toInt(r[7])), At: at}
		if o := fmt.Sprint(r[4]); o != "" {
			l.Orgs = strings.Split(o, ",")
		}
		if p := fmt.Sprint(r[5]); p != "" {
			l.Periods = strings.Split(p, ",")
		}
		out = append(out, l)
	}
	return out, nil
}
