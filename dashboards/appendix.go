package dashboards

import (
	"context"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"sifa/dashboards/chartpng"
	"sifa/dashboards/docx"
	"sifa/warehouse/panels"
)

// Appendix is the survey-report data appendix (调研报告数据附录) for an org
// and a year: the factual parts of the seed reports, every sentence
// written from panel answers, each followed by its table and chart, and
// the list of files the numbers came from.
type Appendix struct {
	Title    string
	OrgName  string
	Year     int
	Sections []Section
	Sources  []panels.Source
}

// Section is one part of the appendix.
type Section struct {
	Title  string
	Blocks []Block
}

// Block is a paragraph, a table or a chart.
type Block struct {
	Text    string
	Table   *Sheet
	Chart   *chartpng.Chart
	Caption string
}

// writer collects an appendix's panel answers and their sources.
type writer struct {
	ctx     context.Context
	e       *panels.Engine
	sources map[string]panels.Source
	order   []string
	err     error
}

func (w *writer) ask(id string, f panels.Filter) any {
	if w.err != nil {
		return nil
	}
	v, err := w.e.Run(w.ctx, id, f)
	if err != nil {
		w.err = err
		return nil
	}
	lin, err := w.e.Lineage(w.ctx, id, f)
	if err != nil {
		w.err = err
		return nil
	}
	for _, s := range lin.Sources {
		k := s.LoadID + "|" + s.Sheet
		if _, ok := w.sources[k]; !ok {
			w.sources[k] = s
			w.order = append(w.order, k)
		}
	}
	return v
}

// the report's ways of writing money and rates: 1.8万元, 53.9%
var wan, pctText = panels.Wan, panels.Percent

// persons writes a count of people, or says it is withheld.
func persons(p panels.Persons, unit string) string {
	if p.Withheld() {
		return "不足" + strconv.FormatInt(int64(-p), 10) + unit
	}
	return strconv.FormatInt(int64(p), 10) + unit
}

// countCell is a count of people for a table: the number, or "<3" when withheld.
func countCell(p panels.Persons) any {
	if p.Withheld() {
		return "<" + strconv.FormatInt(int64(-p), 10)
	}
	return int64(p)
}

// versus compares a figure with last year's, in words ("" when last year has none).
func versus(now, before int64, unit string) string {
	switch {
	case before <= 0 || now < 0:
		return ""
	case now > before:
		return fmt.Sprintf("，比上年增加%d%s", now-before, unit)
	case now < before:
		return fmt.Sprintf("，比上年减少%d%s", before-now, unit)
	}
	return "，与上年持平"
}

// Appendix writes the appendix for an org (registry code; "" = everything
// the caller may see) and a year.
func BuildAppendix(ctx context.Context, e *panels.Engine, org string, year int) (*Appendix, error) {
	if year < 1990 || year > 2100 {
		return nil, panels.BadFilter("年份 %d 不对", year)
	}
	if a := panels.AccessFrom(ctx); a != nil && org == "" {
		org = a.Org
	}
	reg, err := e.Store.Registry(ctx)
	if err != nil {
		return nil, err
	}
	f, prev := panels.Filter{Org: org, Year: year}, panels.Filter{Org: org, Year: year - 1}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	w := &writer{ctx: ctx, e: e, sources: map[string]panels.Source{}}
	name := filterText(reg, panels.Filter{Org: org})
	ap := &Appendix{OrgName: name, Year: year, Title: fmt.Sprintf("%s%d年基层司法行政工作调研报告数据附录", name, year)}
	whole := "全县"
	if o := reg.Org(org); o == nil || o.Level != "县" {
		whole = name
	}

	a := &appendixFor{w: w, f: f, prev: prev, year: year, whole: whole}
	for _, section := range []func() (Section, error){a.basics, a.work, a.funding, a.buildout, a.outlook, a.quality} {
		sec, err := section()
		if err != nil {
			return nil, err
		}
		ap.Sections = append(ap.Sections, sec)
	}
	for _, k := range w.order {
		ap.Sources = append(ap.Sources, w.sources[k])
	}
	return ap, nil
}

