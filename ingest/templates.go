package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"sifa/ingest/ledger"
	"strings"

	"github.com/xuri/excelize/v2"
)

// templateRows is how many rows of a template carry the dropdown lists.
const templateRows = 2000

// WriteTemplates writes one .xlsx per ledger type into dir: the canonical
// headers, a dropdown list on every coded column, text format on ID
// numbers, and an instructions sheet. It returns the files written.
func WriteTemplates(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	for _, l := range ledger.Ledgers {
		path := filepath.Join(dir, fmt.Sprintf("%02d_%s模板.xlsx", l.Order, l.Name))
		if err := writeTemplate(l, path); err != nil {
			return out, fmt.Errorf("写模板 %s 失败：%w", path, err)
		}
		out = append(out, path)
	}
	return out, nil
}

func writeTemplate(l *ledger.Ledger, path string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet, lists, help = "台账", "选项", "填表说明"
	f.SetSheetName("Sheet1", sheet)
	if _, err := f.NewSheet(help); err != nil {
		return err
	}
	if _, err := f.NewSheet(lists); err != nil {
		return err
	}
	headStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "999999", Style: 1}}})
	reqStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "C00000"}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border:    []excelize.Border{{Type: "bottom", Color: "999999", Style: 1}}})
	textStyle, _ := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": text, so ID numbers keep every digit
	dateStyle, _ := f.NewStyle(&excelize.Style{CustomNumFmt: strPtr("yyyy-mm-dd")})
	listCol := 0
	for i, c := range l.Columns {
		col := ColumnLetter(i)
		cellName := col + "1"
		f.SetCellStr(sheet, cellName, c.Name)
		if c.Required {
			f.SetCellStyle(sheet, cellName, cellName, reqStyle)
		} else {
			f.SetCellStyle(sheet, cellName, cellName, headStyle)
		}
		width := float64(len([]rune(c.Name)))*2.2 + 2
		if width < 10 {
			width = 10
		}
		f.SetColWidth(sheet, col, col, width)
		rng := fmt.Sprintf("%s2:%s%d", col, col, templateRows+1)
		switch {
		case c.Name == "身份证号" || c.Name == "区划代码" || c.Name == "上级区划代码" || c.Name == "编号":
			f.SetCellStyle(sheet, col+"2", fmt.Sprintf("%s%d", col, templateRows+1), textStyle)
		case c.Date:
			f.SetCellStyle(sheet, col+"2", fmt.Sprintf("%s%d", col, templateRows+1), dateStyle)
		}
		if len(c.Values) > 0 {
			lc := ColumnLetter(listCol)
			listCol++
			for k, v := range c.Values {
				f.SetCellStr(lists, fmt.Sprintf("%s%d", lc, k+1), v)
			}
			dv := excelize.NewDataValidation(true)
			dv.Sqref = rng
			dv.SetSqrefDropList(fmt.Sprintf("'%s'!$%s$1:$%s$%d", lists, lc, lc, len(c.Values)))
			dv.SetError(excelize.DataValidationErrorStyleStop, "填写有误", "请从下拉列表里选择："+strings.Join(c.Values, "、"))
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
	}
	f.SetRowHeight(sheet, 1, 30)
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	f.SetSheetVisible(lists, false)

	// instructions
	f.SetColWidth(help, "A", "A", 22)
	f.SetColWidth(help, "B", "B", 10)
	f.SetColWidth(help, "C", "C", 80)
	f.SetCellStr(help, "A1", l.Name+"填表说明")
	lines := []string{
		"1. 在“台账”工作表里从第2行开始填写，一行一条。不要改动第1行的表头，红色表头是必填项。",
		"2. 日期写成 2014-03-05 或 2014年3月5日 都可以；金额单位是元，如果按万元填写，请把表头改成“预算数(万元)”之类。",
		"3. 有下拉箭头的列请从列表里选，不要自己打字。",
		"4. 身份证号这一列已设为文本格式，请直接填18位号码，不要改成数字格式，否则后几位会丢失。",
		"5. 乡镇、单位可以写全称（石门镇）或常用简称（石门、石门镇司法所），必须是机构名录里有的单位。",
	}
	if l.Kind == ledger.Snapshot {
		lines = append(lines, "6. 这是时点台账：请在“统计时点”列填写统计的日期（如 2014-12-31），同一文件中的时点应相同。")
	}
	for i, s := range lines {
		f.SetCellStr(help, fmt.Sprintf("A%d", i+2), s)
	}
	r := len(lines) + 3
	f.SetCellStr(help, fmt.Sprintf("A%d", r), "列名")
	f.SetCellStr(help, fmt.Sprintf("B%d", r), "是否必填")
	f.SetCellStr(help, fmt.Sprintf("C%d", r), "填写要求")
	for i, c := range l.Columns {
		row := r + 1 + i
		f.SetCellStr(help, fmt.Sprintf("A%d", row), c.Name)
		req := "选填"
		if c.Required {
			req = "必填"
		}
		f.SetCellStr(help, fmt.Sprintf("B%d", row), req)
		var notes []string
		if len(c.Values) > 0 {
			notes = append(notes, "可选："+strings.Join(c.Values, "、"))
		}
		if c.Date {
			notes = append(notes, "日期")
		}
		if c.Money {
			notes = append(notes, "金额（元）")
		}
		if c.Int {
			notes = append(notes, "整数")
		}
		if c.Hint != "" {
			notes = append(notes, c.Hint)
		}
		f.SetCellStr(help, fmt.Sprintf("C%d", row), strings.Join(notes, "；"))
	}
	idx, _ := f.GetSheetIndex(sheet)
	f.SetActiveSheet(idx)
	return f.SaveAs(path)
}

func strPtr(s string) *string { return &s }
