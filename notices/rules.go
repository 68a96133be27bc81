// Package notices finds what someone should act on (an office late with
// its ledgers, a target at risk, a township's disputes far above their
// usual level, a scheduled job that keeps failing), keeps each notice once,
// and delivers it to the people who chose to receive it: in sifa's own 消息
// list, by e-mail through the county's SMTP server, and to HTTP webhooks
// (an intranet WeCom or DingTalk robot, or any system that takes JSON).
// Deliveries are kept in the warehouse, so a notice is sent once across
// retries and restarts.
package notices

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// The rules.
const (
	RuleMissed = "missed" // an office has not sent last month's ledgers by the due day
	RuleTarget = "target" // a build-out target is at risk at the present pace
	RuleJump   = "jump"   // a township's monthly disputes far above their usual level
	RuleJob    = "job"    // a scheduled job keeps failing
)

// Rules lists the rules in the order the settings page shows them.
var Rules = []string{RuleMissed, RuleTarget, RuleJump, RuleJob, RuleBrief}

// RuleName is what a person reads for a rule.
var RuleName = map[string]string{
	RuleMissed: "台账逾期未报",
	RuleTarget: "建设目标有风险",
	RuleJump:   "矛盾纠纷突增",
	RuleJob:    "定时作业连续失败",
	RuleBrief:  "月度简报",
}

// ruleRoles are the roles a rule's notices go to (within their org).
var ruleRoles = map[string][]panels.Role{
	RuleMissed: {panels.RoleAdmin, panels.RoleLeader, panels.RoleClerk}, // a 数据员: their own office's only
	RuleTarget: {panels.RoleAdmin, panels.RoleLeader, panels.RoleGovernment},
	RuleJump:   {panels.RoleAdmin, panels.RoleLeader},
	RuleJob:    {panels.RoleAdmin},
	RuleBrief:  {panels.RoleAdmin, panels.RoleLeader, panels.RoleGovernment},
}

// RulesFor lists the rules a role can receive.
func RulesFor(r panels.Role) []string {
	var out []string
	for _, id := range Rules {
		if slices.Contains(ruleRoles[id], r) {
			out = append(out, id)
		}
	}
	return out
}

// Thresholds of the rules.
type Thresholds struct {
	// a month's disputes count as a jump at JumpFactor × the median of the
	// twelve months before and JumpMin cases above it (defaults 2 and 10);
	// the median needs JumpHistory months with cases (default 6)
	JumpFactor  float64
	JumpMin     int64
	JumpHistory int
	// a job keeps failing after JobFailures failed runs in a row (default 3)
	JobFailures int
}

func (t Thresholds) withDefaults() Thresholds {
	if t.JumpFactor <= 1 {
		t.JumpFactor = 2
	}
	if t.JumpMin <= 0 {
		t.JumpMin = 10
	}
	if t.JumpHistory <= 0 {
		t.JumpHistory = 6
	}
	if t.JobFailures <= 0 {
		t.JobFailures = 3
	}
	return t
}

// Evaluate finds the notices the data calls for now (each with the key
// that makes it once: the same late month is one notice however often it
// is looked at). The engine is asked with full access.
func Evaluate(ctx context.Context, e *panels.Engine, th Thresholds) ([]warehouse.Notice, error) {
	th = th.withDefaults()
	reg, err := e.Store.Registry(ctx)
	if err != nil {
		return nil, err
	}
	var out []warehouse.Notice
	for _, rule := range []func(context.Context, *panels.Engine, *panels.Registry, Thresholds) ([]warehouse.Notice, error){missed, targets, jumps, jobs} {
		ns, err := rule(ctx, e, reg, th)
		if err != nil {
			return nil, err
		}
		out = append(out, ns...)
	}
	return out, nil
}

func missed(ctx context.Context, e *panels.Engine, _ *panels.Registry, _ Thresholds) ([]warehouse.Notice, error) {
	v, err := e.Run(ctx, "submissions.monthly", panels.Filter{})
	if err != nil {
		return nil, err
	}
	s := v.(*panels.Submissions)
	var out []warehouse.Notice
	for _, r := range s.Rows {
		month := panels.MonthName(s.Month)
		out = append(out, warehouse.Notice{Key: "missed|" + r.OrgCode + "|" + s.Month, Rule: RuleMissed, Org: r.OrgCode,
			Title: fmt.Sprintf("%s司法所逾期未报%s台账", r.OrgName, month),
			Body: fmt.Sprintf("报送截止日已过，%s司法所还没有报送%s的%s。请督促该所尽快在“数据上传”页上传；本月确实没有这项业务的，请在同一页做“零上报”。",
				r.OrgName, month, strings.Join(r.Missing, "、")),
			Link: "/?" + panels.Filter{Org: r.OrgCode, Year: yearOf(s.Month)}.Query().Encode()})
	}
	return out, nil
}

