package panels

import (
	"slices"

	"sifa/ingest/ledger"
	"sifa/warehouse"
)

func reads(t ...*ledger.Table) []*ledger.Table { return t }

var (
	registry      = ledger.OrgRegistry.Fact
	disputes      = ledger.Mediation.Fact
	legalAid      = ledger.LegalAid.Fact
	consultations = ledger.Consultation.Fact
	corrections   = ledger.Corrections.Fact
	resettlement  = ledger.Resettlement.Fact
	publicity     = ledger.Publicity.Fact
	staff         = ledger.Roster.Fact
	budget        = ledger.Budget.Fact
	sites         = ledger.Site.Fact
	population    = ledger.Population.Fact
)

// panels is the one table of panels: what each answers, what it reads and
// who may read it. The answers are in one file per subject (staffing.go,
// disputes.go …); docs/panels.md is the contract of their JSON.
var panels = []Panel{
	{ID: "staffing.summary", Title: "队伍基本情况", Reads: reads(staff, registry), Roles: overview, run: staffingSummary},
	{ID: "staffing.by_org", Title: "各司法所人员", Reads: reads(staff, registry), Roles: overview, run: staffingByOrg},
	{ID: "staffing.by_year", Title: "历年人员", Reads: reads(staff), Roles: overview, run: staffingByYear},

	{ID: "disputes.summary", Title: "矛盾纠纷调解情况", Categories: DisputeTypes, Reads: reads(disputes), Roles: overview, run: disputesSummary},
	{ID: "disputes.by_month", Title: "各月受理纠纷", Categories: DisputeTypes, Reads: reads(disputes), Roles: overview, run: disputesBy("month")},
	{ID: "disputes.by_type", Title: "各类纠纷", Categories: DisputeTypes, Reads: reads(disputes), Roles: analysts, run: disputesBy("type")},
	{ID: "disputes.by_org", Title: "各单位受理纠纷", Categories: DisputeTypes, Reads: reads(disputes), Roles: analysts, run: disputesBy("org")},

	{ID: "funding.shortfall", Title: "经费保障情况", Categories: FundingCategories, Reads: reads(budget, staff, corrections, registry), Roles: overview, run: fundingShortfall},
	// the bases of 经费测算 (the what-if is worked out by FundingPlan.Plan): 政府用户 decide budgets
	{ID: "funding.plan", Title: "经费测算的依据", Reads: reads(budget, staff, corrections, disputes, registry), Roles: overview, run: fundingPlan},
	{ID: "funding.by_year", Title: "历年经费", Categories: FundingCategories, Reads: reads(budget, staff, corrections), Roles: analysts, run: fundingByYear},

	{ID: "buildout.progress", Title: "平台建设进度", Reads: reads(sites, warehouse.DimTarget, registry), Roles: overview, run: buildoutProgress},
	{ID: "buildout.by_org", Title: "各乡镇平台建设", Reads: reads(sites, registry), Roles: overview, run: buildoutByOrg},
	// a 数据员 reads them for their own office (what it lacks, what that costs)
	{ID: "outlook.targets", Title: "目标进度", Reads: reads(sites, warehouse.DimTarget, registry), Roles: everyone, run: outlookTargets},
	{ID: "outlook.costs", Title: "缺项与补齐所需经费", Reads: reads(sites, budget, staff, corrections, registry), Roles: everyone, run: outlookCosts},

	{ID: "work.summary", Title: "作用发挥情况", Reads: reads(legalAid, consultations, publicity, corrections, resettlement), Roles: analysts, run: workSummary},
	{ID: "work.by_org", Title: "各单位业务工作", Reads: reads(legalAid, consultations, publicity, corrections, resettlement), Roles: analysts, run: workByOrg},
	{ID: "work.by_year", Title: "历年业务工作", Reads: reads(legalAid, consultations, publicity, corrections, resettlement), Roles: analysts, run: workByYear},

	{ID: "submissions.monthly", Title: "月度台账报送情况", Derived: true, Reads: reads(warehouse.Scopes, registry), Roles: everyone, run: submissionsMonthly},
	{ID: "work.details", Title: "作用发挥的细项", Reads: reads(disputes, legalAid, corrections, resettlement, publicity, registry), Roles: analysts, run: workDetails},
	{ID: "staffing.posts", Title: "各司法所的岗位情况", Reads: reads(staff, corrections, registry), Roles: analysts, run: staffingPosts},
	{ID: "compare.orgs", Title: "对比分析", Reads: reads(disputes, legalAid, consultations, staff, corrections, budget, population, warehouse.Scopes, registry), Roles: analysts, run: compareOrgs},
	{ID: "quality.offices", Title: "数据质量", Derived: true, Reads: reads(warehouse.Scopes, warehouse.Loads, warehouse.Rejects, warehouse.CaseRepeats, disputes, consultations, budget, staff, corrections, registry), Roles: everyone, run: qualityOffices},
	{ID: "submissions.timeliness", Title: "按时报送率", Derived: true, Reads: reads(warehouse.Scopes, warehouse.Loads, registry), Roles: everyone, run: submissionsTimeliness},
	{ID: "meta.years", Title: "有数据的年份", Derived: true, Reads: reads(warehouse.Scopes), Roles: everyone, run: metaYears},
	{ID: "jobs.recent", Title: "作业记录", Derived: true, Reads: reads(warehouse.Jobs), Roles: admins, run: jobsRecent},
}

// Panels lists every panel.
func Panels() []Panel { return panels }

// countsUnits says whether a panel counts registry units (offices,
// stations, villages): the registry file is then one of its sources.
func (p Panel) countsUnits() bool { return slices.Contains(p.Reads, registry) }

// readsTable says whether a panel declares a table.
func (p Panel) readsTable(name string) bool {
	return slices.ContainsFunc(p.Reads, func(t *ledger.Table) bool { return t.Name == name })
}