// appendixFor is what every section of one appendix shares: the panels it
// asks (their sources recorded), the year and the year before, and how the
// org is called in a sentence (全县 for a county).
type appendixFor struct {
	w       *writer
	f, prev panels.Filter
	year    int
	whole   string
}

// basics is 一、基本情况: staff per office, their education, age, skills and rank; the stations.
func (a *appendixFor) basics() (Section, error) {
	w, f, prev, year, whole := a.w, a.f, a.prev, a.year, a.whole
	s, sp := w.ask("staffing.summary", f), w.ask("staffing.summary", prev)
	byOrg, bo := w.ask("staffing.by_org", f), w.ask("buildout.progress", f)
	if w.err != nil {
		return Section{}, w.err
	}
	st, stp := s.(*panels.StaffingSummary), sp.(*panels.StaffingSummary)
	sec := Section{Title: "一、基本情况"}
	p1 := fmt.Sprintf("%s%d个司法所共有在岗人员%d人%s，其中，2人（含2人以上）所%d个，1人所%d个", whole, st.Offices, st.Staff,
		versus(st.Staff, stp.Staff, "人"), st.OfficesMultiStaff, st.OfficesSingleStaff)
	if st.OfficesNoStaff > 0 {
		p1 += fmt.Sprintf("，无人在岗的所%d个", st.OfficesNoStaff)
	}
	p1 += fmt.Sprintf("。县司法局在岗人员%d人。落实副科级职级待遇%s。", st.BureauStaff, persons(st.DeputySectionRank, "人"))
	if st.Snapshot != "" {
		p1 += "（人员按" + st.Snapshot + "的花名册统计。）"
	}
	sec.Blocks = append(sec.Blocks, Block{Text: p1})
	var edu []string
	for _, k := range []string{"研究生", "大学本科", "大学专科", "中专"} {
		if v := st.Education[k]; v != 0 {
			edu = append(edu, k+persons(v, "人"))
		}
	}
	p2 := fmt.Sprintf("队伍结构方面，%s仅具备高中学历", persons(st.Education["高中"], "人"))
	if v := st.Education["初中及以下"]; v != 0 {
		p2 += "，初中及以下" + persons(v, "人")
	}
	if len(edu) > 0 {
		p2 += "，" + strings.Join(edu, "、")
	}
	p2 += fmt.Sprintf("；46岁以上达%s", persons(st.Aged46Plus, "人"))
	if !st.Aged46Plus.Withheld() && st.Staff > 0 {
		p2 += "，占" + pctText(float64(st.Aged46Plus)/float64(st.Staff))
	}
	p2 += fmt.Sprintf("，不会使用微机人员%s，法律专业人员%s", persons(st.NoComputer, "人"), persons(st.LawMajor, "人"))
	if !stp.NoComputer.Withheld() && stp.Staff > 0 && !st.NoComputer.Withheld() {
		p2 += fmt.Sprintf("（上年不会使用微机%d人）", stp.NoComputer)
	}
	sec.Blocks = append(sec.Blocks, Block{Text: p2 + "。"})
	var staffRows [][]any
	var cats []string
	var counts []float64
	for _, r := range byOrg.(*panels.Rows[panels.StaffRow]).Rows {
		staffRows = append(staffRows, []any{r.OrgName, r.Staff, countCell(r.Aged46Plus), countCell(r.NoComputer), countCell(r.LawMajor)})
		cats = append(cats, r.OrgName)
		counts = append(counts, float64(r.Staff))
	}
	sec.Blocks = append(sec.Blocks,
		Block{Table: &Sheet{Title: "各司法所在岗人员", Head: []string{"司法所", "在岗人员（人）", "46岁及以上（人）", "不会使用计算机（人）", "法律专业（人）"}, Rows: staffRows}, Caption: "表1 各司法所在岗人员"},
		Block{Chart: &chartpng.Chart{Title: "各司法所在岗人员", Categories: cats, Series: []chartpng.Series{{Name: "在岗人员", Values: counts}}, Unit: "人"}, Caption: "图1 各司法所在岗人员"})
	for _, r := range bo.(*panels.Rows[panels.BuildoutRow]).Rows {
		if r.Year == year && strings.HasPrefix(r.Level, "乡镇") {
			sec.Blocks = append(sec.Blocks, Block{Text: fmt.Sprintf("业务用房方面，%d个乡镇司法行政服务站已建立%d个，其中%d个通过规范化验收，规范化率%s。",
				r.Units, r.Established, r.Standardized, pctText(r.StandardizedRate))})
		}
	}
	// who is in post elsewhere, and the heads' rank (staffing.posts)
	pv := w.ask("staffing.posts", f)
	if w.err != nil {
		return Section{}, w.err
	}
	if ps := pv.(*panels.Posts); ps.Offices > 0 {
		sec.Blocks = append(sec.Blocks, Block{Text: fmt.Sprintf("岗位方面，%d个所中%d个有所长，其中%d个所长落实了副科级（或正科级）待遇；借调、兼职他岗等不在所里从事司法行政工作的%d人；在岗人员中还兼任综治、信访、包村等镇村工作（身兼数职）的%d人。",
			ps.Offices, ps.OfficesWithHead, ps.HeadsRanked, ps.NotDoingJustice, ps.WithOtherDuties)})
	}
	return sec, nil
}

