package warehouse

// Dialect is the SQL that differs between the engines, as a value of pure
// functions (the habit of Rill's drivers.Dialect): the panels write their
// SQL once through it. It holds no connection; each engine gives its own
// (dialect() in duckdb.go and clickhouse*.go), and the warehouse hands it out.
type Dialect struct {
	name          string
	in            string
	currentScopes string
	quote         func(string) string
	dateLit       func(string) string
}

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
	return "scope_key " + d.in + " (" + d.currentScopes + ")"
}

// Dialect is this warehouse's SQL dialect.
func (w *Warehouse) Dialect() Dialect { return w.eng.dialect() }
