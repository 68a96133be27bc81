package transform

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"sifa/ingest"
	"sifa/ingest/ledger"
)

// Reject is one problem with one cell of a row; a row with any is not loaded.
type Reject struct {
	File, Sheet string
	Row         int
	Column      string // canonical header
	Letter      string // the column's letter in the sheet
	Value       string // as written (ID numbers masked)
	Reason      string
	Ledger      string
}

func (r Reject) Error() string {
	loc := fmt.Sprintf("文件「%s」", r.File)
	if r.Sheet != "" {
		loc += "工作表「" + r.Sheet + "」"
	}
	loc += fmt.Sprintf("第%d行", r.Row)
	if r.Letter != "" {
		loc += r.Letter + "列"
	}
	if r.Column != "" {
		loc += "「" + r.Column + "」"
	}
	if r.Value != "" {
		return fmt.Sprintf("%s：填的是「%s」，%s", loc, r.Value, r.Reason)
	}
	return loc + "：" + r.Reason
}

// Config carries what transform needs from the configuration.
type Config struct {
	Secret []byte    // the key of person_key; lives in the configuration only
	Now    time.Time // dates after it are rejected; zero = time.Now()
	// Within is the org the uploader may send data for (empty: any); its
	// county settles a township name that several counties share.
	Within string
}

// Converter turns one ingested table's records into fact records.
type Converter struct {
	tbl        *ingest.Table
	Fact       *ledger.Table
	generic    []genericCol // the fact columns the generic loop fills
	reg        *Registry
	cfg        Config
	loadID     string
	countyHint string
	snapshot   time.Time
	idx        *nameIndex                // source column → index in the ingested record
	out        *nameIndex                // fact column → index in the fact table
	specs      map[string]*ledger.Column // canonical column → its definition
	specIdx    *nameIndex                // canonical column → index in specList
	specList   []*ledger.Column
	codes      map[string]map[string]string // coded column → written form → canonical value
	orgs       map[orgKey]orgHit            // what a name conformed to, per levels
	villages   map[[2]string]orgHit         // town code and village name → village
	scopeKeys  map[[2]string]scopeHit       // scope org and period → scope, key
	months     map[int]string               // year*100+month → "2006-01"
	dates      map[string]dateHit           // a date as written → as read
	latest     time.Time                    // the latest date a cell may hold: tomorrow
	mediators  map[[2]string]string         // mediator and township as written → mediator_key
	dataHint   []int                        // bytes per row each text column held in the last record
	at         factColumns                  // where the columns every fact table has are
	codeOf     []map[string]string          // per entry of specList: written form → canonical value (coded columns)

	Scopes map[string]bool // scopes written (ledger|org|period)
	// ScopeRows counts the rows accepted per scope (what a load replaces is said per scope)
	ScopeRows map[string]int
	Orgs      map[string]bool
	Periods   map[string]bool
	Accepted  int
	Rejected  int
	// Notes counts the cells loaded with a note for the reader of the report.
	Notes Notes
}

// Notes are cells that loaded, not as plainly as written: the file's report says how many.
type Notes struct {
	Approximate int `json:"approximate,omitempty"` // counts written 约10人, 5余人, 10多人: loaded as 10, 5, 10
	MonthOnly   int `json:"month_only,omitempty"`  // dates of an event with a month only (2015年3月): loaded as that month
	WanInYuan   int `json:"wan_in_yuan,omitempty"` // amounts written in 万 in a 元 column (1.25万元): loaded as 12,500 元
}

// Add counts another table's (or converter's) notes in.
func (n *Notes) Add(o Notes) {
	n.Approximate += o.Approximate
	n.MonthOnly += o.MonthOnly
	n.WanInYuan += o.WanInYuan
}

// Any says whether there is a note.
func (n Notes) Any() bool { return n != Notes{} }

