package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// The Excel 97–2003 reader: BIFF8 records in the "Workbook" stream of an
// OLE2 compound file, as Excel, WPS (.et) and LibreOffice write it. No Go
// library on the module proxy read our fixtures right (docs/formats.md), so
// the records sifa needs are read here, on richardlehane/mscfb for the
// compound file (the library excelize itself uses for that container).

// BIFF record types read here.
const (
	recFormula    = 0x0006
	recEOF        = 0x000A
	recFilePass   = 0x002F
	recDateMode   = 0x0022
	recContinue   = 0x003C
	recBoundSheet = 0x0085
	recMulRK      = 0x00BD
	recRString    = 0x00D6
	recXF         = 0x00E0
	recMerged     = 0x00E5
	recSST        = 0x00FC
	recLabelSST   = 0x00FD
	recNumber     = 0x0203
	recLabel      = 0x0204
	recBoolErr    = 0x0205
	recString     = 0x0207
	recRK         = 0x027E
	recFormat     = 0x041E
	recBOF        = 0x0809
)

// xlsBook is a BIFF8 workbook's globals: what its cells need to be read.
type xlsBook struct {
	data     []byte // the Workbook stream
	date1904 bool
	sst      []string
	xfDate   []bool // per XF record: its number format is a date
	formats  map[uint16]string
	sheets   []xlsSheet
}

type xlsSheet struct {
	name   string
	offset int
	hidden bool
	kind   byte // 0 worksheet
}

var errNotBIFF8 = errors.New("not biff8")

// openXLS reads the compound file and the workbook's globals.
func openXLS(f *os.File, size int64, name string, lim Limits) (*book, error) {
	doc, err := mscfb.New(f)
	if err != nil {
		return nil, &FileError{File: name, Reason: "是旧版 Excel（.xls）文件，但已损坏或没有传完，无法打开：请在 Excel 或 WPS 里打开看看，能打开的话“另存为” .xlsx 再上传"}
	}
	var wb []byte
	encrypted := false
	biff5 := false
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		switch e.Name {
		case "Workbook", "WORKBOOK":
			if wb, err = io.ReadAll(io.LimitReader(e, min(size*2, lim.MaxInflatedBytes)+1)); err != nil {
				return nil, &FileError{File: name, Reason: "旧版 Excel（.xls）文件已损坏，无法读取：" + err.Error()}
			}
			if int64(len(wb)) > min(size*2, lim.MaxInflatedBytes) {
				return nil, &FileError{File: name, Reason: "旧版 Excel（.xls）文件的结构有误（工作簿比文件本身还大），文件可能已损坏或是恶意文件"}
			}
		case "Book":
			biff5 = true
		case "EncryptionInfo", "EncryptedPackage":
			encrypted = true
		}
	}
	switch {
	case encrypted:
		return nil, &FileError{File: name, Reason: "文件加了打开密码，sifa 无法读取：请在 Excel 或 WPS 里打开，去掉密码（文件→信息→保护工作簿→用密码加密，清空）后另存为 .xlsx 再上传"}
	case wb == nil && biff5:
		return nil, &FileError{File: name, Reason: "这是 Excel 95 或更早的格式，sifa 读不了：请在 Excel 或 WPS 里打开，“另存为” .xlsx 后再上传"}
	case wb == nil:
		return nil, &FileError{File: name, Reason: "这是一个 Office 文件，但里面没有 Excel 工作簿（可能是 Word 或 PowerPoint 文件）：请确认发的是台账表格"}
	}
	b, err := parseGlobals(wb)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.File = name
			return nil, fe
		}
		if errors.Is(err, errNotBIFF8) {
			return nil, &FileError{File: name, Reason: "这是 Excel 95 或更早的格式，sifa 读不了：请在 Excel 或 WPS 里打开，“另存为” .xlsx 后再上传"}
		}
		return nil, &FileError{File: name, Reason: "旧版 Excel（.xls）文件已损坏，无法读取（" + err.Error() + "）：请在 Excel 或 WPS 里打开，能打开的话“另存为” .xlsx 再上传"}
	}
	out := &book{Format: FormatXLS, Date1904: b.date1904}
	for _, s := range b.sheets {
		if s.kind != 0 {
			continue // a chart, macro or VB sheet
		}
		s := s
		out.Sheets = append(out.Sheets, bookSheet{Name: s.name, Hidden: s.hidden, open: func() (rowSource, *mergeFill, error) {
			rows, merges, err := b.readSheet(s.offset, lim)
			if err != nil {
				return nil, nil, err
			}
			fill := newMergeFill(merges)
			return &sliceSource{rows: rows, fill: fill}, fill, nil
		}})
	}
	return out, nil
}