// work is 二、作用发挥: mediation, legal services and the special groups.
func (a *appendixFor) work() (Section, error) {
	w, f, prev := a.w, a.f, a.prev
	d, dp := w.ask("disputes.summary", f), w.ask("disputes.summary", prev)
	types, months := w.ask("disputes.by_type", f), w.ask("disputes.by_month", f)
	wk, wkp := w.ask("work.summary", f), w.ask("work.summary", prev)
	if w.err != nil {
		return Section{}, w.err
	}
	ds, dsp, ws, wsp := d.(*panels.DisputesSummary), dp.(*panels.DisputesSummary), wk.(*panels.WorkSummary), wkp.(*panels.WorkSummary)
	sec := Section{Title: "二、作用发挥"}
	t := fmt.Sprintf("人民调解方面，全年受理矛盾纠纷%d件%s，调解成功%d件，调解成功率%s", ds.Received, versus(ds.Received, dsp.Received, "件"),
		ds.MediatedSuccess, pctText(ds.SuccessRate))
	var prevented []string
	for _, k := range panels.PreventedTypes {
		if p := ds.Prevented[k]; p.Cases > 0 {
			prevented = append(prevented, fmt.Sprintf("%s%d件%d人", k, p.Cases, p.Persons))
		}
	}
	if len(prevented) > 0 {
		t += "；" + strings.Join(prevented, "，")
	}
	t += fmt.Sprintf("；涉法信访纠纷%d件。", ds.PetitionRelated)
	sec.Blocks = append(sec.Blocks, Block{Text: t})
	var typeRows [][]any
	for _, r := range types.(*panels.Rows[panels.DisputeRow]).Rows {
		typeRows = append(typeRows, []any{r.Type, r.Received, r.MediatedSuccess, round(r.SuccessRate*100, 1)})
	}
	sec.Blocks = append(sec.Blocks, Block{Table: &Sheet{Title: "各类纠纷", Head: []string{"纠纷类型", "受理（件）", "调解成功（件）", "成功率（%）"}, Rows: typeRows}, Caption: "表2 各类纠纷受理和调解情况"})
	var mcats []string
	var mvals []float64
	for _, r := range months.(*panels.Rows[panels.DisputeRow]).Rows {
		mcats = append(mcats, strings.TrimPrefix(r.Month[5:], "0")+"月")
		mvals = append(mvals, float64(r.Received))
	}
	sec.Blocks = append(sec.Blocks, Block{Chart: &chartpng.Chart{Title: "各月受理纠纷", Categories: mcats, Series: []chartpng.Series{{Name: "受理", Values: mvals}}, Unit: "件", Line: true},
		Caption: "图2 各月受理纠纷"})
	sec.Blocks = append(sec.Blocks, Block{Text: fmt.Sprintf("法律服务方面，办理法律援助案件%d件%s，挽回经济损失%s；接待法律咨询%d人次%s；开展普法宣传活动%d场，参与群众%d人次。",
		ws.LegalAidCases, versus(ws.LegalAidCases, wsp.LegalAidCases, "件"), wan(ws.LegalAidRecovered), ws.Consultations,
		versus(ws.Consultations, wsp.Consultations, "人次"), ws.PublicityEvents, ws.PublicityParticipants)})
	t = fmt.Sprintf("特殊人群管理方面，在矫社区矫正对象%s，脱管%s，重新犯罪%s；登记刑满释放人员%s，已安置%s",
		persons(ws.CorrectionsInSupervision, "人"), persons(ws.CorrectionsLostContact, "人"), persons(ws.CorrectionsReoffended, "人"),
		persons(ws.ReleasedRegistered, "人"), persons(ws.ReleasedResettled, "人"))
	if ws.ReleasedRegistered > 0 && !ws.ReleasedResettled.Withheld() {
		t += "，安置率" + pctText(float64(ws.ReleasedResettled)/float64(ws.ReleasedRegistered))
	}
	sec.Blocks = append(sec.Blocks, Block{Text: t + fmt.Sprintf("，重新犯罪%s。", persons(ws.ReleasedReoffended, "人"))})
	// what the ledgers record beyond the counts (work.details)
	dv := w.ask("work.details", f)
	if w.err != nil {
		return Section{}, w.err
	}
	wd := dv.(*panels.WorkDetails)
	var groups []string
	for _, g := range wd.AidGroups {
		if g.Cases > 0 {
			groups = append(groups, fmt.Sprintf("%s%d件、挽回%s", g.Group, g.Cases, wan(g.Recovered)))
		}
	}
	t = fmt.Sprintf("细项：调解的纠纷中%d件填了涉及金额，共%s", wd.DisputesWithAmount, wan(wd.DisputesAmount))
	if len(groups) > 0 {
		t += "；法律援助按受援人分，" + strings.Join(groups, "，")
	}
	t += fmt.Sprintf("；社区矫正集中教育%d次、个别教育%d次、公益活动%d小时", wd.GroupEducation, wd.IndividualEducation, wd.CommunityServiceHour)
	if wd.Released > 0 && !wd.HandedOver.Withheld() && !wd.Mentored.Withheld() {
		t += fmt.Sprintf("；刑满释放人员必接必送%s（%s）、一对一帮教%s（%s）", persons(wd.HandedOver, "人"), pctText(wd.HandedOverRate), persons(wd.Mentored, "人"), pctText(wd.MentoredRate))
	}
	if wd.Villages > 0 {
		t += fmt.Sprintf("；普法活动覆盖%d个村（社区），占%d个的%s", wd.VillagesCovered, wd.Villages, pctText(wd.VillageCoverage))
	}
	sec.Blocks = append(sec.Blocks, Block{Text: t + "。"})
	return sec, nil
}

