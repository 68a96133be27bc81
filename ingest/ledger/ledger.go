// Package ledger is the catalog of ledger types: for each type, in one file
// of its own, the canonical headers and the headers clerks write instead,
// the coded values, the signature that recognises it, how it relates to
// time, whether it registers persons or is sent every month, and the fact
// table it fills, each fact column naming the catalog column it is read
// from. Everything else (ingest, transform, the warehouse, the panels, the
// templates, the demo) reads ledger types from here; it imports nothing of
// sifa. docs/adding-a-ledger.md says how to add one.
package ledger

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Kind says how a ledger relates to time.
type Kind int

const (
	// Registry is the org registry: it defines the orgs other ledgers refer to.
	Registry Kind = iota
	// Event ledgers cover the dates in their rows (one row per dispute, visit…).
	Event
	// Snapshot ledgers describe the state on their 统计时点.
	Snapshot
	// Yearly ledgers hold one row per org, year and category (budget).
	Yearly
)

// Column is one canonical column of a ledger.
type Column struct {
	Name     string   // canonical header, as docs/ledgers.md lists it
	Aliases  []string // other headers clerks write for it
	Required bool
	Values   []string // allowed values of a coded column (a dropdown in templates)
	Money    bool     // an amount in 元 (or 万元 when the header or caption says so)
	Signed   bool     // an amount that may be below zero (an adjustment, written -300 or (300))
	Date     bool
	Int      bool
	Hint     string // a short instruction shown in templates
}

// Ledger describes one ledger type.
type Ledger struct {
	ID      string // stable identifier: mediation, legal_aid, …
	Name    string // 人民调解台账 …
	Kind    Kind
	Order   int // ingest order within a batch: the registry first
	Columns []Column
	// Signature columns must all be present for a header to be taken as this ledger.
	Signature []string
	// Persons marks a register of persons (one row a person, names and ID
	// numbers in the raw file): its rows and raw files go only to roles
	// that see individuals.
	Persons bool
	// Monthly marks a ledger every township office sends each month: a
	// month without it is a missing submission.
	Monthly bool
	// Fact is the warehouse table the ledger fills.
	Fact *Table
}

// Column returns the column with the canonical name, or nil.
func (l *Ledger) Column(name string) *Column {
	for i := range l.Columns {
		if l.Columns[i].Name == name {
			return &l.Columns[i]
		}
	}
	return nil
}

// Values are the coded values of a column (nil when it has none).
func (l *Ledger) Values(column string) []string {
	if c := l.Column(column); c != nil {
		return c.Values
	}
	return nil
}

// Ledgers lists every ledger type sifa accepts, in ingest order.
var Ledgers = []*Ledger{OrgRegistry, Mediation, LegalAid, Consultation, Corrections, Resettlement, Publicity, Roster, Budget, Site, Population}

