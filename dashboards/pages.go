package dashboards

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// pageDef is one dashboard page.
type pageDef struct {
	Path, Title string
	build       func(b *builder) error
	// categories the page can be narrowed to, and what they are called
	categories    []string
	categoryLabel string
	noFilter      bool // the page is not about an org or a period
	// ownFrame: the page draws its own frame, with no filter bar, so it
	// needs no list of years beside it (the cockpit, a page a wall screen
	// reloads every few minutes)
	ownFrame bool
	// ownKeys says which URL keys the page reads itself (a what-if's
	// inputs); the filter never sees them
	ownKeys func(string) bool
}

var pageDefs = []pageDef{
	{"/", "总览", buildOverview, nil, "", false, false, nil},
	{"/disputes", "矛盾纠纷", buildDisputes, panels.DisputeTypes, "纠纷类型", false, false, nil},
	{"/staffing", "队伍", buildStaffing, nil, "", false, false, nil},
	{"/funding", "经费", buildFunding, panels.FundingCategories, "经费类别", false, false, nil},
	{"/buildout", "平台建设", buildBuildout, nil, "", false, false, nil},
	{"/outlook", "目标进度", buildOutlook, nil, "", false, false, nil},
	{"/plan", "经费测算", buildPlan, nil, "", false, false, isPlanKey},
	{"/work", "业务工作", buildWork, nil, "", false, false, nil},
	{"/compare", "对比分析", buildCompare, nil, "", false, false, isCompareKey},
	{"/quality", "数据质量", buildQuality, nil, "", false, false, nil},
	{"/brief", "月度简报", buildBrief, nil, "", false, false, isBriefKey},
	{"/screen", "驾驶舱", buildScreen, nil, "", false, true, isScreenKey},
	{"/jobs", "作业", buildJobs, nil, "", true, false, nil},
}

// builder assembles one page from panel answers.
type builder struct {
	ctx context.Context
	e   *panels.Engine
	f   panels.Filter
	reg *panels.Registry
	p   *page
	// params are the page's own URL keys (pageDef.ownKeys)
	params  url.Values
	maps    MapStore      // the counties' maps (the cockpit); nil: none
	refresh time.Duration // how often the cockpit asks for new data
	notes   NoticeBox     // the notices the monthly brief mentions

	mu      sync.Mutex
	memo    map[ask]any // answers already asked for on this page
	order   []ask       // the asks in the order they were first answered (exports follow it)
	queries map[panels.Filter]string
}

// run answers a panel through the same engine the API uses.
func (b *builder) run(id string, f panels.Filter) (any, error) {
	b.mu.Lock()
	v, ok := b.memo[ask{id, f}]
	b.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := b.e.Run(b.ctx, id, f)
	if err == nil {
		b.mu.Lock()
		if b.memo == nil {
			b.memo = map[ask]any{}
		}
		if _, ok := b.memo[ask{id, f}]; !ok {
			b.order = append(b.order, ask{id, f})
		}
		b.memo[ask{id, f}] = v
		b.mu.Unlock()
	}
	return v, err
}

type ask struct {
	id string
	f  panels.Filter
}

// runAll asks several panels at once (the warehouse serves concurrent
// readers) and returns their answers in order.
func (b *builder) runAll(asks ...ask) ([]any, error) {
	out := make([]any, len(asks))
	errs := make([]error, len(asks))
	var wg sync.WaitGroup
	for i, a := range asks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i], errs[i] = b.run(a.id, a.f)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (b *builder) ref(id string, f panels.Filter, field string, v any) numRef {
	return numRef{Panel: id, Query: b.query(f), Field: field, Value: rawJSON(v)}
}

// query is f's URL query, encoded once per page (a page refers to a few
// filters from dozens of numbers).
func (b *builder) query(f panels.Filter) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	q, ok := b.queries[f]
	if !ok {
		if b.queries == nil {
			b.queries = map[panels.Filter]string{}
		}
		q = f.Query().Encode()
		b.queries[f] = q
	}
	return q
}

func (b *builder) lastYear() panels.Filter { return b.f.Previous() }

func (b *builder) orgName() string {
	if b.f.Org == "" {
		return "全部"
	}
	if o := b.reg.Org(b.f.Org); o != nil {
		return o.Name
	}
	return b.f.Org
}

// ---- 总览 ----

