package dashboards

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"reflect"
	"sifa/warehouse/panels"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// label is how a panel field is headed in an export: its name, its unit,
// and for money whether it is shown in 万元 (as the pages do).
type label struct {
	Name, Unit string
	Wan        bool // 元 → 万元, two decimals
	Rate       bool // a fraction shown as a percentage
}

// fieldLabels head the panel fields (docs/panels.md names them) in exports.
var fieldLabels = map[string]label{
	"offices": {"司法所", "个", false, false}, "staff": {"在岗人员", "人", false, false}, "offices_single_staff": {"只有1人的所", "个", false, false},
	"offices_multi_staff": {"2人及以上的所", "个", false, false}, "offices_no_staff": {"无人的所", "个", false, false},
	"bureau_staff": {"县司法局在岗人员", "人", false, false}, "deputy_section_rank": {"落实副科级待遇", "人", false, false},
	"aged_46_plus": {"46岁及以上", "人", false, false}, "no_computer": {"不会使用计算机", "人", false, false}, "law_major": {"法律专业", "人", false, false},
	"snapshot": {"统计时点", "", false, false}, "education": {"学历", "人", false, false}, "age_bands": {"年龄", "人", false, false},
	"received": {"受理纠纷", "件", false, false}, "mediated_success": {"调解成功", "件", false, false}, "success_rate": {"调解成功率", "%", false, true},
	"by_result": {"调解结果", "件", false, false}, "prevented": {"防止民间纠纷激化", "", false, false}, "cases": {"件数", "件", false, false},
	"persons": {"涉及人数", "人", false, false}, "petition_related": {"涉法信访", "件", false, false}, "parties": {"当事人", "人", false, false},
	"amount_involved": {"涉及金额", "万元", true, false}, "month": {"月份", "", false, false}, "type": {"纠纷类型", "", false, false},
	"org_code": {"区划代码", "", false, false}, "org_name": {"单位", "", false, false}, "year": {"年度", "", false, false},
	"category": {"经费类别", "", false, false}, "standard": {"标准", "万元", true, false}, "standard_basis": {"标准依据", "", false, false},
	"budget": {"预算", "万元", true, false}, "allocated": {"到位", "万元", true, false}, "actual": {"实际支出", "万元", true, false},
	"gap_to_standard": {"预算低于标准", "万元", true, false}, "overspend": {"超支", "万元", true, false}, "units": {"单位数", "个", false, false},
	"staff_in_post": {"在岗人员（公用经费按人计）", "人", false, false}, "corrections_subjects": {"在矫社区矫正对象", "人", false, false},
	"counties": {"县数", "个", false, false}, "level": {"层级", "", false, false}, "established": {"已建立", "个", false, false},
	"standardized": {"已规范化", "个", false, false}, "established_rate": {"建成率", "%", false, true}, "standardized_rate": {"规范化率", "%", false, true},
	"target_established_rate": {"建成率目标", "%", false, true}, "target_standardized_rate": {"规范化率目标", "%", false, true},
	"on_track": {"达到目标", "", false, false}, "legal_aid_cases": {"法律援助案件", "件", false, false},
	"legal_aid_applications": {"法律援助申请", "件", false, false}, "legal_aid_recovered": {"挽回经济损失", "万元", true, false},
	"consultations": {"法律咨询", "人次", false, false}, "publicity_events": {"普法宣传活动", "场", false, false},
	"publicity_participants": {"普法参与人数", "人", false, false}, "corrections_in_supervision": {"在矫社区矫正对象", "人", false, false},
	"corrections_lost_contact": {"脱管", "人", false, false}, "corrections_reoffended": {"矫正期间重新犯罪", "人", false, false},
	"released_registered": {"刑满释放人员登记", "人", false, false}, "released_resettled": {"已安置", "人", false, false},
	"released_reoffended": {"重新犯罪", "人", false, false}, "single_staff": {"只有1人或无人", "", false, false},
	"station_established": {"服务站已建立", "", false, false}, "station_standardized": {"服务站已规范化", "", false, false},
	"villages": {"村（社区）", "个", false, false}, "rooms_established": {"工作室已建立", "个", false, false},
	"rooms_standardized": {"工作室已规范化", "个", false, false}, "villages_without_room": {"没有工作室的村", "", false, false},
	"missing_six_items": {"六有缺项", "个", false, false}, "sites_missing_six_items": {"有六有缺项的站室", "个", false, false},
	"offices_missing": {"未报齐的所", "个", false, false}, "missing": {"未报台账", "", false, false},
	"years": {"有数据的年度", "", false, false}, "latest": {"最近年度", "", false, false},
	"run_id": {"编号", "", false, false}, "job": {"作业", "", false, false}, "started": {"开始", "", false, false}, "ended": {"结束", "", false, false},
	"files": {"文件", "个", false, false}, "rows_accepted": {"载入行数", "行", false, false}, "rows_rejected": {"退回行数", "行", false, false},
	"files_failed": {"失败文件", "个", false, false}, "result": {"结果", "", false, false}, "error": {"说明", "", false, false},
	"last_success": {"最近成功", "", false, false}, "failing": {"正在失败的作业", "", false, false},
	// 目标进度
	"as_of": {"截至日期", "", false, false}, "pace_years": {"进度按近几年计", "年", false, false}, "org_level": {"单位级别", "", false, false},
	"measure": {"项目", "", false, false}, "target_year": {"目标年度", "", false, false}, "target_rate": {"目标", "%", false, true},
	"target_count": {"目标数", "个", false, false}, "now": {"目前", "个", false, false}, "now_rate": {"目前比率", "%", false, true},
	"before": {"一年前", "个", false, false}, "pace": {"近一年每年增加", "个", false, false}, "pace_needed": {"按期完成每年需增加", "个", false, false},
	"years_left": {"距到期", "年", false, false}, "projected": {"按目前进度预计到期", "个", false, false}, "projected_rate": {"预计到期比率", "%", false, true},
	"shortfall": {"预计还差", "个", false, false}, "status": {"情况代码", "", false, false}, "status_text": {"情况", "", false, false},
	"sentence": {"说明", "", false, false}, "backtest": {"回测", "", false, false}, "made_as_of": {"作出预计的时点", "", false, false},
	"actual_rate": {"实际比率", "%", false, true}, "error_points": {"误差", "百分点", false, false}, "reached": {"达到目标", "", false, false},
	"funding_year": {"经费年度", "", false, false}, "costs": {"所用单价", "", false, false}, "item": {"项目", "", false, false},
	"cost": {"单价", "元", false, false}, "per_year": {"每年发生", "", false, false}, "configured": {"本县配置（否：示例单价）", "", false, false},
	"total": {"合计", "", false, false}, "by_org": {"各单位", "", false, false}, "site_gaps": {"未规范化站点", "", false, false},
	"sites": {"未规范化站点", "个", false, false}, "one_off": {"一次性投入", "万元", true, false}, "yearly": {"每年公用经费", "万元", true, false},
	"funding_gap": {"经费距标准缺口", "万元", true, false}, "town_code": {"乡镇代码", "", false, false}, "town_name": {"乡镇", "", false, false},
	"village_code": {"村(社区)代码", "", false, false}, "village_name": {"村(社区)", "", false, false}, "site_name": {"站点名称", "", false, false},
	"built": {"已建立", "", false, false}, "missing_items": {"缺少的“六有”项目", "", false, false},
	"standardized_of_built": {"已建的里规范化的比例", "%", false, true}, "definition": {"口径", "", false, false},
	// 经费测算
	"public_per_staff": {"公用经费标准（每人每年）", "元", false, false}, "corrections_per_subject": {"社区矫正经费标准（每人每年）", "元", false, false},
	"mediation_per_county": {"人民调解经费标准（每县每年）", "元", false, false}, "budget_public": {"公用经费预算", "万元", true, false},
	"budget_corrections": {"社区矫正经费预算", "万元", true, false}, "budget_mediation": {"人民调解经费预算", "万元", true, false},
}