// Text says the notes in a clerk's words ("" when none).
func (n Notes) Text() string {
	var parts []string
	if n.Approximate > 0 {
		parts = append(parts, fmt.Sprintf("%d 处人数是约数（如“约10人”“5余人”），按写的数字载入", n.Approximate))
	}
	if n.MonthOnly > 0 {
		parts = append(parts, fmt.Sprintf("%d 个日期只写了年月（如“2015年3月”），记在那个月", n.MonthOnly))
	}
	if n.WanInYuan > 0 {
		parts = append(parts, fmt.Sprintf("%d 个金额写的是万元（如“1.25万元”），已换算成元", n.WanInYuan))
	}
	return strings.Join(parts, "；")
}

// NewConverter checks a table's columns and title and prepares its conversion.
func NewConverter(t *ingest.Table, reg *Registry, cfg Config, loadID string) (*Converter, error) {
	if cfg.Now.IsZero() {
		cfg.Now = time.Now()
	}
	fe := func(reason string) error { return &ingest.FileError{File: t.File, Sheet: t.Sheet, Reason: reason} }
	var missing []string
	for _, c := range t.Ledger.Columns {
		if c.Required && t.Letters[c.Name] == "" {
			missing = append(missing, "「"+c.Name+"」")
		}
	}
	if len(missing) > 0 {
		return nil, fe(t.Ledger.Name + "缺少必填的列：" + strings.Join(missing, "、") + "（表头在第" + strconv.Itoa(t.HeaderRow) + "行）")
	}
	c := &Converter{tbl: t, Fact: ledger.FactFor(t.Ledger.ID), reg: reg, cfg: cfg, loadID: loadID,
		Scopes: map[string]bool{}, ScopeRows: map[string]int{}, Orgs: map[string]bool{}, Periods: map[string]bool{}}
	idx := map[string]int{}
	for k, f := range t.Schema.Fields() {
		idx[f.Name] = k
	}
	c.idx = newNameIndex(idx)
	out := map[string]int{}
	for k, col := range c.Fact.Columns {
		out[col.Name] = k
	}
	c.out = newNameIndex(out)
	c.locate()
	c.specs = map[string]*ledger.Column{}
	c.codes = map[string]map[string]string{}
	specIdx := map[string]int{}
	for k := range t.Ledger.Columns {
		col := &t.Ledger.Columns[k]
		c.specs[col.Name] = col
		specIdx[col.Name] = len(c.specList)
		c.specList = append(c.specList, col)
		var forms map[string]string
		if len(col.Values) > 0 {
			forms = codeForms(col.Values)
			c.codes[col.Name] = forms
		}
		c.codeOf = append(c.codeOf, forms)
	}
	c.specIdx = newNameIndex(specIdx)
	for k, col := range c.Fact.Columns {
		if col.From != "" && col.Read != ledger.Rule {
			c.generic = append(c.generic, genericCol{at: k, from: col.From, read: col.Read})
		}
	}
	c.orgs = map[orgKey]orgHit{}
	c.villages = map[[2]string]orgHit{}
	c.scopeKeys = map[[2]string]scopeHit{}
	c.months = map[int]string{}
	c.dates = map[string]dateHit{}
	c.latest = cfg.Now.AddDate(0, 0, 1)
	c.mediators = map[[2]string]string{}
	if reg != nil {
		c.countyHint = countyOfFile(t, reg, cfg.Within)
	}
	if t.Snapshot != "" {
		d, _, err := ParseDateIn(t.Snapshot, t.Date1904)
		if err != nil || d.IsZero() {
			return nil, fe("标题里的统计时点「" + t.Snapshot + "」不是有效日期")
		}
		c.snapshot = d
	}
	if t.Ledger.Kind == ledger.Snapshot && c.snapshot.IsZero() && t.Letters["统计时点"] == "" {
		return nil, fe(t.Ledger.Name + "没有统计时点：请在标题下写一行“统计时点：2014年12月31日”，或加一列「统计时点」")
	}
	return c, nil
}