func buildOverview(b *builder) error {
	f, last := b.f, b.lastYear()
	ans, err := b.runAll(append([]ask{{"disputes.summary", f}, {"disputes.summary", last}, {"staffing.summary", f}, {"funding.shortfall", f},
		{"buildout.progress", f}, {"staffing.by_org", f}, {"submissions.monthly", f}, {"staffing.by_year", panels.Filter{Org: f.Org, Year: f.Year}}, {"funding.shortfall", last}},
		b.monthAsks()...)...) // the month chart's last
	if err != nil {
		return err
	}
	d, dl, s := ans[0].(*panels.DisputesSummary), ans[1].(*panels.DisputesSummary), ans[2].(*panels.StaffingSummary)
	fs, bo, so := ans[3].(*panels.FundingShortfall), ans[4].(*panels.Rows[panels.BuildoutRow]), ans[5].(*panels.Rows[panels.StaffRow])
	sub, flv := ans[6].(*panels.Submissions), ans[8]
	var staffLast int64
	for _, y := range ans[7].(*panels.Rows[panels.StaffYear]).Rows {
		if y.Year == last.Year {
			staffLast = y.Staff
		}
	}
	var gap, over, gapLast float64
	for _, r := range fs.Rows {
		gap += r.GapToStandard
		over += r.Overspend
	}
	for _, r := range flv.(*panels.FundingShortfall).Rows {
		gapLast += r.GapToStandard
	}
	gapV, gapU := money(gap)
	b.p.Cards = append(b.p.Cards,
		card{Label: "受理矛盾纠纷", Value: thousands(d.Received), Unit: "件", Sub: change(d.Received, dl.Received, "件"), Href: f.Href("/disputes"),
			Ref: b.ref("disputes.summary", f, "received", d.Received)},
		card{Label: "调解成功率", Value: pct(d.SuccessRate), Sub: fmt.Sprintf("上年 %s", pct(dl.SuccessRate)), Href: f.Href("/disputes"),
			Ref: b.ref("disputes.summary", f, "success_rate", d.SuccessRate)},
		card{Label: "司法所在岗人员", Value: thousands(s.Staff), Unit: "人", Sub: fmt.Sprintf("%d个所，其中1人所%d个；上年%d人", s.Offices, s.OfficesSingleStaff, staffLast),
			Href: f.Href("/staffing"), Warn: s.OfficesSingleStaff > 0, Ref: b.ref("staffing.summary", f, "staff", s.Staff)},
		card{Label: "经费缺口（距标准）", Value: gapV, Unit: gapU, Sub: "上年缺口 " + moneyText(gapLast) + "；超预算支出 " + moneyText(over), Href: f.Href("/funding"), Warn: gap > 0},
	)
	// 需要关注, most severe first, one line per kind of problem: targets
	// behind, then offices that have not reported (the page's figures lack
	// them), then single-staff offices, then overspending (one line, the
	// largest first)
	for _, r := range bo.Rows {
		if r.Year != f.Year {
			continue
		}
		b.p.Cards = append(b.p.Cards, card{Label: r.Level + "规范化率", Value: pct(r.StandardizedRate),
			Sub:  fmt.Sprintf("目标 %s，%s", pct(r.TargetStandardizedRate), map[bool]string{true: "达标", false: "落后"}[r.OnTrack]),
			Href: f.Href("/buildout"), Warn: !r.OnTrack})
		if !r.OnTrack {
			b.p.Notes = append(b.p.Notes, note{Level: "warn", Href: f.Href("/outlook"),
				Text: fmt.Sprintf("平台建设：%d年%s规范化率 %s，低于目标 %s（%d个单位中已验收%d个）", r.Year, r.Level, pct(r.StandardizedRate), pct(r.TargetStandardizedRate), r.Units, r.Standardized)})
		}
	}
	if sub.Month != "" {
		var missing []string
		for _, r := range sub.Rows {
			missing = append(missing, fmt.Sprintf("%s（%s）", r.OrgName, strings.Join(r.Missing, "、")))
		}
		switch {
		case len(sub.Rows) == 1:
			r := sub.Rows[0]
			b.p.Notes = append(b.p.Notes, note{Level: "warn", Href: f.Href("/", "org", r.OrgCode),
				Text: fmt.Sprintf("报送：%s缺报%s的%s", r.OrgName, panels.MonthName(sub.Month), strings.Join(r.Missing, "、"))})
		case len(sub.Rows) > 1:
			b.p.Notes = append(b.p.Notes, note{Level: "warn",
				Text: fmt.Sprintf("报送：%d个单位缺报%s的台账：%s", len(sub.Rows), panels.MonthName(sub.Month), strings.Join(missing, "；"))})
		}
	}
	var single []string
	for _, r := range so.Rows {
		if r.SingleStaff {
			single = append(single, r.OrgName)
		}
	}
	if len(single) > 0 {
		b.p.Notes = append(b.p.Notes, note{Level: "warn", Href: f.Href("/staffing"),
			Text: fmt.Sprintf("队伍：只有1名工作人员的司法所 %d 个：%s", len(single), strings.Join(single, "、"))})
	}
	var overs []panels.FundingRow
	for _, r := range fs.Rows {
		if r.Overspend > 0 {
			overs = append(overs, r)
		}
	}
	slices.SortStableFunc(overs, func(a, b panels.FundingRow) int { return cmpDesc(a.Overspend, b.Overspend) })
	if len(overs) > 0 {
		var parts []string
		for _, r := range overs {
			parts = append(parts, fmt.Sprintf("%s超出 %s（实际支出 %s）", r.Category, moneyText(r.Overspend), moneyText(r.Actual)))
		}
		b.p.Notes = append(b.p.Notes, note{Level: "warn", Href: f.Href("/funding"),
			Text: fmt.Sprintf("经费：%d类经费实际支出超出预算，共 %s：%s", len(overs), moneyText(over), strings.Join(parts, "；"))})
	}
	if sub.Month != "" && sub.Missing == 0 {
		b.p.Notes = append(b.p.Notes, note{Level: "info", Text: fmt.Sprintf("%s各司法所的人民调解、法律咨询台账都已报送", panels.MonthName(sub.Month))})
	}
	if d.Received == 0 && s.Staff == 0 && len(fs.Rows) == 0 {
		b.p.Empty = "这里还没有数据。请在“数据上传”页上传机构名录和各类台账（可先下载模板）。"
		return nil
	}
	if err := b.monthChart(); err != nil {
		return err
	}
	return b.timeliness()
}

// timeliness is the table of each office's on-time rate over the filter's months.
func (b *builder) timeliness() error {
	f := b.f
	v, err := b.run("submissions.timeliness", f)
	if err != nil {
		return err
	}
	tl := v.(*panels.Timeliness)
	if len(tl.Rows) == 0 || len(tl.Months) == 0 {
		return nil
	}
	t := tableView{Title: fmt.Sprintf("各司法所按时报送（%s至%s，每月%d日前报上月台账）", panels.MonthName(tl.Months[0]), panels.MonthName(tl.Months[len(tl.Months)-1]), tl.DueDay),
		Head: []string{"司法所", "应报月数", "按时", "迟报", "缺报", "其中零上报", "按时报送率", "迟报平均天数"},
		Note: fmt.Sprintf("全部 %d 个司法所的按时报送率 %s。按每月人民调解、法律咨询台账第一次载入的时间计算（后来发的更正文件不算迟报）；零上报算作已报。", tl.Offices, pct(tl.OnTimeRate))}
	for i, r := range tl.Rows {
		class := ""
		if r.OnTimeRate < 0.8 {
			class = "warn"
		}
		field := fmt.Sprintf("rows.%d.", i)
		t.Rows = append(t.Rows, []cell{{Text: r.OrgName, Href: f.Href("/", "org", r.OrgCode)},
			{Text: thousands(r.MonthsDue)}, {Text: thousands(r.OnTime), Ref: b.ref("submissions.timeliness", f, field+"on_time", r.OnTime)},
			{Text: thousands(r.Late)}, {Text: thousands(r.Missing), Ref: b.ref("submissions.timeliness", f, field+"missing", r.Missing)},
			{Text: thousands(r.Zero)}, {Text: pct(r.OnTimeRate), Class: class}, {Text: strconv.FormatFloat(r.LateDays, 'f', 1, 64)}})
	}
	b.p.Tables = append(b.p.Tables, t)
	return nil
}

// cmpDesc orders larger first.
func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// ---- 矛盾纠纷 ----

