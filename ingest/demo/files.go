// Package demo writes the two synthetic demo counties (青山县, 绿水县, under
// the fictional province code 99) as real .xlsx and .csv ledger files, with
// the mess real files have, built so that the panels reproduce the seed
// reports' own figures. Every file says it is synthetic.
package demo

import (
	"encoding/csv"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"sifa/ingest"
)

// Synthetic is written on every demo file.
const Synthetic = "（演示数据，虚构，非真实统计）"

// sheet is one ledger file's content before it is written.
type sheet struct {
	title  []string // lines above the header
	header []string
	// group, when set, makes a two-row header: group.name spans group.cols
	// (indexes into header), whose second-row labels are group.sub.
	group  *headerGroup
	rows   [][]any // string, int, int64, float64, time.Time (a real date cell in .xlsx)
	footer []string
	total  bool // add a 合计 row
}

type headerGroup struct {
	name string
	cols []int
	sub  []string
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case time.Time:
		return x.Format("2006-01-02")
	case float64:
		return fmt.Sprintf("%.2f", x)
	}
	return fmt.Sprint(v)
}

// writeXLSX writes the sheet with merged title cells and, for a grouped
// header, merged header cells over two rows.
func (s *sheet) writeXLSX(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const name = "Sheet1"
	width := len(s.header)
	last := ingest.ColumnLetter(width - 1)
	dateStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: strp("yyyy-mm-dd")})
	textStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 49})
	r := 1
	for _, t := range s.title {
		f.SetCellStr(name, fmt.Sprintf("A%d", r), t)
		f.MergeCell(name, fmt.Sprintf("A%d", r), fmt.Sprintf("%s%d", last, r))
		r++
	}
	if s.group == nil {
		for j, h := range s.header {
			f.SetCellStr(name, fmt.Sprintf("%s%d", ingest.ColumnLetter(j), r), h)
		}
		r++
	} else {
		in := map[int]int{}
		for k, c := range s.group.cols {
			in[c] = k
		}
		for j, h := range s.header {
			col := ingest.ColumnLetter(j)
			if k, ok := in[j]; ok {
				f.SetCellStr(name, fmt.Sprintf("%s%d", col, r+1), s.group.sub[k])
				continue
			}
			f.SetCellStr(name, fmt.Sprintf("%s%d", col, r), h)
			f.MergeCell(name, fmt.Sprintf("%s%d", col, r), fmt.Sprintf("%s%d", col, r+1))
		}
		first, lastc := ingest.ColumnLetter(s.group.cols[0]), ingest.ColumnLetter(s.group.cols[len(s.group.cols)-1])
		f.SetCellStr(name, fmt.Sprintf("%s%d", first, r), s.group.name)
		f.MergeCell(name, fmt.Sprintf("%s%d", first, r), fmt.Sprintf("%s%d", lastc, r))
		r += 2
	}
	for _, row := range s.rows {
		for j, v := range row {
			cell := fmt.Sprintf("%s%d", ingest.ColumnLetter(j), r)
			switch x := v.(type) {
			case nil:
			case time.Time:
				f.SetCellValue(name, cell, x)
				f.SetCellStyle(name, cell, cell, dateStyle)
			case string:
				f.SetCellStr(name, cell, x)
				if len(x) >= 15 && isDigits(x[:15]) {
					f.SetCellStyle(name, cell, cell, textStyle)
				}
			default:
				f.SetCellValue(name, cell, x)
			}
		}
		r++
	}
	if s.total {
		f.SetCellStr(name, fmt.Sprintf("A%d", r), "合计")
		f.SetCellValue(name, fmt.Sprintf("B%d", r), len(s.rows))
		r++
	}
	r++ // a blank line before the notes
	for _, t := range s.footer {
		f.SetCellStr(name, fmt.Sprintf("A%d", r), t)
		r++
	}
	return f.SaveAs(path)
}

// writeCSV writes the sheet as CSV, in UTF-8 with a BOM or in GB18030 as
// Chinese Excel saves it. A grouped header becomes two rows.
func (s *sheet) writeCSV(path string, gb bool) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	pad := func(first string) []string {
		r := make([]string, len(s.header))
		r[0] = first
		return r
	}
	for _, t := range s.title {
		w.Write(pad(t))
	}
	if s.group == nil {
		w.Write(s.header)
	} else {
		top := append([]string{}, s.header...)
		bottom := make([]string, len(s.header))
		for k, c := range s.group.cols {
			top[c] = ""
			bottom[c] = s.group.sub[k]
		}
		top[s.group.cols[0]] = s.group.name
		w.Write(top)
		w.Write(bottom)
	}
	for _, row := range s.rows {
		rec := make([]string, len(row))
		for j, v := range row {
			rec[j] = cellText(v)
		}
		w.Write(rec)
	}
	if s.total {
		w.Write(pad("合计"))
	}
	for _, t := range s.footer {
		w.Write(pad(t))
	}
	w.Flush()
	data := []byte(b.String())
	if gb {
		enc, err := simplifiedchinese.GB18030.NewEncoder().Bytes(data)
		if err != nil {
			return err
		}
		data = enc
	} else {
		data = append([]byte("\uFEFF"), data...)
	}
	return os.WriteFile(path, data, 0o644)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func strp(s string) *string { return &s }

// fullWidth writes ASCII digits as full-width ones (２０１４), as some clerks' input methods do.
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '!' && r <= '~' {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// dateAs writes a date in one of the forms clerks use.
func dateAs(t time.Time, style int) any {
	switch style % 7 {
	case 0:
		return t // a real date cell (an Excel serial in .xlsx)
	case 1:
		return t.Format("2006/1/2")
	case 2:
		return t.Format("2006.1.2")
	case 3:
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	case 4:
		return t.Format("20060102")
	case 5:
		return fullWidth(t.Format("2006-01-02"))
	}
	return t.Format("2006-01-02")
}
