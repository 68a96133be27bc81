package ledger

// LegalAid is 法律援助台账: one row per application for legal aid.
var LegalAid = func() *Ledger {
	l := &Ledger{
		ID: "legal_aid", Name: "法律援助台账", Kind: Event, Order: 2,
		Signature: []string{"申请日期", "审查决定"},
		Columns: []Column{
			{Name: "编号", Aliases: []string{"序号", "案件编号"}},
			{Name: "申请日期", Required: true, Date: true, Aliases: []string{"申请时间"}},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "案件类别", Required: true, Values: []string{"民事", "刑事", "行政", "国家赔偿", "其他"}, Aliases: []string{"案件类型"}},
			{Name: "受援人类别", Values: []string{"农民工", "老年人", "未成年人", "残疾人", "妇女", "其他"}, Aliases: []string{"受援人类型"}},
			{Name: "审查决定", Required: true, Values: []string{"给予援助", "不予援助"}},
			{Name: "决定日期", Date: true},
			{Name: "承办人"},
			{Name: "结案日期", Date: true},
			{Name: "挽回经济损失(元)", Money: true, Aliases: []string{"挽回经济损失", "挽回损失"}},
			{Name: "办案补贴(元)", Money: true, Aliases: []string{"办案补贴"}},
		},
	}
	fact(l, "fact_legal_aid",
		text("case_no", "编号"), byRule(D("applied"), "申请日期"), I("year"), code("case_type", "案件类别"),
		code("aided_group", "受援人类别"), code("decision", "审查决定"),
		day("decided", "决定日期"), day("closed", "结案日期"), money("recovered_fen", "挽回经济损失(元)"), money("subsidy_fen", "办案补贴(元)"))
	return l
}()
