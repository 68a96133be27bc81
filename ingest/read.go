// Package ingest reads the ledgers that offices send (Excel and CSV files),
// finds their header row, recognises the ledger type (from the catalog in
// ingest/ledger) and turns the rows into Arrow record batches of text cells
// under canonical column names. It also archives every raw file by its
// SHA-256 before anything is parsed, and journals the loads that commit.
package ingest

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"sifa/ingest/ledger"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/xuri/excelize/v2"
)

// Limits bound what one file may cost, so that a broken or hostile file gets
// an error instead of the server's memory.
type Limits struct {
	MaxInflatedBytes int64 // an .xlsx that inflates past this is refused (default 200 MB); also the largest CSV
	MaxCellChars     int   // a longer cell is refused (default 32,767, Excel's own limit)
	MaxColumns       int   // a row with more filled columns is refused (default 512)
}

// DefaultLimits are the limits used when a field is zero.
var DefaultLimits = Limits{MaxInflatedBytes: 200 << 20, MaxCellChars: 32767, MaxColumns: 512}

func (l Limits) withDefaults() Limits {
	if l.MaxInflatedBytes <= 0 {
		l.MaxInflatedBytes = DefaultLimits.MaxInflatedBytes
	}
	if l.MaxCellChars <= 0 {
		l.MaxCellChars = DefaultLimits.MaxCellChars
	}
	if l.MaxColumns <= 0 {
		l.MaxColumns = DefaultLimits.MaxColumns
	}
	return l
}

// Options steer Read.
type Options struct {
	Ledger    *ledger.Ledger // the ledger type when the caller knows it; nil: detect from the headers
	Limits    Limits
	BatchRows int // rows per Arrow record (default 65,536)
	// Context stops a read: each table checks it as its rows stream (nil: never).
	Context context.Context
	// PassOver, when set, hears of each sheet that was not read and why
	// (a cover or 说明 sheet, a hidden sheet), for the file's report.
	PassOver func(sheet, reason string)
}

// FileError is a problem with a whole file (or sheet): it names what it can.
type FileError struct {
	File, Sheet string
	Row         int
	Column      string
	Reason      string
}

func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString("文件「" + e.File + "」")
	if e.Sheet != "" {
		b.WriteString("工作表「" + e.Sheet + "」")
	}
	if e.Row > 0 {
		fmt.Fprintf(&b, "第%d行", e.Row)
	}
	if e.Column != "" {
		b.WriteString(e.Column + "列")
	}
	b.WriteString("：" + e.Reason)
	return b.String()
}

// RowColumn is the name of the Arrow column that carries each row's number in the source sheet.
const RowColumn = "_row"

// Table is one ledger found in a file: its type, what its title lines said,
// and its rows as Arrow records of text cells under canonical column names.
type Table struct {
	File      string // the file's base name, for messages
	Sheet     string // empty for CSV
	Ledger    *ledger.Ledger
	HeaderRow int               // 1-based row of the (last) header row
	Snapshot  string            // the 统计时点 a title line gave, as written
	Reporter  string            // the 填报单位 a title line gave
	Wan       map[string]bool   // canonical column → amounts are in 万元
	Letters   map[string]string // canonical column → its column letter in the sheet
	Schema    *arrow.Schema     // one utf8 field per canonical column present, then _row (int64)
	Format    string            // the reader that read the file (FormatXLS, …)
	Date1904  bool              // the workbook's date serials count from 1904
	Section   int               // 1 for a sheet's first table, 2 for one stacked below it, …
	FirstRow  int               // the first and last row of the table's data in the sheet
	LastRow   int

	ctx     context.Context
	rest    rowSource  // the rows below a table that ends where another one starts
	headers [][]string // the header row(s) as HeaderKeys, to pass over where a printed page repeats them
	held    [][]string // title-like rows held back until it is known whether a table follows
	heldN   []int
	probe   int // the column of the ledger's first signature column: where a header row shows

	src      rowSource
	fields   []int // canonical field index per source column, -1 = not kept
	limits   Limits
	batch    int
	pending  [][]string // rows read during header detection, not yet emitted
	pendingN []int
	done     bool
	fill     *mergeFill
	dataHint []int // bytes each column held in the last record, to reserve the next
}

