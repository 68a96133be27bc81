// Package transform validates and normalises the text cells ingest reads,
// conforms org names to registry codes, derives what panels need (age,
// person_key, month) and splits accepted rows, as typed Arrow records of the
// warehouse's fact tables, from rejected rows with their reasons.
package transform

import (
	"hash/fnv"

	"github.com/apache/arrow-go/v18/arrow"

	"sifa/ingest"
)

// Kind is a warehouse column type, mapped to each engine's own type by the warehouse.
type Kind int

const (
	String Kind = iota
	Int         // 64-bit integer; money is stored as Int in 分 (hundredths of 元)
	Float
	Date // nullable calendar date
	Time // timestamp (UTC)
	// Enum is a coded value from a fixed list (ENUM in DuckDB, Enum8 in
	// ClickHouse): much cheaper to store and compare than a string.
	Enum
)

// Col is one column of a warehouse table.
type Col struct {
	Name   string
	Kind   Kind
	Values []string // Enum: the allowed values; "" (not filled) is always allowed
	// LowCard marks a String with few distinct values (codes, names):
	// DuckDB is told to dictionary-compress it instead of analysing it.
	LowCard bool
}

// Table describes a warehouse table: facts carry their scope and load.
type Table struct {
	Name    string
	Ledger  string // the ledger id that fills it; empty for bookkeeping tables
	Columns []Col
	// PartitionBy names a column for partitioning/ordering hints (a String period or year).
	OrderBy []string
}

// Arrow returns the table's Arrow schema.
func (t *Table) Arrow() *arrow.Schema {
	fs := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		var dt arrow.DataType
		switch c.Kind {
		case String, Enum:
			dt = arrow.BinaryTypes.String
		case Int:
			dt = arrow.PrimitiveTypes.Int64
		case Float:
			dt = arrow.PrimitiveTypes.Float64
		case Date:
			dt = arrow.FixedWidthTypes.Date32
		case Time:
			dt = arrow.FixedWidthTypes.Timestamp_s
		}
		fs[i] = arrow.Field{Name: c.Name, Type: dt, Nullable: c.Kind == Date}
	}
	return arrow.NewSchema(fs, nil)
}