func buildDisputes(b *builder) error {
	f := b.f
	dv, err := b.run("disputes.summary", f)
	if err != nil {
		return err
	}
	d := dv.(*panels.DisputesSummary)
	if d.Received == 0 {
		b.p.Empty = fmt.Sprintf("%s在所选时段没有人民调解台账数据。请上传“人民调解台账”。", b.orgName())
		return nil
	}
	b.p.Cards = append(b.p.Cards,
		card{Label: "受理纠纷", Value: thousands(d.Received), Unit: "件", Ref: b.ref("disputes.summary", f, "received", d.Received)},
		card{Label: "调解成功", Value: thousands(d.MediatedSuccess), Unit: "件", Ref: b.ref("disputes.summary", f, "mediated_success", d.MediatedSuccess)},
		card{Label: "调解成功率", Value: pct(d.SuccessRate), Ref: b.ref("disputes.summary", f, "success_rate", d.SuccessRate)},
		card{Label: "涉法信访", Value: thousands(d.PetitionRelated), Unit: "件", Ref: b.ref("disputes.summary", f, "petition_related", d.PetitionRelated)},
	)
	if err := b.monthChart(); err != nil {
		return err
	}
	tv, err := b.run("disputes.by_type", f)
	if err != nil {
		return err
	}
	var cats []string
	var vals []float64
	for _, r := range tv.(*panels.Rows[panels.DisputeRow]).Rows {
		cats = append(cats, r.Type)
		vals = append(vals, float64(r.Received))
	}
	b.p.Charts = append(b.p.Charts, barChart("各类纠纷", cats, []series{{Name: "受理", Values: vals}}, "件", false))
	ov, err := b.run("disputes.by_org", f)
	if err != nil {
		return err
	}
	orgs := ov.(*panels.Rows[panels.DisputeRow])
	cats, vals = nil, nil
	var ok []float64
	var drill []string
	t := tableView{Title: "各单位受理纠纷", Head: []string{"单位", "受理（件）", "调解成功（件）", "成功率"}}
	for i, r := range orgs.Rows {
		cats = append(cats, r.OrgName)
		vals = append(vals, float64(r.Received))
		ok = append(ok, float64(r.MediatedSuccess))
		href := ""
		if r.OrgCode != "" && orgs.Level != panels.LevelVillage {
			href = f.Href("/disputes", "org", r.OrgCode)
		}
		drill = append(drill, href)
		field := fmt.Sprintf("rows.%d.", i)
		t.Rows = append(t.Rows, []cell{{Text: r.OrgName, Href: href},
			{Text: thousands(r.Received), Ref: b.ref("disputes.by_org", f, field+"received", r.Received)},
			{Text: thousands(r.MediatedSuccess), Ref: b.ref("disputes.by_org", f, field+"mediated_success", r.MediatedSuccess)},
			{Text: pct(r.SuccessRate)}})
	}
	c := barChart("各单位受理纠纷（点击单位查看下级）", cats, []series{{Name: "受理", Values: vals}, {Name: "调解成功", Values: ok}}, "件", false)
	if orgs.Level != panels.LevelVillage {
		c.Drill = drill
	}
	b.p.Charts = append(b.p.Charts, c)
	pt := tableView{Title: "防止矛盾激化", Head: []string{"类型", "件数", "涉及人数"}}
	var pcats []string
	var pcases, ppersons []float64
	for _, k := range panels.PreventedTypes {
		p := d.Prevented[k]
		pt.Rows = append(pt.Rows, []cell{{Text: k},
			{Text: thousands(p.Cases) + "件", Ref: b.ref("disputes.summary", f, "prevented."+k+".cases", p.Cases)},
			{Text: thousands(p.Persons) + "人", Ref: b.ref("disputes.summary", f, "prevented."+k+".persons", p.Persons)}})
		pcats = append(pcats, k)
		pcases = append(pcases, float64(p.Cases))
		ppersons = append(ppersons, float64(p.Persons))
	}
	b.p.Charts = append(b.p.Charts, barChart("防止矛盾激化", pcats, []series{{Name: "件数", Values: pcases}, {Name: "人数", Values: ppersons}}, "", false))
	rt := tableView{Title: "调解结果", Head: []string{"结果", "件数"}}
	for _, k := range panels.DisputeResults {
		rt.Rows = append(rt.Rows, []cell{{Text: k}, {Text: thousands(d.ByResult[k]) + "件", Ref: b.ref("disputes.summary", f, "by_result."+k, d.ByResult[k])}})
	}
	b.p.Tables = append(b.p.Tables, t, pt, rt)
	return nil
}

// monthAsks are the panels monthChart reads: a page asks them with its
// others at once, and the chart finds them answered.
func (b *builder) monthAsks() []ask {
	if b.f.Year != 0 {
		return []ask{{"disputes.by_month", b.f.Previous()}, {"disputes.by_month", b.f}}
	}
	return []ask{{"disputes.by_month", b.f}}
}

// monthChart draws disputes received by month: this year beside last year,
// or the months of a chosen range.
func (b *builder) monthChart() error {
	f := b.f
	months := make([]string, 12)
	for i := range months {
		months[i] = strconv.Itoa(i+1) + "月"
	}
	if f.Year != 0 {
		var ss []series
		both, err := b.runAll(b.monthAsks()...)
		if err != nil {
			return err
		}
		for k, ff := range []panels.Filter{f.Previous(), f} {
			mv := both[k]
			vals := make([]float64, 12)
			for _, r := range mv.(*panels.Rows[panels.DisputeRow]).Rows {
				if m, err := strconv.Atoi(r.Month[5:]); err == nil && m >= 1 && m <= 12 {
					vals[m-1] = float64(r.Received)
				}
			}
			ss = append(ss, series{Name: fmt.Sprintf("%d年", ff.Year), Values: vals})
		}
		b.p.Charts = append(b.p.Charts, lineChart("各月受理纠纷（本年与上年）", months, ss, "件"))
	} else {
		mv, err := b.run("disputes.by_month", f)
		if err != nil {
			return err
		}
		var ms []string
		var vals []float64
		for _, r := range mv.(*panels.Rows[panels.DisputeRow]).Rows {
			ms = append(ms, panels.MonthName(r.Month))
			vals = append(vals, float64(r.Received))
		}
		b.p.Charts = append(b.p.Charts, lineChart("各月受理纠纷", ms, []series{{Name: "受理", Values: vals}}, "件"))
	}
	return nil
}

// ---- 队伍 ----