// countyOfFile is the county a file's township names are read in when a
// name alone is shared by several counties of a city or province (every
// county may have its 城关镇): the uploader's own county, else the county
// of the 填报单位 its title names, else the one county its file name names
// ("龙庆县_人民调解台账_2016.xls"). Empty when none says.
func countyOfFile(t *ingest.Table, reg *Registry, within string) string {
	if o := reg.Org(within); o != nil && o.CountyCode != "" {
		return o.CountyCode
	}
	if t.Reporter != "" {
		if o, err := reg.Find(t.Reporter, "", LevelCounty, LevelTown); err == nil {
			return o.CountyCode
		}
	}
	if o := reg.CountyNamedIn(t.File); o != nil {
		return o.Code
	}
	return ""
}

// genericCol is a fact column the generic loop fills from its catalog column.
type genericCol struct {
	at   int
	from string
	read ledger.Read
}

// generic fills every fact column the catalog binds to a column of the
// ledger, as the catalog says to read it; the ledger's rule has filled the rest.
func (r *row) generic() {
	for _, g := range r.c.generic {
		switch g.read {
		case ledger.Text:
			r.strs[g.at] = r.str(g.from)
		case ledger.Count:
			r.ints[g.at] = r.count(g.from)
		case ledger.Money:
			r.ints[g.at] = r.money(g.from)
		case ledger.YesNo:
			r.ints[g.at] = r.yes(g.from)
		case ledger.Day:
			t, _ := r.date(g.from)
			r.dates[g.at] = t
		}
	}
}

// row reads one source row and collects its problems. Values are kept in
// typed slots, so that set's interface argument does not escape and costs
// no allocation.
type row struct {
	c       *Converter
	rec     arrow.Record
	i       int
	num     int
	rejects []Reject
	scope   string
	tally   *scopeTally // the scope's count in the record, or nil (see scopeHit)
	strs    []string
	ints    []int64
	dates   []time.Time     // zero = NULL
	cols    []*array.String // the source record's text columns, by their index
}

func newRow(c *Converter, rec arrow.Record) *row {
	n := len(c.Fact.Columns)
	r := &row{c: c, rec: rec, strs: make([]string, n), ints: make([]int64, n), dates: make([]time.Time, n),
		cols: make([]*array.String, rec.NumCols())}
	for k := range r.cols {
		r.cols[k], _ = rec.Column(k).(*array.String)
	}
	return r
}

func (r *row) reset() {
	clear(r.strs)
	clear(r.ints)
	clear(r.dates)
	r.scope, r.tally = "", nil
	r.rejects = r.rejects[:0]
}

func (r *row) raw(col string) string {
	k, ok := r.c.idx.get(col)
	if !ok {
		return ""
	}
	return r.cols[k].Value(r.i)
}

func (r *row) fail(col, value, reason string) {
	r.rejects = append(r.rejects, Reject{File: r.c.tbl.File, Sheet: r.c.tbl.Sheet, Row: r.num, Column: col,
		Letter: r.c.tbl.Letters[col], Value: value, Reason: reason, Ledger: r.c.tbl.Ledger.ID})
}

func (r *row) spec(col string) *ledger.Column {
	if k, ok := r.c.specIdx.get(col); ok {
		return r.c.specList[k]
	}
	return nil
}

// factColumns are the positions of the columns every fact table has.
type factColumns struct {
	loadID, srcRow, scopeKey, scopeOrg, period int
	countyCode, countyName, townCode, townName int
}

func (c *Converter) locate() {
	get := func(name string) int {
		if k, ok := c.out.get(name); ok {
			return k
		}
		return -1 // the registry's table: it is converted by ConvertRegistry
	}
	c.at = factColumns{loadID: get("load_id"), srcRow: get("src_row"), scopeKey: get("scope_key"), scopeOrg: get("scope_org"), period: get("period"),
		countyCode: get("county_code"), countyName: get("county_name"), townCode: get("town_code"), townName: get("town_name")}
}

type orgHit struct {
	org *Org
	err error
}

type orgKey struct {
	name   string
	levels int // a bit per level
}

