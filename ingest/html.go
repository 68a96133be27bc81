package ingest

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Readers for the "Excel" files other systems export: an HTML page with a
// <table> saved as .xls, and an Excel 2003 XML Spreadsheet. Both arrive
// here decoded to UTF-8 (openText chose the encoding from the bytes).

// openHTML reads each top-level <table> of a page as a sheet: <th> and
// <td> alike, colspan and rowspan as merged cells, <br> as a line break.
func openHTML(r io.Reader, name, enc string, opt Options) (*book, error) {
	sheets, err := parseHTML(opt.Context, &limitedReader{r: r, n: opt.Limits.MaxInflatedBytes}, opt.Limits)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, &FileError{File: name, Reason: "网页表格（HTML）读取出错：" + err.Error()}
	}
	if len(sheets) == 0 {
		return nil, &FileError{File: name, Reason: "这是一个网页文件（HTML），里面没有表格：请从原来的系统导出成 Excel（.xlsx）或 CSV 再上传"}
	}
	return sheetsBook(FormatHTML+"，"+enc+" 编码", sheets), nil
}

func parseHTML(ctx context.Context, r io.Reader, lim Limits) ([]wholeSheet, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	z := html.NewTokenizer(r)
	z.SetMaxBuf(lim.MaxCellChars * 64)
	type table struct {
		sb     *sheetBuilder
		row    []string
		inRow  bool
		spans  map[int]int // column → rows still covered by a rowspan from above
		spanV  map[int]string
		merges []mergeRange
	}
	var sheets []wholeSheet
	var stack []*table
	var text strings.Builder
	inCell, colspan, rowspan := false, 1, 1
	title := ""
	inTitle := false
	heading, inHeading := "", false // the heading just before a table names it (LibreOffice writes one per sheet)
	var names []string              // per open table
	tokens := 0
	skip := 0   // inside <script> or <style>
	nested := 0 // inside a table inside a cell
	endCell := func() error {
		t := stack[len(stack)-1]
		v := strings.TrimSpace(text.String())
		// columns still covered by a rowspan from above come first
		for t.spans[len(t.row)] > 0 {
			t.row = append(t.row, t.spanV[len(t.row)])
		}
		at := len(t.row)
		var err error
		if t.row, err = t.sb.addCell(t.row, v, 1); err != nil {
			return err
		}
		for k := 1; k < colspan; k++ {
			if t.row, err = t.sb.addCell(t.row, "", 1); err != nil {
				return err
			}
		}
		r1 := len(t.sb.rows) + t.sb.blankRows + 1
		if colspan > 1 || rowspan > 1 {
			t.merges = append(t.merges, mergeRange{r1: r1, c1: at, r2: r1 + rowspan - 1, c2: at + colspan - 1})
		}
		if rowspan > 1 {
			for c := at; c < at+colspan; c++ {
				t.spans[c] = rowspan // counted down as each row ends
				t.spanV[c] = ""
			}
		}
		inCell = false
		return nil
	}
	endRow := func() error {
		t := stack[len(stack)-1]
		if inCell {
			if err := endCell(); err != nil {
				return err
			}
		}
		for t.spans[len(t.row)] > 0 {
			t.row = append(t.row, "")
		}
		for c, n := range t.spans {
			if n <= 1 {
				delete(t.spans, c)
			} else {
				t.spans[c] = n - 1
			}
		}
		err := t.sb.addRow(t.row, 1)
		t.row, t.inRow = nil, false
		return err
	}
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() == io.EOF {
				break
			}
			return nil, z.Err()
		}
		if tokens++; tokens%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			tn, hasAttr := z.TagName()
			a := atom.Lookup(tn)
			attrs := map[string]string{}
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				attrs[string(k)] = string(v)
			}
			switch a {
			case atom.Script, atom.Style:
				if tt == html.StartTagToken {
					skip++
				}
			case atom.Title:
				inTitle = true
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.Caption:
				if !inCell {
					inHeading, heading = true, ""
				}
			case atom.Table:
				if inCell && len(stack) > 0 {
					nested++ // a table inside a cell: its text is the cell's
					continue
				}
				stack = append(stack, &table{sb: &sheetBuilder{lim: lim}, spans: map[int]int{}, spanV: map[int]string{}})
				names = append(names, sheetHeading(heading))
				heading = ""
			case atom.Tr:
				if len(stack) == 0 || nested > 0 {
					continue
				}
				t := stack[len(stack)-1]
				if t.inRow {
					if err := endRow(); err != nil {
						return nil, err
					}
				}
				t.inRow = true
			case atom.Td, atom.Th:
				if len(stack) == 0 || nested > 0 {
					continue
				}
				t := stack[len(stack)-1]
				if inCell {
					if err := endCell(); err != nil {
						return nil, err
					}
				}
				t.inRow = true
				inCell = true
				text.Reset()
				colspan, _ = repeat(attrs["colspan"], lim.MaxColumns)
				rowspan, _ = repeat(attrs["rowspan"], maxSheetRows)
			case atom.Br:
				if inCell {
					text.WriteByte('\n')
				}
			case atom.P, atom.Div:
				if inCell && text.Len() > 0 {
					text.WriteByte('\n')
				}
			}
		case html.EndTagToken:
			tn, _ := z.TagName()
			switch atom.Lookup(tn) {
			case atom.Script, atom.Style:
				if skip > 0 {
					skip--
				}
			case atom.Title:
				inTitle = false
			case atom.H1, atom.H2, atom.H3, atom.H4:
				inHeading = false
			case atom.Caption:
				if inHeading && len(names) > 0 {
					names[len(names)-1] = sheetHeading(heading)
				}
				inHeading = false
			case atom.Td, atom.Th:
				if inCell && len(stack) > 0 && nested == 0 {
					if err := endCell(); err != nil {
						return nil, err
					}
				}
			case atom.Tr:
				if nested > 0 {
					continue
				}
				if inCell {
					if err := endCell(); err != nil {
						return nil, err
					}
				}
				if len(stack) > 0 && stack[len(stack)-1].inRow {
					if err := endRow(); err != nil {
						return nil, err
					}
				}
			case atom.Table:
				if nested > 0 {
					nested--
					continue
				}
				if len(stack) == 0 {
					continue
				}
				if inCell {
					if err := endCell(); err != nil {
						return nil, err
					}
				}
				t := stack[len(stack)-1]
				if t.inRow {
					if err := endRow(); err != nil {
						return nil, err
					}
				}
				stack = stack[:len(stack)-1]
				name := names[len(names)-1]
				names = names[:len(names)-1]
				switch {
				case name != "":
				case title != "" && len(sheets) == 0:
					name = title
				default:
					name = "表" + strconv.Itoa(len(sheets)+1)
				}
				sheets = append(sheets, wholeSheet{name: name, rows: t.sb.rows, merges: t.merges})
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			if inTitle {
				title = strings.TrimSpace(string(z.Text()))
				continue
			}
			if inHeading {
				heading += string(z.Text())
				continue
			}
			if inCell {
				if text.Len() > lim.MaxCellChars*4 {
					return nil, fmt.Errorf("有单元格超过了 %d 字的上限", lim.MaxCellChars)
				}
				text.Write(z.Text())
			}
		}
	}
	for len(stack) > 0 { // a page cut off before </table>
		t := stack[len(stack)-1]
		if t.inRow {
			if err := endRow(); err != nil {
				return nil, err
			}
		}
		stack = stack[:len(stack)-1]
		sheets = append(sheets, wholeSheet{name: "表" + strconv.Itoa(len(sheets)+1), rows: t.sb.rows, merges: t.merges})
	}
	return sheets, nil
}

