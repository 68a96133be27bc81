package warehouse

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"sifa/ingest/ledger"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// chEngine speaks ClickHouse's native protocol. The SQL here avoids what
// 18.16 lacks (docs/engines.md): no ALTER … DELETE, no bound Date parameters, no
// INSERT … VALUES through Exec; replacement works by scope versions.
type chEngine struct {
	conn driver.Conn
	db   string
	// cluster names the ClickHouse cluster (remote_servers) when sifa runs
	// on one: local tables on every shard, Distributed tables over them.
	cluster string
	shards  []driver.Conn // one connection to each shard (its first replica)
	http    *chHTTP       // loads over the HTTP interface, when the DSN names its port
}

func openClickHouse(ctx context.Context, dsn string) (*chEngine, error) {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("ClickHouse 地址「%s」不对，应是 clickhouse://主机:端口/库名", dsn)
	}
	db := strings.Trim(u.Path, "/")
	if db == "" {
		db = "sifa"
	}
	if !identifier(db) {
		return nil, fmt.Errorf("ClickHouse 库名「%s」只能用字母、数字和下划线", db)
	}
	auth := clickhouse.Auth{Database: "default", Username: "default"}
	if u.User != nil {
		auth.Username = u.User.Username()
		auth.Password, _ = u.User.Password()
	}
	opts := &clickhouse.Options{Addr: []string{u.Host}, Auth: auth, DialTimeout: 5 * time.Second, ReadTimeout: 5 * time.Minute}
	boot, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("无法连接 ClickHouse %s：%w", u.Host, err)
	}
	if err := boot.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+db); err != nil {
		boot.Close()
		return nil, fmt.Errorf("无法连接 ClickHouse %s：%w", u.Host, err)
	}
	boot.Close()
	opts.Auth.Database = db
	conn, err := clickhouse.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("无法连接 ClickHouse %s：%w", u.Host, err)
	}
	e := &chEngine{conn: conn, db: db}
	if cluster := u.Query().Get("cluster"); cluster != "" {
		if err := e.joinCluster(ctx, cluster, *opts); err != nil {
			conn.Close()
			return nil, err
		}
	}
	if port := u.Query().Get("http_port"); port != "" {
		h, err := newCHHTTP(ctx, u.Hostname(), port, db, auth.Username, auth.Password)
		if err != nil {
			conn.Close()
			return nil, err
		}
		if e.cluster != "" {
			// wait until every shard has its rows, so a commit never shows before them
			h.settings.Set("insert_distributed_sync", "1")
		}
		sv, err := conn.ServerVersion()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("无法连接 ClickHouse %s：%w", u.Host, err)
		}
		h.tz = sv.Timezone
		e.http = h
	}
	e.warnThreads(ctx)
	return e, nil
}

// warnThreads tells the admin when the server runs each query on one
// thread: ClickHouse 18.16 sets max_threads to the physical cores it
// counts, and on some virtual machines it counts one (docs/engines.md:
// every panel ran at half speed on a 2-core machine).
func (e *chEngine) warnThreads(ctx context.Context) {
	res, err := e.query(ctx, "SELECT value FROM system.settings WHERE name = 'max_threads'")
	if err != nil || len(res.Rows) == 0 {
		return
	}
	if v := fmt.Sprint(res.Rows[0][0]); v == "1" {
		slog.Warn("ClickHouse 每个查询只用 1 个线程（max_threads = 1）：如果服务器不止一个 CPU，请在 users.xml 的 profile 里把 max_threads 设为 CPU 个数，查询会快一倍左右")
	}
}

func (e *chEngine) name() string { return "clickhouse" }

func (e *chEngine) close() error {
	if e.http != nil {
		e.http.close()
	}
	for _, s := range e.shards {
		s.Close()
	}
	return e.conn.Close()
}

func (e *chEngine) exec(ctx context.Context, q string) error { return e.conn.Exec(ctx, q) }