type dateHit struct {
	t         time.Time
	monthOnly bool
	err       error
}

type scopeHit struct {
	scope string
	key   int64
	tally *scopeTally
}

// scopeTally counts a scope's accepted rows in the record being converted:
// through its cached hit, not by hashing the scope per row; Convert adds
// the tallies to Scopes and ScopeRows once a record.
type scopeTally struct {
	scope string
	n     int
}

var levelBits = map[string]int{LevelCounty: 1, LevelTown: 2, LevelVillage: 4}

// cacheLimit bounds each per-file lookup cache.
const cacheLimit = 100000

func (r *row) missing(col string) { r.fail(col, "", "这一项必须填写，不能空着") }

// str reads a text or coded column.
func (r *row) str(col string) string {
	v := clean(r.raw(col))
	var sp *ledger.Column
	var forms map[string]string
	if k, ok := r.c.specIdx.get(col); ok {
		sp, forms = r.c.specList[k], r.c.codeOf[k]
	}
	if v == "" {
		if sp != nil && sp.Required {
			r.missing(col)
		}
		return ""
	}
	if sp != nil && len(sp.Values) > 0 {
		cv, ok := forms[v]
		if !ok {
			cv, ok = ParseCoded(v, sp.Values)
		}
		if !ok {
			r.fail(col, v, "不在可选范围内，应是："+strings.Join(sp.Values, "、"))
			return ""
		}
		return cv
	}
	return v
}

func (r *row) date(col string) (time.Time, bool) {
	v := r.raw(col)
	// a county's year of disputes has a few hundred distinct dates, and a
	// date written 2014年3月5日 takes the regular expressions microseconds
	hit, ok := r.c.dates[v]
	if !ok {
		hit.t, hit.monthOnly, hit.err = ParseDateIn(v, r.c.tbl.Date1904)
		if len(r.c.dates) < cacheLimit {
			r.c.dates[strings.Clone(v)] = hit
		}
	}
	t, monthOnly, err := hit.t, hit.monthOnly, hit.err
	if monthOnly && err == nil && r.c.tbl.Ledger.Kind == ledger.Event {
		r.c.Notes.MonthOnly++
	}
	switch {
	case err != nil:
		r.fail(col, clean(v), "不是有效的日期，请写成 2014-03-05 或 2014年3月5日")
		return time.Time{}, false
	case t.IsZero():
		if sp := r.spec(col); sp != nil && sp.Required {
			r.missing(col)
		}
		return t, false
	case t.After(r.c.latest):
		r.fail(col, clean(v), "日期在今天之后，可能写错了年份")
		return time.Time{}, false
	}
	return t, true
}

// number reads a numeric column with its parser; an empty required cell is a reject.
func (r *row) number(col string, parse func(string) (int64, error)) int64 {
	v := r.raw(col)
	n, err := parse(v)
	if err != nil {
		r.fail(col, clean(v), err.Error())
		return 0
	}
	if n == 0 && clean(v) == "" {
		if sp := r.spec(col); sp != nil && sp.Required {
			r.missing(col)
		}
	}
	return n
}

func (r *row) count(col string) int64 {
	return r.number(col, func(v string) (int64, error) {
		n, approx, err := parseCountNote(v)
		if approx && err == nil {
			r.c.Notes.Approximate++
		}
		return n, err
	})
}

func (r *row) money(col string) int64 {
	wan := r.c.tbl.Wan[col]
	n := r.number(col, func(v string) (int64, error) {
		n, inWan, err := parseMoneyNote(v, wan)
		if inWan && err == nil {
			r.c.Notes.WanInYuan++
		}
		return n, err
	})
	if n < 0 {
		if sp := r.spec(col); sp == nil || !sp.Signed {
			r.fail(col, clean(r.raw(col)), "金额不能是负数")
			return 0
		}
	}
	return n
}

func (r *row) yes(col string) int64 {
	v := r.raw(col)
	n, err := ParseYesNo(v)
	if err != nil {
		r.fail(col, clean(v), err.Error())
	}
	return n
}