// ByID returns the ledger with the id, or nil.
func ByID(id string) *Ledger {
	for _, l := range Ledgers {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// ByName accepts an id (mediation) or a Chinese name (人民调解台账, 人民调解).
func ByName(s string) *Ledger {
	s = strings.TrimSpace(s)
	for _, l := range Ledgers {
		if l.ID == s || l.Name == s || strings.TrimSuffix(l.Name, "台账") == s {
			return l
		}
	}
	return nil
}

// Facts are the tables filled from ledgers, in ledger order.
var Facts = func() []*Table {
	out := make([]*Table, len(Ledgers))
	for i, l := range Ledgers {
		out[i] = l.Fact
	}
	return out
}()

// FactFor returns the table a ledger fills.
func FactFor(id string) *Table {
	if l := ByID(id); l != nil {
		return l.Fact
	}
	return nil
}

// Monthly lists the ledgers every township office sends each month.
func Monthly() []*Ledger {
	var out []*Ledger
	for _, l := range Ledgers {
		if l.Monthly {
			out = append(out, l)
		}
	}
	return out
}

// IsPersons says whether the ledger with the id registers persons.
func IsPersons(id string) bool {
	l := ByID(id)
	return l != nil && l.Persons
}

// values shared by several ledgers
var (
	yesNo         = []string{"是", "否"}
	disputeTypes  = []string{"婚姻家庭", "邻里", "房屋宅基地", "合同", "生产经营", "损害赔偿", "山林土地", "征地拆迁", "环境污染", "劳动争议", "消费", "医疗", "道路交通事故", "物业", "其他"}
	genders       = []string{"男", "女"}
	townAliases   = []string{"乡镇(街道)", "所属乡镇", "司法所", "乡镇街道", "所属司法所", "乡(镇)"}
	villageAlias  = []string{"村(社区)名称", "村(居)", "村居", "村（居）", "村社区", "村"}
	snapshotAlias = []string{"统计日期", "截止日期", "截至日期"}
	idAliases     = []string{"身份证号码", "公民身份号码"}
)

func yn(name string) Column { return Column{Name: name, Values: yesNo} }

// ---- fact tables ----

// Type is a warehouse column type, mapped to each engine's own type by the warehouse.
type Type int

const (
	String Type = iota
	Int         // 64-bit integer; money is stored as Int in 分 (hundredths of 元)
	Float
	Date // nullable calendar date
	Time // timestamp (UTC)
	// Enum is a coded value from a fixed list (ENUM in DuckDB, Enum8 in
	// ClickHouse): much cheaper to store and compare than a string.
	Enum
)

// Read says how a fact column is filled from its catalog column.
type Read int

const (
	// Rule: the ledger's rule in transform fills it (derived, checked
	// against another column, keyed, or from the org registry).
	Rule  Read = iota
	Text       // the cell's text; a coded value checked against the column's values
	Count      // a whole number (人, 次, 份)
	Money      // 元 (or 万元) to 分
	Day        // a date
	YesNo      // 是/否 to 1/0
)

// Col is one column of a warehouse table.
type Col struct {
	Name   string
	Type   Type
	Values []string // Enum: the allowed values; "" (not filled) is always allowed
	// LowCard marks a String with few distinct values (codes, names):
	// DuckDB is told to dictionary-compress it instead of analysing it.
	LowCard bool
	// From is the catalog column the value comes from ("" = derived), and
	// Read how: every column with a Read other than Rule is filled by
	// transform's one generic loop.
	From string
	Read Read
}

// Table describes a warehouse table: facts carry their scope and load.
type Table struct {
	Name    string
	Ledger  string // the ledger id that fills it; empty for the store's own tables
	Columns []Col
	// OrderBy is the sort key (ClickHouse) and the order rows are kept in.
	OrderBy []string
}

// Arrow returns the table's Arrow schema.
func (t *Table) Arrow() *arrow.Schema {
	fs := make([]arrow.Field, len(t.Columns))
	for i, c := range t.Columns {
		var dt arrow.DataType
		switch c.Type {
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
		fs[i] = arrow.Field{Name: c.Name, Type: dt, Nullable: c.Type == Date}
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

// Has says whether the table has a column.
func (t *Table) Has(name string) bool { return t.Index(name) >= 0 }

// Column constructors for tables: S, LC, I, D, F, T a plain column of a
// type (LC: a String of few values); the others read a catalog column.
func S(n string) Col  { return Col{Name: n, Type: String} }
func LC(n string) Col { return Col{Name: n, Type: String, LowCard: true} }
func I(n string) Col  { return Col{Name: n, Type: Int} }
func D(n string) Col  { return Col{Name: n, Type: Date} }
func F(n string) Col  { return Col{Name: n, Type: Float} }
func T(n string) Col  { return Col{Name: n, Type: Time} }

// EnumOf is an Enum column of fixed values ("" is always allowed).
func EnumOf(n string, values ...string) Col {
	return Col{Name: n, Type: Enum, Values: append([]string{""}, values...)}
}

// text reads a catalog column as text, code a coded column into an Enum of
// its values; count, money, day and yesno as their names say.
func text(n, from string) Col  { return Col{Name: n, Type: String, From: from, Read: Text} }
func code(n, from string) Col  { return Col{Name: n, Type: Enum, From: from, Read: Text} }
func count(n, from string) Col { return Col{Name: n, Type: Int, From: from, Read: Count} }
func money(n, from string) Col { return Col{Name: n, Type: Int, From: from, Read: Money} }
func day(n, from string) Col   { return Col{Name: n, Type: Date, From: from, Read: Day} }
func yesno(n, from string) Col { return Col{Name: n, Type: Int, From: from, Read: YesNo} }

// byRule marks a column the ledger's rule fills from a catalog column (an
// Enum takes that column's values).
func byRule(c Col, from string) Col { c.From, c.Read = from, Rule; return c }

// Enum is a column whose values are filled from its catalog column.
func enum(n string) Col { return Col{Name: n, Type: Enum} }

// scopeCols open every fact table: which load wrote the row and which
// scope (ledger, org, period) it belongs to. period is the month
// ("2014-03") of an event ledger's row, the snapshot date ("2014-12-31") of
// a snapshot ledger's, the year of a budget line. A row counts only while its
// scope points at its load: scope_key is ScopeKey(scope, load_id), and the
// scopes table holds the scope_key of each scope's current load. One 64-bit
// key per row is much cheaper to load and compare than the two strings.
var scopeCols = []Col{LC("load_id"), I("scope_key"), LC("scope_org"), LC("period"), I("src_row"),
	LC("county_code"), LC("county_name"), LC("town_code"), LC("town_name")}

// villageCols are the village a row names (from 村(社区), by the rule).
var villageCols = []Col{byRule(LC("village_code"), "村(社区)"), byRule(LC("village_name"), "村(社区)")}

// personCols are what a person's ID number yields: never the number or the name.
var personCols = []Col{byRule(S("person_key"), "身份证号"), byRule(enum("gender"), "性别"), byRule(D("birth"), "出生日期"), I("age")}

// fact makes the fact table of a ledger. Its ClickHouse sort key starts
// with the county, so that a county's rows are found by the primary index,
// and goes on in the order a load writes its rows (load, source row): a
// block a load sends is then already sorted, and the server skips sorting
// it (about a fifth of its work on an insert; sorting by township and
// period cost 35 ms per 200,000 rows). An Enum read from a coded catalog
// column takes its values; a column naming a catalog column the ledger
// lacks panics when the program starts (and so in every test), never in
// the middle of a load.
func fact(l *Ledger, name string, cols ...Col) *Table {
	all := append(append([]Col{}, scopeCols...), cols...)
	for k, c := range all {
		if c.From == "" {
			continue
		}
		src := l.Column(c.From)
		if src == nil {
			panic("ledger " + l.ID + ": fact column " + c.Name + " reads 「" + c.From + "」, a column the ledger does not have")
		}
		if c.Type == Enum && c.Values == nil {
			if len(src.Values) == 0 {
				panic("ledger " + l.ID + ": fact column " + c.Name + " is coded but 「" + c.From + "」 has no values")
			}
			all[k].Values = append([]string{""}, src.Values...)
		}
	}
	l.Fact = &Table{Name: name, Ledger: l.ID, Columns: all, OrderBy: []string{"county_code", "load_id", "src_row"}}
	return l.Fact
}