func buildStaffing(b *builder) error {
	f := b.f
	sv, err := b.run("staffing.summary", f)
	if err != nil {
		return err
	}
	s := sv.(*panels.StaffingSummary)
	if s.Staff == 0 && s.BureauStaff == 0 {
		b.p.Empty = fmt.Sprintf("%s在%d年底以前没有人员花名册。请上传“人员花名册”。", b.orgName(), f.Year)
		return nil
	}
	q := func(field string, v any) numRef { return b.ref("staffing.summary", f, field, v) }
	b.p.Cards = append(b.p.Cards,
		card{Label: "司法所", Value: thousands(s.Offices), Unit: "个", Ref: q("offices", s.Offices)},
		card{Label: "司法所在岗人员", Value: thousands(s.Staff), Unit: "人", Ref: q("staff", s.Staff)},
		card{Label: "2人及以上的所", Value: thousands(s.OfficesMultiStaff), Unit: "个", Ref: q("offices_multi_staff", s.OfficesMultiStaff)},
		card{Label: "只有1人的所", Value: thousands(s.OfficesSingleStaff), Unit: "个", Warn: s.OfficesSingleStaff > 0, Ref: q("offices_single_staff", s.OfficesSingleStaff)},
		card{Label: "县司法局在岗人员", Value: thousands(s.BureauStaff), Unit: "人", Ref: q("bureau_staff", s.BureauStaff)},
		card{Label: "落实副科级待遇", Value: thousands(s.DeputySectionRank), Unit: "人", Ref: q("deputy_section_rank", s.DeputySectionRank)},
		card{Label: "46岁及以上", Value: thousands(s.Aged46Plus), Unit: "人", Ref: q("aged_46_plus", s.Aged46Plus)},
		card{Label: "不会使用计算机", Value: thousands(s.NoComputer), Unit: "人", Warn: s.NoComputer > 0, Ref: q("no_computer", s.NoComputer)},
		card{Label: "法律专业", Value: thousands(s.LawMajor), Unit: "人", Ref: q("law_major", s.LawMajor)},
	)
	more, err := b.runAll(ask{"staffing.by_org", f}, ask{"staffing.by_year", panels.Filter{Org: f.Org}})
	if err != nil {
		return err
	}
	ov, yv := more[0], more[1]
	var cats []string
	var vals []float64
	var marked []bool
	var drill []string
	t := tableView{Title: "各司法所人员（截至 " + s.Snapshot + "）", Head: []string{"司法所", "在岗人员", "46岁及以上", "不会使用计算机", "法律专业"}}
	for i, r := range ov.(*panels.Rows[panels.StaffRow]).Rows {
		cats = append(cats, r.OrgName)
		vals = append(vals, float64(r.Staff))
		marked = append(marked, r.Staff <= 1)
		drill = append(drill, f.Href("/staffing", "org", r.OrgCode))
		class := ""
		if r.Staff <= 1 {
			class = "warn"
		}
		field := fmt.Sprintf("rows.%d.", i)
		t.Rows = append(t.Rows, []cell{{Text: r.OrgName, Href: f.Href("/staffing", "org", r.OrgCode)},
			{Text: thousands(r.Staff) + "人", Class: class, Ref: b.ref("staffing.by_org", f, field+"staff", r.Staff)},
			{Text: thousands(r.Aged46Plus)}, {Text: thousands(r.NoComputer)}, {Text: thousands(r.LawMajor)}})
	}
	c := barChart("各司法所在岗人员（红色为只有1人或无人的所）", cats, []series{{Name: "在岗人员", Values: vals, Marked: marked}}, "人", false)
	c.Drill = drill
	b.p.Charts = append(b.p.Charts, c)
	if av, ok := personValues(panels.AgeBands, s.AgeBands); ok {
		b.p.Charts = append(b.p.Charts, pieChart("年龄结构", panels.AgeBands, av))
	}
	if ev, ok := personValues(panels.EducationLevels, s.Education); ok {
		b.p.Charts = append(b.p.Charts, barChart("学历", panels.EducationLevels, []series{{Name: "人数", Values: ev}}, "人", false))
	}
	// change over the years
	var ys []string
	var staff, bureau, old []float64
	oldShown := true
	for _, x := range yv.(*panels.Rows[panels.StaffYear]).Rows {
		ys = append(ys, strconv.Itoa(x.Year))
		staff = append(staff, float64(x.Staff))
		bureau = append(bureau, float64(x.BureauStaff))
		old = append(old, float64(x.Aged46Plus))
		oldShown = oldShown && !x.Aged46Plus.Withheld()
	}
	if len(ys) > 1 {
		lines := []series{{Name: "司法所在岗", Values: staff}, {Name: "县局在岗", Values: bureau}}
		if oldShown {
			lines = append(lines, series{Name: "46岁及以上", Values: old})
		}
		b.p.Charts = append(b.p.Charts, lineChart("历年人员变化", ys, lines, "人"))
	}
	et := tableView{Title: "学历与年龄", Head: []string{"项目", "人数"}}
	for _, k := range panels.EducationLevels {
		et.Rows = append(et.Rows, []cell{{Text: k}, {Text: thousands(s.Education[k]) + "人", Ref: b.ref("staffing.summary", f, "education."+k, s.Education[k])}})
	}
	for _, k := range panels.AgeBands {
		et.Rows = append(et.Rows, []cell{{Text: k}, {Text: thousands(s.AgeBands[k]) + "人", Ref: b.ref("staffing.summary", f, "age_bands."+k, s.AgeBands[k])}})
	}
	b.p.Tables = append(b.p.Tables, t, et)
	return b.posts()
}

// posts is each office's staff by status (借调 and 兼职他岗 do no justice
// work there), whether its head holds 副科级, and the corrections subjects
// per staff member in post (staffing.posts).
func (b *builder) posts() error {
	f := b.f
	v, err := b.run("staffing.posts", f)
	if err != nil {
		return err
	}
	ps := v.(*panels.Posts)
	if len(ps.Rows) == 0 {
		return nil
	}
	t := tableView{Title: "各司法所的岗位情况", Head: []string{"司法所", "在岗（人）", "借调（人）", "兼职他岗（人）", "长期病假（人）", "在岗又兼任镇村工作（人）", "所长落实副科级", "在矫对象（人）", "每名在岗人员对应矫正对象（人）"},
		Note: fmt.Sprintf("%d个所中%d个有所长，其中%d个所长落实了副科级（或正科级）待遇；借调和兼职他岗、不在所里做司法行政工作的共%d人；在岗人员中还兼任综治、信访、包村等镇村工作（身兼数职）的%d人。", ps.Offices, ps.OfficesWithHead, ps.HeadsRanked, ps.NotDoingJustice, ps.WithOtherDuties)}
	for i, r := range ps.Rows {
		head := "无所长"
		switch {
		case r.HeadRanked.Withheld():
			head = "不显示"
		case r.HasHead && r.HeadRanked > 0:
			head = "是"
		case r.HasHead:
			head = "否"
		}
		ratio := "—"
		if r.SubjectsPerStaff != nil {
			ratio = strconv.FormatFloat(*r.SubjectsPerStaff, 'f', -1, 64)
		}
		t.Rows = append(t.Rows, []cell{{Text: r.OrgName, Href: f.Href("/staffing", "org", r.OrgCode)},
			{Text: thousands(r.InPost), Ref: b.ref("staffing.posts", f, fmt.Sprintf("rows.%d.in_post", i), r.InPost)},
			{Text: thousands(r.Seconded)}, {Text: thousands(r.OtherPost)}, {Text: thousands(r.SickLeave)}, {Text: thousands(r.OtherDuties)}, {Text: head},
			{Text: thousands(r.Subjects)}, {Text: ratio}})
	}
	b.p.Tables = append(b.p.Tables, t)
	return nil
}

