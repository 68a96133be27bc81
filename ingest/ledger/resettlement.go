package ledger

// Resettlement is 安置帮教台账: the persons released from prison or
// corrections on a snapshot date, one row a person.
var Resettlement = func() *Ledger {
	l := &Ledger{
		ID: "resettlement", Name: "安置帮教台账", Kind: Snapshot, Order: 5, Persons: true,
		Signature: []string{"释放日期", "安置情况"},
		Columns: []Column{
			{Name: "统计时点", Date: true, Aliases: snapshotAlias},
			{Name: "编号", Aliases: []string{"序号"}},
			{Name: "身份证号", Aliases: idAliases},
			{Name: "性别", Values: genders},
			{Name: "出生日期", Date: true},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "释放日期", Required: true, Date: true},
			{Name: "释放类别", Values: []string{"刑满释放", "解除社区矫正"}},
			{Name: "衔接方式", Values: []string{"必接必送", "自行报到", "未衔接"}},
			{Name: "安置情况", Required: true, Values: []string{"就业", "务农", "自主创业", "未安置"}},
			yn("一对一帮教"),
			yn("重新犯罪"),
		},
	}
	fact(l, "fact_resettlement", append(append([]Col{byRule(D("snapshot"), "统计时点")}, personCols...),
		text("case_no", "编号"), day("released", "释放日期"), code("release_type", "释放类别"), code("handover", "衔接方式"),
		code("placement", "安置情况"), yesno("mentoring", "一对一帮教"), yesno("reoffended", "重新犯罪"))...)
	return l
}()