// funding is 三、经费保障: each category against its standard and last year.
func (a *appendixFor) funding() (Section, error) {
	w, f, prev, year := a.w, a.f, a.prev, a.year
	fs, fsp := w.ask("funding.shortfall", f), w.ask("funding.shortfall", prev)
	if w.err != nil {
		return Section{}, w.err
	}
	fund, fundp := fs.(*panels.FundingShortfall), fsp.(*panels.FundingShortfall)
	sec := Section{Title: "三、经费保障"}
	var std, bud, act, gap float64
	var frows [][]any
	var fcats []string
	var fstd, fbud, fact []float64
	for _, r := range fund.Rows {
		std, bud, act, gap = std+r.Standard, bud+r.Budget, act+r.Actual, gap+r.GapToStandard
		t := fmt.Sprintf("%s按标准应为%s，预算%s", r.Category, wan(r.Standard), wan(r.Budget))
		switch {
		case r.Standard == 0:
			// no standard applies (无统一标准): nothing to reach
			t = fmt.Sprintf("%s没有统一的经费标准，预算%s", r.Category, wan(r.Budget))
		case r.GapToStandard > 0:
			t += "，相差" + wan(r.GapToStandard)
		default:
			t += "，达到标准"
		}
		t += "；实际支出" + wan(r.Actual)
		if r.Overspend > 0 {
			t += "，超出预算" + wan(r.Overspend)
		}
		sec.Blocks = append(sec.Blocks, Block{Text: t + "。"})
		var stdCell any = round(r.Standard/10000, 2)
		if r.Standard == 0 {
			stdCell = "无统一标准"
		}
		frows = append(frows, []any{r.Category, stdCell, round(r.Budget/10000, 2), round(r.Actual/10000, 2), round(r.GapToStandard/10000, 2)})
		fcats = append(fcats, r.Category)
		fstd, fbud, fact = append(fstd, round(r.Standard/10000, 2)), append(fbud, round(r.Budget/10000, 2)), append(fact, round(r.Actual/10000, 2))
	}
	if len(fund.Rows) == 0 {
		sec.Blocks = append(sec.Blocks, Block{Text: fmt.Sprintf("%d年没有收到经费台账。", year)})
	} else {
		var bp float64
		for _, r := range fundp.Rows {
			bp += r.Budget
		}
		t := fmt.Sprintf("合计：按标准应为%s，预算%s，相差%s；实际支出%s", wan(std), wan(bud), wan(gap), wan(act))
		if bp > 0 {
			t += "；上年预算" + wan(bp)
		}
		sec.Blocks = append(sec.Blocks, Block{Text: t + "。"},
			Block{Table: &Sheet{Title: "经费保障情况", Head: []string{"经费类别", "标准（万元）", "预算（万元）", "实际支出（万元）", "预算低于标准（万元）"}, Rows: frows}, Caption: "表3 经费保障情况"},
			Block{Chart: &chartpng.Chart{Title: "经费：标准、预算与实际支出", Categories: fcats, Unit: "万元",
				Series: []chartpng.Series{{Name: "标准", Values: fstd}, {Name: "预算", Values: fbud}, {Name: "实际支出", Values: fact}}}, Caption: "图3 经费标准、预算与实际支出"})
	}
	return sec, nil
}