// ---- 经费 ----

func buildFunding(b *builder) error {
	f := b.f
	fv, err := b.run("funding.shortfall", f)
	if err != nil {
		return err
	}
	fs := fv.(*panels.FundingShortfall)
	if len(fs.Rows) == 0 {
		b.p.Empty = fmt.Sprintf("%s没有%d年的经费台账。请上传“经费台账”。", b.orgName(), f.Year)
		return nil
	}
	std := b.e.StandardsInForce()
	t := tableView{Title: fmt.Sprintf("%d年经费保障情况（金额单位：元）", fs.Year), Head: []string{"经费类别", "标准", "预算", "到位", "实际支出", "距标准缺口", "超预算支出", "标准依据"}}
	var cats []string
	var sStd, sBud, sAll, sAct []float64
	var gap, over float64
	for i, r := range fs.Rows {
		field := fmt.Sprintf("rows.%d.", i)
		gapClass, overClass := "", ""
		if r.GapToStandard > 0 {
			gapClass = "warn"
		}
		if r.Overspend > 0 {
			overClass = "warn"
		}
		t.Rows = append(t.Rows, []cell{{Text: r.Category},
			{Text: moneyText(r.Standard), Ref: b.ref("funding.shortfall", f, field+"standard", r.Standard)},
			{Text: moneyText(r.Budget), Ref: b.ref("funding.shortfall", f, field+"budget", r.Budget)},
			{Text: moneyText(r.Allocated), Ref: b.ref("funding.shortfall", f, field+"allocated", r.Allocated)},
			{Text: moneyText(r.Actual), Ref: b.ref("funding.shortfall", f, field+"actual", r.Actual)},
			{Text: moneyText(r.GapToStandard), Class: gapClass, Ref: b.ref("funding.shortfall", f, field+"gap_to_standard", r.GapToStandard)},
			{Text: moneyText(r.Overspend), Class: overClass, Ref: b.ref("funding.shortfall", f, field+"overspend", r.Overspend)},
			{Text: r.StandardBasis}})
		cats = append(cats, r.Category)
		sStd = append(sStd, r.Standard/10000)
		sBud = append(sBud, r.Budget/10000)
		sAll = append(sAll, r.Allocated/10000)
		sAct = append(sAct, r.Actual/10000)
		gap += r.GapToStandard
		over += r.Overspend
	}
	gv, gu := money(gap)
	ovv, ovu := money(over)
	b.p.Cards = append(b.p.Cards,
		card{Label: "距标准缺口合计", Value: gv, Unit: gu, Warn: gap > 0},
		card{Label: "超预算支出合计", Value: ovv, Unit: ovu, Warn: over > 0},
		card{Label: "在岗人员（公用经费按人计）", Value: thousands(fs.StaffInPost), Unit: "人", Ref: b.ref("funding.shortfall", f, "staff_in_post", fs.StaffInPost)},
		card{Label: "在矫社区矫正对象", Value: thousands(fs.CorrectionsSubjects), Unit: "人", Ref: b.ref("funding.shortfall", f, "corrections_subjects", fs.CorrectionsSubjects)},
	)
	b.p.Charts = append(b.p.Charts, barChart(fmt.Sprintf("%d年各类经费（万元）", fs.Year), cats,
		[]series{{Name: "标准", Values: sStd}, {Name: "预算", Values: sBud}, {Name: "到位", Values: sAll}, {Name: "实际支出", Values: sAct}}, "万元", false))
	// per head against the standards
	pc := tableView{Title: "人均、每县标准对照", Head: []string{"项目", "实际", "标准", "情况"}}
	for _, r := range fs.Rows {
		switch r.Category {
		case "公用经费":
			if fs.StaffInPost > 0 {
				per := r.Budget / float64(fs.StaffInPost)
				pc.Rows = append(pc.Rows, []cell{{Text: "公用经费预算（每人每年）"}, {Text: moneyText(per)}, {Text: moneyText(std.PublicPerStaff)}, verdict(per >= std.PublicPerStaff)})
			}
		case "社区矫正经费":
			if fs.CorrectionsSubjects > 0 {
				per := r.Budget / float64(fs.CorrectionsSubjects)
				pc.Rows = append(pc.Rows, []cell{{Text: "社区矫正经费预算（每名矫正对象每年）"}, {Text: moneyText(per)},
					{Text: moneyText(std.CorrectionsPerSubject) + "–" + moneyText(std.CorrectionsHigh)}, verdict(per >= std.CorrectionsPerSubject)})
			}
		case "人民调解经费":
			if fs.Counties > 0 {
				per := r.Budget / float64(fs.Counties)
				pc.Rows = append(pc.Rows, []cell{{Text: "人民调解经费预算（每县每年）"}, {Text: moneyText(per)}, {Text: "不少于" + moneyText(std.MediationPerCounty)}, verdict(per >= std.MediationPerCounty)})
			}
		}
	}
	// the years side by side
	yv, err := b.run("funding.by_year", panels.Filter{Org: f.Org})
	if err != nil {
		return err
	}
	var ys []string
	var yStd, yBud, yAct []float64
	for _, x := range yv.(*panels.Rows[panels.FundingYear]).Rows {
		ys = append(ys, strconv.Itoa(x.Year))
		yStd, yBud, yAct = append(yStd, x.Standard/10000), append(yBud, x.Budget/10000), append(yAct, x.Actual/10000)
	}
	if len(ys) > 1 {
		b.p.Charts = append(b.p.Charts, barChart("历年经费（万元）", ys, []series{{Name: "标准", Values: yStd}, {Name: "预算", Values: yBud}, {Name: "实际支出", Values: yAct}}, "万元", false))
	}
	b.p.Tables = append(b.p.Tables, t, pc)
	return nil
}

func verdict(ok bool) cell {
	if ok {
		return cell{Text: "达到标准"}
	}
	return cell{Text: "低于标准", Class: "warn"}
}

// ---- 平台建设 ----