// Next returns the next record of rows, or io.EOF after the last one. The
// caller releases each record.
func (t *Table) Next() (arrow.Record, error) {
	if t.done {
		return nil, io.EOF
	}
	n := len(t.Schema.Fields()) - 1
	if len(t.dataHint) != n {
		t.dataHint = make([]int, n)
	}
	bs := make([]TextColumn, n)
	for i := range bs {
		bs[i].Reserve(t.batch, max(t.batch*8, t.dataHint[i]+t.dataHint[i]/8))
	}
	vals := make([]string, n)
	nums := make([]int64, 0, t.batch)
	rows, full := 0, false
	add := func(cells []string, num int) error {
		clear(vals)
		any := false
		for j, c := range cells {
			if j >= len(t.fields) || t.fields[j] < 0 {
				continue
			}
			if len(c) > t.limits.MaxCellChars {
				return &FileError{File: t.File, Sheet: t.Sheet, Row: num, Column: ColumnLetter(j),
					Reason: fmt.Sprintf("单元格内容有%d个字节，超过了%d字的上限，文件可能已损坏", len(c), t.limits.MaxCellChars)}
			}
			vals[t.fields[j]] = c
			if !any && Trim(c) != "" {
				any = true
			}
		}
		if !any {
			return nil // only cells outside the ledger's columns (a side note)
		}
		for i, v := range vals {
			full = bs[i].Append(v) || full
		}
		nums = append(nums, int64(num))
		rows++
		if t.FirstRow == 0 {
			t.FirstRow = num
		}
		t.LastRow = num
		return nil
	}
	// flush emits the rows held back as possible titles: no header followed them
	flush := func() error {
		for i, h := range t.held {
			if err := add(h, t.heldN[i]); err != nil {
				return err
			}
		}
		t.held, t.heldN = t.held[:0], t.heldN[:0]
		return nil
	}
	step := func(cells []string, num int) (stop bool, err error) {
		switch kind := t.classify(cells); kind {
		case rowSkip:
			return false, nil
		case rowTitle:
			if len(t.held) >= maxHeldTitles {
				if err := flush(); err != nil {
					return false, err
				}
			}
			t.held = append(t.held, slices.Clone(cells)) // a source may reuse its slice (rowSource)
			t.heldN = append(t.heldN, num)
			return false, nil
		case rowRepeat, rowHeader:
			if kind == rowRepeat && !t.titlesNameAnother() || kind == rowHeader && t.continues(cells) {
				t.held, t.heldN = t.held[:0], t.heldN[:0]
				return false, nil // a header printed again (on each page, or over a quarter of the same table), and its titles
			}
			// another table starts: its titles, header and rows are read as one of their own
			t.rest = &replaySource{rows: append(t.held, slices.Clone(cells)), nums: append(t.heldN, num), src: t.src}
			t.held, t.heldN = nil, nil
			t.done = true
			return true, nil
		}
		if err := flush(); err != nil {
			return false, err
		}
		return false, add(cells, num)
	}
	for len(t.pending) > 0 && rows < t.batch && !full && !t.done {
		cells, num := t.pending[0], t.pendingN[0]
		t.pending, t.pendingN = t.pending[1:], t.pendingN[1:]
		if _, err := step(cells, num); err != nil {
			return nil, err
		}
	}
	if t.done && t.rest != nil && len(t.pending) > 0 {
		// the next table began among the rows read while finding this one's header
		r := t.rest.(*replaySource)
		r.rows = append(r.rows, t.pending...)
		r.nums = append(r.nums, t.pendingN...)
		t.pending, t.pendingN = nil, nil
	}
	for rows < t.batch && !full && !t.done {
		if rows%4096 == 0 && t.ctx != nil {
			if err := t.ctx.Err(); err != nil {
				return nil, err
			}
		}
		cells, num, err := t.src.next()
		if err == io.EOF {
			t.done = true
			if err := flush(); err != nil {
				return nil, err
			}
			break
		}
		if err != nil {
			return nil, t.wrap(err, num)
		}
		if _, err := step(cells, num); err != nil {
			return nil, err
		}
	}
	if rows == 0 && t.done {
		return nil, io.EOF
	}
	cols := make([]arrow.Array, 0, n+1)
	for i := range bs {
		t.dataHint[i] = bs[i].Bytes()
		cols = append(cols, bs[i].Array())
	}
	d := array.NewData(arrow.PrimitiveTypes.Int64, len(nums), []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(nums))}, nil, 0, 0)
	cols = append(cols, array.NewInt64Data(d))
	d.Release()
	rec := array.NewRecord(t.Schema, cols, int64(rows))
	for _, c := range cols {
		c.Release()
	}
	return rec, nil
}