// biffReader walks the records of a stream from an offset.
type biffReader struct {
	data []byte
	pos  int
}

func (r *biffReader) next() (typ uint16, body []byte, err error) {
	if r.pos+4 > len(r.data) {
		return 0, nil, io.EOF
	}
	typ = binary.LittleEndian.Uint16(r.data[r.pos:])
	n := int(binary.LittleEndian.Uint16(r.data[r.pos+2:]))
	if r.pos+4+n > len(r.data) {
		return 0, nil, fmt.Errorf("记录在第 %d 字节处被截断", r.pos)
	}
	body = r.data[r.pos+4 : r.pos+4+n]
	r.pos += 4 + n
	return typ, body, nil
}

// peek returns the type of the next record without moving.
func (r *biffReader) peek() uint16 {
	if r.pos+4 > len(r.data) {
		return 0
	}
	return binary.LittleEndian.Uint16(r.data[r.pos:])
}

// continued returns a record's body and those of the CONTINUE records after it.
func (r *biffReader) continued(body []byte) ([][]byte, error) {
	segs := [][]byte{body}
	for r.peek() == recContinue {
		_, b, err := r.next()
		if err != nil {
			return nil, err
		}
		segs = append(segs, b)
	}
	return segs, nil
}

func parseGlobals(data []byte) (*xlsBook, error) {
	r := &biffReader{data: data}
	typ, body, err := r.next()
	if err != nil || typ != recBOF || len(body) < 4 {
		return nil, errors.New("开头不是工作簿记录")
	}
	if v := binary.LittleEndian.Uint16(body); v != 0x0600 {
		return nil, errNotBIFF8
	}
	b := &xlsBook{data: data, formats: map[uint16]string{}}
	for {
		typ, body, err := r.next()
		if err == io.EOF {
			return nil, errors.New("工作簿记录没有结束")
		}
		if err != nil {
			return nil, err
		}
		switch typ {
		case recEOF:
			return b, nil
		case recFilePass:
			return nil, &FileError{Reason: "文件加了打开密码，sifa 无法读取：请在 Excel 或 WPS 里打开，去掉密码后另存为 .xlsx 再上传"}
		case recDateMode:
			b.date1904 = len(body) >= 2 && binary.LittleEndian.Uint16(body) == 1
		case recBoundSheet:
			if len(body) < 8 {
				return nil, errors.New("工作表记录太短")
			}
			s := xlsSheet{offset: int(binary.LittleEndian.Uint32(body)), hidden: body[4]&3 != 0, kind: body[5]}
			c := &cursor{segs: [][]byte{body[6:]}}
			n, _ := c.u8()
			s.name, err = c.chars(int(n))
			if err != nil {
				return nil, errors.New("工作表名称有误")
			}
			b.sheets = append(b.sheets, s)
		case recFormat:
			if len(body) < 2 {
				continue
			}
			c := &cursor{segs: [][]byte{body[2:]}}
			if s, err := c.xlString(); err == nil {
				b.formats[binary.LittleEndian.Uint16(body)] = s
			}
		case recXF:
			if len(body) < 4 {
				continue
			}
			b.xfDate = append(b.xfDate, b.isDateFormat(binary.LittleEndian.Uint16(body[2:])))
		case recSST:
			segs, err := r.continued(body)
			if err != nil {
				return nil, err
			}
			if b.sst, err = readSST(segs); err != nil {
				return nil, fmt.Errorf("共享字符串表有误：%w", err)
			}
		}
	}
}

// isDateFormat says whether a number format shows a date: the built-in date
// formats (14–22, and 27–36, 50–58 of the Chinese, Japanese and Korean
// locales), or a format string with y, m, d, h or s outside quotes and brackets.
func (b *xlsBook) isDateFormat(ifmt uint16) bool {
	switch {
	case ifmt >= 14 && ifmt <= 22, ifmt >= 27 && ifmt <= 36, ifmt >= 45 && ifmt <= 47, ifmt >= 50 && ifmt <= 58:
		return true
	}
	f, ok := b.formats[ifmt]
	if !ok {
		return false
	}
	return FormatIsDate(f)
}

