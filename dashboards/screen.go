package dashboards

// 驾驶舱 (/screen): one full-screen page for the meeting-room display and
// the phone, built from the same panels as every page, with the county's
// township map an admin uploaded (/admin/map).

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// MapStore keeps the counties' township maps (versioned).
type MapStore interface {
	Maps(ctx context.Context) ([]warehouse.CountyMap, error)
	MapsOf(ctx context.Context, counties []string) ([]warehouse.CountyMap, error)
	SetMap(ctx context.Context, m warehouse.CountyMap) error
}

// screenRefresh is how often the cockpit asks whether new data has been
// committed (Site.ScreenRefresh overrides it); it reloads itself when so.
const screenRefresh = 30 * time.Second

// screenMeasures are what the map can be coloured by (the measure URL key).
var screenMeasures = []struct{ Key, Label, Unit string }{
	{"received", "受理纠纷", "件"},
	{"success", "调解成功率", "%"},
	{"staff", "在岗人员", "人"},
}

func isScreenKey(k string) bool { return k == "measure" }

// screenView is what the cockpit's template draws.
type screenView struct {
	Heading, Period string
	Version         string // the data version the page was built on
	Refresh         int
	Figures         []card
	Measures        []link
	Map             *mapView
	MapNote         string
	Charts          []chartView
	Behind          []note
	Missing         []note
	MissingTitle    string
	Up              link // one level up ("" at the top)
	Back            string
}

// mapView is the map chart and the shapes it draws.
type mapView struct {
	chartView
	Name  string          // the name ECharts registers the shapes under
	Shape json.RawMessage // the GeoJSON
}