// query answers over HTTP when the DSN names the port (clickhouse_read.go),
// else through clickhouse-go; and through clickhouse-go too an answer of a
// column type that reader does not know.
func (e *chEngine) query(ctx context.Context, q string) (*Result, error) {
	if e.http != nil {
		res, err := e.http.query(ctx, q)
		if !errors.Is(err, errNativeType) {
			return res, err
		}
	}
	return collect(ctx, e.each, q)
}

func (e *chEngine) each(ctx context.Context, q string, fn func(cols []string, row []any) error) error {
	rows, err := e.conn.Query(ctx, q)
	if err != nil {
		return fmt.Errorf("查询失败：%w\n%s", err, q)
	}
	defer rows.Close()
	types := rows.ColumnTypes()
	cols := rows.Columns()
	if err := fn(cols, nil); err != nil { // the columns, before any row
		return err
	}
	// one set of targets for every row: each value is copied out before the
	// next Scan (a province's 31,000 scope rows of a page's panel allocated
	// a target per value and went through reflect for each)
	ptrs := make([]any, len(types))
	for i, t := range types {
		ptrs[i] = reflect.New(t.ScanType()).Interface()
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		vals := make([]any, len(types))
		for i, p := range ptrs {
			vals[i] = scanned(p)
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanned is the value a Scan target holds, as Query answers it: the
// common column types directly, the others through normalize.
func scanned(p any) any {
	switch x := p.(type) {
	case *string:
		return *x
	case *int64:
		return *x
	case *uint64:
		return int64(*x)
	case *uint8:
		return int64(*x)
	case *float64:
		return *x
	}
	return normalize(reflect.ValueOf(p).Elem().Interface())
}

func chType(c ledger.Col) string {
	switch c.Type {
	case ledger.Enum:
		vals := make([]string, len(c.Values))
		for i, v := range c.Values {
			vals[i] = fmt.Sprintf("%s = %d", chQuote(v), i)
		}
		return "Enum8(" + strings.Join(vals, ", ") + ")"
	case ledger.Int:
		return "Int64"
	case ledger.Float:
		return "Float64"
	case ledger.Date:
		return "Nullable(Date)"
	case ledger.Time:
		return "DateTime"
	}
	return "String"
}

// createTable is the DDL of a MergeTree table.
func (e *chEngine) createTable(t *ledger.Table) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = c.Name + " " + chType(c)
	}
	return "CREATE TABLE IF NOT EXISTS " + t.Name + " (" + strings.Join(cols, ", ") + ") ENGINE = MergeTree()" + partitionBy(t) +
		" ORDER BY (" + strings.Join(t.OrderBy, ", ") + ")"
}

// partitionBy partitions a ledger's fact table by the year of its period
// (2016-03, 2016-12-31 and 2016 all begin with it): a panel of one year
// reads that year's parts only, where the sort key (county, load) would make
// it read the period of every row (docs/bench.md: disputes.summary for the
// province 293 → 150 ms). The registry and sifa's own tables are not.
func partitionBy(t *ledger.Table) string {
	if ledgerOfTable[t.Name] == "" || ledgerOfTable[t.Name] == ledger.OrgRegistry.ID {
		return ""
	}
	for _, c := range t.Columns {
		if c.Name == "period" {
			return " PARTITION BY substring(period, 1, 4)"
		}
	}
	return ""
}

// appendRecord sends a record as one columnar batch with an explicit column
// list (required on 18.16).
func (e *chEngine) appendRecord(ctx context.Context, t *ledger.Table, rec arrow.Record) error {
	in, err := e.newInsert(ctx, t)
	if err != nil {
		return err
	}
	if err := in.add(rec); err != nil {
		in.abort()
		return err
	}
	return in.send()
}

// chInsert is one INSERT whose blocks are the records added to it. Its
// column buffers are kept from one block to the next, and the slices
// handed to the driver too.
type chInsert struct {
	t     *ledger.Table
	batch driver.Batch
	strs  [][]string
	dates [][]*time.Time
	days  [][]time.Time
	stamp [][]time.Time
}

func (e *chEngine) newInsert(ctx context.Context, t *ledger.Table) (*chInsert, error) {
	batch, err := e.conn.PrepareBatch(e.insertCtx(ctx), insertInto(t))
	if err != nil {
		return nil, fmt.Errorf("无法写入 %s：%w", t.Name, err)
	}
	n := len(t.Columns)
	return &chInsert{t: t, batch: batch, strs: make([][]string, n), dates: make([][]*time.Time, n), days: make([][]time.Time, n), stamp: make([][]time.Time, n)}, nil
}

// add appends a record as the next block and sends it.
func (in *chInsert) add(rec arrow.Record) error {
	for k, c := range in.t.Columns {
		if err := in.batch.Column(k).Append(in.slice(k, rec.Column(k), c.Type)); err != nil {
			return fmt.Errorf("写入 %s.%s 失败：%w", in.t.Name, c.Name, err)
		}
	}
	if err := in.batch.Flush(); err != nil {
		return fmt.Errorf("写入 %s 失败：%w", in.t.Name, err)
	}
	return nil
}

// send ends the INSERT; the server has every block.
func (in *chInsert) send() error {
	if err := in.batch.Send(); err != nil {
		return fmt.Errorf("写入 %s 失败：%w", in.t.Name, err)
	}
	return nil
}

func (in *chInsert) abort() { in.batch.Abort() }

// slice turns an Arrow column into the Go slice clickhouse-go appends,
// reusing this insert's slice for the column.
func (in *chInsert) slice(k int, col arrow.Array, kind ledger.Type) any {
	n := col.Len()
	switch kind {
	case ledger.Int:
		return col.(*array.Int64).Int64Values()
	case ledger.Float:
		return col.(*array.Float64).Float64Values()
	case ledger.Date:
		a := col.(*array.Date32)
		days, out := grow(in.days[k], n), grow(in.dates[k], n)
		in.days[k], in.dates[k] = days, out
		for i := range n {
			out[i] = nil
			if !a.IsNull(i) && chDate(a.Value(i)) {
				days[i] = a.Value(i).ToTime()
				out[i] = &days[i]
			}
		}
		return out
	case ledger.Time:
		a := col.(*array.Timestamp)
		out := grow(in.stamp[k], n)
		in.stamp[k] = out
		for i := range n {
			out[i] = time.Unix(int64(a.Value(i)), 0).UTC()
		}
		return out
	}
	a := col.(*array.String)
	out := grow(in.strs[k], n)
	in.strs[k] = out
	for i := range n {
		out[i] = a.Value(i)
	}
	return out
}

// insertInto is an INSERT's head with its explicit column list (required on 18.16).
func insertInto(t *ledger.Table) string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return "INSERT INTO " + t.Name + " (" + strings.Join(names, ", ") + ")"
}

