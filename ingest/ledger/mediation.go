package ledger

// Mediation is 人民调解台账: one row per dispute a mediation committee
// took, sent by every township office each month.
var Mediation = func() *Ledger {
	l := &Ledger{
		ID: "mediation", Name: "人民调解台账", Kind: Event, Order: 1, Monthly: true,
		Signature: []string{"受理日期", "纠纷类型", "调解结果"},
		Columns: []Column{
			{Name: "编号", Aliases: []string{"序号", "案件编号"}},
			{Name: "受理日期", Required: true, Date: true, Aliases: []string{"受理时间", "登记日期"}},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "村(社区)", Aliases: villageAlias},
			{Name: "调解组织类型", Values: []string{"村居调委会", "乡镇街道调委会", "企事业单位调委会", "行业性专业性调委会"}, Aliases: []string{"调委会类型"}},
			{Name: "纠纷类型", Required: true, Values: disputeTypes, Aliases: []string{"纠纷类别", "案件类型"}},
			{Name: "当事人数", Int: true, Aliases: []string{"当事人人数", "涉及人数", "涉及当事人数"}},
			{Name: "涉及金额(元)", Money: true, Aliases: []string{"涉及金额", "涉案金额"}},
			{Name: "调解结果", Required: true, Values: []string{"调解成功", "调解不成功", "终止调解", "正在调解"}, Aliases: []string{"调处结果", "处理结果"}},
			{Name: "结案日期", Date: true, Aliases: []string{"结案时间"}},
			{Name: "协议形式", Values: []string{"书面", "口头"}},
			{Name: "防止激化类型", Values: []string{"无", "防止群体性上访", "防止民转刑", "防止自杀", "制止群体性械斗"}},
			{Name: "防止激化人数", Int: true},
			{Name: "涉法信访", Values: yesNo},
			{Name: "调解员", Aliases: []string{"调解人员", "主持人"}},
		},
	}
	fact(l, "fact_dispute", append(villageCols,
		text("case_no", "编号"), byRule(D("received"), "受理日期"), I("year"),
		code("org_type", "调解组织类型"), code("dispute_type", "纠纷类型"), count("parties", "当事人数"), money("amount_fen", "涉及金额(元)"),
		code("result", "调解结果"),
		byRule(D("closed"), "结案日期"), // not before 受理日期
		code("agreement", "协议形式"),
		byRule(enum("prevented_type"), "防止激化类型"), // empty is 无
		count("prevented_persons", "防止激化人数"), yesno("petition", "涉法信访"),
		byRule(S("mediator_key"), "调解员"), // a keyed hash: names never reach the warehouse
	)...)
	return l
}()