// heading is a field's column head with its unit, e.g. 受理纠纷（件）.
func heading(key string) string {
	l, ok := fieldLabels[key]
	if !ok {
		return key
	}
	if l.Unit == "" || l.Unit == "%" && !l.Rate {
		return l.Name
	}
	return l.Name + "（" + l.Unit + "）"
}

// Sheet is a panel answer laid out as a table for export.
type Sheet struct {
	Title string
	Head  []string
	Rows  [][]any // string, int64, float64; a withheld count is the string "<3"
	// Chart: the category column and the value columns a chart of the sheet draws (none: no chart)
	ChartCat  int
	ChartVals []int
}

// knownOrder puts the keys of the maps the panels use in the order pages show them.
var knownOrder = [][]string{panels.EducationLevels, panels.AgeBands}

func orderKeys(keys []string) []string {
	for _, order := range knownOrder {
		if len(keys) > 0 && slices.Contains(order, keys[0]) {
			out := []string{}
			for _, k := range order {
				if slices.Contains(keys, k) {
					out = append(out, k)
				}
			}
			for _, k := range keys {
				if !slices.Contains(out, k) {
					out = append(out, k)
				}
			}
			return out
		}
	}
	sort.Strings(keys)
	return keys
}

// cellValue turns a field value into an export cell.
func cellValue(key string, v reflect.Value) any {
	if v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return ""
		}
		v = v.Elem()
	}
	l := fieldLabels[key]
	switch v.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		if v.Type() == reflect.TypeFor[panels.Persons]() && v.Int() < 0 {
			return "<" + strconv.FormatInt(-v.Int(), 10)
		}
		return v.Int()
	case reflect.Float64, reflect.Float32:
		f := v.Float()
		switch {
		case l.Wan:
			return round(f/10000, 2)
		case l.Rate:
			return round(f*100, 1)
		}
		return f
	case reflect.Bool:
		if v.Bool() {
			return "是"
		}
		return "否"
	case reflect.String:
		return v.String()
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = fmt.Sprint(v.Index(i).Interface())
		}
		return strings.Join(parts, "、")
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		var parts []string
		for _, k := range orderKeys(keys) {
			parts = append(parts, fmt.Sprintf("%s %v", k, cellValue(key, v.MapIndex(reflect.ValueOf(k)))))
		}
		return strings.Join(parts, "；")
	}
	return fmt.Sprint(v.Interface())
}