// buildout is 四、平台建设: stations and work rooms against the targets.
func (a *appendixFor) buildout() (Section, error) {
	w, f, year := a.w, a.f, a.year
	bo := w.ask("buildout.progress", f)
	if w.err != nil {
		return Section{}, w.err
	}
	sec := Section{Title: "四、平台建设"}
	var brows [][]any
	var bcats []string
	var brate, btarget []float64
	for _, r := range bo.(*panels.Rows[panels.BuildoutRow]).Rows {
		if r.Year != year {
			continue
		}
		t := fmt.Sprintf("%s%d个，已建立%d个（%s），已规范化%d个（%s）", r.Level, r.Units, r.Established, pctText(r.EstablishedRate),
			r.Standardized, pctText(r.StandardizedRate))
		if r.TargetStandardizedRate > 0 {
			if r.OnTrack {
				t += "，达到" + strconv.Itoa(year) + "年规范化率" + pctText(r.TargetStandardizedRate) + "的目标"
			} else {
				t += fmt.Sprintf("，距%d年规范化率%s的目标还差%s个百分点", year, pctText(r.TargetStandardizedRate),
					strconv.FormatFloat(math.Round((r.TargetStandardizedRate-r.StandardizedRate)*1000)/10, 'f', -1, 64))
			}
		}
		sec.Blocks = append(sec.Blocks, Block{Text: t + "。"})
		if r.Established > 0 && r.Established < r.Units {
			// 数据说明: the two readings of the rate, which can flip the verdict
			other := "同样"
			if (r.StandardizedOfBuilt >= r.TargetStandardizedRate) != (r.StandardizedRate >= r.TargetStandardizedRate) {
				other = "结论相反"
			}
			sec.Blocks = append(sec.Blocks, Block{Text: fmt.Sprintf("数据说明：上面的规范化率按机构名录中的全部%d个单位计算（目标按此口径判断）；若只按已建立的%d个计算，规范化率为%s，%s%s。",
				r.Units, r.Established, pctText(r.StandardizedOfBuilt), map[bool]string{true: "达到", false: "低于"}[r.StandardizedOfBuilt >= r.TargetStandardizedRate]+"目标"+pctText(r.TargetStandardizedRate), "，"+other)})
		}
		brows = append(brows, []any{r.Level, r.Units, r.Established, r.Standardized, round(r.StandardizedRate*100, 1), round(r.TargetStandardizedRate*100, 1)})
		bcats = append(bcats, r.Level)
		brate, btarget = append(brate, round(r.StandardizedRate*100, 1)), append(btarget, round(r.TargetStandardizedRate*100, 1))
	}
	if len(brows) > 0 {
		sec.Blocks = append(sec.Blocks,
			Block{Table: &Sheet{Title: "平台建设进度", Head: []string{"层级", "单位数（个）", "已建立（个）", "已规范化（个）", "规范化率（%）", "目标（%）"}, Rows: brows}, Caption: "表4 平台建设进度"},
			Block{Chart: &chartpng.Chart{Title: "规范化率与目标", Categories: bcats, Unit: "%",
				Series: []chartpng.Series{{Name: "规范化率", Values: brate}, {Name: "目标", Values: btarget}}}, Caption: "图4 规范化率与目标"})
	}
	return sec, nil
}

