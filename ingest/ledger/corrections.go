package ledger

// Corrections is 社区矫正台账: the community-corrections subjects on a
// snapshot date, one row a person.
var Corrections = func() *Ledger {
	l := &Ledger{
		ID: "corrections", Name: "社区矫正台账", Kind: Snapshot, Order: 4, Persons: true,
		Signature: []string{"矫正类别", "状态"},
		Columns: []Column{
			{Name: "统计时点", Date: true, Aliases: snapshotAlias},
			{Name: "编号", Aliases: []string{"序号"}},
			{Name: "身份证号", Aliases: idAliases},
			{Name: "性别", Values: genders},
			{Name: "出生日期", Date: true},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "矫正类别", Required: true, Values: []string{"管制", "缓刑", "假释", "暂予监外执行"}},
			{Name: "矫正开始日期", Date: true, Aliases: []string{"矫正起始日期"}},
			{Name: "矫正结束日期", Date: true, Aliases: []string{"矫正终止日期"}},
			{Name: "管理等级", Values: []string{"严管", "普管", "宽管"}},
			{Name: "状态", Required: true, Values: []string{"在矫", "期满解矫", "收监执行", "死亡", "其他"}, Aliases: []string{"矫正状态"}},
			yn("脱管"),
			yn("重新犯罪"),
			{Name: "集中教育(次)", Int: true, Aliases: []string{"集中教育"}},
			{Name: "个别教育(次)", Int: true, Aliases: []string{"个别教育"}},
			{Name: "公益活动(小时)", Int: true, Aliases: []string{"公益活动"}},
		},
	}
	fact(l, "fact_corrections", append(append([]Col{byRule(D("snapshot"), "统计时点")}, personCols...),
		text("case_no", "编号"), code("category", "矫正类别"), day("started", "矫正开始日期"), day("ended", "矫正结束日期"),
		code("supervision", "管理等级"), code("status", "状态"), yesno("lost_contact", "脱管"),
		yesno("reoffended", "重新犯罪"), count("group_education", "集中教育(次)"), count("individual_education", "个别教育(次)"),
		count("service_hours", "公益活动(小时)"))...)
	return l
}()