func round(f float64, places int) float64 {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'f', places, 64), 64)
	return p
}

// jsonFields lists a struct's exported fields by JSON name, embedded ones inline.
func jsonFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Anonymous && f.Type.Kind() == reflect.Struct {
			for _, g := range jsonFields(f.Type) {
				g.Index = append([]int{i}, g.Index...)
				out = append(out, g)
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		out = append(out, f)
	}
	return out
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// Tabulate lays a panel answer out as sheets: the scalar fields as one
// 项目/数值 table; each list of rows, each count map and each map of
// figures as a table of its own.
func Tabulate(title string, ans any) []Sheet {
	v := reflect.ValueOf(ans)
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	summary := Sheet{Title: title, Head: []string{"项目", "数值", "单位"}}
	var more []Sheet
	for _, f := range jsonFields(v.Type()) {
		key := jsonName(f)
		fv := v.FieldByIndex(f.Index)
		switch {
		case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.Struct:
			more = append(more, rowsSheet(title, fv))
		case fv.Kind() == reflect.Map && fv.Type().Elem().Kind() == reflect.Struct:
			more = append(more, mapOfStructsSheet(title+" · "+fieldLabels[key].Name, key, fv))
		case fv.Kind() == reflect.Map && key != "last_success":
			more = append(more, countMapSheet(title+" · "+fieldLabels[key].Name, key, fv))
		default:
			l, ok := fieldLabels[key]
			name := key
			if ok {
				name = l.Name
			}
			if c := cellValue(key, fv); c != "" {
				summary.Rows = append(summary.Rows, []any{name, c, l.Unit})
			}
		}
	}
	var out []Sheet
	if len(summary.Rows) > 0 {
		summary.ChartCat, summary.ChartVals = -1, nil
		out = append(out, summary)
	}
	return append(out, more...)
}

// rowsSheet is a list of rows: one column per field, charted by its first
// text column against its count columns.
func rowsSheet(title string, rows reflect.Value) Sheet {
	s := Sheet{Title: title, ChartCat: -1}
	fields := jsonFields(rows.Type().Elem())
	var keys []string
	for _, f := range fields {
		keys = append(keys, jsonName(f))
		s.Head = append(s.Head, heading(jsonName(f)))
	}
	for i := range rows.Len() {
		row := make([]any, len(fields))
		for j, f := range fields {
			row[j] = cellValue(keys[j], rows.Index(i).FieldByIndex(f.Index))
		}
		s.Rows = append(s.Rows, row)
	}
	// columns the panel leaves empty in every row (month on a by-type answer) are dropped
	for j := len(fields) - 1; j >= 0; j-- {
		empty := len(s.Rows) > 0
		for _, row := range s.Rows {
			if row[j] != "" {
				empty = false
			}
		}
		if empty {
			fields = slices.Delete(fields, j, j+1)
			keys = slices.Delete(keys, j, j+1)
			s.Head = slices.Delete(s.Head, j, j+1)
			for r := range s.Rows {
				s.Rows[r] = slices.Delete(s.Rows[r], j, j+1)
			}
		}
	}
	for j, f := range fields {
		k := f.Type.Kind()
		switch {
		case s.ChartCat < 0 && (k == reflect.String || keys[j] == "year") && keys[j] != "org_code":
			s.ChartCat = j
		case (k == reflect.Int64 || k == reflect.Float64) && keys[j] != "year" && !fieldLabels[keys[j]].Rate && len(s.ChartVals) < 2:
			s.ChartVals = append(s.ChartVals, j)
		}
	}
	if s.ChartCat < 0 || len(s.Rows) == 0 {
		s.ChartVals = nil
	}
	return s
}

func countMapSheet(title, key string, m reflect.Value) Sheet {
	s := Sheet{Title: title, Head: []string{fieldLabels[key].Name, heading(key)}, ChartCat: 0, ChartVals: []int{1}}
	keys := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		keys = append(keys, k.String())
	}
	for _, k := range orderKeys(keys) {
		s.Rows = append(s.Rows, []any{k, cellValue(key, m.MapIndex(reflect.ValueOf(k)))})
	}
	return s
}