// quality is 六、数据说明: how much of the year was reported, how late, and
// what the checks of quality.offices flagged, so that a report can cite it.
func (a *appendixFor) quality() (Section, error) {
	v := a.w.ask("quality.offices", a.f)
	if a.w.err != nil {
		return Section{}, a.w.err
	}
	q := v.(*panels.Quality)
	sec := Section{Title: "六、数据说明"}
	if len(q.Months) == 0 || q.Offices == 0 {
		sec.Blocks = append(sec.Blocks, Block{Text: "所选范围内没有应报月度台账的司法所。"})
		return sec, nil
	}
	var zero int64
	var rows [][]any
	for _, r := range q.Rows {
		zero += r.Zero
		rows = append(rows, []any{r.OrgName, r.MonthsDue, r.OnTime, r.Late, r.Missing, r.Zero, r.RowsRejected, r.Flags})
	}
	t := fmt.Sprintf("本附录的数字来自各司法所报送的台账。%s至%s，%s%d个司法所应报人民调解、法律咨询月度台账%d个月次，已报%d个（其中零上报%d个），覆盖率%s；在截止日前报送的占%s。",
		panels.MonthName(q.Months[0]), panels.MonthName(q.Months[len(q.Months)-1]), a.whole, q.Offices, q.MonthsDue, q.MonthsSent, zero, pctText(q.Coverage), pctText(q.OnTimeRate))
	if q.RowsRejected > 0 && len(q.Reasons) > 0 {
		t += fmt.Sprintf("这些月份的台账文件中有%d行没有载入，最多的原因是“%s”（%d行）。", q.RowsRejected, q.Reasons[0].Reason, q.Reasons[0].Rows)
	}
	sec.Blocks = append(sec.Blocks, Block{Text: t})
	var checks []string
	for _, c := range q.Checks {
		checks = append(checks, fmt.Sprintf("%s（核对%d处，存疑%d处）", c.Name, c.Checked, c.Flagged))
	}
	t = fmt.Sprintf("对数字做了%d项核对：%s。", len(q.Checks), strings.Join(checks, "；"))
	if len(q.Flags) == 0 {
		t += "没有发现存疑的数字。"
	} else {
		var flags []string
		for _, f := range q.Flags {
			flags = append(flags, f.Text)
		}
		t += "存疑的数字：" + strings.Join(flags, "；") + "。引用这些数字时请先向所在司法所核实。"
	}
	sec.Blocks = append(sec.Blocks, Block{Text: t},
		Block{Table: &Sheet{Title: "各司法所报送情况", Head: []string{"司法所", "应报月数", "按时（个）", "迟报（个）", "缺报（个）", "零上报（个）", "退回行数", "存疑（处）"}, Rows: rows},
			Caption: "表6 各司法所报送情况"})
	return sec, nil
}

