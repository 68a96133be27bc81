package ledger

// Population is 人口台账: the residents of each county and township in a
// year, as the statistics bureau gives them, so that rates per head of
// population (per 10,000 residents) can be computed. Optional: without it a
// rate says it has no population instead of guessing one.
var Population = func() *Ledger {
	l := &Ledger{
		ID: "population", Name: "人口台账", Kind: Yearly, Order: 10,
		Signature: []string{"常住人口(人)", "年度"},
		Columns: []Column{
			{Name: "年度", Required: true, Int: true, Aliases: []string{"年份"}},
			{Name: "单位", Required: true, Aliases: []string{"单位名称", "地区", "乡镇"}},
			{Name: "常住人口(人)", Required: true, Int: true, Aliases: []string{"常住人口", "年末常住人口"}},
			{Name: "户籍人口(人)", Int: true, Aliases: []string{"户籍人口", "年末户籍人口"}},
			{Name: "数据来源", Aliases: []string{"来源"}, Hint: "如：县统计局2016年统计年鉴"},
		},
	}
	fact(l, "fact_population",
		byRule(I("year"), "年度"), byRule(EnumOf("org_level", "县", "乡镇"), "单位"),
		count("resident", "常住人口(人)"), count("registered", "户籍人口(人)"), text("source", "数据来源"))
	return l
}()