func buildBuildout(b *builder) error {
	f := b.f
	bv, err := b.run("buildout.progress", panels.Filter{Org: f.Org, Year: f.Year})
	if err != nil {
		return err
	}
	rows := bv.(*panels.Rows[panels.BuildoutRow]).Rows
	if len(rows) == 0 || (rows[0].Established == 0 && rows[len(rows)-1].Established == 0) {
		b.p.Empty = fmt.Sprintf("%s还没有平台建设台账。请上传“平台建设台账”。", b.orgName())
		return nil
	}
	t := tableView{Title: "建设进度与目标", Head: []string{"层级", "年度", "应建单位", "已建立", "已规范化", "建立率", "规范化率", "规范化目标", "情况", "已建的里规范化的比例"},
		Note: "口径：" + panels.BuildoutDefinition(panels.StationLevel) + "。工作室同理（按村、社区数）。"}
	byLevel := map[string][]panels.BuildoutRow{}
	for i, r := range rows {
		field := fmt.Sprintf("rows.%d.", i)
		t.Rows = append(t.Rows, []cell{{Text: r.Level}, {Text: strconv.Itoa(r.Year) + "年"},
			{Text: thousands(r.Units), Ref: b.ref("buildout.progress", panels.Filter{Org: f.Org, Year: f.Year}, field+"units", r.Units)},
			{Text: thousands(r.Established), Ref: b.ref("buildout.progress", panels.Filter{Org: f.Org, Year: f.Year}, field+"established", r.Established)},
			{Text: thousands(r.Standardized), Ref: b.ref("buildout.progress", panels.Filter{Org: f.Org, Year: f.Year}, field+"standardized", r.Standardized)},
			{Text: pct(r.EstablishedRate)}, {Text: pct(r.StandardizedRate)}, {Text: pct(r.TargetStandardizedRate)},
			map[bool]cell{true: {Text: "达标"}, false: {Text: "落后", Class: "warn"}}[r.OnTrack], {Text: pct(r.StandardizedOfBuilt)}})
		byLevel[r.Level] = append(byLevel[r.Level], r)
		if r.Year == f.Year {
			b.p.Cards = append(b.p.Cards, card{Label: fmt.Sprintf("%d年%s规范化率", r.Year, r.Level), Value: pct(r.StandardizedRate),
				Sub: fmt.Sprintf("目标 %s；%d个单位已验收%d个", pct(r.TargetStandardizedRate), r.Units, r.Standardized), Warn: !r.OnTrack,
				Ref: b.ref("buildout.progress", panels.Filter{Org: f.Org, Year: f.Year}, field+"standardized_rate", r.StandardizedRate)})
		}
	}
	for _, lv := range panels.BuildoutLevels {
		rs := byLevel[lv.Site]
		var ys []string
		var rate, target []float64
		for _, r := range rs {
			ys = append(ys, strconv.Itoa(r.Year))
			rate = append(rate, r.StandardizedRate*100)
			target = append(target, r.TargetStandardizedRate*100)
		}
		if len(ys) > 0 {
			b.p.Charts = append(b.p.Charts, barChart(lv.Site+"规范化率与目标（%）", ys, []series{{Name: "规范化率", Values: rate}, {Name: "目标", Values: target}}, "%", false))
		}
	}
	ov, err := b.run("buildout.by_org", f)
	if err != nil {
		return err
	}
	ot := tableView{Title: fmt.Sprintf("各乡镇情况（截至%d年底）", f.Year), Head: []string{"乡镇", "服务站", "村(社区)", "已建工作室", "已规范化", "未建工作室的村(社区)", "“六有”缺项"}}
	for _, r := range ov.(*panels.Rows[panels.BuildoutOrgRow]).Rows {
		station := "未建立"
		switch {
		case r.StationStandardized:
			station = "已规范化"
		case r.StationEstablished:
			station = "已建立，未验收"
		}
		var miss []string
		for _, it := range panels.SixItems {
			if n := r.MissingSixItems[it.From]; n > 0 {
				miss = append(miss, fmt.Sprintf("%s缺%d处", strings.TrimPrefix(it.From, "有"), n))
			}
		}
		noRoom := strings.Join(r.VillagesWithoutRoom, "、")
		class := ""
		if noRoom != "" {
			class = "warn"
		}
		if noRoom == "" {
			noRoom = "无"
		}
		ot.Rows = append(ot.Rows, []cell{{Text: r.OrgName, Href: f.Href("/buildout", "org", r.OrgCode)}, {Text: station},
			{Text: thousands(r.Villages)}, {Text: thousands(r.RoomsEstablished)}, {Text: thousands(r.RoomsStandardized)},
			{Text: noRoom, Class: class}, {Text: strings.Join(miss, "，")}})
	}
	b.p.Tables = append(b.p.Tables, t, ot)
	return nil
}

// ---- 业务工作 ----