// outlook is 五、目标进度: whether the scope reaches the next target at its
// last year's pace, what the unstandardized sites lack and what closing the
// gap costs, with the unit costs it used.
func (a *appendixFor) outlook() (Section, error) {
	w, f := a.w, a.f
	o, c := w.ask("outlook.targets", f), w.ask("outlook.costs", f)
	if w.err != nil {
		return Section{}, w.err
	}
	sec := Section{Title: "五、目标进度"}
	out, costs := o.(*panels.Outlook), c.(*panels.OutlookCosts)
	if out.AsOf == "" {
		sec.Blocks = append(sec.Blocks, Block{Text: "没有平台建设台账，无法判断目标进度。"})
		return sec, nil
	}
	sec.Blocks = append(sec.Blocks, Block{Text: fmt.Sprintf("以下按%s的平台建设台账计算，进度按近%d年的验收数计；之后报来的台账不改变这里的判断。", dateText(out.AsOf), out.PaceYears)})
	var rows [][]any
	for _, r := range out.Rows {
		if r.OrgCode != out.Rows[0].OrgCode {
			continue
		}
		sec.Blocks = append(sec.Blocks, Block{Text: r.StatusText + "：" + r.Sentence + "。"})
		rows = append(rows, []any{r.Level + r.Measure, r.TargetYear, round(r.TargetRate*100, 1), r.Units, r.Now, r.Now - r.Before, r.Projected, r.StatusText})
	}
	if len(rows) > 0 {
		sec.Blocks = append(sec.Blocks, Block{Table: &Sheet{Title: "目标进度", Head: []string{"项目", "目标年度", "目标（%）", "应有单位（个）", "目前（个）", "近一年增加（个）", "预计到期（个）", "情况"}, Rows: rows},
			Caption: "表5 目标进度"})
	}
	if len(costs.ByOrg) > 0 {
		sec.Blocks = append(sec.Blocks, Block{Text: costs.ByOrg[0].Sentence + "。" + costsUsed(costs.Costs)})
	}
	return sec, nil
}

// WriteDOCX writes the appendix as a Word/WPS document, charts as images.
func (ap *Appendix) WriteDOCX(out io.Writer, r *chartpng.Renderer) error {
	d := docx.New(ap.Title)
	d.Heading(ap.Title, 1)
	for _, sec := range ap.Sections {
		d.Heading(sec.Title, 2)
		for _, b := range sec.Blocks {
			switch {
			case b.Text != "":
				d.Paragraph(b.Text)
			case b.Table != nil:
				d.Table(b.Table.Head, textRows(b.Table.Rows))
				d.Caption(b.Caption)
			case b.Chart != nil:
				img, err := r.PNG(*b.Chart)
				if err != nil {
					return err
				}
				if err := d.Image(img, 15, b.Caption); err != nil {
					return err
				}
				caption := b.Caption
				if !r.CJK {
					caption += "（本机没有中文字体，图中分类以序号代替，依次对应上表各行）"
				}
				d.Caption(caption)
			}
		}
	}
	d.Heading("数据来源", 2)
	d.Paragraph("以上数字由基层司法行政数据平台从下列台账文件汇总生成（文件名、台账类型、载入时间、载入和退回行数、SHA-256 指纹前 16 位）。")
	var rows [][]string
	for _, s := range ap.Sources {
		loaded := s.LoadedAt
		if t, err := time.Parse(time.RFC3339, loaded); err == nil {
			loaded = t.Format("2006-01-02 15:04")
		}
		rows = append(rows, []string{s.File, panels.LedgerName(s.Ledger), loaded, strconv.FormatInt(s.Accepted, 10), strconv.FormatInt(s.Rejected, 10), s.SHA256[:min(16, len(s.SHA256))]})
	}
	d.Table([]string{"文件", "台账", "载入时间", "载入行数", "退回行数", "SHA-256"}, rows)
	return d.Write(out)
}

func textRows(rows [][]any) [][]string {
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = make([]string, len(r))
		for j, c := range r {
			switch x := c.(type) {
			case float64:
				out[i][j] = strconv.FormatFloat(x, 'f', -1, 64)
			default:
				out[i][j] = fmt.Sprint(x)
			}
		}
	}
	return out
}