func (t *Table) wrap(err error, row int) error {
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	return &FileError{File: t.File, Sheet: t.Sheet, Row: row, Reason: err.Error()}
}

// rowSource yields a sheet's rows with their 1-based row numbers. The
// slice of cells is the caller's until the next call only (the CSV source
// reuses it: 240 bytes a row less to allocate and collect); a caller that
// keeps a row keeps a copy.
type rowSource interface {
	next() ([]string, int, error)
}

// ---- CSV ----

type csvSource struct {
	r    *csv.Reader
	utf8 bool
	max  int
}

func (s *csvSource) next() ([]string, int, error) {
	rec, err := s.r.Read()
	line := 0
	if err == nil && len(rec) > 0 {
		line, _ = s.r.FieldPos(0) // FieldPos panics when there is no record (a file of blank lines)
	}
	if err != nil {
		if err == io.EOF {
			return nil, line, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, pe.Line, fmt.Errorf("CSV 格式有误：%v", pe.Err)
		}
		return nil, line, err
	}
	if filled(rec) > s.max {
		return nil, line, fmt.Errorf("这一行有%d列，超过了%d列的上限", filled(rec), s.max)
	}
	if s.utf8 {
		for _, c := range rec {
			if !utf8.ValidString(c) {
				return nil, line, errors.New("文件编码前后不一致：前面是 UTF-8，这一行不是")
			}
		}
	}
	return rec, line, nil
}

func filled(rec []string) int {
	last := 0
	for i, c := range rec {
		if c != "" {
			last = i + 1
		}
	}
	return last
}

// lineLimit fails a read once a line runs past max bytes, and the whole
// stream past total bytes, so that no CSV can make the reader buffer without bound.
type lineLimit struct {
	r         io.Reader
	run, max  int
	read, tot int64
}

func (l *lineLimit) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.read += int64(n)
	if l.read > l.tot {
		return 0, fmt.Errorf("CSV 文件超过 %d MB 的上限", l.tot>>20)
	}
	b := p[:n]
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			l.run += len(b)
			break
		}
		l.run = 0
		b = b[i+1:]
	}
	if l.run > l.max {
		return 0, fmt.Errorf("一行超过 %d KB，文件可能不是台账或已损坏", l.max>>10)
	}
	return n, err
}

// validUTF8Prefix says whether b is UTF-8. When b is a full peek (the
// file goes on past it) the peek may cut a rune of up to 4 bytes at its
// end: up to 3 trailing bytes may be left out.
func validUTF8Prefix(b []byte, full bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if !full {
		return false
	}
	for cut := 1; cut <= 3 && cut < len(b); cut++ {
		if utf8.Valid(b[:len(b)-cut]) {
			return true
		}
	}
	return false
}

// plausibleText rejects decodings full of control characters or replacement runes.
func plausibleText(b []byte) bool {
	bad, all := 0, 0
	for _, r := range string(b) {
		all++
		if r == utf8.RuneError || (r < 0x20 && r != '\n' && r != '\r' && r != '\t') {
			bad++
		}
	}
	return all > 0 && bad*50 < all
}

// ---- XLSX ----

type xlsxSource struct {
	rows *excelize.Rows
	num  int
	max  int
	fill *mergeFill
}

