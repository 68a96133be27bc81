package dashboards

// 数据质量 (/quality): how far the figures can be trusted, per township
// office: months sent, late and missing, rows refused and why, figures the
// checks found doubtful (quality.offices). A 数据员 sees their own office.

import (
	"fmt"
	"strings"

	"sifa/warehouse/panels"
)

// qualityLink is the page where a doubtful figure can be looked at.
func qualityLink(f panels.Filter, fl panels.QualityFlag) string {
	switch fl.Check {
	case panels.QualityStaff:
		return f.Href("/staffing", "org", fl.OrgCode)
	case panels.QualityCorrections:
		return f.Href("/funding", "org", fl.OrgCode)
	}
	return f.Href("/disputes", "org", fl.OrgCode)
}

func buildQuality(b *builder) error {
	f := b.f
	v, err := b.run("quality.offices", f)
	if err != nil {
		return err
	}
	q := v.(*panels.Quality)
	if len(q.Months) == 0 || q.Offices == 0 {
		b.p.Empty = "所选范围内没有应报的月份或司法所。"
		return nil
	}
	period := fmt.Sprintf("%s至%s", panels.MonthName(q.Months[0]), panels.MonthName(q.Months[len(q.Months)-1]))
	b.p.Cards = append(b.p.Cards,
		card{Label: "报送覆盖", Value: pct(q.Coverage), Sub: fmt.Sprintf("%s，%d个司法所应报%d个月次，已报%d个（含零上报）", period, q.Offices, q.MonthsDue, q.MonthsSent),
			Warn: q.Coverage < 1, Ref: b.ref("quality.offices", f, "coverage", q.Coverage)},
		card{Label: "按时报送率", Value: pct(q.OnTimeRate), Sub: "每月人民调解、法律咨询台账在截止日前第一次载入", Warn: q.OnTimeRate < 0.8,
			Ref: b.ref("quality.offices", f, "on_time_rate", q.OnTimeRate)},
		card{Label: "退回的行", Value: thousands(q.RowsRejected), Unit: "行", Sub: "这些月份的台账文件里没能载入的行", Ref: b.ref("quality.offices", f, "rows_rejected", q.RowsRejected)},
		card{Label: "存疑的数字", Value: thousands(int64(len(q.Flags))), Unit: "处", Sub: "下面逐条列出，请核对", Warn: len(q.Flags) > 0},
	)
	for _, fl := range q.Flags {
		b.p.Notes = append(b.p.Notes, note{Level: "warn", Href: qualityLink(f, fl), Text: fl.Text})
	}
	if len(q.Flags) == 0 {
		b.p.Notes = append(b.p.Notes, note{Level: "info", Text: "各项检查都没有发现存疑的数字（检查了什么见下表）"})
	}
	t := tableView{Title: "各司法所（" + period + "）",
		Head: []string{"司法所", "应报月数", "按时", "迟报", "缺报", "零上报", "载入行数", "退回行数", "主要退回原因", "存疑"},
		Note: "载入行数：人民调解、法律咨询台账在这些月份载入的行。退回的行只在一个文件只含本所数据时记在本所名下；几个所合在一个文件里的，计入全部合计。"}
	for i, r := range q.Rows {
		field := fmt.Sprintf("rows.%d.", i)
		var reasons []string
		for _, rs := range r.Reasons {
			reasons = append(reasons, fmt.Sprintf("%s（%d行）", rs.Reason, rs.Rows))
		}
		class := ""
		if r.Missing > 0 || r.Flags > 0 {
			class = "warn"
		}
		t.Rows = append(t.Rows, []cell{{Text: r.OrgName, Class: class}, {Text: thousands(r.MonthsDue)},
			{Text: thousands(r.OnTime), Ref: b.ref("quality.offices", f, field+"on_time", r.OnTime)}, {Text: thousands(r.Late)},
			{Text: thousands(r.Missing), Ref: b.ref("quality.offices", f, field+"missing", r.Missing)}, {Text: thousands(r.Zero)},
			{Text: thousands(r.RowsLoaded), Ref: b.ref("quality.offices", f, field+"rows_loaded", r.RowsLoaded)},
			{Text: thousands(r.RowsRejected), Ref: b.ref("quality.offices", f, field+"rows_rejected", r.RowsRejected)},
			{Text: strings.Join(reasons, "；")}, {Text: thousands(r.Flags)}})
	}
	b.p.Tables = append(b.p.Tables, t)
	if len(q.Reasons) > 0 {
		rt := tableView{Title: "退回最多的原因", Head: []string{"原因", "行数"}}
		for i, rs := range q.Reasons {
			rt.Rows = append(rt.Rows, []cell{{Text: rs.Reason}, {Text: thousands(rs.Rows), Ref: b.ref("quality.offices", f, fmt.Sprintf("reasons.%d.rows", i), rs.Rows)}})
		}
		b.p.Tables = append(b.p.Tables, rt)
	}
	ct := tableView{Title: "检查了什么", Head: []string{"检查", "规则", "检查数", "存疑"}}
	for i, c := range q.Checks {
		ct.Rows = append(ct.Rows, []cell{{Text: c.Name}, {Text: c.Rule}, {Text: thousands(c.Checked), Ref: b.ref("quality.offices", f, fmt.Sprintf("checks.%d.checked", i), c.Checked)},
			{Text: thousands(c.Flagged), Ref: b.ref("quality.offices", f, fmt.Sprintf("checks.%d.flagged", i), c.Flagged)}})
	}
	ct.Note = "检查数为 0 的项目，是所选范围内没有可以核对的数据（例如经费台账没有填标准金额）。"
	b.p.Tables = append(b.p.Tables, ct)
	return nil
}
