package dashboards

import (
	"fmt"
	"slices"
	"strings"

	"sifa/warehouse/panels"
)

// ---- 目标进度 ----

// outlookSeverity orders the outlook's rows: what needs action first.
var outlookSeverity = map[string]int{panels.OutlookMissed: 0, panels.OutlookWillMiss: 1, panels.OutlookAtRisk: 2, panels.OutlookOnTrack: 3, panels.OutlookMet: 4}

// maxGapSites bounds the sites listed one by one (a province has thousands).
const maxGapSites = 300

func buildOutlook(b *builder) error {
	f := b.f
	ans, err := b.runAll(ask{"outlook.targets", f}, ask{"outlook.costs", f})
	if err != nil {
		return err
	}
	o, c := ans[0].(*panels.Outlook), ans[1].(*panels.OutlookCosts)
	if o.AsOf == "" {
		b.p.Empty = fmt.Sprintf("%s还没有平台建设台账。请上传“平台建设台账”。", b.orgName())
		return nil
	}
	b.p.Notes = append(b.p.Notes, note{Level: "info", Text: fmt.Sprintf("按%s的平台建设台账计算（只用这一天及以前的台账，之后报来的台账不改变这里的判断）；进度按近%d年的验收数计。",
		dateText(o.AsOf), o.PaceYears)})
	var rows []panels.OutlookRow
	for i, r := range o.Rows {
		if r.OrgCode == o.Rows[0].OrgCode {
			if r.Status == panels.OutlookMet && r.Measure == "建立" {
				continue // every station built: not worth a card
			}
			b.p.Cards = append(b.p.Cards, card{Label: fmt.Sprintf("%s%s率（目标%d年 %s）", r.Level, r.Measure, r.TargetYear, pct(r.TargetRate)), Value: pct(r.NowRate),
				Sub: r.StatusText + "：" + r.Sentence, Warn: r.Status != panels.OutlookMet && r.Status != panels.OutlookOnTrack,
				Ref: b.ref("outlook.targets", f, fmt.Sprintf("rows.%d.now_rate", i), r.NowRate)})
			continue
		}
		rows = append(rows, r)
	}
	// the rooms' rates now, at this pace and the target, org by org (the
	// scope itself when nothing is under it)
	var cats []string
	var now, proj, target []float64
	for _, r := range o.Rows {
		if r.Level != panels.RoomLevel || r.Measure != "规范化" || (r.OrgCode == o.Rows[0].OrgCode && len(rows) > 0) {
			continue
		}
		cats = append(cats, r.OrgName)
		now, proj, target = append(now, r.NowRate*100), append(proj, r.ProjectedRate*100), append(target, r.TargetRate*100)
	}
	if len(cats) > 0 {
		b.p.Charts = append(b.p.Charts, barChart("村(社区)工作室规范化率：目前、按目前进度预计与目标（%）", cats,
			[]series{{Name: "目前", Values: now}, {Name: "预计到期", Values: proj}, {Name: "目标", Values: target}}, "%", len(cats) > 6))
	}
	slices.SortStableFunc(rows, func(a, b panels.OutlookRow) int { return outlookSeverity[a.Status] - outlookSeverity[b.Status] })
	t := tableView{Title: "各单位目标进度（最需要关注的在前）", Head: []string{"单位", "项目", "目标", "应有单位", "目前", "近一年增加", "预计到期", "情况", "说明"}}
	for _, r := range rows {
		class := ""
		if r.Status != panels.OutlookMet && r.Status != panels.OutlookOnTrack {
			class = "warn"
		}
		t.Rows = append(t.Rows, []cell{{Text: r.OrgName, Href: f.Href("/outlook", "org", r.OrgCode)}, {Text: r.Level + r.Measure},
			{Text: fmt.Sprintf("%d年 %s", r.TargetYear, pct(r.TargetRate))}, {Text: thousands(r.Units)},
			{Text: fmt.Sprintf("%d个（%s）", r.Now, pct(r.NowRate))}, {Text: thousands(r.Now - r.Before)},
			{Text: fmt.Sprintf("%d个（%s）", r.Projected, pct(r.ProjectedRate))}, {Text: r.StatusText, Class: class}, {Text: r.Sentence}})
	}
	if len(t.Rows) > 0 {
		b.p.Tables = append(b.p.Tables, t)
	}
	// the costs, and which unit costs they used
	costNote := costsUsed(c.Costs)
	if len(c.ByOrg) > 0 {
		b.p.Notes = append(b.p.Notes, note{Level: "warn", Text: c.ByOrg[0].Sentence})
	}
	b.p.Notes = append(b.p.Notes, note{Level: "info", Text: costNote})
	ct := tableView{Title: "补齐缺口所需经费", Head: []string{"单位", "未规范化站点", "一次性投入", "每年公用经费（补配人员）", fmt.Sprintf("%d年经费距标准缺口", c.FundingYear)}, Note: costNote}
	for _, r := range c.ByOrg {
		ct.Rows = append(ct.Rows, []cell{{Text: r.OrgName}, {Text: thousands(r.Sites) + "个"}, {Text: moneyText(r.OneOff)}, {Text: moneyText(r.Yearly)}, {Text: moneyText(r.FundingGap)}})
	}
	st := tableView{Title: "未规范化的站点缺什么", Head: []string{"乡镇", "村(社区)", "站点", "情况", "缺少的“六有”项目", "一次性投入", "每年公用经费"}}
	for i, s := range c.Sites {
		if i == maxGapSites {
			st.Note = fmt.Sprintf("共 %d 个站点，这里列出前 %d 个；全部站点见导出的表格。", len(c.Sites), maxGapSites)
			break
		}
		state, site, miss := "已建立，未验收", s.SiteName, strings.Join(s.Missing, "、")
		if !s.Established {
			state, site = "未建立", "—"
		}
		if miss == "" {
			miss = "六项齐全，待验收"
		}
		st.Rows = append(st.Rows, []cell{{Text: s.TownName}, {Text: orDefault(s.VillageName, "（服务站）")}, {Text: site}, {Text: state, Class: "warn"},
			{Text: miss}, {Text: moneyText(s.OneOff)}, {Text: moneyText(s.Yearly)}})
	}
	b.p.Tables = append(b.p.Tables, ct, st)
	if len(o.Backtest) > 0 {
		bt := tableView{Title: "过去的预计准不准（回测）", Head: []string{"项目", "作出预计的时点", "目标年度", "当时预计", "实际", "误差（百分点）", "当时判断", "结果"},
			Note: "用当时已有的台账，按同样的方法预计下一个目标年度，再与实际对照。"}
		for _, x := range o.Backtest {
			got := "未达标"
			if x.Reached {
				got = "达标"
			}
			bt.Rows = append(bt.Rows, []cell{{Text: x.Level + x.Measure}, {Text: dateText(x.MadeAsOf)}, {Text: fmt.Sprintf("%d年", x.TargetYear)},
				{Text: pct(x.ProjectedRate)}, {Text: pct(x.ActualRate)}, {Text: fmt.Sprintf("%+.1f", x.ErrorPoints)}, {Text: panels.OutlookStatusText[x.Status]}, {Text: got}})
		}
		b.p.Tables = append(b.p.Tables, bt)
	}
	return nil
}

// costsUsed says which unit costs a cost figure used, marking sifa's example
// figures and where a county puts its own (the page and the appendix).
func costsUsed(costs []panels.ItemCost) string {
	var used []string
	example := false
	for _, it := range costs {
		s := fmt.Sprintf("%s %s元", it.Item, thousands(int64(it.Cost)))
		if it.Yearly {
			s += "/年"
		}
		if !it.Configured {
			s += "*"
			example = true
		}
		used = append(used, s)
	}
	out := "所用单价：" + strings.Join(used, "，") + "。"
	if example {
		out += "带*的是示例单价，不是本县的实际价格：请管理员在配置文件 [standards.site_item_costs] 里填写。"
	}
	return out
}

// dateText is 2006-01-02 as 2006年1月2日.
func dateText(d string) string {
	var y, m, day int
	if _, err := fmt.Sscanf(d, "%d-%d-%d", &y, &m, &day); err != nil {
		return d
	}
	return fmt.Sprintf("%d年%d月%d日", y, m, day)
}
