package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// What a file really is, in the words the reports use. A file is taken by
// its content: an HTML table or a tab-separated text saved as .xls is read
// as what it is.
const (
	FormatXLSX   = "Excel 工作簿（.xlsx）"
	FormatXLS    = "Excel 97–2003 工作簿（.xls，BIFF8；WPS 的 .et 也是这种）"
	FormatODS    = "OpenDocument 表格（.ods）"
	FormatHTML   = "网页表格（HTML）"
	FormatXML    = "Excel 2003 XML 表格（SpreadsheetML）"
	FormatCSV    = "逗号分隔的文本（CSV）"
	FormatTSV    = "制表符分隔的文本"
	encUTF8      = "UTF-8"
	encGB18030   = "GBK/GB18030"
	encUTF16LE   = "UTF-16（Excel“Unicode 文本”）"
	encUTF16BE   = "UTF-16BE"
	sniffedBytes = 1 << 16
)

// book is a file opened by one of the readers: its sheets in order.
type book struct {
	Format   string // the reader used, in words
	Sheets   []bookSheet
	Date1904 bool // the workbook counts dates from 1904 (Excel for Mac)
	close    func()
}

type bookSheet struct {
	Name   string
	Hidden bool
	open   func() (rowSource, *mergeFill, error)
}

// sliceSource yields the rows of a sheet read whole (.xls, .ods, HTML, XML).
type sliceSource struct {
	rows [][]string
	i    int
	fill *mergeFill
}

func (s *sliceSource) next() ([]string, int, error) {
	if s.i >= len(s.rows) {
		return nil, s.i, io.EOF
	}
	row := s.rows[s.i]
	s.rows[s.i] = nil // handed on: the table keeps what it needs
	s.i++
	if s.fill != nil {
		row = s.fill.apply(s.i, row)
	}
	return row, s.i, nil
}

// Read opens a ledger file and calls visit for every table of a ledger in
// it: every sheet, and every table stacked on a sheet under its own title
// and header. Sheets without a recognisable header (a cover, 说明) and
// hidden sheets are passed over and told to opt.PassOver; a file with no
// ledger at all is an error. The reader is chosen by what the file holds,
// never by its name alone. Errors name the file and say what to do.
func Read(path string, opt Options, visit func(*Table) error) error {
	opt.Limits = opt.Limits.withDefaults()
	if opt.BatchRows <= 0 {
		opt.BatchRows = 65536
	}
	if opt.Context == nil {
		opt.Context = context.Background()
	}
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return &FileError{File: name, Reason: "无法打开文件：" + err.Error()}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return &FileError{File: name, Reason: "无法打开文件：" + err.Error()}
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return &FileError{File: name, Reason: err.Error()}
	}
	var b *book
	switch {
	case n == 0:
		return &FileError{File: name, Reason: "文件是空的"}
	case bytes.HasPrefix(head, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		b, err = openXLS(f, st.Size(), name, opt.Limits)
	case bytes.HasPrefix(head, []byte("PK")):
		b, err = openZip(path, name, opt)
	default:
		b, err = openText(f, name, opt)
	}
	if err != nil {
		return err
	}
	if b.close != nil {
		defer b.close()
	}
	err = readBook(b, name, opt, visit)
	var fe *FileError
	ext := strings.ToLower(filepath.Ext(name))
	if errors.As(err, &fe) && (fe.Reason == noHeader || fe.Reason == emptySheet) && (ext == ".xlsx" || ext == ".xlsm") &&
		(strings.HasPrefix(b.Format, FormatCSV) || strings.HasPrefix(b.Format, FormatTSV)) {
		// a name that says Excel over bytes that are text and no ledger
		fe.Reason = "文件扩展名是 " + ext + "，但内容不是 Excel 表格，而是一段文字，也找不到台账的表头：文件可能已损坏或选错了，请在 Excel 或 WPS 里打开看看，能打开的话“另存为” .xlsx 再上传"
	}
	return err
}

