package ledger

// Roster is 人员花名册: the staff of the county bureau and the township
// offices on a snapshot date, one row a person.
var Roster = func() *Ledger {
	l := &Ledger{
		ID: "roster", Name: "人员花名册", Kind: Snapshot, Order: 7, Persons: true,
		Signature: []string{"姓名", "在岗状态"},
		Columns: []Column{
			{Name: "统计时点", Date: true, Aliases: snapshotAlias},
			{Name: "姓名", Required: true},
			{Name: "身份证号", Aliases: idAliases},
			{Name: "性别", Values: genders},
			{Name: "出生日期", Date: true, Hint: "填了身份证号可不填"},
			{Name: "单位", Required: true, Aliases: []string{"工作单位", "所在单位"}},
			{Name: "职务", Values: []string{"局长", "副局长", "所长", "副所长", "工作人员", "司法协理员"}},
			{Name: "人员类别", Values: []string{"公务员", "事业人员", "公益性岗位", "聘用人员"}},
			{Name: "编制类型", Values: []string{"中央政法专项编制", "地方行政编制", "事业编制", "无编制"}},
			{Name: "学历", Values: []string{"研究生", "大学本科", "大学专科", "中专", "高中", "初中及以下"}, Aliases: []string{"文化程度", "最高学历"}},
			{Name: "所学专业", Aliases: []string{"专业"}},
			yn("法律专业"),
			{Name: "会使用计算机", Values: yesNo, Aliases: []string{"会使用微机", "能否使用计算机"}},
			{Name: "职级待遇", Values: []string{"正科级", "副科级", "无"}},
			{Name: "参加工作时间", Date: true, Aliases: []string{"参加工作日期"}},
			{Name: "在岗状态", Required: true, Values: []string{"在岗", "借调", "长期病假", "兼职他岗"}},
			// 身兼数职: the town's own work an office's staff also carry (综治, 信访, 包村 …)
			{Name: "兼任镇村工作", Aliases: []string{"兼任工作", "身兼数职", "兼任其他工作"}, Hint: "还承担的镇村工作，如“综治、信访、包村”；没有就空着"},
		},
	}
	fact(l, "fact_staff", append(append([]Col{byRule(D("snapshot"), "统计时点")}, personCols...),
		byRule(EnumOf("org_level", "县", "乡镇"), "单位"), code("post", "职务"), code("staff_type", "人员类别"),
		code("establishment", "编制类型"), code("education", "学历"), text("major", "所学专业"),
		yesno("law_major", "法律专业"),
		byRule(I("computer"), "会使用计算机"), // a column present but left empty means 否
		code("rank", "职级待遇"), day("work_start", "参加工作时间"), code("status", "在岗状态"),
		text("other_duties", "兼任镇村工作"))...) // last: warehouses before schema v8 get it added at the end
	return l
}()