func mapOfStructsSheet(title, key string, m reflect.Value) Sheet {
	fields := jsonFields(m.Type().Elem())
	s := Sheet{Title: title, Head: []string{fieldLabels[key].Name}, ChartCat: 0}
	for j, f := range fields {
		s.Head = append(s.Head, heading(jsonName(f)))
		s.ChartVals = append(s.ChartVals, j+1)
	}
	keys := make([]string, 0, m.Len())
	for _, k := range m.MapKeys() {
		keys = append(keys, k.String())
	}
	for _, k := range orderKeys(keys) {
		row := []any{k}
		for _, f := range fields {
			row = append(row, cellValue(jsonName(f), m.MapIndex(reflect.ValueOf(k)).FieldByIndex(f.Index)))
		}
		s.Rows = append(s.Rows, row)
	}
	return s
}

// WriteCSV writes sheets as one CSV Excel opens: UTF-8 with a BOM, each
// sheet under its title, text that looks like a formula kept as text.
func WriteCSV(w io.Writer, sheets []Sheet) error {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	cw := csv.NewWriter(&b)
	for i, s := range sheets {
		if i > 0 {
			cw.Write(nil)
		}
		cw.Write([]string{FormulaSafe(s.Title)})
		head := make([]string, len(s.Head))
		for j, h := range s.Head {
			head[j] = FormulaSafe(h)
		}
		cw.Write(head)
		for _, r := range s.Rows {
			cw.Write(csvRecord(r))
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

// csvRecord writes a row's cells as CSV text: text that looks like a
// formula kept as text, numbers in full, nothing for a missing value.
func csvRecord(row []any) []string {
	rec := make([]string, len(row))
	for j, c := range row {
		switch x := c.(type) {
		case nil:
		case string:
			rec[j] = FormulaSafe(x)
		case float64:
			rec[j] = strconv.FormatFloat(x, 'f', -1, 64)
		default:
			rec[j] = fmt.Sprint(x)
		}
	}
	return rec
}

// sheetName makes an Excel sheet name: at most 31 characters, none of : \ / ? * [ ].
func sheetName(s string, used map[string]bool) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, s)
	r := []rune(s)
	if len(r) > 28 {
		r = r[:28]
	}
	name := string(r)
	for n := 2; used[name]; n++ {
		name = string(r) + strconv.Itoa(n)
	}
	used[name] = true
	return name
}

// WriteXLSX writes sheets as a workbook: one worksheet per sheet with a
// bold head, units in the heads, widths to fit, and a native Excel chart
// of the sheet's figures where it has them.
func WriteXLSX(w io.Writer, sheets []Sheet, note string) error {
	f := excelize.NewFile()
	defer f.Close()
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DCE6F1"}, Pattern: 1},
		Border: []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}}})
	titleStyle, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}})
	used := map[string]bool{}
	for i, s := range sheets {
		name := sheetName(s.Title, used)
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		f.SetCellValue(name, "A1", FormulaSafe(s.Title))
		f.SetCellStyle(name, "A1", "A1", titleStyle)
		if note != "" {
			f.SetCellValue(name, "A2", FormulaSafe(note))
		}
		headRow := 3
		hd := make([]any, len(s.Head))
		for j, h := range s.Head {
			hd[j] = FormulaSafe(h)
		}
		f.SetSheetRow(name, "A3", &hd)
		last, _ := excelize.CoordinatesToCellName(max(len(s.Head), 1), headRow)
		f.SetCellStyle(name, "A3", last, head)
		for r, row := range s.Rows {
			out := make([]any, len(row))
			for j, c := range row {
				if x, ok := c.(string); ok {
					c = FormulaSafe(x)
				}
				out[j] = c
			}
			cell, _ := excelize.CoordinatesToCellName(1, headRow+1+r)
			f.SetSheetRow(name, cell, &out)
		}
		for j, h := range s.Head {
			col, _ := excelize.ColumnNumberToName(j + 1)
			width := float64(len([]rune(h)))*2 + 2
			for _, row := range s.Rows {
				if x, ok := row[j].(string); ok {
					width = max(width, min(float64(len([]rune(x)))*2+2, 60))
				}
			}
			f.SetColWidth(name, col, col, max(width, 10))
		}
		f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: headRow, TopLeftCell: "A4", ActivePane: "bottomLeft"})
		if len(s.ChartVals) > 0 && len(s.Rows) > 0 && s.ChartCat >= 0 {
			if err := addChart(f, name, s, headRow); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// addChart adds a native bar chart (a line chart for months and years) of
// a sheet's figures beside its table.
func addChart(f *excelize.File, name string, s Sheet, headRow int) error {
	first, lastRow := headRow+1, headRow+len(s.Rows)
	catCol, _ := excelize.ColumnNumberToName(s.ChartCat + 1)
	quoted := "'" + strings.ReplaceAll(name, "'", "''") + "'"
	var series []excelize.ChartSeries
	for _, c := range s.ChartVals {
		col, _ := excelize.ColumnNumberToName(c + 1)
		series = append(series, excelize.ChartSeries{
			Name:       fmt.Sprintf("%s!$%s$%d", quoted, col, headRow),
			Categories: fmt.Sprintf("%s!$%s$%d:$%s$%d", quoted, catCol, first, catCol, lastRow),
			Values:     fmt.Sprintf("%s!$%s$%d:$%s$%d", quoted, col, first, col, lastRow),
		})
	}
	typ := excelize.Col
	if h := s.Head[s.ChartCat]; strings.HasPrefix(h, "月份") || strings.HasPrefix(h, "年度") {
		typ = excelize.Line
	}
	anchor, _ := excelize.ColumnNumberToName(len(s.Head) + 2)
	return f.AddChart(name, anchor+"3", &excelize.Chart{Type: typ, Series: series,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: s.Title}}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 640, Height: 360},
	})
}

// FormulaSafe keeps a cell that Excel or WPS would read as a formula (it
// starts with =, +, -, @, a tab or a carriage return) as text, by a leading
// apostrophe: every export a spreadsheet can open writes its text through it.
func FormulaSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