func (r *row) org(col string, levels ...string) *Org {
	v := clean(r.raw(col))
	if v == "" {
		r.missing(col)
		return nil
	}
	key := orgKey{name: v}
	for _, l := range levels {
		key.levels |= levelBits[l]
	}
	hit, ok := r.c.orgs[key]
	if !ok {
		hit.org, hit.err = r.c.reg.Find(v, r.c.countyHint, levels...)
		if len(r.c.orgs) < cacheLimit {
			r.c.orgs[key] = hit
		}
	}
	o, err := hit.org, hit.err
	if err != nil {
		r.fail(col, v, err.Error())
		return nil
	}
	return o
}

// setS sets a string column (no interface conversion on the hot path).
func (r *row) setS(col string, v string) { r.strs[r.at(col)] = v }

// setI sets an integer column; setT, a date or time (zero = NULL).
func (r *row) setI(col string, v int64)     { r.ints[r.at(col)] = v }
func (r *row) setT(col string, v time.Time) { r.dates[r.at(col)] = v }

// at is a fact column's position; a rule naming a column its table lacks is a fault of the code.
func (r *row) at(col string) int {
	k, ok := r.c.out.get(col)
	if !ok {
		panic("transform: no column " + col + " in " + r.c.Fact.Name)
	}
	return k
}

// factBuilder collects a fact record's columns in plain slices laid out
// as Arrow lays them out, by their kind, so that appending a row costs no
// type assertion nor a builder's bookkeeping per cell.
type factBuilder struct {
	t     *ledger.Table
	rows  int
	kinds []ledger.Type
	strs  []ingest.TextColumn
	ints  [][]int64 // Int and Time (seconds) columns
	days  [][]int32 // Date columns; valid says which are set
	valid [][]byte
	nulls []int
}

func newFactBuilder(t *ledger.Table, rows int, dataHint []int) *factBuilder {
	n := len(t.Columns)
	b := &factBuilder{t: t, kinds: make([]ledger.Type, n), strs: make([]ingest.TextColumn, n), ints: make([][]int64, n),
		days: make([][]int32, n), valid: make([][]byte, n), nulls: make([]int, n)}
	for k, col := range t.Columns {
		b.kinds[k] = col.Type
		switch col.Type {
		case ledger.String, ledger.Enum:
			b.strs[k].Reserve(rows, rows*max(12, dataHint[k]+1))
		case ledger.Int, ledger.Time:
			b.ints[k] = make([]int64, 0, rows)
		case ledger.Float:
			// no rule or catalog read fills one: a fact table with one is a fault of the code
			panic("transform: no rule fills the Float column " + t.Name + "." + col.Name)
		case ledger.Date:
			b.days[k] = make([]int32, 0, rows)
			b.valid[k] = make([]byte, 0, (rows+7)/8)
		}
	}
	return b
}

// record hands the rows over as an Arrow record, and notes in dataHint
// the bytes per row each text column held.
func (b *factBuilder) record(dataHint []int) arrow.Record {
	schema := b.t.Arrow()
	cols := make([]arrow.Array, len(b.kinds))
	for k, kind := range b.kinds {
		var bufs []*memory.Buffer
		nulls := 0
		switch kind {
		case ledger.String, ledger.Enum:
			if b.rows > 0 {
				dataHint[k] = (b.strs[k].Bytes() + b.rows - 1) / b.rows
			}
			cols[k] = b.strs[k].Array()
			continue
		case ledger.Int, ledger.Time:
			bufs = []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(b.ints[k]))}
		case ledger.Date:
			bufs = []*memory.Buffer{memory.NewBufferBytes(b.valid[k]), memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(b.days[k]))}
			nulls = b.nulls[k]
		}
		d := array.NewData(schema.Field(k).Type, b.rows, bufs, nil, nulls, 0)
		cols[k] = array.MakeFromData(d)
		d.Release()
	}
	rec := array.NewRecord(schema, cols, int64(b.rows))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