func buildWork(b *builder) error {
	f := b.f
	ans, err := b.runAll(ask{"work.summary", f}, ask{"work.by_org", f}, ask{"work.by_year", panels.Filter{Org: f.Org}})
	if err != nil {
		return err
	}
	w := ans[0].(*panels.WorkSummary)
	q := func(field string, v any) numRef { return b.ref("work.summary", f, field, v) }
	rec, recU := money(w.LegalAidRecovered)
	b.p.Cards = append(b.p.Cards,
		card{Label: "法律援助案件", Value: thousands(w.LegalAidCases), Unit: "件", Sub: fmt.Sprintf("申请%d件", w.LegalAidApplications), Ref: q("legal_aid_cases", w.LegalAidCases)},
		card{Label: "挽回经济损失", Value: rec, Unit: recU, Ref: q("legal_aid_recovered", w.LegalAidRecovered)},
		card{Label: "法律咨询", Value: thousands(w.Consultations), Unit: "人次", Ref: q("consultations", w.Consultations)},
		card{Label: "普法宣传活动", Value: thousands(w.PublicityEvents), Unit: "场", Sub: fmt.Sprintf("参与%s人", thousands(w.PublicityParticipants)), Ref: q("publicity_events", w.PublicityEvents)},
		card{Label: "在矫社区矫正对象", Value: thousands(w.CorrectionsInSupervision), Unit: "人",
			Sub: fmt.Sprintf("脱管%s人，重新犯罪%s人", thousands(w.CorrectionsLostContact), thousands(w.CorrectionsReoffended)), Warn: w.CorrectionsLostContact > 0 || w.CorrectionsReoffended > 0,
			Ref: q("corrections_in_supervision", w.CorrectionsInSupervision)},
		card{Label: "刑满释放人员安置", Value: thousands(w.ReleasedResettled), Unit: "人", Sub: fmt.Sprintf("登记%s人，重新犯罪%s人", thousands(w.ReleasedRegistered), thousands(w.ReleasedReoffended)),
			Ref: q("released_resettled", w.ReleasedResettled)},
	)
	if w.LegalAidApplications+w.Consultations+w.PublicityEvents == 0 && w.CorrectionsInSupervision == 0 && w.ReleasedRegistered == 0 {
		b.p.Empty = fmt.Sprintf("%s在所选时段没有法律援助、法律咨询、普法宣传、社区矫正、安置帮教台账。请上传这些台账。", b.orgName())
		b.p.Cards = nil
		return nil
	}
	head := []string{"", "法律援助（件）", "法律咨询（人次）", "普法活动（场）", "在矫对象（人）", "安置帮教（人）"}
	line := func(name, href string, x panels.WorkSummary) []cell {
		return []cell{{Text: name, Href: href}, {Text: thousands(x.LegalAidCases)}, {Text: thousands(x.Consultations)}, {Text: thousands(x.PublicityEvents)},
			{Text: thousands(x.CorrectionsInSupervision)}, {Text: thousands(x.ReleasedResettled) + "/" + thousands(x.ReleasedRegistered)}}
	}
	ov := ans[1]
	ot := tableView{Title: "各单位", Head: head, Note: "安置帮教一栏为“已安置/登记”。"}
	var cats []string
	var cons []float64
	var drill []string
	for i, r := range ov.(*panels.Rows[panels.WorkOrgRow]).Rows {
		href := f.Href("/work", "org", r.OrgCode)
		row := line(r.OrgName, href, r.WorkSummary)
		row[1].Ref = b.ref("work.by_org", f, fmt.Sprintf("rows.%d.legal_aid_cases", i), r.LegalAidCases)
		row[2].Ref = b.ref("work.by_org", f, fmt.Sprintf("rows.%d.consultations", i), r.Consultations)
		ot.Rows = append(ot.Rows, row)
		cats = append(cats, r.OrgName)
		cons = append(cons, float64(r.Consultations))
		drill = append(drill, href)
	}
	c := barChart("各单位法律咨询（人次）", cats, []series{{Name: "咨询人次", Values: cons}}, "人次", false)
	c.Drill = drill
	b.p.Charts = append(b.p.Charts, c)
	yv := ans[2]
	yt := tableView{Title: "历年情况", Head: append([]string{"年度"}, head[1:]...)}
	var ys []string
	var la, pe []float64
	for i, x := range yv.(*panels.Rows[panels.WorkYear]).Rows {
		row := line(strconv.Itoa(x.Year)+"年", f.Href("/work", "year", strconv.Itoa(x.Year)), x.WorkSummary)
		row[1].Ref = b.ref("work.by_year", panels.Filter{Org: f.Org}, fmt.Sprintf("rows.%d.legal_aid_cases", i), x.LegalAidCases)
		row[2].Ref = b.ref("work.by_year", panels.Filter{Org: f.Org}, fmt.Sprintf("rows.%d.consultations", i), x.Consultations)
		yt.Rows = append(yt.Rows, row)
		ys = append(ys, strconv.Itoa(x.Year))
		la = append(la, float64(x.LegalAidCases))
		pe = append(pe, float64(x.PublicityEvents))
	}
	if len(ys) > 1 {
		b.p.Charts = append(b.p.Charts, lineChart("历年法律援助与普法活动", ys, []series{{Name: "法律援助（件）", Values: la}, {Name: "普法活动（场）", Values: pe}}, ""))
	}
	b.p.Tables = append(b.p.Tables, ot, yt)
	return b.workDetails()
}

// workDetails shows what the ledgers record beyond the counts: the amounts
// disputes were about, legal aid per group of aided persons, corrections
// education and service, 必接必送 and one-to-one mentoring, the villages 普法
// reached (work.details).
func (b *builder) workDetails() error {
	f := b.f
	v, err := b.run("work.details", f)
	if err != nil {
		return err
	}
	d := v.(*panels.WorkDetails)
	q := func(field string, x any) numRef { return b.ref("work.details", f, field, x) }
	amount, amountU := money(d.DisputesAmount)
	t := tableView{Title: "细项", Head: []string{"项目", "数量", "说明"}, Rows: [][]cell{
		{{Text: "纠纷涉及金额"}, {Text: amount + amountU, Ref: q("disputes_amount", d.DisputesAmount)}, {Text: fmt.Sprintf("%s件纠纷填了涉及金额", thousands(d.DisputesWithAmount))}},
		{{Text: "社区矫正集中教育"}, {Text: thousands(d.GroupEducation) + "次", Ref: q("group_education", d.GroupEducation)}, {Text: fmt.Sprintf("在矫对象%s人（期末统计时点）", thousands(d.CorrectionsSubjects))}},
		{{Text: "社区矫正个别教育"}, {Text: thousands(d.IndividualEducation) + "次", Ref: q("individual_education", d.IndividualEducation)}, {}},
		{{Text: "社区矫正公益活动"}, {Text: thousands(d.CommunityServiceHour) + "小时", Ref: q("community_service_hours", d.CommunityServiceHour)}, {}},
		{{Text: "刑满释放人员必接必送"}, {Text: thousands(d.HandedOver) + "人", Ref: q("handed_over", d.HandedOver)}, {Text: fmt.Sprintf("占登记的%s人的%s", thousands(d.Released), pct(d.HandedOverRate))}},
		{{Text: "一对一帮教"}, {Text: thousands(d.Mentored) + "人", Ref: q("mentored", d.Mentored)}, {Text: "占登记人数的" + pct(d.MentoredRate)}},
		{{Text: "普法活动覆盖的村（社区）"}, {Text: thousands(d.VillagesCovered) + "个", Ref: q("villages_covered", d.VillagesCovered)}, {Text: fmt.Sprintf("机构名录中共%d个，覆盖%s", d.Villages, pct(d.VillageCoverage))}},
	}}
	at := tableView{Title: "法律援助：各类受援人", Head: []string{"受援人类别", "援助案件（件）", "挽回经济损失"}}
	for i, g := range d.AidGroups {
		rec, recU := money(g.Recovered)
		at.Rows = append(at.Rows, []cell{{Text: g.Group}, {Text: thousands(g.Cases), Ref: q(fmt.Sprintf("aid_groups.%d.cases", i), g.Cases)},
			{Text: rec + recU, Ref: q(fmt.Sprintf("aid_groups.%d.recovered", i), g.Recovered)}})
	}
	b.p.Tables = append(b.p.Tables, t, at)
	return nil
}

// ---- 作业 ----

// localTime shows a UTC "2006-01-02 15:04:05" in Beijing time.
func localTime(utc string) string {
	t := warehouse.TimeOf(utc)
	if t.IsZero() {
		return utc
	}
	return t.In(beijing).Format("2006-01-02 15:04:05")
}

var beijing = panels.Beijing