// FormatIsDate says whether an Excel number format string shows a date.
func FormatIsDate(f string) bool {
	quoted, bracket := false, false
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\\' || c == '_' || c == '*':
			i++
		case c == '[':
			bracket = true
		case c == ']':
			bracket = false
		case bracket:
		case c == ';':
			return false // only the first section decides
		case strings.IndexByte("yYdD", c) >= 0:
			return true
		case c == 'm' || c == 'M':
			return true
		}
	}
	return false
}

// cursor reads across a record and its CONTINUE records.
type cursor struct {
	segs [][]byte
	i, p int
}

func (c *cursor) avail() int {
	for c.i < len(c.segs) && c.p >= len(c.segs[c.i]) {
		c.i++
		c.p = 0
	}
	if c.i >= len(c.segs) {
		return 0
	}
	return len(c.segs[c.i]) - c.p
}

func (c *cursor) u8() (byte, error) {
	if c.avail() < 1 {
		return 0, io.ErrUnexpectedEOF
	}
	v := c.segs[c.i][c.p]
	c.p++
	return v, nil
}

func (c *cursor) u16() (uint16, error) {
	lo, err := c.u8()
	if err != nil {
		return 0, err
	}
	hi, err := c.u8()
	return uint16(lo) | uint16(hi)<<8, err
}

func (c *cursor) u32() (uint32, error) {
	lo, err := c.u16()
	if err != nil {
		return 0, err
	}
	hi, err := c.u16()
	return uint32(lo) | uint32(hi)<<16, err
}

func (c *cursor) skip(n int) error {
	for n > 0 {
		a := c.avail()
		if a == 0 {
			return io.ErrUnexpectedEOF
		}
		k := min(a, n)
		c.p += k
		n -= k
	}
	return nil
}

// chars reads n characters after their flags byte; where the characters
// run on into a CONTINUE record, that record starts with a flags byte of its
// own (the rest may be stored with the other width).
func (c *cursor) chars(n int) (string, error) {
	flags, err := c.u8()
	if err != nil {
		return "", err
	}
	return c.charsWith(n, flags&1 != 0)
}

func (c *cursor) charsWith(n int, high bool) (string, error) {
	if n > 32767 {
		return "", errors.New("字符串过长")
	}
	u := make([]uint16, 0, n)
	for len(u) < n {
		if c.i < len(c.segs) && c.p >= len(c.segs[c.i]) {
			// the characters go on in the next CONTINUE record
			c.i++
			c.p = 0
			f, err := c.u8()
			if err != nil {
				return "", err
			}
			high = f&1 != 0
		}
		if c.i >= len(c.segs) {
			return "", io.ErrUnexpectedEOF
		}
		seg := c.segs[c.i]
		if high {
			for c.p+1 < len(seg) && len(u) < n {
				u = append(u, binary.LittleEndian.Uint16(seg[c.p:]))
				c.p += 2
			}
			if c.p+1 == len(seg) && len(u) < n {
				return "", errors.New("字符被截断")
			}
		} else {
			for c.p < len(seg) && len(u) < n {
				u = append(u, uint16(seg[c.p]))
				c.p++
			}
		}
	}
	return string(utf16.Decode(u)), nil
}

// xlString is an XLUnicodeString: a 16-bit length, flags, characters.
func (c *cursor) xlString() (string, error) {
	n, err := c.u16()
	if err != nil {
		return "", err
	}
	return c.chars(int(n))
}

// richString is an XLUnicodeRichExtendedString of the SST.
func (c *cursor) richString() (string, error) {
	if c.avail() == 0 && c.i < len(c.segs) {
		return "", io.ErrUnexpectedEOF
	}
	n, err := c.u16()
	if err != nil {
		return "", err
	}
	flags, err := c.u8()
	if err != nil {
		return "", err
	}
	runs, ext := 0, 0
	if flags&8 != 0 {
		r, err := c.u16()
		if err != nil {
			return "", err
		}
		runs = int(r)
	}
	if flags&4 != 0 {
		e, err := c.u32()
		if err != nil {
			return "", err
		}
		if e > 1<<24 {
			return "", errors.New("扩展数据过长")
		}
		ext = int(e)
	}
	s, err := c.charsWith(int(n), flags&1 != 0)
	if err != nil {
		return "", err
	}
	if err := c.skip(4*runs + ext); err != nil {
		return "", err
	}
	return s, nil
}