func (s *xlsxSource) next() ([]string, int, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, s.num + 1, err
		}
		return nil, s.num, io.EOF
	}
	s.num++
	cells, err := s.rows.Columns(excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, s.num, err
	}
	if filled(cells) > s.max {
		return nil, s.num, fmt.Errorf("这一行有%d列，超过了%d列的上限", filled(cells), s.max)
	}
	if s.fill != nil {
		cells = s.fill.apply(s.num, cells)
	}
	return cells, s.num, nil
}

// ---- header detection ----

const noHeader = "找不到表头：前40行里没有一行像台账的表头（如“受理日期、纠纷类型、调解结果”）。请用“下载模板”里的表头，或检查是否选错了文件"

const headerScanRows = 40

const emptySheet = "表格是空的，没有任何内容"

type headerMatch struct {
	ledger  *ledger.Ledger
	row     int // index into the buffered rows
	twoRow  bool
	names   []string // header text per source column
	matched int
}

func findTable(src rowSource, file, sheet string, opt Options, fill *mergeFill) (*Table, error) {
	var buf [][]string
	var nums []int
	for len(buf) < headerScanRows {
		cells, num, err := src.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, &FileError{File: file, Sheet: sheet, Row: num, Reason: err.Error()}
		}
		buf = append(buf, slices.Clone(cells)) // a source may reuse its slice (rowSource)
		nums = append(nums, num)
	}
	if len(buf) == 0 || allBlank(buf) {
		return nil, &FileError{File: file, Sheet: sheet, Reason: emptySheet}
	}
	candidates := ledger.Ledgers
	if opt.Ledger != nil {
		candidates = []*ledger.Ledger{opt.Ledger}
	}
	var best *headerMatch
	for i := range buf {
		if isBlankRow(buf[i]) {
			continue
		}
		single := buf[i]
		var combined []string
		if i+1 < len(buf) {
			combined = combineHeader(single, buf[i+1], fill, nums[i])
		}
		for _, l := range candidates {
			for _, try := range []struct {
				names []string
				two   bool
			}{{single, false}, {combined, true}} {
				if try.names == nil {
					continue
				}
				m, sig := matchHeader(l, try.names)
				if !sig || m < 2 {
					continue
				}
				if best == nil || m > best.matched || (m == best.matched && !try.two && best.twoRow && best.row == i) {
					best = &headerMatch{ledger: l, row: i, twoRow: try.two, names: try.names, matched: m}
				}
			}
		}
		if best != nil && best.row < i-1 {
			break // the header was found above; what follows is data
		}
	}
	if best == nil {
		return nil, &FileError{File: file, Sheet: sheet, Reason: noHeader}
	}
	t := &Table{File: file, Sheet: sheet, Ledger: best.ledger, HeaderRow: nums[best.row], src: src,
		limits: opt.Limits, batch: opt.BatchRows, Wan: map[string]bool{}, Letters: map[string]string{}, fill: fill}
	dataStart := best.row + 1
	if best.twoRow {
		dataStart++
		t.HeaderRow = nums[best.row+1]
	}
	// title lines above the header
	wanCaption := false
	for i := 0; i < best.row; i++ {
		line := Fold(strings.Join(buf[i], " "))
		if m := snapshotLine.FindStringSubmatch(line); m != nil && t.Snapshot == "" {
			t.Snapshot = m[1]
		}
		if wanLine.MatchString(line) {
			wanCaption = true
		}
		if m := reporterLine.FindStringSubmatch(line); m != nil && t.Reporter == "" {
			t.Reporter = m[1]
		}
	}
	var fields []arrow.Field
	t.fields = make([]int, len(best.names))
	for j, h := range best.names {
		t.fields[j] = -1
		c := canonical(best.ledger, h)
		if c == nil || t.Letters[c.Name] != "" {
			continue
		}
		t.fields[j] = len(fields)
		t.Letters[c.Name] = ColumnLetter(j)
		fields = append(fields, arrow.Field{Name: c.Name, Type: arrow.BinaryTypes.String})
		if c.Money && (headerSaysWan(h) || (wanCaption && !strings.Contains(Fold(h), "(元)"))) {
			t.Wan[c.Name] = true
		}
	}
	fields = append(fields, arrow.Field{Name: RowColumn, Type: arrow.PrimitiveTypes.Int64})
	t.Schema = arrow.NewSchema(fields, nil)
	for i := best.row; i < dataStart; i++ {
		t.headers = append(t.headers, headerKeys(buf[i]))
	}
	t.probe = -1
	for j, f := range t.fields {
		if f >= 0 && t.probe < 0 {
			t.probe = j
		}
		if f >= 0 && fields[f].Name == best.ledger.Signature[0] {
			t.probe = j
			break
		}
	}
	t.ctx = opt.Context
	t.pending = append(t.pending, buf[dataStart:]...)
	t.pendingN = append(t.pendingN, nums[dataStart:]...)
	return t, nil
}

