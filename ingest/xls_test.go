package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// A BIFF8 writer for the tests: it writes the records the reader must
// handle in the exact forms that are hard to get from a program on demand
// (a shared string split across CONTINUE records with a change of width,
// RK and MULRK numbers, a formula's text result in its STRING record, the
// 1904 date system) and the broken forms a reader must survive.

type biffRecord struct {
	typ  uint16
	body []byte
}

func le16(v int) []byte { return binary.LittleEndian.AppendUint16(nil, uint16(v)) }
func le32(v int) []byte { return binary.LittleEndian.AppendUint32(nil, uint32(v)) }

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// wide is a string as UTF-16LE characters.
func wide(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// xlStr is an XLUnicodeString stored wide.
func xlStr(s string) []byte {
	return cat(le16(len(utf16.Encode([]rune(s)))), []byte{1}, wide(s))
}

func encodeRecords(recs []biffRecord) []byte {
	var b []byte
	for _, r := range recs {
		b = append(b, le16(int(r.typ))...)
		b = append(b, le16(len(r.body))...)
		b = append(b, r.body...)
	}
	return b
}

type testSheet struct {
	name   string
	hidden bool
	cells  []biffRecord // cell records (and MERGEDCELLS) in order
}

type testBook struct {
	date1904 bool
	sst      []biffRecord // the SST record and its CONTINUE records, as written
	sheets   []testSheet
	biff5    bool
	filepass bool
}

// XF indexes of the test workbook: 0 General, 1 the built-in date 14, 2 a
// custom yyyy"年"m"月"d"日" format, 3 a custom number format.
const (
	xfGeneral = 0
	xfDate    = 1
	xfCNDate  = 2
	xfMoney   = 3
)

func (b testBook) stream() []byte {
	version := 0x0600
	if b.biff5 {
		version = 0x0500
	}
	bof := func(dt int) biffRecord {
		return biffRecord{recBOF, cat(le16(version), le16(dt), le16(0x0DBB), le16(0x07CC), make([]byte, 8))}
	}
	xf := func(ifmt int) biffRecord { return biffRecord{recXF, cat(le16(0), le16(ifmt), make([]byte, 16))} }
	glob := []biffRecord{bof(5)}
	if b.filepass {
		glob = append(glob, biffRecord{recFilePass, make([]byte, 54)})
	}
	mode := 0
	if b.date1904 {
		mode = 1
	}
	glob = append(glob, biffRecord{0x0042, le16(1200)}, biffRecord{recDateMode, le16(mode)},
		biffRecord{recFormat, cat(le16(176), xlStr(`yyyy"年"m"月"d"日"`))},
		biffRecord{recFormat, cat(le16(177), xlStr(`#,##0.00_);[Red](#,##0.00)`))},
		xf(0), xf(14), xf(176), xf(177))
	nBound := len(glob)
	for _, s := range b.sheets {
		hs := 0
		if s.hidden {
			hs = 1
		}
		name := utf16.Encode([]rune(s.name))
		glob = append(glob, biffRecord{recBoundSheet, cat(le32(0), []byte{byte(hs), 0, byte(len(name)), 1}, wide(s.name))})
	}
	glob = append(glob, b.sst...)
	glob = append(glob, biffRecord{recEOF, nil})
	off := len(encodeRecords(glob))
	var sheets []byte
	for i, s := range b.sheets {
		binary.LittleEndian.PutUint32(glob[nBound+i].body, uint32(off+len(sheets)))
		recs := append([]biffRecord{bof(0x10)}, s.cells...)
		recs = append(recs, biffRecord{recEOF, nil})
		sheets = append(sheets, encodeRecords(recs)...)
	}
	return append(encodeRecords(glob), sheets...)
}

// compoundFile wraps a stream named name in an OLE2 compound file (version
// 3, 512-byte sectors, the stream in regular sectors).
func compoundFile(name string, stream []byte) []byte {
	for len(stream) < 4096 {
		stream = append(stream, 0) // below 4,096 bytes a stream belongs in the mini stream
	}
	const sec = 512
	n := (len(stream) + sec - 1) / sec
	fat := 1
	for (n+1+fat+127)/128 > fat {
		fat++
	}
	dirSec := n
	entries := make([]uint32, 0, (n+1+fat+127)/128*128)
	for i := 0; i < n-1; i++ {
		entries = append(entries, uint32(i+1))
	}
	entries = append(entries, 0xFFFFFFFE, 0xFFFFFFFE) // end of the stream, the directory
	for i := 0; i < fat; i++ {
		entries = append(entries, 0xFFFFFFFD)
	}
	for len(entries)%128 != 0 {
		entries = append(entries, 0xFFFFFFFF)
	}
	hdr := make([]byte, 512)
	copy(hdr, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1})
	binary.LittleEndian.PutUint16(hdr[24:], 0x3E)
	binary.LittleEndian.PutUint16(hdr[26:], 3)
	binary.LittleEndian.PutUint16(hdr[28:], 0xFFFE)
	binary.LittleEndian.PutUint16(hdr[30:], 9)
	binary.LittleEndian.PutUint16(hdr[32:], 6)
	binary.LittleEndian.PutUint32(hdr[44:], uint32(fat))
	binary.LittleEndian.PutUint32(hdr[48:], uint32(dirSec))
	binary.LittleEndian.PutUint32(hdr[56:], 4096)
	binary.LittleEndian.PutUint32(hdr[60:], 0xFFFFFFFE)
	binary.LittleEndian.PutUint32(hdr[68:], 0xFFFFFFFE)
	for i := 0; i < 109; i++ {
		v := uint32(0xFFFFFFFF)
		if i < fat {
			v = uint32(n + 1 + i)
		}
		binary.LittleEndian.PutUint32(hdr[76+4*i:], v)
	}
	entry := func(name string, typ byte, child, start uint32, size int) []byte {
		e := make([]byte, 128)
		w := wide(name)
		copy(e, w)
		binary.LittleEndian.PutUint16(e[64:], uint16(len(w)+2))
		e[66], e[67] = typ, 1
		binary.LittleEndian.PutUint32(e[68:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[72:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[76:], child)
		binary.LittleEndian.PutUint32(e[116:], start)
		binary.LittleEndian.PutUint64(e[120:], uint64(size))
		return e
	}
	empty := func() []byte {
		e := make([]byte, 128)
		binary.LittleEndian.PutUint32(e[68:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[72:], 0xFFFFFFFF)
		binary.LittleEndian.PutUint32(e[76:], 0xFFFFFFFF)
		return e
	}
	dir := cat(entry("Root Entry", 5, 1, 0xFFFFFFFE, 0), entry(name, 2, 0xFFFFFFFF, 0, len(stream)), empty(), empty())
	body := make([]byte, n*sec)
	copy(body, stream)
	var fatBytes []byte
	for _, e := range entries {
		fatBytes = binary.LittleEndian.AppendUint32(fatBytes, e)
	}
	return cat(hdr, body, dir, fatBytes)
}

// Cell records.
func cellHead(row, col, xf int) []byte { return cat(le16(row), le16(col), le16(xf)) }
func labelSST(row, col, i int) biffRecord {
	return biffRecord{recLabelSST, cat(cellHead(row, col, xfGeneral), le32(i))}
}
func numberCell(row, col, xf int, f float64) biffRecord {
	return biffRecord{recNumber, cat(cellHead(row, col, xf), binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)))}
}
func rkInt(v int) []byte    { return le32(v<<2 | 2) }
func rkInt100(v int) []byte { return le32(v<<2 | 3) } // v/100
func rkCell(row, col, xf int, rk []byte) biffRecord {
	return biffRecord{recRK, cat(cellHead(row, col, xf), rk)}
}
func formulaNumber(row, col, xf int, f float64) biffRecord {
	return biffRecord{recFormula, cat(cellHead(row, col, xf), binary.LittleEndian.AppendUint64(nil, math.Float64bits(f)), le16(0), le32(0), le16(3), []byte{0x1E, 3, 0})}
}
func formulaString(row, col int, s string) []biffRecord {
	return []biffRecord{
		{recFormula, cat(cellHead(row, col, xfGeneral), []byte{0, 0, 0, 0, 0, 0, 0xFF, 0xFF}, le16(0), le32(0), le16(3), []byte{0x17, 0, 0})},
		{recString, xlStr(s)},
	}
}

// sstRecords writes the shared strings, the third split across a CONTINUE
// record in the middle of its characters, stored compressed before the
// split and wide after it.
func sstRecords(strs []string) []biffRecord {
	var body []byte
	body = append(body, le32(len(strs))...)
	body = append(body, le32(len(strs))...)
	var cont []byte
	for i, s := range strs {
		u := utf16.Encode([]rune(s))
		if i != 2 {
			body = append(body, le16(len(u))...)
			body = append(body, 1)
			body = append(body, wide(s)...)
			continue
		}
		// "ABC" compressed here, the rest wide in the CONTINUE record
		body = append(body, le16(len(u))...)
		body = append(body, 0)
		body = append(body, []byte(s[:3])...)
		cont = append(cont, 1)
		cont = append(cont, wide(s[3:])...)
		for _, rest := range strs[i+1:] {
			ur := utf16.Encode([]rune(rest))
			cont = append(cont, le16(len(ur))...)
			cont = append(cont, 1)
			cont = append(cont, wide(rest)...)
		}
		break
	}
	return []biffRecord{{recSST, body}, {recContinue, cont}}
}

// mediationBook is a BIFF8 workbook of 人民调解台账 with every cell record kind.
func mediationBook(date1904 bool) testBook {
	strs := []string{"受理日期", "乡镇", "ABC纠纷类型", "调解结果", "当事人数", "涉及金额(元)", "石门镇", "邻里", "调解成功", "营盘镇", "合同", "石门镇人民调解台账"}
	// the third string reads "ABC纠纷类型": a header that does not match, so
	// the test header is written inline by a LABEL record instead, and the
	// split string is checked in a cell of its own
	serial := func(y, m, d int) float64 {
		base := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
		if date1904 {
			base = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Sub(base).Hours() / 24
	}
	label := func(row, col int, s string) biffRecord {
		return biffRecord{recLabel, cat(cellHead(row, col, xfGeneral), xlStr(s))}
	}
	cells := []biffRecord{
		labelSST(0, 0, 11), // the title, merged over A1:G1
		labelSST(1, 0, 0), labelSST(1, 1, 1), label(1, 2, "纠纷类型"), labelSST(1, 3, 3), labelSST(1, 4, 4), labelSST(1, 5, 5), labelSST(1, 6, 2),
		// row 3: a date by the built-in format, an RK count, an RK amount ×100
		numberCell(2, 0, xfDate, serial(2015, 3, 5)), labelSST(2, 1, 6), labelSST(2, 2, 7), labelSST(2, 3, 8),
		rkCell(2, 4, xfGeneral, rkInt(3)), rkCell(2, 5, xfMoney, rkInt100(125050)),
		// row 4: a date in a Chinese custom format; a MULRK of count and amount; the town by a formula's text
		numberCell(3, 0, xfCNDate, serial(2016, 12, 31)),
		{recMulRK, cat(le16(3), le16(4), le16(xfGeneral), rkInt(4), le16(xfMoney), rkInt(800), le16(5))},
		labelSST(3, 2, 10), labelSST(3, 3, 8),
		// row 5: a formula's cached number, a TRUE/FALSE cell outside the ledger
		numberCell(4, 0, xfDate, serial(2016, 1, 2)), labelSST(4, 1, 9), labelSST(4, 2, 7), labelSST(4, 3, 8),
		formulaNumber(4, 4, xfGeneral, 7), numberCell(4, 5, xfGeneral, 99.5),
		{recBoolErr, cat(cellHead(4, 7, xfGeneral), []byte{1, 0})},
		// an embedded chart's substream is passed over
		{recBOF, cat(le16(0x0600), le16(0x20), make([]byte, 12))}, labelSST(9, 0, 9), {recEOF, nil},
		{recMerged, cat(le16(1), le16(0), le16(0), le16(0), le16(6))},
	}
	cells = append(cells, formulaString(3, 1, "石门镇")...)
	return testBook{date1904: date1904, sst: sstRecords(strs), sheets: []testSheet{
		{name: "人民调解", cells: cells},
		{name: "作废", hidden: true, cells: []biffRecord{labelSST(0, 0, 0), labelSST(0, 1, 1), label(0, 2, "纠纷类型"), labelSST(0, 3, 3),
			numberCell(1, 0, xfDate, serial(2015, 1, 1)), labelSST(1, 1, 6), labelSST(1, 2, 7), labelSST(1, 3, 8)}},
	}}
}

// TestXLSRecords reads every BIFF8 cell record kind, in both date systems.
func TestXLSRecords(t *testing.T) {
	for _, date1904 := range []bool{false, true} {
		data := compoundFile("Workbook", mediationBook(date1904).stream())
		var passed []string
		tables, rows, err := readAll(t, writeFile(t, "台账.xls", data), Options{PassOver: func(s, _ string) { passed = append(passed, s) }})
		if err != nil {
			t.Fatal(err)
		}
		if len(tables) != 1 || tables[0].Ledger.ID != "mediation" || tables[0].Format != FormatXLS || tables[0].HeaderRow != 2 || tables[0].Date1904 != date1904 {
			t.Fatalf("1904=%v: tables %+v", date1904, tables)
		}
		if len(passed) != 1 || passed[0] != "作废" {
			t.Errorf("passed over %v, want the hidden sheet", passed)
		}
		want := []map[string]string{
			{"受理日期": "2015-03-05", "乡镇": "石门镇", "纠纷类型": "邻里", "调解结果": "调解成功", "当事人数": "3", "涉及金额(元)": "1250.5", RowColumn: "3"},
			{"受理日期": "2016-12-31", "乡镇": "石门镇", "纠纷类型": "合同", "调解结果": "调解成功", "当事人数": "4", "涉及金额(元)": "800", RowColumn: "4"},
			{"受理日期": "2016-01-02", "乡镇": "营盘镇", "纠纷类型": "邻里", "调解结果": "调解成功", "当事人数": "7", "涉及金额(元)": "99.5", RowColumn: "5"},
		}
		if len(rows[0]) != len(want) {
			t.Fatalf("1904=%v: %d rows: %v", date1904, len(rows[0]), rows[0])
		}
		for i, w := range want {
			for k, v := range w {
				if rows[0][i][k] != v {
					t.Errorf("1904=%v row %d %s = %q, want %q", date1904, i+3, k, rows[0][i][k], v)
				}
			}
		}
	}
	// the string split across the CONTINUE record, read whole
	b := mediationBook(false)
	book, err := parseGlobals(b.stream())
	if err != nil {
		t.Fatal(err)
	}
	if book.sst[2] != "ABC纠纷类型" || book.sst[11] != "石门镇人民调解台账" {
		t.Errorf("shared strings %q", book.sst)
	}
}

// TestFormatIsDate: which number formats show dates.
func TestFormatIsDate(t *testing.T) {
	for f, want := range map[string]bool{
		`yyyy"年"m"月"d"日"`: true, `yyyy-mm-dd`: true, `[$-804]yyyy"年"m"月"`: true, `m/d/yy`: true, `[h]:mm`: true,
		`General`: false, `0.00`: false, `#,##0.00_);[Red](#,##0.00)`: false, `"元"0`: false, `0"天"`: false, `@`: false,
	} {
		if FormatIsDate(f) != want {
			t.Errorf("FormatIsDate(%q) = %v", f, !want)
		}
	}
}

// TestNoFileShapeHangs feeds broken and hostile files of every container to
// the readers: each must end, with a message naming the file, within seconds.
func TestNoFileShapeHangs(t *testing.T) {
	good := mediationBook(false)
	stream := good.stream()
	cfb := compoundFile("Workbook", stream)
	cyclic := append([]byte(nil), cfb...)
	// the stream's sector chain points back at its own first sector
	fatAt := len(cyclic) - 512
	binary.LittleEndian.PutUint32(cyclic[fatAt+4*((len(stream)+511)/512-1):], 0)
	hugeSST := append([]byte(nil), stream...)
	if i := bytes.Index(hugeSST, []byte{0xFC, 0x00}); i >= 0 {
		binary.LittleEndian.PutUint32(hugeSST[i+8:], 0x7FFFFFFF)
	}
	badOffset := append([]byte(nil), stream...)
	if i := bytes.Index(badOffset, []byte{0x85, 0x00}); i >= 0 {
		binary.LittleEndian.PutUint32(badOffset[i+4:], 0x7FFFFFF0)
	}
	withPass, biff5 := good, good
	withPass.filepass, biff5.biff5 = true, true
	odsRepeat := zipWith(t, map[string][]byte{"mimetype": []byte("application/vnd.oasis.opendocument.spreadsheet"), "content.xml": []byte(
		`<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:spreadsheet><table:table table:name="a">` +
			`<table:table-row table:number-rows-repeated="1000000000"><table:table-cell table:number-columns-repeated="1000000000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>` +
			`</table:table></office:spreadsheet></office:body></office:document-content>`)})
	odsText := zipWith(t, map[string][]byte{"mimetype": []byte("application/vnd.oasis.opendocument.text"), "content.xml": []byte("<x/>")})
	docx := zipWith(t, map[string][]byte{"word/document.xml": []byte("<x/>")})
	cases := []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"truncated xls", "a.xls", cfb[:len(cfb)/2], "损坏"},
		{"cyclic sector chain", "a.xls", cyclic, ""}, // read as far as the stream's size: it ends
		{"shared strings claim 2^31", "a.xls", compoundFile("Workbook", hugeSST), "损坏"},
		{"sheet offset past the end", "a.xls", compoundFile("Workbook", badOffset), "位置"},
		{"password", "a.xls", compoundFile("Workbook", withPass.stream()), "密码"},
		{"Excel 95", "a.xls", compoundFile("Workbook", biff5.stream()), "Excel 95"},
		{"Excel 5 stream name", "a.xls", compoundFile("Book", stream), "Excel 95"},
		{"Word 97 document", "a.xls", compoundFile("WordDocument", stream), "Word"},
		{"ods repeating a row a billion times", "a.ods", odsRepeat, "上限"},
		{"ODF text document", "a.ods", odsText, "不是表格"},
		{"docx named .xls", "a.xls", docx, "Word"},
		{"html without a table", "a.xls", []byte("<html><body><p>导出失败</p></body></html>"), "没有表格"},
		{"html cut off", "a.xls", []byte("<html><table><tr><td>受理日期<td>乡镇<td>纠纷类型<td>调解结果<tr><td>2015-01-01<td>石门镇<td>邻里"), ""},
		{"xml that is not a spreadsheet", "a.xls", []byte(`<?xml version="1.0"?><rss><channel/></rss>`), "不是 Excel 2003 XML"},
		{"spreadsheetml cut off", "a.xls", []byte(`<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="a"><Table><Row><Cell>`), "读取出错"},
		{"pdf", "a.xls", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj"), "PDF"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, _, err := readAll(t, writeFile(t, c.file, c.data), Options{})
				done <- err
			}()
			select {
			case err := <-done:
				if c.want == "" {
					return // read or refused: it ended
				}
				var fe *FileError
				if !errors.As(err, &fe) || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.want) {
					t.Errorf("err = %v, want a message naming %s with %q", err, c.file, c.want)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the read did not end in 20 s")
			}
		})
	}
}
