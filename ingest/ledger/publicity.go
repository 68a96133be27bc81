package ledger

// Publicity is 普法宣传台账: one row per legal-publicity event.
var Publicity = func() *Ledger {
	l := &Ledger{
		ID: "publicity", Name: "普法宣传台账", Kind: Event, Order: 6,
		Signature: []string{"活动形式", "日期"},
		Columns: []Column{
			{Name: "日期", Required: true, Date: true, Aliases: []string{"活动日期", "开展日期"}},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "村(社区)", Aliases: villageAlias},
			{Name: "活动形式", Required: true, Values: []string{"讲座", "宣传咨询", "法治文艺", "网络普法", "其他"}},
			{Name: "主题", Aliases: []string{"活动主题"}},
			{Name: "参与人数", Int: true, Aliases: []string{"受众人数", "参加人数"}},
			{Name: "发放资料(份)", Int: true, Aliases: []string{"发放资料", "发放宣传资料"}},
		},
	}
	fact(l, "fact_publicity", append(villageCols,
		byRule(D("day"), "日期"), I("year"), code("form", "活动形式"), text("theme", "主题"),
		count("participants", "参与人数"), count("materials", "发放资料(份)"))...)
	return l
}()
