package ingest

import (
	"archive/zip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The OpenDocument reader: content.xml of an .ods (LibreOffice, WPS "save
// as ODS"), streamed with encoding/xml. Cells carry their typed values
// (office:value, office:date-value), so dates need no date system.

const (
	nsTable  = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
	nsOffice = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
	nsText   = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	nsStyle  = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
)

// maxSheetRows bounds a sheet's rows (Excel's and LibreOffice's own limit):
// a file repeating a row a billion times is refused, not expanded.
const maxSheetRows = 1 << 20

func openODS(zr *zip.Reader, name string, opt Options) (*book, error) {
	var part *zip.File
	for _, f := range zr.File {
		if f.Name == "content.xml" {
			part = f
		}
	}
	rc, err := part.Open()
	if err != nil {
		return nil, &FileError{File: name, Reason: "OpenDocument 表格（.ods）已损坏，无法读取：" + err.Error()}
	}
	defer rc.Close()
	sheets, err := parseODS(opt.Context, &limitedReader{r: rc, n: opt.Limits.MaxInflatedBytes}, opt.Limits)
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.File = name
			return nil, fe
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, &FileError{File: name, Reason: "OpenDocument 表格（.ods）的内容有误，无法读取（" + err.Error() + "）：请在 WPS 或 LibreOffice 里打开，“另存为” .xlsx 后再上传"}
	}
	return sheetsBook(FormatODS, sheets), nil
}

// wholeSheet is a sheet read whole by one of the in-memory readers.
type wholeSheet struct {
	name   string
	hidden bool
	rows   [][]string
	merges []mergeRange
}

func sheetsBook(format string, sheets []wholeSheet) *book {
	b := &book{Format: format}
	for _, s := range sheets {
		b.Sheets = append(b.Sheets, bookSheet{Name: s.name, Hidden: s.hidden, open: func() (rowSource, *mergeFill, error) {
			fill := newMergeFill(s.merges)
			return &sliceSource{rows: s.rows, fill: fill}, fill, nil
		}})
	}
	return b
}

// limitedReader fails a read past n bytes.
type limitedReader struct {
	r io.Reader
	n int64
}

func (l *limitedReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n -= int64(n)
	if l.n < 0 {
		return 0, fmt.Errorf("解压后超过了大小上限，文件可能已损坏或是恶意文件")
	}
	return n, err
}

func attr(e xml.StartElement, space, local string) string {
	for _, a := range e.Attr {
		if a.Name.Local == local && (a.Name.Space == space || space == "") {
			return a.Value
		}
	}
	return ""
}

func repeat(v string, limit int) (int, error) {
	if v == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 1, nil
	}
	if n > limit {
		return limit + 1, nil
	}
	return n, nil
}

// sheetBuilder collects a sheet's rows, expanding repeated rows and cells
// only where they hold something (a sheet ends in a row repeated a million
// times over empty cells).
type sheetBuilder struct {
	rows      [][]string
	blankRows int // blank rows seen and not yet added
	cells     int
	lim       Limits
}

func (b *sheetBuilder) addRow(row []string, times int) error {
	for len(row) > 0 && row[len(row)-1] == "" {
		row = row[:len(row)-1]
	}
	if len(row) == 0 {
		b.blankRows += times
		if len(b.rows)+b.blankRows > maxSheetRows {
			b.blankRows = maxSheetRows - len(b.rows) // only a later filled row would need them
		}
		return nil
	}
	if len(b.rows)+b.blankRows+times > maxSheetRows {
		return fmt.Errorf("工作表超过了 %d 行的上限", maxSheetRows)
	}
	for ; b.blankRows > 0; b.blankRows-- {
		b.rows = append(b.rows, nil)
	}
	for i := 0; i < times; i++ {
		b.cells += len(row)
		if b.cells > maxSheetCells {
			return fmt.Errorf("工作表有超过 %d 个单元格，超过了上限", maxSheetCells)
		}
		if i == 0 {
			b.rows = append(b.rows, row)
		} else {
			b.rows = append(b.rows, append([]string(nil), row...))
		}
	}
	return nil
}

func (b *sheetBuilder) addCell(row []string, v string, times int) ([]string, error) {
	if v == "" && times > 1 {
		// empty repeated cells: only add them if something follows (checked at the row's end)
		if len(row)+times > b.lim.MaxColumns {
			return append(row, make([]string, max(0, b.lim.MaxColumns-len(row)))...), nil
		}
		return append(row, make([]string, times)...), nil
	}
	if len(row)+times > b.lim.MaxColumns {
		return nil, fmt.Errorf("一行有超过 %d 列，超过了上限", b.lim.MaxColumns)
	}
	if len(v) > b.lim.MaxCellChars*4 {
		return nil, fmt.Errorf("有单元格超过了 %d 字的上限", b.lim.MaxCellChars)
	}
	for i := 0; i < times; i++ {
		row = append(row, v)
	}
	return row, nil
}