func targets(ctx context.Context, e *panels.Engine, reg *panels.Registry, _ Thresholds) ([]warehouse.Notice, error) {
	var out []warehouse.Notice
	for _, c := range reg.Under("", panels.LevelCounty) {
		v, err := e.Run(ctx, "outlook.targets", panels.Filter{Org: c.Code})
		if err != nil {
			return nil, err
		}
		for _, r := range v.(*panels.Outlook).Rows {
			if r.Status != panels.OutlookAtRisk && r.Status != panels.OutlookWillMiss {
				continue
			}
			out = append(out, warehouse.Notice{Key: fmt.Sprintf("target|%s|%s|%s|%d|%s", r.OrgCode, r.Level, r.Measure, r.TargetYear, r.Status), Rule: RuleTarget, Org: r.OrgCode,
				Title: fmt.Sprintf("%s%s%s：%s", r.OrgName, r.Level, r.Measure, r.StatusText),
				Body:  r.Sentence + "。请对照“目标进度”页列出的缺项，安排建设和经费。",
				Link:  "/outlook?" + panels.Filter{Org: r.OrgCode}.Query().Encode()})
		}
	}
	return out, nil
}

// jumps compares each township's disputes in the latest month with data
// against the median of the twelve months before it.
func jumps(ctx context.Context, e *panels.Engine, reg *panels.Registry, th Thresholds) ([]warehouse.Notice, error) {
	v, err := e.Run(ctx, "submissions.monthly", panels.Filter{})
	if err != nil {
		return nil, err
	}
	due := v.(*panels.Submissions).Month
	last, err := time.Parse("2006-01", due)
	if err != nil {
		return nil, nil // no month due yet
	}
	var out []warehouse.Notice
	for _, c := range reg.Under("", panels.LevelCounty) {
		byTown := map[string][]int64{} // 13 months, the latest last
		names := map[string]string{}
		for k := 12; k >= 0; k-- {
			m := last.AddDate(0, -k, 0).Format("2006-01")
			v, err := e.Run(ctx, "disputes.by_org", panels.Filter{Org: c.Code, From: m, To: m})
			if err != nil {
				return nil, err
			}
			for _, r := range v.(*panels.Rows[panels.DisputeRow]).Rows {
				if byTown[r.OrgCode] == nil {
					byTown[r.OrgCode] = make([]int64, 13)
				}
				byTown[r.OrgCode][12-k] = r.Received
				names[r.OrgCode] = r.OrgName
			}
		}
		for _, code := range slices.Sorted(maps.Keys(byTown)) {
			series := byTown[code]
			now, med, ok := Jump(series[12], series[:12], th)
			if !ok {
				continue
			}
			out = append(out, warehouse.Notice{Key: "jump|" + code + "|" + due, Rule: RuleJump, Org: code,
				Title: fmt.Sprintf("%s%s受理纠纷突增", names[code], panels.MonthName(due)),
				Body: fmt.Sprintf("%s%s受理矛盾纠纷 %d 件，是此前12个月中位数（%g 件）的 %.1f 倍。请了解原因（是否有群体性纠纷或集中排查），必要时调配调解力量。",
					names[code], panels.MonthName(due), now, med, float64(now)/med),
				Link: "/disputes?" + panels.Filter{Org: code, Year: yearOf(due)}.Query().Encode()})
		}
	}
	return out, nil
}

// Jump says whether a month's count is far above the usual level: at least
// JumpFactor × the median of the months before that had cases, and JumpMin
// above it. It returns the count and the median.
func Jump(month int64, before []int64, th Thresholds) (int64, float64, bool) {
	th = th.withDefaults()
	med, ok := panels.UsualLevel(before, th.JumpHistory)
	return month, med, ok && float64(month) >= th.JumpFactor*med && float64(month)-med >= float64(th.JumpMin)
}

func jobs(ctx context.Context, e *panels.Engine, _ *panels.Registry, th Thresholds) ([]warehouse.Notice, error) {
	v, err := e.Run(ctx, "jobs.recent", panels.Filter{})
	if err != nil {
		return nil, err
	}
	streak := map[string][]panels.JobRow{} // failed runs in a row, newest first
	done := map[string]bool{}
	for _, r := range v.(*panels.JobsRecent).Rows { // newest first
		if done[r.Job] {
			continue
		}
		if r.Result == "成功" {
			done[r.Job] = true
			continue
		}
		streak[r.Job] = append(streak[r.Job], r)
	}
	var out []warehouse.Notice
	for _, job := range slices.Sorted(maps.Keys(streak)) {
		runs := streak[job]
		if len(runs) < th.JobFailures {
			continue
		}
		name := panels.JobName(job)
		out = append(out, warehouse.Notice{Key: "job|" + job + "|" + runs[len(runs)-1].RunID, Rule: RuleJob,
			Title: fmt.Sprintf("定时作业「%s」连续失败 %d 次", name, len(runs)),
			Body:  fmt.Sprintf("最近一次（%s，UTC）的原因：%s。请在“作业”页查看每次运行的记录，排除故障。", runs[0].Ended, runs[0].Error),
			Link:  "/jobs"})
	}
	return out, nil
}

func yearOf(month string) int {
	var y int
	fmt.Sscanf(month, "%d", &y)
	return y
}
