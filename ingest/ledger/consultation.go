package ledger

// Consultation is 法律咨询台账: a row is one visit or one day's tally,
// sent by every township office each month.
var Consultation = func() *Ledger {
	l := &Ledger{
		ID: "consultation", Name: "法律咨询台账", Kind: Event, Order: 3, Monthly: true,
		Signature: []string{"咨询方式", "人次"},
		Columns: []Column{
			{Name: "日期", Required: true, Date: true, Aliases: []string{"咨询日期", "接待日期"}},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "咨询方式", Required: true, Values: []string{"来访", "电话", "网络"}},
			{Name: "咨询类别", Values: disputeTypes, Aliases: []string{"咨询类型"}},
			{Name: "人次", Required: true, Int: true, Aliases: []string{"咨询人次", "接待人次"}},
			{Name: "引导服务", Values: []string{"无", "律师", "公证", "司法鉴定", "法律援助", "人民调解"}},
		},
	}
	fact(l, "fact_consultation",
		byRule(D("day"), "日期"), I("year"), code("channel", "咨询方式"), code("category", "咨询类别"),
		count("visits", "人次"), code("referral", "引导服务"))
	return l
}()
