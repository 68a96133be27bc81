package ledger

// OrgRegistry is 机构名录: the county, its townships and villages, with
// the other names ledgers use for them. Every other ledger's org names are
// conformed to these codes.
var OrgRegistry = func() *Ledger {
	l := &Ledger{
		ID: "registry", Name: "机构名录", Kind: Registry, Order: 0,
		Signature: []string{"区划代码", "单位名称", "层级"},
		Columns: []Column{
			{Name: "区划代码", Required: true, Aliases: []string{"统计用区划代码", "行政区划代码"}, Hint: "县6位，乡镇9位或12位，村12位"},
			{Name: "单位名称", Required: true, Aliases: []string{"名称", "机构名称"}},
			{Name: "层级", Required: true, Values: []string{"县", "乡镇(街道)", "村(社区)"}},
			{Name: "上级区划代码", Aliases: []string{"上级代码"}, Hint: "乡镇、村必填"},
			{Name: "简称", Aliases: []string{"别名", "其他名称"}, Hint: "台账中用到的其他叫法，用顿号（、）隔开"},
		},
	}
	// transform's ConvertRegistry fills it (codes, parents and names checked together)
	fact(l, "dim_org", byRule(S("code"), "区划代码"), byRule(S("name"), "单位名称"), byRule(enum("level"), "层级"),
		byRule(S("parent_code"), "上级区划代码"), byRule(S("aliases"), "简称"))
	return l
}()