func parseODS(ctx context.Context, r io.Reader, lim Limits) ([]wholeSheet, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	d := xml.NewDecoder(r)
	hiddenStyle := map[string]bool{}
	var sheets []wholeSheet
	var cur *wholeSheet
	var sb *sheetBuilder
	var row []string
	rowTimes := 1
	var text strings.Builder
	inCell := false
	cellTimes := 1
	cellValue := "" // a typed value, when the cell has one
	typed := false
	paras := 0
	styleName := ""
	tokens := 0
	for {
		tok, err := nextToken(ctx, d, &tokens)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch e := tok.(type) {
		case xml.StartElement:
			switch {
			case e.Name.Space == nsStyle && e.Name.Local == "style":
				styleName = attr(e, nsStyle, "name")
			case e.Name.Space == nsStyle && e.Name.Local == "table-properties":
				if attr(e, nsTable, "display") == "false" {
					hiddenStyle[styleName] = true
				}
			case e.Name.Space == nsTable && e.Name.Local == "table":
				if cur != nil {
					continue // a table inside a cell: its text counts as the cell's
				}
				sheets = append(sheets, wholeSheet{name: attr(e, nsTable, "name"), hidden: hiddenStyle[attr(e, nsTable, "style-name")]})
				cur = &sheets[len(sheets)-1]
				sb = &sheetBuilder{lim: lim}
			case e.Name.Space == nsTable && e.Name.Local == "table-row" && cur != nil && !inCell:
				row = nil
				rowTimes, _ = repeat(attr(e, nsTable, "number-rows-repeated"), maxSheetRows)
			case e.Name.Space == nsTable && (e.Name.Local == "table-cell" || e.Name.Local == "covered-table-cell") && cur != nil && !inCell:
				inCell = true
				text.Reset()
				paras = 0
				cellTimes, _ = repeat(attr(e, nsTable, "number-columns-repeated"), 1<<20)
				cellValue, typed = odsValue(e)
				if cs, _ := repeat(attr(e, nsTable, "number-columns-spanned"), lim.MaxColumns); cs > 1 || attr(e, nsTable, "number-rows-spanned") != "" {
					rs, _ := repeat(attr(e, nsTable, "number-rows-spanned"), maxSheetRows)
					if cs > 1 || rs > 1 {
						r1 := len(sb.rows) + sb.blankRows + 1
						cur.merges = append(cur.merges, mergeRange{r1: r1, c1: len(row), r2: r1 + rs - 1, c2: len(row) + cs - 1})
					}
				}
			case inCell && e.Name.Space == nsText && e.Name.Local == "p":
				if paras > 0 {
					text.WriteByte('\n')
				}
				paras++
			case inCell && e.Name.Space == nsText && e.Name.Local == "s":
				n, _ := repeat(attr(e, nsText, "c"), 1000)
				text.WriteString(strings.Repeat(" ", n))
			case inCell && e.Name.Space == nsText && e.Name.Local == "tab":
				text.WriteByte('\t')
			case inCell && e.Name.Space == nsText && e.Name.Local == "line-break":
				text.WriteByte('\n')
			}
		case xml.CharData:
			if inCell && paras > 0 {
				if text.Len()+len(e) > lim.MaxCellChars*4 {
					return nil, fmt.Errorf("有单元格超过了 %d 字的上限", lim.MaxCellChars)
				}
				text.Write(e)
			}
		case xml.EndElement:
			switch {
			case e.Name.Space == nsTable && (e.Name.Local == "table-cell" || e.Name.Local == "covered-table-cell") && inCell:
				inCell = false
				v := cellValue
				if !typed {
					v = text.String()
				}
				if row, err = sb.addCell(row, v, cellTimes); err != nil {
					return nil, err
				}
			case e.Name.Space == nsTable && e.Name.Local == "table-row" && cur != nil && !inCell:
				if err := sb.addRow(row, rowTimes); err != nil {
					return nil, err
				}
				row = nil
			case e.Name.Space == nsTable && e.Name.Local == "table" && cur != nil && !inCell:
				cur.rows = sb.rows
				cur, sb = nil, nil
			}
		}
	}
	if len(sheets) == 0 {
		return nil, errors.New("里面没有工作表")
	}
	return sheets, nil
}

// isoDateTime writes an XML date-time (2015-03-05T00:00:00, as .ods and
// XML Spreadsheets store dates) as 2015-03-05, with the time only when it has one.
func isoDateTime(v string) string {
	day, clock, _ := strings.Cut(strings.TrimSpace(v), "T")
	if clock != "" && strings.Trim(clock, "0:.") != "" {
		return day + " " + clock[:min(8, len(clock))]
	}
	return day
}

// nextToken is d.Token, stopping when ctx ends (looked at every 65,536 tokens, counted in n).
func nextToken(ctx context.Context, d *xml.Decoder, n *int) (xml.Token, error) {
	if *n++; *n%65536 == 0 && ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return d.Token()
}

// odsValue reads a cell's typed value: numbers in full from office:value,
// dates as 2015-03-05 from office:date-value.
func odsValue(e xml.StartElement) (string, bool) {
	switch attr(e, nsOffice, "value-type") {
	case "float", "percentage", "currency":
		v := attr(e, nsOffice, "value")
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return NumberText(f), true
		}
	case "date":
		v := attr(e, nsOffice, "date-value")
		return isoDateTime(v), true
	case "boolean":
		return strings.ToUpper(attr(e, nsOffice, "boolean-value")), true
	}
	return "", false
}