type geoFeature struct {
	Type       string            `json:"type"`
	Properties map[string]string `json:"properties"`
	Geometry   struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

type geoCollection struct {
	Type     string       `json:"type"`
	Features []geoFeature `json:"features"`
}

func buildScreen(b *builder) error {
	f, last := b.f, b.lastYear()
	sv := &screenView{Heading: b.orgName() + "司法行政驾驶舱", Refresh: max(1, int(b.refresh.Seconds())), Back: f.Href("/")}
	if f.Org == "" {
		sv.Heading = "司法行政驾驶舱"
	}
	sv.Period = orDefault(periodText(f), "全部年份")
	b.p.Screen = sv
	if v, err := b.e.Store.DataVersion(b.ctx); err == nil {
		sv.Version = versionTag(v)
	}
	if o := b.reg.Org(f.Org); o != nil {
		up, text := "", "返回全部"
		switch {
		case o.TownCode != "" && o.TownCode != o.Code:
			up, text = o.TownCode, "返回"+o.TownName
		case o.CountyCode != "" && o.CountyCode != o.Code:
			up, text = o.CountyCode, "返回"+o.CountyName
		}
		// only up to the account's own org
		if a := panels.AccessFrom(b.ctx); a == nil || a.Org == "" || up != "" && b.reg.Within(up, a.Org) {
			sv.Up = link{Text: text, Href: b.screenHref(up)}
		}
	}
	// last year's disputes are its months' (the month chart asks them too)
	ans, err := b.runAll(append([]ask{{"disputes.summary", f}, {"disputes.by_month", last}, {"work.summary", f}, {"work.summary", last},
		{"staffing.summary", f}, {"staffing.summary", last}, {"funding.shortfall", f}, {"funding.shortfall", last},
		{"disputes.by_org", f}, {"outlook.targets", f}, {"submissions.monthly", f}}, b.monthAsks()...)...) // the month chart's last
	if err != nil {
		return err
	}
	d := ans[0].(*panels.DisputesSummary)
	var dl panels.DisputeRow // last year's received and mediated, added up over its months
	for _, m := range ans[1].(*panels.Rows[panels.DisputeRow]).Rows {
		dl.Received += m.Received
		dl.MediatedSuccess += m.MediatedSuccess
	}
	if dl.Received > 0 {
		dl.SuccessRate = float64(dl.MediatedSuccess) / float64(dl.Received)
	}
	wk, wl := ans[2].(*panels.WorkSummary), ans[3].(*panels.WorkSummary)
	s, sl := ans[4].(*panels.StaffingSummary), ans[5].(*panels.StaffingSummary)
	gap := func(v any) (g float64) {
		for _, r := range v.(*panels.FundingShortfall).Rows {
			g += r.GapToStandard
		}
		return g
	}
	g, gl := gap(ans[6]), gap(ans[7])
	sv.Figures = []card{
		{Label: "受理矛盾纠纷", Value: thousands(d.Received), Unit: "件", Sub: lastYearText(thousands(dl.Received)+"件", float64(d.Received), float64(dl.Received)),
			Href: f.Href("/disputes"), Ref: b.ref("disputes.summary", f, "received", d.Received)},
		{Label: "调解成功率", Value: pct(d.SuccessRate), Sub: "上年 " + pct(dl.SuccessRate), Href: f.Href("/disputes"),
			Ref: b.ref("disputes.summary", f, "success_rate", d.SuccessRate)},
		{Label: "法律援助案件", Value: thousands(wk.LegalAidCases), Unit: "件", Sub: lastYearText(thousands(wl.LegalAidCases)+"件", float64(wk.LegalAidCases), float64(wl.LegalAidCases)),
			Href: f.Href("/work"), Ref: b.ref("work.summary", f, "legal_aid_cases", wk.LegalAidCases)},
		{Label: "社区矫正在册", Value: thousands(wk.CorrectionsInSupervision), Unit: "人", Sub: personsLastYear(wk.CorrectionsInSupervision, wl.CorrectionsInSupervision),
			Href: f.Href("/work"), Ref: b.ref("work.summary", f, "corrections_in_supervision", wk.CorrectionsInSupervision)},
		{Label: "司法所在岗人员", Value: thousands(s.Staff), Unit: "人", Sub: lastYearText(thousands(sl.Staff)+"人", float64(s.Staff), float64(sl.Staff)),
			Href: f.Href("/staffing"), Warn: s.OfficesSingleStaff > 0, Ref: b.ref("staffing.summary", f, "staff", s.Staff)},
		{Label: "经费缺口（距标准）", Value: strings.TrimSuffix(panels.Wan(g), "万元"), Unit: "万元", Sub: "上年 " + panels.Wan(gl), Href: f.Href("/funding"), Warn: g > 0},
	}
	// the month trend and the ranked townships (or villages)
	if err := b.monthChart(); err != nil {
		return err
	}
	orgs := ans[8].(*panels.Rows[panels.DisputeRow])
	ranked := slices.Clone(orgs.Rows)
	slices.SortStableFunc(ranked, func(a, b panels.DisputeRow) int { return int(b.Received - a.Received) })
	var cats []string
	var vals []float64
	var drill []string
	for i := len(ranked) - 1; i >= 0; i-- { // a horizontal bar chart draws the first category at the bottom
		cats = append(cats, ranked[i].OrgName)
		vals = append(vals, float64(ranked[i].Received))
		href := ""
		if orgs.Level != panels.LevelVillage && ranked[i].OrgCode != "" {
			href = b.screenHref(ranked[i].OrgCode)
		}
		drill = append(drill, href)
	}
	if len(cats) > 0 {
		c := barChart("各"+levelNoun(orgs.Level)+"受理纠纷排名", cats, []series{{Name: "受理", Values: vals}}, "件", true)
		if orgs.Level != panels.LevelVillage {
			c.Drill = drill
		}
		b.p.Charts = append(b.p.Charts, c)
	}
	for i := range b.p.Charts {
		b.p.Charts[i] = forScreen(b.p.Charts[i])
	}
	sv.Charts, b.p.Charts = b.p.Charts, nil
	// targets behind, worst first
	out := ans[9].(*panels.Outlook)
	rows := slices.Clone(out.Rows)
	slices.SortStableFunc(rows, func(a, b panels.OutlookRow) int { return outlookSeverity[a.Status] - outlookSeverity[b.Status] })
	for _, r := range rows {
		if r.Status == panels.OutlookMet || r.Status == panels.OutlookOnTrack {
			continue
		}
		sv.Behind = append(sv.Behind, note{Level: "warn", Href: f.Href("/outlook", "org", r.OrgCode),
			Text: fmt.Sprintf("%s%s%s（%s）：%s", r.OrgName, r.Level, r.Measure, r.StatusText, r.Sentence)})
	}
	// offices that have not sent the month's ledgers
	sub := ans[10].(*panels.Submissions)
	if sub.Month != "" {
		sv.MissingTitle = fmt.Sprintf("%s台账报送", panels.MonthName(sub.Month))
		if sub.Missing > 0 {
			sv.MissingTitle = fmt.Sprintf("%s未报送：%d个司法所中%d个", panels.MonthName(sub.Month), sub.Offices, sub.Missing)
		}
		for _, r := range sub.Rows {
			sv.Missing = append(sv.Missing, note{Level: "warn", Href: b.screenHref(r.OrgCode), Text: r.OrgName + "：" + strings.Join(r.Missing, "、")})
		}
	}
	return b.screenMap(sv)
}

// screenMap draws the map one level down from the filter's org (a
// township's page draws its county, the township picked out), coloured by
// the chosen measure; a click opens the cockpit of the org clicked.
func (b *builder) screenMap(sv *screenView) error {
	measure := screenMeasures[0]
	for _, m := range screenMeasures {
		if b.params.Get("measure") == m.Key {
			measure = m
		}
	}
	for _, m := range screenMeasures {
		sv.Measures = append(sv.Measures, link{Text: m.Label, Href: b.f.Href("/screen", "measure", m.Key), Active: m.Key == measure.Key})
	}
	if b.maps == nil {
		return nil
	}
	f := b.f
	mapOrg, picked := f.Org, ""
	if o := b.reg.Org(f.Org); o != nil && o.Level != panels.LevelCounty {
		mapOrg, picked = o.CountyCode, o.TownCode
		if picked == "" {
			picked = o.Code
		}
	}
	level := panels.LevelTown
	if b.reg.Org(mapOrg) == nil { // all, or a city's or province's code prefix
		level = panels.LevelCounty
	}
	regions := b.reg.Under(mapOrg, level)
	if level == panels.LevelTown {
		regions = slices.DeleteFunc(slices.Clone(regions), func(o *panels.Org) bool { return o.CountyCode != mapOrg })
	}
	shape, drawn, err := b.shapes(mapOrg, level, regions)
	if err != nil {
		return err
	}
	if drawn == 0 {
		sv.MapNote = "还没有上传本县的乡镇边界图：请管理员在“地图”页上传 GeoJSON 文件。"
		return nil
	}
	// the values, one per region
	mf := f
	mf.Org, mf.Category = mapOrg, ""
	values := map[string]float64{}
	has := map[string]bool{}
	switch measure.Key {
	case "staff":
		v, err := b.run("staffing.by_org", mf)
		if err != nil {
			return mapDenied(sv, err)
		}
		for _, r := range v.(*panels.Rows[panels.StaffRow]).Rows {
			o := b.reg.Org(r.OrgCode)
			if o == nil {
				continue
			}
			code := o.TownCode
			if level == panels.LevelCounty {
				code = o.CountyCode
			}
			if code == "" {
				code = o.Code
			}
			values[code] += float64(r.Staff)
			has[code] = true
		}
	default:
		v, err := b.run("disputes.by_org", mf)
		if err != nil {
			return mapDenied(sv, err)
		}
		for _, r := range v.(*panels.Rows[panels.DisputeRow]).Rows {
			x := float64(r.Received)
			if measure.Key == "success" {
				x = math.Round(r.SuccessRate*1000) / 10
			}
			values[r.OrgCode], has[r.OrgCode] = x, true
		}
	}
	var data []map[string]any
	var drill []string
	top, bottom := 0.0, math.Inf(1)
	for _, o := range regions {
		item := map[string]any{"name": o.Name, "code": o.Code}
		if has[o.Code] {
			item["value"] = values[o.Code]
			top, bottom = math.Max(top, values[o.Code]), math.Min(bottom, values[o.Code])
		}
		if o.Code == picked {
			item["selected"] = true
		}
		data = append(data, item)
		drill = append(drill, b.screenHref(o.Code))
	}
	// the colours span the values shown (from 0 they would all look alike)
	bottom = math.Floor(math.Min(bottom, top) * 0.9)
	if math.IsInf(bottom, 0) || bottom < 0 {
		bottom = 0
	}
	if top <= bottom {
		top = bottom + 1
	}
	name := "sifa-" + orDefault(mapOrg, "all")
	opt := map[string]any{
		"backgroundColor": "transparent",
		"tooltip":         map[string]any{"trigger": "item"},
		"visualMap": map[string]any{"type": "continuous", "min": bottom, "max": top, "calculable": true, "orient": "horizontal", "left": "center", "bottom": 0, "itemHeight": 160,
			"text": []string{"高", "低"}, "inRange": map[string]any{"color": []string{"#17324d", "#1f6fb2", "#f0b429", "#e0533d"}}, "textStyle": map[string]any{"color": "#c9d6e3"}},
		"series": []map[string]any{{"type": "map", "map": name, "name": measure.Label + "（" + measure.Unit + "）", "roam": false,
			"selectedMode": "single", "layoutCenter": []string{"50%", "46%"}, "layoutSize": "88%",
			"label":     map[string]any{"show": true, "color": "#ffffff", "fontSize": 13},
			"itemStyle": map[string]any{"borderColor": "#0b1a2b", "borderWidth": 1, "areaColor": "#2a3b4d"},
			"emphasis":  map[string]any{"label": map[string]any{"color": "#ffffff"}, "itemStyle": map[string]any{"areaColor": "#4fc3f7"}},
			"select":    map[string]any{"label": map[string]any{"color": "#0b1a2b"}, "itemStyle": map[string]any{"areaColor": "#ffe082"}},
			"data":      data}},
	}
	title := fmt.Sprintf("各%s%s（%s）", levelNoun(level), measure.Label, measure.Unit)
	sv.Map = &mapView{chartView: chartView{ID: newChartID("map"), Title: title, Option: opt, Height: 560, Drill: drill}, Name: name, Shape: shape}
	if drawn < len(regions) {
		sv.MapNote = fmt.Sprintf("%d个%s中有%d个没有边界，地图上不显示。", len(regions), levelNoun(level), len(regions)-drawn)
	}
	return nil
}

// shapes returns the GeoJSON of the regions: a county's own map for its
// townships; for counties, each county's townships as one MultiPolygon.
func (b *builder) shapes(mapOrg, level string, regions []*panels.Org) (json.RawMessage, int, error) {
	if level == panels.LevelTown {
		ms, err := b.maps.MapsOf(b.ctx, []string{mapOrg})
		if err != nil || len(ms) == 0 {
			return nil, 0, err
		}
		m := ms[0]
		var fc geoCollection
		if err := json.Unmarshal([]byte(m.GeoJSON), &fc); err != nil {
			return nil, 0, fmt.Errorf("%s的地图读不出来：%w", mapOrg, err)
		}
		drawn := 0
		for _, o := range regions {
			if slices.ContainsFunc(fc.Features, func(f geoFeature) bool { return f.Properties["code"] == o.Code }) {
				drawn++
			}
		}
		return json.RawMessage(m.GeoJSON), drawn, nil
	}
	out := geoCollection{Type: "FeatureCollection"}
	codes := make([]string, len(regions))
	for i, o := range regions {
		codes[i] = o.Code
	}
	ms, err := b.maps.MapsOf(b.ctx, codes)
	if err != nil {
		return nil, 0, err
	}
	byCounty := make(map[string]warehouse.CountyMap, len(ms))
	for _, m := range ms {
		byCounty[m.County] = m
	}
	for _, o := range regions {
		m, ok := byCounty[o.Code]
		if !ok {
			continue
		}
		var fc geoCollection
		if err := json.Unmarshal([]byte(m.GeoJSON), &fc); err != nil {
			return nil, 0, fmt.Errorf("%s的地图读不出来：%w", o.Name, err)
		}
		var polys []json.RawMessage
		for _, f := range fc.Features {
			switch f.Geometry.Type {
			case "Polygon":
				polys = append(polys, f.Geometry.Coordinates)
			case "MultiPolygon":
				var ps []json.RawMessage
				if json.Unmarshal(f.Geometry.Coordinates, &ps) == nil {
					polys = append(polys, ps...)
				}
			}
		}
		coords, _ := json.Marshal(polys)
		g := geoFeature{Type: "Feature", Properties: map[string]string{"code": o.Code, "name": o.Name}}
		g.Geometry.Type, g.Geometry.Coordinates = "MultiPolygon", coords
		out.Features = append(out.Features, g)
	}
	raw, err := json.Marshal(out)
	return raw, len(out.Features), err
}

// mapDenied leaves the map out for an account that may not see the
// neighbouring townships (a township's own account); other errors stop the page.
func mapDenied(sv *screenView, err error) error {
	var ae *panels.AccessError
	if errors.As(err, &ae) {
		sv.MapNote = "地图显示全县各乡镇，您的账号只能查看本单位，不显示地图。"
		return nil
	}
	return err
}

func (b *builder) screenHref(org string) string {
	over := []string{"org", org}
	if m := b.params.Get("measure"); m != "" {
		over = append(over, "measure", m)
	}
	return b.f.Href("/screen", over...)
}

// forScreen drops what a wall display does not need from a chart (its
// title is the box's heading; no save buttons).
func forScreen(c chartView) chartView {
	opt := map[string]any{}
	for k, v := range c.Option {
		if k != "title" && k != "toolbox" {
			opt[k] = v
		}
	}
	opt["backgroundColor"] = "transparent"
	c.Option = opt
	return c
}

func lastYearText(lastText string, now, before float64) string {
	s := "上年 " + lastText
	if before > 0 {
		d := (now - before) / before * 100
		switch {
		case d > 0.05:
			s += fmt.Sprintf(" · 增 %.1f%%", d)
		case d < -0.05:
			s += fmt.Sprintf(" · 减 %.1f%%", -d)
		}
	}
	return s
}

func personsLastYear(now, before panels.Persons) string {
	if now.Withheld() || before.Withheld() {
		return "上年 " + thousands(before) + "人"
	}
	return lastYearText(thousands(before)+"人", float64(now), float64(before))
}

// periodText is a filter's period in words ("" when it has none).
func periodText(f panels.Filter) string {
	switch {
	case f.Year != 0:
		return fmt.Sprintf("%d年", f.Year)
	case f.From != "" || f.To != "":
		return panels.MonthName(f.From) + "至" + panels.MonthName(f.To)
	}
	return ""
}

func levelNoun(level string) string {
	switch level {
	case panels.LevelCounty:
		return "县"
	case panels.LevelTown:
		return "乡镇"
	case panels.LevelVillage:
		return "村（社区）"
	}
	return "单位"
}

// versionTag is the data version as the page and /api/v1/version give it:
// a digest, so that it says nothing of the warehouse's contents.
func versionTag(v string) string {
	h := sha256.Sum256([]byte("sifa-data-version|" + v))
	return hex.EncodeToString(h[:8])
}