// readBook finds the tables of each sheet and hands them to visit.
func readBook(b *book, name string, opt Options, visit func(*Table) error) error {
	found := 0
	var firstErr error
	pass := func(sheet, reason string) {
		if opt.PassOver != nil {
			opt.PassOver(sheet, reason)
		}
	}
	for _, sh := range b.Sheets {
		if sh.Hidden {
			pass(sh.Name, "隐藏的工作表，没有读")
			continue
		}
		if err := opt.Context.Err(); err != nil {
			return err
		}
		src, fill, err := sh.open()
		if err != nil {
			var fe *FileError
			if errors.As(err, &fe) {
				return err
			}
			return &FileError{File: name, Sheet: sh.Name, Reason: err.Error()}
		}
		var cur rowSource = src
		for section := 0; cur != nil; section++ {
			t, err := findTable(cur, name, sh.Name, opt, fill)
			if err != nil {
				var fe *FileError
				if errors.As(err, &fe) && (fe.Reason == noHeader || fe.Reason == emptySheet) {
					if section == 0 {
						if firstErr == nil || (firstErr.(*FileError).Reason == emptySheet && fe.Reason == noHeader) {
							firstErr = err
						}
						if len(b.Sheets) > 1 {
							pass(sh.Name, "没有找到台账的表头（封面、说明或空表），没有读")
						}
					}
					break
				}
				closeSource(src)
				return err
			}
			t.Format, t.Date1904, t.Section = b.Format, b.Date1904, section+1
			found++
			err = visit(t)
			if err != nil {
				closeSource(src)
				return err
			}
			cur = t.rest
		}
		closeSource(src)
	}
	if found == 0 {
		if firstErr != nil {
			return firstErr
		}
		return &FileError{File: name, Reason: "工作簿里没有可见的工作表"}
	}
	return nil
}

func closeSource(s rowSource) {
	if c, ok := s.(io.Closer); ok {
		c.Close()
	}
}

// ---- zip containers: .xlsx and .ods ----

func openZip(path, name string, opt Options) (*book, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, &FileError{File: name, Reason: "文件像是 .xlsx 或 .ods，但已损坏或没有传完，无法打开：" + err.Error() + "。请在 Excel 或 WPS 里打开看看，能打开的话重新保存后再上传"}
	}
	var total uint64
	has := map[string]bool{}
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		has[zf.Name] = true
	}
	if total > uint64(opt.Limits.MaxInflatedBytes) {
		zr.Close()
		return nil, &FileError{File: name, Reason: fmt.Sprintf("解压后有 %d MB，超过了 %d MB 的上限，文件可能已损坏或是恶意文件", total>>20, opt.Limits.MaxInflatedBytes>>20)}
	}
	switch {
	case has["xl/workbook.xml"]:
		zr.Close()
		return openXLSX(path, name, opt)
	case has["content.xml"]:
		defer zr.Close()
		mime := ""
		if has["mimetype"] {
			mime = string(readZipPart(&zr.Reader, "mimetype", 256))
		}
		if mime != "" && !strings.Contains(mime, "spreadsheet") {
			return nil, &FileError{File: name, Reason: "这是 OpenDocument 的文字或演示文档（" + mime + "），不是表格：请把台账做成表格（.xlsx、.xls、.ods 或 .csv）再上传"}
		}
		return openODS(&zr.Reader, name, opt)
	case has["word/document.xml"]:
		zr.Close()
		return nil, &FileError{File: name, Reason: "这是 Word 文档（.docx），不是表格：台账请用 Excel 或 WPS 表格填写，存为 .xlsx 再上传"}
	case has["ppt/presentation.xml"]:
		zr.Close()
		return nil, &FileError{File: name, Reason: "这是 PowerPoint 演示文稿，不是表格：请上传台账表格"}
	}
	zr.Close()
	return nil, &FileError{File: name, Reason: "这是一个压缩包（.zip），不是 Excel 表格：请解压后上传里面的台账文件"}
}

