package warehouse

import "sifa/ingest/ledger"

// The store's own tables, beside the fact tables the ledger catalog
// declares (ingest/ledger): the targets, the record of loads and rejects,
// the scope pointers that make a load visible, the job history, accounts
// and the audit log.
var (
	// DimTarget holds the build-out targets (docs/design.md), versioned: the defaults on a new
	// warehouse, then each change an administrator saves on /admin/targets.
	DimTarget = &ledger.Table{Name: "dim_target", Columns: []ledger.Col{ledger.S("level"), ledger.I("year"), {Name: "established_rate", Type: ledger.Float}, {Name: "standardized_rate", Type: ledger.Float}, ledger.I("version")}, OrderBy: []string{"level", "year"}}

	// DimMap holds each county's township boundaries (GeoJSON, as checked
	// and rewritten by the site), versioned: the newest version of a county is its map.
	DimMap = &ledger.Table{Name: "dim_map", Columns: []ledger.Col{ledger.S("county"), ledger.S("geojson"), ledger.I("features"), ledger.I("version"),
		ledger.S("changed_by"), {Name: "changed_at", Type: ledger.Time}}, OrderBy: []string{"county", "version"}}

	// Loads records every file loaded: the commit point of a load.
	Loads = &ledger.Table{Name: "loads", Columns: []ledger.Col{ledger.S("load_id"), ledger.S("file"), ledger.S("sheet"), ledger.S("sha256"), ledger.S("ledger"),
		ledger.S("orgs"), ledger.S("periods"), ledger.I("rows_accepted"), ledger.I("rows_rejected"), {Name: "loaded_at", Type: ledger.Time}}, OrderBy: []string{"load_id"}}

	// Rejects keeps every rejected row with its reason.
	Rejects = &ledger.Table{Name: "rejects", Columns: []ledger.Col{ledger.S("load_id"), ledger.S("file"), ledger.S("sheet"), ledger.I("src_row"), ledger.S("column_name"),
		ledger.S("cell_value"), ledger.S("reason"), ledger.S("ledger")}, OrderBy: []string{"load_id", "src_row"}}

	// Jobs is the history of scheduled runs (one row a run).
	Jobs = &ledger.Table{Name: "jobs", Columns: []ledger.Col{ledger.S("run_id"), ledger.S("job"), {Name: "started", Type: ledger.Time}, {Name: "ended", Type: ledger.Time},
		ledger.I("files"), ledger.I("rows_accepted"), ledger.I("rows_rejected"), ledger.I("files_failed"), ledger.S("result"), ledger.S("error"), ledger.I("seq")}, OrderBy: []string{"seq"}}

	// Accounts holds the sign-in accounts as versioned rows: the newest
	// version of a name is the account (ClickHouse updates are
	// asynchronous, so an account is never updated in place).
	Accounts = &ledger.Table{Name: "accounts", Columns: []ledger.Col{ledger.S("name"), ledger.S("display_name"), ledger.S("role"), ledger.S("org"), ledger.S("pw_hash"),
		ledger.I("disabled"), ledger.I("version"), ledger.S("changed_by"), {Name: "changed_at", Type: ledger.Time}}, OrderBy: []string{"name", "version"}}

	// Audit records who did what, when and from where.
	Audit = &ledger.Table{Name: "audit", Columns: []ledger.Col{{Name: "happened_at", Type: ledger.Time}, ledger.I("seq"), ledger.S("user_name"), ledger.S("role"), ledger.S("action"),
		ledger.S("target"), ledger.S("detail"), ledger.S("remote"), ledger.S("result")}, OrderBy: []string{"seq"}}

	// Scopes points each scope (ledger|org|period) at the load whose rows
	// count for it. A commit that replaces a scope also writes, in the same
	// block, a row with superseded = 1 naming the scope_key it replaces:
	// the current keys are then the rows with superseded = 0 that no such row
	// names, which ClickHouse finds without grouping every scope (Commit).
	//
	// A scope's row also carries what its rows add up to (scope_org and
	// period, the rows, and the sums of ScopeSums), written in the same
	// block: a panel that wants a ledger's totals per office, month or year
	// reads the current scope rows and nothing else (sums.go).
	Scopes = &ledger.Table{Name: "scopes", Columns: append([]ledger.Col{ledger.S("scope"), ledger.S("load_id"), ledger.I("scope_key"), ledger.S("ledger"),
		ledger.I("version"), ledger.I("superseded"), ledger.S("scope_org"), ledger.S("period"), ledger.I("rows")}, sumColumns()...), OrderBy: []string{"ledger", "period", "scope"}}

	// CaseRepeats holds every row of a mediation case (township, 编号) that
	// more than one load sent: found by the commit of the later load
	// (repeats.go), each row keyed by its scope like a fact row, so a row
	// counts while its load is current. quality.offices reads it instead of
	// grouping a year of a province's million disputes by case (schema v13).
	CaseRepeats = &ledger.Table{Name: "case_repeats", Columns: []ledger.Col{ledger.S("county_code"), ledger.S("town_code"), ledger.S("case_no"),
		ledger.I("scope_key"), ledger.S("load_id"), ledger.S("period")}, OrderBy: []string{"county_code", "town_code", "case_no"}}

	// ScopeRows was how many fact rows each load wrote into each scope
	// (schema v9); since v10 the scope rows carry their counts (Scopes), and
	// the table is only made and dropped by the migrations.
	ScopeRows = &ledger.Table{Name: "scope_rows", Columns: []ledger.Col{ledger.I("scope_key"), ledger.S("load_id"), ledger.S("ledger"), ledger.S("scope_org"),
		ledger.S("period"), ledger.I("rows")}, OrderBy: []string{"ledger", "scope_org", "period"}}
)

// ZeroReportSheet is the sheet name a 零上报's load is recorded under (loads.sheet):
// the loader writes it, the panels that count declared months read it.
const ZeroReportSheet = "零上报"

// Tables are all warehouse tables: the facts, then the store's own.
var Tables = append(append([]*ledger.Table{}, ledger.Facts...), DimTarget, DimMap, Loads, Rejects, Scopes, CaseRepeats, Jobs, Accounts, Audit, Notices, Deliveries, NoticePrefs)