func readSST(segs [][]byte) ([]string, error) {
	c := &cursor{segs: segs}
	if _, err := c.u32(); err != nil {
		return nil, err
	}
	unique, err := c.u32()
	if err != nil {
		return nil, err
	}
	var total int
	for _, s := range segs {
		total += len(s)
	}
	if int(unique) > total {
		return nil, fmt.Errorf("声称有 %d 个字符串，记录只有 %d 字节", unique, total)
	}
	out := make([]string, 0, unique)
	for i := 0; i < int(unique); i++ {
		s, err := c.richString()
		if err != nil {
			return nil, fmt.Errorf("第 %d 个字符串：%w", i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// readSheet reads a worksheet's cells into rows of text (numbers as
// written in full, dates as 2015-03-05 by their cell format and the
// workbook's date system) and its merged areas.
func (b *xlsBook) readSheet(offset int, lim Limits) ([][]string, []mergeRange, error) {
	if offset < 0 || offset >= len(b.data) {
		return nil, nil, errors.New("工作表的位置不在文件里，文件可能已损坏")
	}
	r := &biffReader{data: b.data, pos: offset}
	typ, body, err := r.next()
	if err != nil || typ != recBOF || len(body) < 4 {
		return nil, nil, errors.New("工作表的开头有误，文件可能已损坏")
	}
	var rows [][]string
	var merges []mergeRange
	cells := 0
	set := func(rw, col uint16, v string) error {
		if int(col) >= lim.MaxColumns {
			return fmt.Errorf("第%d行有第%d列，超过了%d列的上限", int(rw)+1, int(col)+1, lim.MaxColumns)
		}
		if len(v) > lim.MaxCellChars*4 {
			return fmt.Errorf("第%d行的单元格超过了%d字的上限", int(rw)+1, lim.MaxCellChars)
		}
		for len(rows) <= int(rw) {
			rows = append(rows, nil)
		}
		row := rows[rw]
		for len(row) <= int(col) {
			row = append(row, "")
		}
		row[col] = v
		rows[rw] = row
		cells++
		return nil
	}
	depth := 1
	var pendingFormula *[2]uint16
	for depth > 0 {
		typ, body, err := r.next()
		if err == io.EOF {
			break // a sheet without its EOF: keep what was read
		}
		if err != nil {
			return nil, nil, err
		}
		if cells > maxSheetCells {
			return nil, nil, fmt.Errorf("工作表有超过 %d 个单元格，超过了上限", maxSheetCells)
		}
		if len(body) < 6 && typ != recEOF && typ != recBOF && typ != recString && typ != recMerged && typ != recContinue {
			continue
		}
		switch typ {
		case recBOF:
			depth++ // an embedded chart
		case recEOF:
			depth--
		case recLabelSST:
			if depth != 1 || len(body) < 10 {
				continue
			}
			i := binary.LittleEndian.Uint32(body[6:])
			if int(i) >= len(b.sst) {
				return nil, nil, fmt.Errorf("第%d行%s列引用了不存在的字符串", int(u16(body))+1, ColumnLetter(int(u16(body[2:]))))
			}
			err = set(u16(body), u16(body[2:]), b.sst[i])
		case recLabel, recRString:
			if depth != 1 {
				continue
			}
			c := &cursor{segs: [][]byte{body[6:]}}
			s, serr := c.xlString()
			if serr != nil {
				return nil, nil, errors.New("文字单元格有误")
			}
			err = set(u16(body), u16(body[2:]), s)
		case recNumber:
			if depth != 1 || len(body) < 14 {
				continue
			}
			f := math.Float64frombits(binary.LittleEndian.Uint64(body[6:]))
			err = set(u16(body), u16(body[2:]), b.number(f, u16(body[4:])))
		case recRK:
			if depth != 1 || len(body) < 10 {
				continue
			}
			err = set(u16(body), u16(body[2:]), b.number(rk(binary.LittleEndian.Uint32(body[6:])), u16(body[4:])))
		case recMulRK:
			if depth != 1 {
				continue
			}
			rw, col := u16(body), u16(body[2:])
			for p := 4; p+6 <= len(body)-2 && err == nil; p += 6 {
				err = set(rw, col, b.number(rk(binary.LittleEndian.Uint32(body[p+2:])), u16(body[p:])))
				col++
			}
		case recFormula:
			if depth != 1 || len(body) < 14 {
				continue
			}
			rw, col := u16(body), u16(body[2:])
			v := body[6:14]
			if v[6] == 0xFF && v[7] == 0xFF {
				switch v[0] {
				case 0: // a text result: in the STRING record that follows
					pendingFormula = &[2]uint16{rw, col}
				case 1:
					err = set(rw, col, boolText(v[2] != 0))
				case 2:
					err = set(rw, col, errorText(v[2]))
				}
				continue
			}
			err = set(rw, col, b.number(math.Float64frombits(binary.LittleEndian.Uint64(v)), u16(body[4:])))
		case recString:
			if pendingFormula == nil {
				continue
			}
			segs, cerr := r.continued(body)
			if cerr != nil {
				return nil, nil, cerr
			}
			c := &cursor{segs: segs}
			s, serr := c.xlString()
			if serr != nil {
				return nil, nil, errors.New("公式的文字结果有误")
			}
			err = set(pendingFormula[0], pendingFormula[1], s)
			pendingFormula = nil
		case recBoolErr:
			if depth != 1 || len(body) < 8 {
				continue
			}
			if body[7] == 0 {
				err = set(u16(body), u16(body[2:]), boolText(body[6] != 0))
			} else {
				err = set(u16(body), u16(body[2:]), errorText(body[6]))
			}
		case recMerged:
			if depth != 1 || len(body) < 2 {
				continue
			}
			n := int(u16(body))
			for k := 0; k < n && 2+8*k+8 <= len(body); k++ {
				p := body[2+8*k:]
				m := mergeRange{r1: int(u16(p)) + 1, r2: int(u16(p[2:])) + 1, c1: int(u16(p[4:])), c2: int(u16(p[6:]))}
				if m.r2 >= m.r1 && m.c2 >= m.c1 && m.c2 < lim.MaxColumns {
					merges = append(merges, m)
				}
			}
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return rows, merges, nil
}

// maxSheetCells bounds one sheet held in memory (an .xls sheet has at most
// 65,536 rows; 256 columns of them is 16.8 million).
const maxSheetCells = 4 << 20

func u16(b []byte) uint16 { return binary.LittleEndian.Uint16(b) }

// rk decodes an RK number: a 30-bit integer or the high bits of a double, maybe ×100.
func rk(v uint32) float64 {
	var f float64
	if v&2 != 0 {
		f = float64(int32(v) >> 2)
	} else {
		f = math.Float64frombits(uint64(v&0xFFFFFFFC) << 32)
	}
	if v&1 != 0 {
		f /= 100
	}
	return f
}

// number writes a cell's number as text: a date by its cell format.
func (b *xlsBook) number(f float64, xf uint16) string {
	if int(xf) < len(b.xfDate) && b.xfDate[xf] {
		if s, ok := SerialDate(f, b.date1904); ok {
			return s
		}
	}
	return NumberText(f)
}

// NumberText writes a number as Excel shows it in full: whole numbers
// without a decimal point, others with the digits they need.
func NumberText(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// SerialDate turns an Excel date serial into 2006-01-02 (with the time
// when it has one) in the 1900 or 1904 date system.
func SerialDate(f float64, date1904 bool) (string, bool) {
	if f < 1 || f > 2958465 || math.IsNaN(f) {
		return "", false
	}
	days := math.Floor(f)
	t := ExcelEpoch(date1904).AddDate(0, 0, int(days))
	secs := math.Round((f - days) * 86400)
	if secs == 0 {
		return t.Format("2006-01-02"), true
	}
	return t.Add(time.Duration(secs) * time.Second).Format("2006-01-02 15:04:05"), true
}

// ExcelEpoch is the day an Excel date serial counts from: 1899-12-30 (so
// that serial 1 is 1900-01-01 past Excel's false 1900-02-29), or 1904-01-01
// in the 1904 date system.
func ExcelEpoch(date1904 bool) time.Time {
	if date1904 {
		return time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
}

func boolText(v bool) string {
	if v {
		return "TRUE"
	}
	return "FALSE"
}

func errorText(code byte) string {
	switch code {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	}
	return "#N/A"
}