func readZipPart(zr *zip.Reader, part string, limit int64) []byte {
	for _, f := range zr.File {
		if f.Name == part {
			rc, err := f.Open()
			if err != nil {
				return nil
			}
			defer rc.Close()
			b, _ := io.ReadAll(io.LimitReader(rc, limit))
			return b
		}
	}
	return nil
}

func openXLSX(path, name string, opt Options) (*book, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, &FileError{File: name, Reason: "不是有效的 Excel（.xlsx）文件，可能已损坏或没有传完：" + err.Error()}
	}
	parts, err := sheetParts(&zr.Reader)
	if err != nil {
		zr.Close()
		return nil, &FileError{File: name, Reason: "不是有效的 Excel（.xlsx）文件：" + err.Error()}
	}
	xf, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: opt.Limits.MaxInflatedBytes, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		zr.Close()
		return nil, &FileError{File: name, Reason: "无法读取 Excel 文件，可能已损坏：" + err.Error()}
	}
	b := &book{Format: FormatXLSX, close: func() { xf.Close(); zr.Close() }}
	if props, err := xf.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		b.Date1904 = *props.Date1904
	}
	for _, sheet := range xf.GetSheetList() {
		visible, _ := xf.GetSheetVisible(sheet)
		b.Sheets = append(b.Sheets, bookSheet{Name: sheet, Hidden: !visible, open: func() (rowSource, *mergeFill, error) {
			merges, err := scanMerges(&zr.Reader, parts[sheet], opt.Limits.MaxInflatedBytes)
			if err != nil {
				return nil, nil, err
			}
			rows, err := xf.Rows(sheet)
			if err != nil {
				return nil, nil, errors.New("无法读取：" + err.Error())
			}
			fill := newMergeFill(merges)
			return &xlsxSource{rows: rows, max: opt.Limits.MaxColumns, fill: fill}, fill, nil
		}})
	}
	return b, nil
}

func (s *xlsxSource) Close() error { return s.rows.Close() }

// ---- text: CSV, tab-separated text, and HTML or XML saved as .xls ----