// Index returns the position of a column, or -1.
func (t *Table) Index(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func s(n string) Col  { return Col{Name: n, Kind: String} }
func lc(n string) Col { return Col{Name: n, Kind: String, LowCard: true} }
func i(n string) Col  { return Col{Name: n, Kind: Int} }
func d(n string) Col  { return Col{Name: n, Kind: Date} }

// e is an Enum column whose values are those of a ledger's coded column.
func e(n, ledger, column string) Col {
	return enum(n, ingest.LedgerByID(ledger).Column(column).Values...)
}

func enum(n string, values ...string) Col {
	return Col{Name: n, Kind: Enum, Values: append([]string{""}, values...)}
}

// scopeCols open every fact table: which load wrote the row and which
// scope (ledger, org, period) it belongs to. period is the month
// ("2014-03") of an event ledger's row, the snapshot date ("2014-12-31") of
// a snapshot ledger's, the year of a budget line. A row counts only while its
// scope points at its load: scope_key is ScopeKey(scope, load_id), and the
// scopes table holds the scope_key of each scope's current load. One 64-bit
// key per row is much cheaper to load and compare than the two strings.
var scopeCols = []Col{lc("load_id"), i("scope_key"), lc("scope_org"), lc("period"), i("src_row"),
	lc("county_code"), lc("county_name"), lc("town_code"), lc("town_name")}

// fact is a fact table. Its ClickHouse sort key starts with the county, so
// that a county's rows are found by the primary index, and goes on in the
// order a load writes its rows (load, source row): a block a load sends is
// then already sorted, and the server skips sorting it (about a fifth of its
// work on an insert; sorting by township and period cost 35 ms per 200,000
// rows).
func fact(name, ledger string, cols ...Col) *Table {
	all := append(append([]Col{}, scopeCols...), cols...)
	return &Table{Name: name, Ledger: ledger, Columns: all, OrderBy: []string{"county_code", "load_id", "src_row"}}
}

var personCols = []Col{s("person_key"), enum("gender", "男", "女"), d("birth"), i("age")}

// The warehouse tables.
var (
	DimOrg = fact("dim_org", "registry", s("code"), s("name"), e("level", "registry", "层级"), s("parent_code"), s("aliases"))

	FactDispute = fact("fact_dispute", "mediation",
		lc("village_code"), lc("village_name"), s("case_no"), d("received"), i("year"),
		e("org_type", "mediation", "调解组织类型"), e("dispute_type", "mediation", "纠纷类型"), i("parties"), i("amount_fen"),
		e("result", "mediation", "调解结果"), d("closed"), e("agreement", "mediation", "协议形式"),
		e("prevented_type", "mediation", "防止激化类型"), i("prevented_persons"), i("petition"), s("mediator_key"))

	FactLegalAid = fact("fact_legal_aid", "legal_aid",
		s("case_no"), d("applied"), i("year"), e("case_type", "legal_aid", "案件类别"),
		e("aided_group", "legal_aid", "受援人类别"), e("decision", "legal_aid", "审查决定"),
		d("decided"), d("closed"), i("recovered_fen"), i("subsidy_fen"))

	FactConsultation = fact("fact_consultation", "consultation",
		d("day"), i("year"), e("channel", "consultation", "咨询方式"), e("category", "consultation", "咨询类别"),
		i("visits"), e("referral", "consultation", "引导服务"))

	FactPublicity = fact("fact_publicity", "publicity",
		lc("village_code"), lc("village_name"), d("day"), i("year"), e("form", "publicity", "活动形式"), s("theme"),
		i("participants"), i("materials"))

	FactCorrections = fact("fact_corrections", "corrections", append(append([]Col{d("snapshot")}, personCols...),
		s("case_no"), e("category", "corrections", "矫正类别"), d("started"), d("ended"),
		e("supervision", "corrections", "管理等级"), e("status", "corrections", "状态"), i("lost_contact"),
		i("reoffended"), i("group_education"), i("individual_education"), i("service_hours"))...)

	FactResettlement = fact("fact_resettlement", "resettlement", append(append([]Col{d("snapshot")}, personCols...),
		s("case_no"), d("released"), e("release_type", "resettlement", "释放类别"), e("handover", "resettlement", "衔接方式"),
		e("placement", "resettlement", "安置情况"), i("mentoring"), i("reoffended"))...)

	FactStaff = fact("fact_staff", "roster", append(append([]Col{d("snapshot")}, personCols...),
		enum("org_level", "县", "乡镇"), e("post", "roster", "职务"), e("staff_type", "roster", "人员类别"),
		e("establishment", "roster", "编制类型"), e("education", "roster", "学历"), s("major"),
		i("law_major"), i("computer"), e("rank", "roster", "职级待遇"), d("work_start"), e("status", "roster", "在岗状态"))...)

	FactBudget = fact("fact_budget", "budget",
		i("year"), enum("org_level", "县", "乡镇"), e("category", "budget", "经费类别"), i("standard_fen"), i("standard_given"), i("budget_fen"),
		i("allocated_fen"), i("actual_fen"), s("basis"))

	FactSite = fact("fact_site", "site",
		d("snapshot"), s("site_name"), e("level", "site", "层级"), lc("village_code"), lc("village_name"), s("host"),
		d("established"), d("standardized"),
		i("has_staff"), i("has_premises"), i("has_facilities"), i("has_sign"), i("has_rules"), i("has_ledger"),
		i("shows_staff"), i("shows_services"), i("shows_process"), i("shows_pledge"), i("shows_oversight"))

	// DimTarget holds the build-out targets (DESIGN.md), written from the configuration.
	DimTarget = &Table{Name: "dim_target", Columns: []Col{s("level"), i("year"), {Name: "established_rate", Kind: Float}, {Name: "standardized_rate", Kind: Float}, i("version")}, OrderBy: []string{"level", "year"}}

	// Loads records every file loaded: the commit point of a load.
	Loads = &Table{Name: "loads", Columns: []Col{s("load_id"), s("file"), s("sheet"), s("sha256"), s("ledger"),
		s("orgs"), s("periods"), i("rows_accepted"), i("rows_rejected"), {Name: "loaded_at", Kind: Time}}, OrderBy: []string{"load_id"}}

	// Rejects keeps every rejected row with its reason.
	Rejects = &Table{Name: "rejects", Columns: []Col{s("load_id"), s("file"), s("sheet"), i("src_row"), s("column_name"),
		s("cell_value"), s("reason"), s("ledger")}, OrderBy: []string{"load_id", "src_row"}}

	// Jobs is the history of scheduled runs (one row a run).
	Jobs = &Table{Name: "jobs", Columns: []Col{s("run_id"), s("job"), {Name: "started", Kind: Time}, {Name: "ended", Kind: Time},
		i("files"), i("rows_accepted"), i("rows_rejected"), i("files_failed"), s("result"), s("error"), i("seq")}, OrderBy: []string{"seq"}}

	// Accounts holds the sign-in accounts as versioned rows: the newest
	// version of a name is the account (ClickHouse updates are
	// asynchronous, so an account is never updated in place).
	Accounts = &Table{Name: "accounts", Columns: []Col{s("name"), s("display_name"), s("role"), s("org"), s("pw_hash"),
		i("disabled"), i("version"), s("changed_by"), {Name: "changed_at", Kind: Time}}, OrderBy: []string{"name", "version"}}

	// Audit records who did what, when and from where.
	Audit = &Table{Name: "audit", Columns: []Col{{Name: "happened_at", Kind: Time}, i("seq"), s("user_name"), s("role"), s("action"),
		s("target"), s("detail"), s("remote"), s("result")}, OrderBy: []string{"seq"}}

	// Scopes points each scope (ledger|org|period) at the load whose rows count for it.
	Scopes = &Table{Name: "scopes", Columns: []Col{s("scope"), s("load_id"), i("scope_key"), s("ledger"),
		i("version")}, OrderBy: []string{"scope"}}
)

// Facts are the tables filled from ledgers, in ledger order.
var Facts = []*Table{DimOrg, FactDispute, FactLegalAid, FactConsultation, FactCorrections, FactResettlement,
	FactPublicity, FactStaff, FactBudget, FactSite}

// Tables are all warehouse tables.
var Tables = append(append([]*Table{}, Facts...), DimTarget, Loads, Rejects, Scopes, Jobs, Accounts, Audit)

// ScopeKey identifies a scope (ledger|org|period) as written by one load.
func ScopeKey(scope, loadID string) int64 {
	h := fnv.New64a()
	h.Write([]byte(scope))
	h.Write([]byte{'@'})
	h.Write([]byte(loadID))
	return int64(h.Sum64())
}

// FactFor returns the table a ledger fills.
func FactFor(ledger string) *Table {
	for _, t := range Facts {
		if t.Ledger == ledger {
			return t
		}
	}
	return nil
}