func buildJobs(b *builder) error {
	v, err := b.run("jobs.recent", panels.Filter{})
	if err != nil {
		return err
	}
	j := v.(*panels.JobsRecent)
	if len(j.Rows) == 0 {
		b.p.Empty = "还没有作业记录。设置了收件目录（sifa serve --inbox 目录，或配置文件的 inbox）后，定时扫描每运行一次，这里就记一行。"
		return nil
	}
	for _, name := range j.Failing {
		b.p.Notes = append(b.p.Notes, note{Level: "warn", Text: fmt.Sprintf("%s最近一次运行失败，请查看下表的原因", panels.JobName(name))})
	}
	for name, at := range j.LastSuccess {
		b.p.Cards = append(b.p.Cards, card{Label: panels.JobName(name) + "最近成功", Value: localTime(at)})
	}
	t := tableView{Title: "最近的运行（北京时间）", Head: []string{"作业", "开始", "结束", "文件", "载入行", "退回行", "无法载入的文件", "结果", "说明"}}
	for i, r := range j.Rows {
		class := ""
		if r.Result != "成功" {
			class = "warn"
		}
		t.Rows = append(t.Rows, []cell{{Text: panels.JobName(r.Job)}, {Text: localTime(r.Started)}, {Text: localTime(r.Ended)},
			{Text: thousands(r.Files), Ref: b.ref("jobs.recent", panels.Filter{}, fmt.Sprintf("rows.%d.files", i), r.Files)},
			{Text: thousands(r.RowsAccepted), Ref: b.ref("jobs.recent", panels.Filter{}, fmt.Sprintf("rows.%d.rows_accepted", i), r.RowsAccepted)},
			{Text: thousands(r.RowsRejected)}, {Text: thousands(r.FilesFailed)}, {Text: r.Result, Class: class}, {Text: r.Error}})
	}
	b.p.Tables = append(b.p.Tables, t)
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// pageFilter reads the page's filter; a page without a period shows the latest year with data.
func (s *Site) pageFilter(ctx context.Context, r *http.Request, d pageDef) (panels.Filter, *panels.Years, error) {
	q := r.URL.Query()
	for k := range q {
		if d.ownKeys != nil && d.ownKeys(k) {
			q.Del(k)
		}
	}
	if q.Get("from") != "" || q.Get("to") != "" {
		q.Del("year") // months chosen on the page win over the year select
	}
	for _, k := range []string{"year", "from", "to"} {
		if q.Has(k) && q.Get(k) == "" {
			q.Del(k)
		}
	}
	f, err := panels.ParseFilter(q)
	if err != nil {
		return f, nil, err
	}
	if f.Category != "" && !slices.Contains(d.categories, f.Category) {
		if len(d.categories) == 0 {
			f.Category = "" // a category chosen on another page does not apply here
		} else {
			return f, nil, panels.BadFilter("类别「%s」不对，可以是：%s", f.Category, strings.Join(d.categories, "、"))
		}
	}
	if f.Year != 0 || f.From != "" || f.To != "" {
		return f, nil, nil // the year list is fetched beside the page
	}
	yv, err := s.Engine.Run(ctx, "meta.years", panels.Filter{})
	if err != nil {
		return f, nil, err
	}
	years := yv.(*panels.Years)
	f.Year = years.Latest
	if f.Year == 0 {
		f.Year = time.Now().Year()
	}
	return f, years, nil
}

// pageScope reads a page's filter and checks it against the registry and
// the account: a page opens at the account's own org, and an org outside it
// is refused before anything of that org (not even its name) is read.
func (s *Site) pageScope(ctx context.Context, r *http.Request, d pageDef) (panels.Filter, *panels.Years, *panels.Registry, error) {
	f, years, err := s.pageFilter(ctx, r, d)
	if err != nil {
		return f, nil, nil, err
	}
	if a := panels.AccessFrom(ctx); a != nil && f.Org == "" {
		f.Org = a.Org
	}
	reg, err := s.Engine.Store.Registry(ctx)
	if err != nil {
		return f, nil, nil, err
	}
	if f.Org != "" && reg.Org(f.Org) == nil {
		if _, err := panels.ResolveOrg(reg, f.Org); err != nil {
			return f, nil, nil, err
		}
	}
	if a := panels.AccessFrom(ctx); a != nil && !reg.Within(f.Org, a.Org) {
		return f, nil, nil, panels.Denied("您的账号只能查看本单位及下级单位的数据")
	}
	return f, years, reg, nil
}

// newBuilder starts building page d for a request: the filter, the page's
// own URL keys, and what the site keeps beside the panels.
func (s *Site) newBuilder(ctx context.Context, r *http.Request, d pageDef, f panels.Filter, reg *panels.Registry, p *page) *builder {
	b := &builder{ctx: ctx, e: s.Engine, f: f, reg: reg, p: p, params: url.Values{}, maps: s.Maps, notes: s.Notices, refresh: cmp.Or(s.ScreenRefresh, screenRefresh)}
	for k, v := range r.URL.Query() {
		if d.ownKeys != nil && d.ownKeys(k) {
			b.params[k] = v
		}
	}
	return b
}

func (s *Site) servePage(w http.ResponseWriter, r *http.Request, d pageDef) {
	ctx := r.Context()
	p := &page{Title: d.Title, Path: d.Path, NoFilter: d.noFilter}
	f, years, reg, err := s.pageScope(ctx, r, d)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	// the year list (for the year select) is read while the page is built
	var yearsErr error
	var wg sync.WaitGroup
	if years == nil && !d.ownFrame {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var yv any
			if yv, yearsErr = s.Engine.Run(ctx, "meta.years", panels.Filter{}); yearsErr == nil {
				years = yv.(*panels.Years)
			}
		}()
	}
	b := s.newBuilder(ctx, r, d, f, reg, p)
	err = d.build(b)
	wg.Wait()
	if err == nil {
		err = yearsErr
	}
	s.frame(r.Context(), p, f, years, reg)
	p.Filter.Categories, p.Filter.CategoryLabel, p.Filter.Category = d.categories, d.categoryLabel, f.Category
	if !d.noFilter {
		own := func(q url.Values) string { // the page's own keys go along (a brief's month)
			for k, v := range b.params {
				q[k] = v
			}
			return q.Encode()
		}
		p.Exports = append(p.Exports, []link{
			{Text: "导出 Excel", Href: "/export?" + own(f.Query("page", d.Path, "format", "xlsx"))},
			{Text: "导出 CSV", Href: "/export?" + own(f.Query("page", d.Path, "format", "csv"))},
			{Text: "数据来源", Href: "/sources?" + own(f.Query("page", d.Path))},
		}...)
		if a := panels.AccessFrom(ctx); a != nil && mayReport(a) && f.Year != 0 {
			p.Exports = append(p.Exports, link{Text: "调研报告数据附录", Href: "/report?" + panels.Filter{Org: f.Org, Year: f.Year}.Query().Encode()})
		}
	}
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	s.render(w, r, http.StatusOK, p)
}