// openText reads a text file: its encoding from its bytes (a BOM, UTF-8,
// else GB18030), then what it holds (an HTML table, an Excel 2003 XML
// spreadsheet, or rows separated by commas or tabs).
func openText(f *os.File, name string, opt Options) (*book, error) {
	br := bufio.NewReaderSize(f, sniffedBytes)
	peek, _ := br.Peek(sniffedBytes)
	full := len(peek) == sniffedBytes
	var r io.Reader = br
	var text []byte // the peeked bytes decoded, to sniff
	enc := encUTF8
	switch {
	case bytes.HasPrefix(peek, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
		text = peek[3:]
	case bytes.HasPrefix(peek, []byte{0xFF, 0xFE}), bytes.HasPrefix(peek, []byte{0xFE, 0xFF}):
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
		enc = encUTF16LE
		if peek[0] == 0xFE {
			enc = encUTF16BE
		}
		r = transform.NewReader(br, dec.NewDecoder())
		text, _ = dec.NewDecoder().Bytes(peek[:len(peek)&^1])
	case looksUTF16LE(peek):
		// UTF-16 without its BOM: every other byte is zero in the ASCII parts
		dec := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
		enc = encUTF16LE
		r = transform.NewReader(br, dec.NewDecoder())
		text, _ = dec.NewDecoder().Bytes(peek[:len(peek)&^1])
	case bytes.IndexByte(peek, 0) >= 0:
		return nil, &FileError{File: name, Reason: "无法识别这个文件：它不是 Excel、WPS 或 OpenDocument 表格，也不是文本（CSV）。请在 Excel 或 WPS 里打开，“另存为” .xlsx 后再上传"}
	case validUTF8Prefix(peek, full):
		text = peek
	default:
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(peek)
		if err != nil || !plausibleText(dec) {
			return nil, &FileError{File: name, Reason: "无法识别文件的编码（不是 UTF-8、GBK 或 UTF-16 文本）：请用 Excel 或 WPS 另存为 .xlsx 或 CSV（UTF-8）"}
		}
		enc = encGB18030
		r = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
		text = dec
	}
	lead := strings.ToLower(string(bytes.TrimLeft(text[:min(len(text), 4096)], " \t\r\n\ufeff")))
	switch {
	case strings.Contains(strings.ToLower(string(text[:min(len(text), 8192)])), "urn:schemas-microsoft-com:office:spreadsheet"):
		return openSpreadsheetML(r, name, enc, opt)
	case strings.HasPrefix(lead, "<") && (strings.Contains(lead, "<table") || strings.Contains(lead, "<html") || strings.HasPrefix(lead, "<!doctype html")):
		return openHTML(r, name, enc, opt)
	case strings.HasPrefix(lead, "<?xml"):
		return nil, &FileError{File: name, Reason: "这是一个 XML 文件，但不是 Excel 2003 XML 表格，读不了：请在 Excel 或 WPS 里打开，“另存为” .xlsx 后再上传"}
	case strings.HasPrefix(lead, "{\\rtf"):
		return nil, &FileError{File: name, Reason: "这是 RTF 文字文档，不是表格：请上传台账表格（.xlsx、.xls 或 .csv）"}
	case strings.HasPrefix(lead, "%pdf"):
		return nil, &FileError{File: name, Reason: "这是 PDF 文件，sifa 读不出里面的表格：请上传做这个 PDF 用的 Excel 台账"}
	}
	comma, format := ',', FormatCSV
	if tabSeparated(text, full) {
		comma, format = '\t', FormatTSV
	}
	format += "，" + enc + " 编码"
	lim := opt.Limits
	cr := csv.NewReader(&lineLimit{r: r, max: lim.MaxCellChars * 4 * 8, tot: lim.MaxInflatedBytes})
	cr.Comma = comma
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true // rowSource: a row kept is copied
	src := &csvSource{r: cr, utf8: enc == encUTF8, max: lim.MaxColumns}
	return &book{Format: format, Sheets: []bookSheet{{open: func() (rowSource, *mergeFill, error) { return src, nil, nil }}}}, nil
}

// looksUTF16LE says whether bytes are UTF-16LE text without a BOM: a zero
// in most odd places and in few even ones.
func looksUTF16LE(b []byte) bool {
	if len(b) < 16 {
		return false
	}
	odd, even := 0, 0
	n := min(len(b), 4096) &^ 1
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	return odd*3 > n/2 && even*20 < n/2
}

// tabSeparated says whether the lines of a text are separated by tabs
// rather than commas: more tabs than commas outside quotes in its first lines.
func tabSeparated(text []byte, full bool) bool {
	if full {
		if i := bytes.LastIndexByte(text, '\n'); i > 0 {
			text = text[:i]
		}
	}
	tabs, commas, lines := 0, 0, 0
	quoted := false
	for _, c := range text {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\t':
			tabs++
		case c == ',':
			commas++
		case c == '\n':
			if lines++; lines >= 50 {
				return tabs > commas
			}
		}
	}
	return tabs > commas
}

// LooksTabular says whether a .txt file in a folder is a table (Excel's
// "Unicode 文本" or a tab-separated export) rather than a note beside the
// ledgers: UTF-16 with a BOM, or a first line with two or more tabs.
func LooksTabular(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) || looksUTF16LE(head) {
		return true
	}
	line, _, _ := bytes.Cut(bytes.TrimLeft(head, "\ufeff\r\n"), []byte("\n"))
	return bytes.Count(line, []byte("\t")) >= 2
}