// appendTo appends the row to the fact table's columns.
func (r *row) appendTo(b *factBuilder) {
	at := b.rows
	if at%8 == 0 {
		for k, kind := range b.kinds {
			if kind == ledger.Date {
				b.valid[k] = append(b.valid[k], 0)
			}
		}
	}
	for k, kind := range b.kinds {
		switch kind {
		case ledger.String, ledger.Enum:
			b.strs[k].Append(r.strs[k])
		case ledger.Int:
			b.ints[k] = append(b.ints[k], r.ints[k])
		case ledger.Date:
			if t := r.dates[k]; !t.IsZero() {
				b.days[k] = append(b.days[k], int32(arrow.Date32FromTime(t)))
				b.valid[k][at/8] |= 1 << (at % 8)
			} else {
				b.days[k] = append(b.days[k], 0)
				b.nulls[k]++
			}
		case ledger.Time:
			b.ints[k] = append(b.ints[k], r.dates[k].Unix())
		}
	}
	b.rows++
}

// place writes the denormalised org columns and the scope of the row.
func (r *row) place(o *Org, scopeOrg, period string) {
	at := &r.c.at
	r.strs[at.countyCode], r.strs[at.countyName] = o.CountyCode, o.CountyName
	r.strs[at.townCode], r.strs[at.townName] = o.TownCode, o.TownName
	hit, ok := r.c.scopeKeys[[2]string{scopeOrg, period}]
	if !ok {
		hit.scope = r.c.tbl.Ledger.ID + "|" + scopeOrg + "|" + period
		hit.key = ScopeKey(hit.scope, r.c.loadID)
		if len(r.c.scopeKeys) < cacheLimit {
			hit.tally = &scopeTally{scope: hit.scope}
			r.c.scopeKeys[[2]string{scopeOrg, period}] = hit
		}
	}
	r.scope, r.tally = hit.scope, hit.tally
	r.ints[at.scopeKey] = hit.key
	r.strs[at.scopeOrg], r.strs[at.period] = scopeOrg, period
}

func (r *row) snapshotDate() (time.Time, bool) {
	if r.c.tbl.Letters["统计时点"] != "" && clean(r.raw("统计时点")) != "" {
		return r.date("统计时点")
	}
	if r.c.snapshot.IsZero() {
		r.fail("统计时点", "", "没有统计时点")
		return time.Time{}, false
	}
	return r.c.snapshot, true
}

// person reads 身份证号/出生日期/性别 and writes person_key, gender, birth and age.
func (r *row) person(on time.Time, extra ...string) {
	var p Person
	idv := clean(r.raw("身份证号"))
	if idv != "" {
		var err error
		p, err = ParseID(idv)
		if err != nil {
			r.fail("身份证号", MaskID(idv), err.Error())
			return
		}
	}
	if b, ok := r.date("出生日期"); ok && p.Birth.IsZero() {
		p.Birth = b
	}
	if g := r.str("性别"); g != "" && p.Gender == "" {
		p.Gender = g
	}
	if p.Birth.IsZero() {
		r.fail("出生日期", "", "出生日期和身份证号至少要填一个")
		return
	}
	key := p.ID
	if key == "" {
		key = "noid\x1f" + strings.Join(extra, "\x1f") + "\x1f" + p.Birth.Format("20060102")
	}
	r.setS("person_key", PersonKey(r.c.cfg.Secret, key))
	r.setS("gender", p.Gender)
	r.setT("birth", p.Birth)
	if !on.IsZero() {
		r.setI("age", Age(p.Birth, on))
	}
}

func (c *Converter) monthOf(t time.Time) string {
	k := t.Year()*100 + int(t.Month())
	m, ok := c.months[k]
	if !ok {
		m = t.Format("2006-01")
		c.months[k] = m
	}
	return m
}