// The kinds of row below a table's header.
const (
	rowData = iota
	rowSkip
	rowTitle
	rowHeader
	rowRepeat // the table's own header again, under title lines
)

// maxHeldTitles is how many title-like rows in a row are held back waiting
// for a header; past that they are data (and likely rejects) again.
const maxHeldTitles = 8

// classify says what a row below the header is: a data row, a row that is
// never data (blank, 合计/本页小计, 制表人 footers, the header printed
// again on a new page), a title line (it may head another table), the
// header of a table stacked below, or the table's own header again under
// title lines: those may name another 统计时点 or 填报单位, and then another
// table starts (two offices' rosters, one below the other, under the same
// header), or they are the page's titles again and no data.
func (t *Table) classify(cells []string) int {
	if isBlankRow(cells) || isTotalRow(cells) || isNoteRow(cells) {
		return rowSkip
	}
	if t.repeatsHeader(cells) {
		if len(t.held) > 0 {
			return rowRepeat
		}
		return rowSkip
	}
	if t.isHeader(cells) {
		return rowHeader
	}
	if isTitleRow(cells) {
		return rowTitle
	}
	return rowData
}

// repeatsHeader says whether a row is one of the table's header rows again.
func (t *Table) repeatsHeader(cells []string) bool {
	if t.probe < 0 || !headerLike(cell(cells, t.probe)) {
		return false
	}
	for _, h := range t.headers {
		if slices.Equal(trimKeys(headerKeys(cells)), trimKeys(h)) {
			return true
		}
	}
	return false
}

// isHeader says whether a row is some ledger's header: only a row whose
// cell under the table's key column reads as a header name is matched in full.
func (t *Table) isHeader(cells []string) bool {
	if t.probe < 0 || !headerLike(cell(cells, t.probe)) || !knownHeader[HeaderKey(cell(cells, t.probe))] {
		return false
	}
	for _, l := range ledger.Ledgers {
		if m, sig := matchHeader(l, cells); sig && m >= 2 {
			return true
		}
	}
	return false
}

// continues says whether a header found below the table goes on with it:
// the same ledger with its columns where they were, under titles that name
// no other 统计时点 or 填报单位.
func (t *Table) continues(cells []string) bool {
	if _, sig := matchHeader(t.Ledger, cells); !sig {
		return false
	}
	names := t.Schema.Fields()
	for j := 0; j < max(len(cells), len(t.fields)); j++ {
		c := canonical(t.Ledger, cell(cells, j))
		f := -1
		if j < len(t.fields) {
			f = t.fields[j]
		}
		switch {
		case c == nil && f < 0:
		case c != nil && f >= 0 && names[f].Name == c.Name:
		default:
			return false
		}
	}
	return !t.titlesNameAnother()
}

// titlesNameAnother says whether the title lines held back name another
// 统计时点 or 填报单位 than the table's.
func (t *Table) titlesNameAnother() bool {
	for _, h := range t.held {
		line := Fold(strings.Join(h, " "))
		if m := snapshotLine.FindStringSubmatch(line); m != nil && m[1] != t.Snapshot {
			return true
		}
		if m := reporterLine.FindStringSubmatch(line); m != nil && m[1] != t.Reporter {
			return true
		}
	}
	return false
}

