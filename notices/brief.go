package notices

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// RuleBrief is the monthly 简报: a county's month in figures, made once the
// month's ledgers are due, for the bureau's leaders and the government.
const RuleBrief = "brief"

// Brief is an org's month in figures with what needs attention, read from
// the panels (so the page, the .docx and the notice say the same).
type Brief struct {
	Org, OrgName, Month string
	Figures             []Figure
	Missing             []panels.SubmissionRow // offices that have not sent the month's ledgers
	Offices             int64
	Behind              []panels.OutlookRow // targets at risk or missed
	Notes               []warehouse.Notice  // the month's other notices (disputes jumps)
}

// Figure is one key figure of the month beside the same time last year.
type Figure struct {
	Label, Value, Unit, Before string
	Panel, Field               string // where the figure comes from …
	Filter                     panels.Filter
	Raw                        any // … and its value there
}

// Ask answers a panel (the engine's Run, or a page's memoised one).
type Ask func(id string, f panels.Filter) (any, error)

// BriefOf reads an org's month. notes are the month's notices to mention.
func BriefOf(ask Ask, reg *panels.Registry, org, month string, notes []warehouse.Notice) (*Brief, error) {
	t, err := time.Parse("2006-01", month)
	if err != nil {
		return nil, panels.BadFilter("月份「%s」不对，应像 2016-12", month)
	}
	b := &Brief{Org: org, OrgName: "全部", Month: month, Notes: notes}
	if o := reg.Org(org); o != nil {
		b.OrgName = o.Name
	}
	lastMonth := t.AddDate(-1, 0, 0).Format("2006-01")
	ytd := func(y time.Time) panels.Filter {
		return panels.Filter{Org: org, From: y.Format("2006") + "-01", To: y.Format("2006-01")}
	}
	asks := []panels.Filter{{Org: org, From: month, To: month}, {Org: org, From: lastMonth, To: lastMonth}, ytd(t), ytd(t.AddDate(-1, 0, 0))}
	var ds []*panels.DisputesSummary
	for _, f := range asks {
		v, err := ask("disputes.summary", f)
		if err != nil {
			return nil, err
		}
		ds = append(ds, v.(*panels.DisputesSummary))
	}
	n := func(x int64) string { return strconv.FormatInt(x, 10) }
	b.Figures = []Figure{
		{Label: "本月受理矛盾纠纷", Value: n(ds[0].Received), Unit: "件", Before: "上年同月 " + n(ds[1].Received) + " 件", Panel: "disputes.summary", Field: "received", Filter: asks[0], Raw: ds[0].Received},
		{Label: "本月调解成功率", Value: panels.Percent(ds[0].SuccessRate), Before: "上年同月 " + panels.Percent(ds[1].SuccessRate), Panel: "disputes.summary", Field: "success_rate", Filter: asks[0], Raw: ds[0].SuccessRate},
		{Label: "本年累计受理", Value: n(ds[2].Received), Unit: "件", Before: "上年同期 " + n(ds[3].Received) + " 件", Panel: "disputes.summary", Field: "received", Filter: asks[2], Raw: ds[2].Received},
	}
	sv, err := ask("submissions.monthly", asks[0])
	if err != nil {
		return nil, err
	}
	sub := sv.(*panels.Submissions)
	b.Missing, b.Offices = sub.Rows, sub.Offices
	ov, err := ask("outlook.targets", asks[0])
	if err != nil {
		return nil, err
	}
	for _, r := range ov.(*panels.Outlook).Rows {
		if r.Status == panels.OutlookAtRisk || r.Status == panels.OutlookWillMiss || r.Status == panels.OutlookMissed {
			b.Behind = append(b.Behind, r)
		}
	}
	return b, nil
}

// Title is the brief's title: 青山县2016年12月司法行政简报.
func (b *Brief) Title() string { return b.OrgName + panels.MonthName(b.Month) + "司法行政简报" }

// Summary says the month in one paragraph (the notice's text).
func (b *Brief) Summary() string {
	var parts []string
	for _, f := range b.Figures {
		parts = append(parts, fmt.Sprintf("%s %s%s（%s）", f.Label, f.Value, f.Unit, f.Before))
	}
	s := strings.Join(parts, "；") + "。"
	if len(b.Missing) > 0 {
		var names []string
		for _, r := range b.Missing {
			names = append(names, r.OrgName)
		}
		s += fmt.Sprintf("%d个司法所中有%d个没有报齐本月台账：%s。", b.Offices, len(b.Missing), strings.Join(names, "、"))
	} else if b.Offices > 0 {
		s += fmt.Sprintf("%d个司法所都已报送本月台账。", b.Offices)
	}
	if len(b.Behind) > 0 {
		s += fmt.Sprintf("建设目标有%d项未达标或有风险。", len(b.Behind))
	}
	for _, n := range b.Notes {
		s += n.Title + "。"
	}
	return s
}

// MonthNotes are the notices a month's brief of an org names: the
// township dispute jumps of that month within the org.
func MonthNotes(ns []warehouse.Notice, reg *panels.Registry, org, month string) []warehouse.Notice {
	var out []warehouse.Notice
	for _, n := range ns {
		if n.Rule == RuleJump && strings.HasSuffix(n.Key, "|"+month) && reg.Within(n.Org, org) {
			out = append(out, n)
		}
	}
	return out
}

// briefs makes the monthly brief of each county once its month is due.
func briefs(ctx context.Context, e *panels.Engine, reg *panels.Registry, store Store) ([]warehouse.Notice, error) {
	v, err := e.Run(ctx, "submissions.monthly", panels.Filter{})
	if err != nil {
		return nil, err
	}
	month := v.(*panels.Submissions).Month
	if month == "" {
		return nil, nil
	}
	recent, err := store.NoticesSince(ctx, time.Now().AddDate(0, -2, 0))
	if err != nil {
		return nil, err
	}
	ask := func(id string, f panels.Filter) (any, error) { return e.Run(ctx, id, f) }
	var out []warehouse.Notice
	for _, c := range reg.Under("", panels.LevelCounty) {
		b, err := BriefOf(ask, reg, c.Code, month, MonthNotes(recent, reg, c.Code, month))
		if err != nil {
			return nil, err
		}
		out = append(out, warehouse.Notice{Key: "brief|" + c.Code + "|" + month, Rule: RuleBrief, Org: c.Code, Title: b.Title(), Body: b.Summary(),
			Link: "/brief?" + panels.Filter{Org: c.Code}.Query("month", month).Encode()})
	}
	return out, nil
}