// Merge adds what another converter of the same table counted (used when
// batches of one table are converted in parallel, one converter each).
func (c *Converter) Merge(o *Converter) {
	c.Notes.Add(o.Notes)
	c.Accepted += o.Accepted
	c.Rejected += o.Rejected
	for k := range o.Scopes {
		c.Scopes[k] = true
	}
	for k, n := range o.ScopeRows {
		c.ScopeRows[k] += n
	}
	for k := range o.Orgs {
		c.Orgs[k] = true
	}
	for k := range o.Periods {
		c.Periods[k] = true
	}
}

// Convert turns one ingested record into a fact record and the rejects of its rows.
func (c *Converter) Convert(rec arrow.Record) (arrow.Record, []Reject) {
	rows := rec.Column(c.idx.m[ingest.RowColumn]).(*array.Int64)
	var rejects []Reject
	r := newRow(c, rec)
	n := int(rec.NumRows())
	if len(c.dataHint) != len(c.Fact.Columns) {
		c.dataHint = make([]int, len(c.Fact.Columns))
	}
	b := newFactBuilder(c.Fact, n, c.dataHint)
	rule := rules[c.tbl.Ledger.ID]
	if rule == nil {
		rule = func(*row) {}
	}
	so, pe := c.at.scopeOrg, c.at.period
	lastOrg, lastPeriod := "\x00", "\x00" // the sets change only when these do
	// the scopes' rows are counted through their cached hit, and added to
	// the maps once a record: a map assignment per row took 120 ns of 3,100
	var counted []*scopeTally
	for i := range n {
		r.reset()
		r.i, r.num = i, int(rows.Value(i))
		r.strs[c.at.loadID] = c.loadID
		r.ints[c.at.srcRow] = int64(r.num)
		rule(r)
		r.generic()
		if len(r.rejects) > 0 {
			c.Rejected++
			rejects = append(rejects, r.rejects...)
			continue
		}
		c.Accepted++
		if r.tally == nil { // past the cache's bound
			c.Scopes[r.scope] = true
			c.ScopeRows[r.scope]++
		} else if r.tally.n++; r.tally.n == 1 {
			counted = append(counted, r.tally)
		}
		if o := r.strs[so]; o != lastOrg {
			c.Orgs[o], lastOrg = true, o
		}
		if p := r.strs[pe]; p != lastPeriod {
			c.Periods[p], lastPeriod = true, p
		}
		r.appendTo(b)
	}
	for _, s := range counted {
		c.Scopes[s.scope] = true
		c.ScopeRows[s.scope] += s.n
		s.n = 0
	}
	return b.record(c.dataHint), rejects
}

func appendRow(b *array.RecordBuilder, t *ledger.Table, vals []any) {
	for k, col := range t.Columns {
		v := vals[k]
		switch col.Type {
		case ledger.String, ledger.Enum:
			s, _ := v.(string)
			b.Field(k).(*array.StringBuilder).Append(s)
		case ledger.Int:
			n, _ := v.(int64)
			b.Field(k).(*array.Int64Builder).Append(n)
		case ledger.Float:
			f, _ := v.(float64)
			b.Field(k).(*array.Float64Builder).Append(f)
		case ledger.Date:
			if t, ok := v.(time.Time); ok && !t.IsZero() {
				b.Field(k).(*array.Date32Builder).Append(arrow.Date32FromTime(t))
			} else {
				b.Field(k).(*array.Date32Builder).AppendNull()
			}
		case ledger.Time:
			t, _ := v.(time.Time)
			b.Field(k).(*array.TimestampBuilder).Append(arrow.Timestamp(t.Unix()))
		}
	}
}

// BuildRecord makes a record of a table from rows of values in column order.
func BuildRecord(t *ledger.Table, rows [][]any) arrow.Record {
	b := array.NewRecordBuilder(memory.DefaultAllocator, t.Arrow())
	defer b.Release()
	for _, r := range rows {
		appendRow(b, t, r)
	}
	return b.NewRecord()
}

// SortedKeys lists a set's members in order (scopes, orgs, periods of a load).
func SortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