// grow returns s with length n, reusing its array when it is big enough.
func grow[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// commit inserts the scope rows in one block (a block insert into one
// MergeTree part is atomic), then the loads rows. A crash between the two
// leaves the new rows current but the file unrecorded: the next run loads it
// again and points the same scopes at identical rows.
func (e *chEngine) commit(ctx context.Context, scopes, loads arrow.Record) error {
	if scopes.NumRows() > 0 {
		if err := e.appendRecord(ctx, Scopes, scopes); err != nil {
			return err
		}
	}
	if loads.NumRows() > 0 {
		return e.appendRecord(ctx, Loads, loads)
	}
	return nil
}

// current: scopes is sorted by ledger, period and scope, so a condition on
// them (Dialect.ScopesOf, PeriodOf, Named) reads only the granules of those
// scopes. The current keys are those written
// (superseded = 0) less those a later commit marked (superseded = 1): two
// plain reads of the range, side by side, where argMax(scope_key, version)
// GROUP BY scope grouped every scope's string (334 ms against 57 ms for the
// province's 156,000 consultation scopes on 18.16, docs/bench.md).
func (e *chEngine) current(where string) string {
	and := ""
	if where != "" {
		and = " AND " + where
	}
	return "(scope_key " + e.in() + " (SELECT scope_key FROM scopes WHERE superseded = 0" + and + ") AND " + e.unmarked(where) + ")"
}

// currentAmong is current(where + " AND " + among) where among narrows the
// keys written only: a key a later commit marked is not current whatever
// among says, so the marked side reads the range of where alone (among is a
// subquery of its own, and each costs ClickHouse 18.16 10–30 ms).
func (e *chEngine) currentAmong(where, among string) string {
	return "(scope_key " + e.in() + " (SELECT scope_key FROM scopes WHERE superseded = 0 AND " + where + " AND " + among + ") AND " + e.unmarked(where) + ")"
}

// unmarked is the condition that no later commit marked scope_key among
// the scopes where holds ("" all): a row written current (superseded = 0)
// is current while it holds.
func (e *chEngine) unmarked(where string) string {
	if where != "" {
		where = " AND " + where
	}
	return "scope_key " + e.notIn() + " (SELECT scope_key FROM scopes WHERE superseded = 1" + where + ")"
}

func (e *chEngine) quote(s string) string { return chQuote(s) }

var chQuoter = strings.NewReplacer(`\`, `\\`, `'`, `\'`)

func chQuote(s string) string { return "'" + chQuoter.Replace(literalText(s)) + "'" }

// dateLit: a Date compared with a bound time.Time compares raw numbers on
// 18.16 (docs/engines.md), so dates are always written as toDate('…').
func (e *chEngine) dateLit(d string) string { return "toDate('" + d + "')" }

func (e *chEngine) dialect() Dialect {
	return Dialect{name: "clickhouse", in: e.in(), current: e.current, currentAmong: e.currentAmong, scopePeriod: "splitByChar('|', scope)[3]", keyed: true, scopeOrg: "splitByChar('|', scope)[2]", quote: chQuote, dateLit: e.dateLit, countPersons: chCountPersons, manyGroups: " SETTINGS max_threads = 1", hashDistinct: true, unmarked: e.unmarked,
		dayOf: "toDate(%s)", yearOf: "toYear(%s)", dayText: "toString(%s)"}
}

// chCountPersons counts persons by the 64-bit hash of their key; coalesce:
// 18.16 counts a Nullable key of no rows as NULL.
func chCountPersons(cond string) string {
	if cond == "" {
		return "coalesce(uniqExact(cityHash64(person_key)), 0)"
	}
	return "coalesce(uniqExactIf(cityHash64(person_key), " + cond + "), 0)"
}

// openStream loads a table on two connections at once, so that while the
// server sorts and writes one block the next is encoded and sent, and the
// transform goes on. Over HTTP (http_port in the DSN) each record is its own
// INSERT in the Native format; otherwise each connection holds one
// clickhouse-go INSERT and each record is a block of it. Order does not
// matter: the rows stay invisible until the commit.
func (e *chEngine) openStream(ctx context.Context, t *ledger.Table) (tableStream, error) {
	s := &chStream{recs: make(chan arrow.Record, 8), errs: make(chan error, chInserters)}
	for range chInserters {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			var in *chInsert
			var err error
			for rec := range s.recs {
				switch {
				case err != nil:
				case e.http != nil:
					err = e.http.insert(ctx, t, rec)
				default:
					if in == nil {
						in, err = e.newInsert(ctx, t)
					}
					if err == nil {
						if err = in.add(rec); err != nil {
							in.abort()
						}
					}
				}
				rec.Release()
				if err != nil && !s.failed.Swap(true) {
					s.errs <- err
				}
			}
			if err == nil && in != nil {
				if err = in.send(); err != nil && !s.failed.Swap(true) {
					s.errs <- err
				}
			}
		}()
	}
	return s, nil
}

// chInserters is how many INSERTs of one table run at once.
const chInserters = 2

type chStream struct {
	recs   chan arrow.Record
	errs   chan error
	wg     sync.WaitGroup
	failed atomic.Bool
}

func (s *chStream) write(rec arrow.Record) error {
	if s.failed.Load() {
		return s.firstErr()
	}
	rec.Retain() // released by the inserter once sent
	s.recs <- rec
	return nil
}

func (s *chStream) close() error {
	close(s.recs)
	s.wg.Wait()
	return s.firstErr()
}

func (s *chStream) firstErr() error {
	select {
	case err := <-s.errs:
		s.errs <- err // kept for the next caller
		return err
	default:
		return nil
	}
}

// migrateEngine: ClickHouse keeps no tables of its own. v5 marks every
// version of a scope that a later one replaced, as commits now do; v10
// writes the scope rows again with their counts and sums, and v11 and v12
// again where they lack a sum added since (the mediation amounts; the
// disputes' results, escalations, petitions and parties).
func (e *chEngine) migrateEngine(ctx context.Context, version int) error {
	switch version {
	case 5:
		cols := "scope, load_id, scope_key, ledger, version"
		return e.exec(ctx, "INSERT INTO scopes ("+cols+", superseded) SELECT "+cols+", 1 FROM scopes WHERE scope_key "+e.notIn()+
			" (SELECT argMax(scope_key, version) FROM scopes GROUP BY scope)")
	case 10, 11, 12, 13, 14:
		if err := e.scopesWithSums(ctx); err != nil {
			return err
		}
		// the counts scope_rows held are on the scope rows now
		return e.onShards(ctx, func(exec func(string) error, local string) error {
			if local != "" {
				if err := exec("DROP TABLE IF EXISTS " + ScopeRows.Name); err != nil {
					return err
				}
			}
			return exec("DROP TABLE IF EXISTS " + ScopeRows.Name + local)
		})
	}
	return nil
}

// scopesWithSums rebuilds scopes with the columns of schema v10, filled
// from the fact rows: 18.16 updates no row from another table, so the rows
// are copied into scopes_next with their sums joined on, which then takes
// the name (on a cluster, each shard's local table, and the Distributed
// table is made again over it). A rebuild that stopped half way starts
// again; scope rows that have every column of Scopes are left as they are,
// unless the table is not sorted as Scopes says (schema v14: then copied in
// that order; on a cluster the first shard's table is asked).
func (e *chEngine) scopesWithSums(ctx context.Context) error {
	missing, err := missingColumns(ctx, e, Scopes)
	if err != nil {
		return err
	}
	res, err := e.query(ctx, "SELECT sorting_key FROM system.tables WHERE database = currentDatabase() AND name = "+chQuote(Scopes.Name+e.localSuffix()))
	if err != nil {
		return err
	}
	sorted := len(res.Rows) == 1 && res.Rows[0][0] == strings.Join(Scopes.OrderBy, ", ")
	if len(missing) == 0 && sorted {
		return nil
	}
	next := *Scopes
	next.Name = Scopes.Name + "_next"
	if err := e.onShards(ctx, func(exec func(string) error, local string) error {
		if local != "" {
			if err := exec("DROP TABLE IF EXISTS " + next.Name); err != nil {
				return err
			}
		}
		return exec("DROP TABLE IF EXISTS " + next.Name + local)
	}); err != nil {
		return err
	}
	if err := e.ensureTable(ctx, &next); err != nil {
		return err
	}
	names := make([]string, len(Scopes.Columns))
	for i, c := range Scopes.Columns {
		names[i] = c.Name
	}
	sums := sumsFrom(e.dialect())
	return e.onShards(ctx, func(exec func(string) error, local string) error {
		// the sums read the whole warehouse's facts (Distributed on a cluster)
		insert := "INSERT INTO " + next.Name + local + " (" + strings.Join(names, ", ") + ") SELECT scope, load_id, scope_key, ledger, version, superseded, " + sums +
			" FROM " + Scopes.Name + local + " ANY LEFT JOIN (" + factSums(e.dialect(), "Int64") + ") USING scope_key"
		if len(missing) == 0 { // only the sort key changes (schema v14)
			insert = "INSERT INTO " + next.Name + local + " (" + strings.Join(names, ", ") + ") SELECT " + strings.Join(names, ", ") + " FROM " + Scopes.Name + local
		}
		for _, q := range []string{
			insert,
			"RENAME TABLE " + Scopes.Name + local + " TO " + Scopes.Name + "_old" + local + ", " + next.Name + local + " TO " + Scopes.Name + local,
			"DROP TABLE " + Scopes.Name + "_old" + local,
		} {
			if err := exec(q); err != nil {
				return err
			}
		}
		if local == "" {
			return nil
		}
		// the Distributed tables over the old names, made again over the new
		for _, q := range []string{"DROP TABLE IF EXISTS " + Scopes.Name, "DROP TABLE IF EXISTS " + next.Name,
			"CREATE TABLE " + Scopes.Name + " AS " + Scopes.Name + local + " ENGINE = Distributed(" + e.cluster + ", " + e.db + ", " + Scopes.Name + local + ", " + shardKey(Scopes) + ")"} {
			if err := exec(q); err != nil {
				return err
			}
		}
		return nil
	})
}

// onShards runs fn on each shard with its local tables' suffix ("_local"),
// or once on the server with "".
func (e *chEngine) onShards(ctx context.Context, fn func(exec func(string) error, local string) error) error {
	if e.cluster == "" {
		return fn(func(q string) error { return e.exec(ctx, q) }, "")
	}
	for i, s := range e.shards {
		if err := fn(func(q string) error { return s.Exec(ctx, q) }, "_local"); err != nil {
			return fmt.Errorf("分片 %d：%w", i+1, err)
		}
	}
	return nil
}

// A String column added to a MergeTree table reads "" in the existing rows.
func (e *chEngine) addedTextColumn() string { return "String" }

func (e *chEngine) addedIntColumn() string { return "Int64" }

// addColumn adds a column to a table (on a cluster to each shard's local
// table and to the Distributed table over them) unless it has it.
func (e *chEngine) addColumn(ctx context.Context, t *ledger.Table, name, typ string) error {
	add := func(exec func(string) error, table string) error {
		return exec("ALTER TABLE " + table + " ADD COLUMN " + name + " " + typ)
	}
	if e.cluster == "" {
		return add(func(q string) error { return e.exec(ctx, q) }, t.Name)
	}
	for _, s := range e.shards {
		exec := func(q string) error { return s.Exec(ctx, q) }
		if err := add(exec, t.Name+"_local"); err != nil {
			return err
		}
		if err := add(exec, t.Name); err != nil {
			return err
		}
	}
	return nil
}

// deleteRows is an asynchronous mutation on 18.16 (docs/engines.md): fine for
// rows no panel counts any more. On a cluster it runs on every shard's local table.
func (e *chEngine) deleteRows(ctx context.Context, table, cond string) error {
	if e.cluster == "" {
		return e.exec(ctx, "ALTER TABLE "+table+" DELETE WHERE "+cond)
	}
	for _, s := range e.shards {
		if err := s.Exec(ctx, "ALTER TABLE "+table+"_local DELETE WHERE "+cond); err != nil {
			return err
		}
	}
	return nil
}

func (e *chEngine) execLocal(ctx context.Context, build func(suffix string) string) error {
	if e.cluster == "" {
		return e.exec(ctx, build(""))
	}
	for i, s := range e.shards {
		if err := s.Exec(ctx, build("_local")); err != nil {
			return fmt.Errorf("分片 %d：%w", i+1, err)
		}
	}
	return nil
}

func (e *chEngine) backup(ctx context.Context, path string) error {
	return fmt.Errorf("ClickHouse 仓库请用 ClickHouse 自己的备份办法（如 clickhouse-backup 或复制分区）；sifa backup 备份的是内置仓库和原始文件归档")
}