// headerLike is a cheap first look: header names hold no ASCII digit, and
// dates, counts and amounts do.
func headerLike(c string) bool {
	if c == "" {
		return false
	}
	for i := 0; i < len(c); i++ {
		if c[i] >= '0' && c[i] <= '9' {
			return false
		}
	}
	return true
}

func headerKeys(cells []string) []string {
	out := make([]string, len(cells))
	for j, c := range cells {
		out[j] = HeaderKey(c)
	}
	return out
}

func trimKeys(k []string) []string {
	for len(k) > 0 && k[len(k)-1] == "" {
		k = k[:len(k)-1]
	}
	return k
}

// isTitleRow says whether a row reads as a title line: one text (a merged
// title fills every cell of its area with it) of four or more characters
// with Chinese in it, like 2015年第一季度人民调解台账.
func isTitleRow(cells []string) bool {
	v := ""
	for _, c := range cells {
		c = Trim(c)
		if c == "" {
			continue
		}
		if v != "" && c != v {
			return false
		}
		v = c
	}
	if utf8.RuneCountInString(v) < 4 {
		return false
	}
	for _, r := range v {
		if r >= 0x4E00 && r <= 0x9FFF {
			return true
		}
	}
	return false
}

// replaySource yields some rows already read, then the rest of a sheet.
type replaySource struct {
	rows [][]string
	nums []int
	src  rowSource
}

func (r *replaySource) next() ([]string, int, error) {
	if len(r.rows) > 0 {
		c, n := r.rows[0], r.nums[0]
		r.rows, r.nums = r.rows[1:], r.nums[1:]
		return c, n, nil
	}
	return r.src.next()
}

func allBlank(rows [][]string) bool {
	for _, r := range rows {
		if !isBlankRow(r) {
			return false
		}
	}
	return true
}

// combineHeader joins a two-row header: a parent cell (merged across its
// children) over child cells gives parent+child (防止激化 + 类型 → 防止激化类型).
func combineHeader(top, bottom []string, fill *mergeFill, topRow int) []string {
	n := len(top)
	if len(bottom) > n {
		n = len(bottom)
	}
	out := make([]string, n)
	changed := false
	group := "" // a parent spanning several children; in CSV its cells right of the first are blank
	for j := 0; j < n; j++ {
		p, c := cell(top, j), cell(bottom, j)
		if p == "" && c != "" && group != "" {
			p = group
		}
		switch {
		case c == "" || HeaderKey(c) == HeaderKey(p):
			out[j] = p
			group = ""
		case p == "":
			out[j] = c
		default:
			out[j] = p + c
			changed = true
			group = p
		}
	}
	if !changed {
		return nil
	}
	return out
}

func cell(r []string, j int) string {
	if j < len(r) {
		return strings.TrimSpace(r[j])
	}
	return ""
}

// matchHeader counts the ledger's columns named in a header row and
// reports whether all signature columns are among them.
func matchHeader(l *ledger.Ledger, names []string) (int, bool) {
	seen := map[string]bool{}
	for _, h := range names {
		if h == "" {
			continue
		}
		if c := canonical(l, h); c != nil {
			seen[c.Name] = true
		}
	}
	for _, s := range l.Signature {
		if !seen[s] {
			return len(seen), false
		}
	}
	return len(seen), true
}

var keyCache = map[*ledger.Ledger]map[string]*ledger.Column{}

func init() {
	for _, l := range ledger.Ledgers {
		m := map[string]*ledger.Column{}
		for i := range l.Columns {
			c := &l.Columns[i]
			m[HeaderKey(c.Name)] = c
		}
		for i := range l.Columns {
			c := &l.Columns[i]
			for _, a := range c.Aliases {
				if _, taken := m[HeaderKey(a)]; !taken {
					m[HeaderKey(a)] = c
				}
			}
		}
		keyCache[l] = m
		for k := range m {
			knownHeader[k] = true
		}
	}
}

// knownHeader holds the HeaderKey of every column name and alias of every ledger.
var knownHeader = map[string]bool{}

func canonical(l *ledger.Ledger, header string) *ledger.Column {
	return keyCache[l][HeaderKey(header)]
}