// sheetHeading is a heading as a sheet name: "Sheet 2: 1月" (LibreOffice's) is 1月.
func sheetHeading(h string) string {
	h = strings.Join(strings.Fields(h), " ")
	if m := sheetPrefix.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return h
}

var sheetPrefix = regexp.MustCompile(`^(?:Sheet|工作表)\s*\d+\s*[:：]\s*(.+)$`)

// ---- Excel 2003 XML Spreadsheet ----

const nsSS = "urn:schemas-microsoft-com:office:spreadsheet"

func openSpreadsheetML(r io.Reader, name, enc string, opt Options) (*book, error) {
	sheets, err := parseSpreadsheetML(opt.Context, &limitedReader{r: r, n: opt.Limits.MaxInflatedBytes}, opt.Limits)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, &FileError{File: name, Reason: "Excel 2003 XML 表格读取出错（" + err.Error() + "）：请在 Excel 或 WPS 里打开，“另存为” .xlsx 后再上传"}
	}
	if len(sheets) == 0 {
		return nil, &FileError{File: name, Reason: "Excel 2003 XML 表格里没有工作表"}
	}
	return sheetsBook(FormatXML+"，"+enc+" 编码", sheets), nil
}

func parseSpreadsheetML(ctx context.Context, r io.Reader, lim Limits) ([]wholeSheet, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	d := xml.NewDecoder(r)
	// the text was decoded already: whatever encoding the declaration names
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	var sheets []wholeSheet
	var cur *wholeSheet
	var sb *sheetBuilder
	var row []string
	var text strings.Builder
	inData, inVisible := false, false
	dataType := ""
	cellIndex, mergeAcross, mergeDown := 0, 0, 0
	inCell := false
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
			switch e.Name.Local {
			case "Worksheet":
				sheets = append(sheets, wholeSheet{name: attr(e, nsSS, "Name")})
				cur = &sheets[len(sheets)-1]
				sb = &sheetBuilder{lim: lim}
			case "Row":
				if sb == nil {
					continue
				}
				row = nil
				if i, _ := strconv.Atoi(attr(e, nsSS, "Index")); i > len(sb.rows)+sb.blankRows+1 && i <= maxSheetRows {
					sb.blankRows = i - 1 - len(sb.rows)
				}
			case "Cell":
				if sb == nil {
					continue
				}
				inCell = true
				cellIndex, _ = strconv.Atoi(attr(e, nsSS, "Index"))
				mergeAcross, _ = strconv.Atoi(attr(e, nsSS, "MergeAcross"))
				mergeDown, _ = strconv.Atoi(attr(e, nsSS, "MergeDown"))
				text.Reset()
				dataType = ""
			case "Data":
				if inCell {
					inData = true
					dataType = attr(e, nsSS, "Type")
				}
			case "Visible":
				inVisible = cur != nil
			}
		case xml.CharData:
			switch {
			case inData:
				if text.Len()+len(e) > lim.MaxCellChars*4 {
					return nil, fmt.Errorf("有单元格超过了 %d 字的上限", lim.MaxCellChars)
				}
				text.Write(e)
			case inVisible:
				if v := strings.TrimSpace(string(e)); v == "SheetHidden" || v == "SheetVeryHidden" {
					cur.hidden = true
				}
			}
		case xml.EndElement:
			switch e.Name.Local {
			case "Data":
				inData = false
			case "Visible":
				inVisible = false
			case "Cell":
				if !inCell {
					continue
				}
				inCell = false
				if cellIndex > 0 && cellIndex-1 > len(row) {
					if cellIndex-1 > lim.MaxColumns {
						return nil, fmt.Errorf("一行有超过 %d 列，超过了上限", lim.MaxColumns)
					}
					row = append(row, make([]string, cellIndex-1-len(row))...)
				}
				v := text.String()
				switch dataType {
				case "DateTime":
					v = isoDateTime(v)
				case "Number":
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
						v = NumberText(f)
					}
				case "Boolean":
					v = boolText(strings.TrimSpace(v) == "1")
				}
				at := len(row)
				var err error
				if row, err = sb.addCell(row, v, 1); err != nil {
					return nil, err
				}
				for k := 0; k < mergeAcross; k++ {
					if row, err = sb.addCell(row, "", 1); err != nil {
						return nil, err
					}
				}
				if mergeAcross > 0 || mergeDown > 0 {
					r1 := len(sb.rows) + sb.blankRows + 1
					cur.merges = append(cur.merges, mergeRange{r1: r1, c1: at, r2: r1 + min(mergeDown, maxSheetRows), c2: at + mergeAcross})
				}
			case "Row":
				if sb == nil {
					continue
				}
				if err := sb.addRow(row, 1); err != nil {
					return nil, err
				}
				row = nil
			case "Worksheet":
				if cur != nil {
					cur.rows = sb.rows
				}
				cur, sb = nil, nil
			}
		}
	}
	return sheets, nil
}
