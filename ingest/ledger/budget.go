package ledger

// Budget is 经费台账: one row per org, year and funding category.
var Budget = func() *Ledger {
	l := &Ledger{
		ID: "budget", Name: "经费台账", Kind: Yearly, Order: 8,
		Signature: []string{"经费类别", "预算数"},
		Columns: []Column{
			{Name: "年度", Required: true, Int: true, Aliases: []string{"年份"}},
			{Name: "单位", Required: true, Aliases: []string{"单位名称"}},
			{Name: "经费类别", Required: true, Values: []string{"公用经费", "普法宣传经费", "法律援助经费", "人民调解经费", "社区矫正经费", "安置帮教经费"}},
			{Name: "标准金额", Money: true, Hint: "可不填，按配置的标准计算"},
			{Name: "预算数", Required: true, Money: true, Signed: true},
			{Name: "到位数", Money: true, Signed: true},
			{Name: "实际支出", Money: true, Signed: true},
			{Name: "标准依据"},
		},
	}
	fact(l, "fact_budget",
		byRule(I("year"), "年度"), byRule(EnumOf("org_level", "县", "乡镇"), "单位"), code("category", "经费类别"),
		byRule(I("standard_fen"), "标准金额"), I("standard_given"), // empty: the standard is derived from the configuration
		money("budget_fen", "预算数"), money("allocated_fen", "到位数"), money("actual_fen", "实际支出"), text("basis", "标准依据"))
	return l
}()
