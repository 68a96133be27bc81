package ledger

// Site is 平台建设台账: the township service stations and village work
// rooms on a snapshot date, with the 六有 and the five things shown to the
// public.
var Site = func() *Ledger {
	l := &Ledger{
		ID: "site", Name: "平台建设台账", Kind: Snapshot, Order: 9,
		Signature: []string{"站点名称", "层级"},
		Columns: []Column{
			{Name: "统计时点", Date: true, Aliases: snapshotAlias},
			{Name: "站点名称", Required: true},
			{Name: "层级", Required: true, Values: []string{StationLevel, RoomLevel}},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "村(社区)", Aliases: villageAlias},
			{Name: "依托单位"},
			{Name: "建立日期", Date: true},
			{Name: "规范化验收日期", Date: true, Hint: "未验收的不填"},
			yn("有工作人员"), yn("有办公场所"), yn("有办公设施"), yn("有标牌"), yn("有制度"), yn("有工作台账"),
			yn("公示人员信息"), yn("公示服务项目"), yn("公示服务流程"), yn("公示服务承诺"), yn("公示监督方式"),
		},
	}
	fact(l, "fact_site", append(append([]Col{byRule(D("snapshot"), "统计时点"), text("site_name", "站点名称"), byRule(enum("level"), "层级")},
		villageCols...), // a work room must name its village
		text("host", "依托单位"), byRule(D("established"), "建立日期"),
		byRule(D("standardized"), "规范化验收日期"), // not before 建立日期
		yesno("has_staff", "有工作人员"), yesno("has_premises", "有办公场所"), yesno("has_facilities", "有办公设施"),
		yesno("has_sign", "有标牌"), yesno("has_rules", "有制度"), yesno("has_ledger", "有工作台账"),
		yesno("shows_staff", "公示人员信息"), yesno("shows_services", "公示服务项目"), yesno("shows_process", "公示服务流程"),
		yesno("shows_pledge", "公示服务承诺"), yesno("shows_oversight", "公示监督方式"))...)
	return l
}()

// The two levels of sites.
const (
	StationLevel = "乡镇司法行政服务站"
	RoomLevel    = "村(社区)司法行政工作室"
)

// SixItems are the 六有 of a station or work room: the fact column and
// the catalog column of each.
var SixItems = func() []Col {
	var out []Col
	for _, c := range Site.Fact.Columns {
		if len(c.Name) > 4 && c.Name[:4] == "has_" {
			out = append(out, c)
		}
	}
	return out
}()
