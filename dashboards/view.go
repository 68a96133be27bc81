package dashboards

import (
	"encoding/json"
	"fmt"
	"math"
	"sifa/warehouse/panels"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// page is what the layout template draws: everything is built from panel
// answers; the template only lays it out (and html/template escapes it).
type page struct {
	Title     string
	Path      string
	Synthetic bool
	Nav       []link
	Filter    filterView
	Cards     []card
	Notes     []note
	Charts    []chartView
	Tables    []tableView
	Empty     string // shown instead of the content when there is no data
	Upload    *uploadView
	NoFilter  bool // no org/period filter bar (upload, jobs)
	Session   *sessionView
	Login     *loginView
	Password  *passwordView
	Users     *usersView
	Sources   *sourcesView
	Report    *reportView
	Exports   []link // this page's exports and its sources
	Audit     *auditView
	Targets   *targetsView
	Plan      *planView
	Screen    *screenView // the cockpit: drawn by screen.html
	Map       *mapAdminView
	Messages  *messagesView
	Compare   *compareView
	History   *historyView
}

// historyView is the admin's list of loads, newest first, each of which
// can be made current again.
type historyView struct {
	Message string
	OK      bool
	Rows    []historyRow
	CSRF    string
}

type historyRow struct {
	LoadID, File, LedgerName, Orgs, Periods, LoadedAt string
	Accepted, Rejected                                int
}

// sessionView is the signed-in account, for the header and the forms' CSRF token.
type sessionView struct {
	User, Name, Role, CSRF string
	Admin                  bool
}

type loginView struct{ Message, Next string }

type passwordView struct {
	Message    string
	MustChange bool
}

type link struct {
	Text, Href string
	Active     bool
}

type filterView struct {
	Path       string
	Year       int
	From, To   string
	Years      []int
	Org        string
	Crumbs     []link // county › township › village, each a link up
	Children   []link // the orgs one level down, each a drill-down link
	ChildLevel string
	// the page's category filter, when it has one
	Categories    []string
	CategoryLabel string
	Category      string
}

// num is a number shown on a page, tied to the panel field it came from so
// that a test can hold the page to the API.
type numRef struct {
	Panel, Query, Field string
	Value               string // the raw value, as the API's JSON writes it
}

type card struct {
	Label, Value, Unit string
	Sub                string // a second line: last year, a rate
	Href               string
	Warn               bool
	Ref                numRef
}

type note struct {
	Text, Href string
	Level      string // "warn" or "info"
}

type chartView struct {
	ID, Title string
	Option    map[string]any
	Height    int
	Drill     []string // URL per category (data index), or nil
}

// DrillJSON is Drill for the page's data-drill attribute.
func (c chartView) DrillJSON() string {
	if c.Drill == nil {
		return ""
	}
	return rawJSON(c.Drill)
}

type tableView struct {
	Title string
	Head  []string
	Rows  [][]cell
	Note  string
}

type cell struct {
	Text  string
	Href  string
	Class string
	Ref   numRef
}

// ---- number formatting: plain Chinese with units ----

// personValues are counts for a chart; ok is false when one of them is
// withheld (a chart would give it away by the others), and the chart is left out.
func personValues(keys []string, m map[string]panels.Persons) ([]float64, bool) {
	out := make([]float64, len(keys))
	for i, k := range keys {
		if m[k].Withheld() {
			return nil, false
		}
		out[i] = float64(m[k])
	}
	return out, true
}

func thousands[T ~int64](n T) string {
	if p, ok := any(n).(panels.Persons); ok && p.Withheld() {
		return "<" + strconv.FormatInt(int64(-p), 10) // fewer than the minimum group: not shown
	}
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func pct(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// money writes 元 amounts: 万元 from 10,000 up, with up to two decimals.
func money(yuan float64) (string, string) {
	if math.Abs(yuan) >= 10000 {
		s := strconv.FormatFloat(yuan/10000, 'f', 2, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		return s, "万元"
	}
	return thousands(int64(math.Round(yuan))), "元"
}

func moneyText(yuan float64) string { v, u := money(yuan); return v + u }

func rawJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func change(now, before int64, unit string) string {
	switch {
	case before == 0:
		return ""
	case now > before:
		return fmt.Sprintf("比上年多 %s%s（%s）", thousands(now-before), unit, pct(float64(now-before)/float64(before)))
	case now < before:
		return fmt.Sprintf("比上年少 %s%s（%s）", thousands(before-now), unit, pct(float64(before-now)/float64(before)))
	}
	return "与上年持平"
}

// ---- charts, built with go-echarts, handed to the page as option JSON ----

var chartSeq atomic.Int64

func baseOpts(title string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{AssetsHost: "/assets/"}),
		charts.WithTitleOpts(opts.Title{Title: title, Left: "center", TitleStyle: &opts.TextStyle{FontSize: 15}}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Bottom: "0"}),
		charts.WithToolboxOpts(opts.Toolbox{Show: opts.Bool(true), Right: "10", Feature: &opts.ToolBoxFeature{
			SaveAsImage: &opts.ToolBoxFeatureSaveAsImage{Show: opts.Bool(true), Title: "保存为图片", Type: "png"},
			DataView:    &opts.ToolBoxFeatureDataView{Show: opts.Bool(true), Title: "表格查看", Lang: []string{"数据表", "关闭", "刷新"}},
		}}),
	}
}

type series struct {
	Name   string
	Values []float64
	Marked []bool // bars drawn in the warning colour
}

func newChartID(prefix string) string { return fmt.Sprintf("%s%d", prefix, chartSeq.Add(1)) }

func barChart(title string, cats []string, ss []series, unit string, horizontal bool) chartView {
	bar := charts.NewBar()
	o := append(baseOpts(title), charts.WithGridOpts(opts.Grid{Left: "3%", Right: "4%", Bottom: "40", Top: "50", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Name: unit}))
	label := &opts.AxisLabel{Show: opts.Bool(true), Interval: "0"}
	if len(cats) > 6 && !horizontal {
		label.Rotate = 35
	}
	o = append(o, charts.WithXAxisOpts(opts.XAxis{AxisLabel: label}))
	bar.SetGlobalOptions(o...)
	bar.SetXAxis(cats)
	for _, s := range ss {
		data := make([]opts.BarData, len(s.Values))
		for i, v := range s.Values {
			data[i] = opts.BarData{Value: v}
			if i < len(s.Marked) && s.Marked[i] {
				data[i].ItemStyle = &opts.ItemStyle{Color: "#d9534f"}
			}
		}
		bar.AddSeries(s.Name, data)
	}
	if horizontal {
		bar.XYReversal()
	}
	bar.Validate()
	h := 340
	if horizontal && len(cats) > 8 {
		h = 60 + 26*len(cats)
	}
	return chartView{ID: newChartID("bar"), Title: title, Option: bar.JSON(), Height: h}
}

func lineChart(title string, cats []string, ss []series, unit string) chartView {
	line := charts.NewLine()
	line.SetGlobalOptions(append(baseOpts(title), charts.WithGridOpts(opts.Grid{Left: "3%", Right: "4%", Bottom: "40", Top: "50", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Name: unit}))...)
	line.SetXAxis(cats)
	for _, s := range ss {
		data := make([]opts.LineData, len(s.Values))
		for i, v := range s.Values {
			data[i] = opts.LineData{Value: v}
		}
		line.AddSeries(s.Name, data)
	}
	line.Validate()
	return chartView{ID: newChartID("line"), Title: title, Option: line.JSON(), Height: 320}
}

func pieChart(title string, names []string, values []float64) chartView {
	pie := charts.NewPie()
	o := baseOpts(title)
	o[2] = charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"})
	pie.SetGlobalOptions(o...)
	data := make([]opts.PieData, len(names))
	for i := range names {
		data[i] = opts.PieData{Name: names[i], Value: values[i]}
	}
	pie.AddSeries(title, data).SetSeriesOptions(charts.WithPieChartOpts(opts.PieChart{Radius: []string{"35%", "65%"}}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Formatter: "{b}：{c}"}))
	pie.Validate()
	return chartView{ID: newChartID("pie"), Title: title, Option: pie.JSON(), Height: 320}
}
