// Package ingest reads the ledgers that offices send (Excel and CSV files),
// finds their header row, recognises the ledger type and turns the rows into
// Arrow record batches of text cells under canonical column names. It also
// archives every raw file by its SHA-256 before anything is parsed.
package ingest

import "strings"

// Kind says how a ledger relates to time.
type Kind int

const (
	// Registry is the org registry: it defines the orgs other ledgers refer to.
	Registry Kind = iota
	// Event ledgers cover the dates in their rows (one row per dispute, visit…).
	Event
	// Snapshot ledgers describe the state on their 统计时点.
	Snapshot
	// Yearly ledgers hold one row per org, year and category (budget).
	Yearly
)

// Column is one canonical column of a ledger.
type Column struct {
	Name     string   // canonical header, as in ledgers.md
	Aliases  []string // other headers clerks write for it
	Required bool
	Values   []string // allowed values of a coded column (a dropdown in templates)
	Money    bool     // an amount in 元 (or 万元 when the header or caption says so)
	Date     bool
	Int      bool
	Hint     string // a short instruction shown in templates
}

// Ledger describes one ledger type.
type Ledger struct {
	ID      string // stable identifier: mediation, legal_aid, …
	Name    string // 人民调解台账 …
	Kind    Kind
	Order   int // ingest order within a batch: the registry first
	Columns []Column
	// Signature columns must all be present for a header to be taken as this ledger.
	Signature []string
}

// Column returns the column with the canonical name, or nil.
func (l *Ledger) Column(name string) *Column {
	for i := range l.Columns {
		if l.Columns[i].Name == name {
			return &l.Columns[i]
		}
	}
	return nil
}

var (
	yesNo         = []string{"是", "否"}
	disputeTypes  = []string{"婚姻家庭", "邻里", "房屋宅基地", "合同", "生产经营", "损害赔偿", "山林土地", "征地拆迁", "环境污染", "劳动争议", "消费", "医疗", "道路交通事故", "物业", "其他"}
	genders       = []string{"男", "女"}
	townAliases   = []string{"乡镇(街道)", "所属乡镇", "司法所", "乡镇街道", "所属司法所", "乡(镇)"}
	villageAlias  = []string{"村(社区)名称", "村(居)", "村居", "村（居）", "村社区", "村"}
	snapshotAlias = []string{"统计日期", "截止日期", "截至日期"}
)

func yn(name string) Column { return Column{Name: name, Values: yesNo} }

// Ledgers lists every ledger type sifa accepts, in ingest order.
var Ledgers = []*Ledger{
	{
		ID: "registry", Name: "机构名录", Kind: Registry, Order: 0,
		Signature: []string{"区划代码", "单位名称", "层级"},
		Columns: []Column{
			{Name: "区划代码", Required: true, Aliases: []string{"统计用区划代码", "行政区划代码"}, Hint: "县6位，乡镇9位或12位，村12位"},
			{Name: "单位名称", Required: true, Aliases: []string{"名称", "机构名称"}},
			{Name: "层级", Required: true, Values: []string{"县", "乡镇(街道)", "村(社区)"}},
			{Name: "上级区划代码", Aliases: []string{"上级代码"}, Hint: "乡镇、村必填"},
			{Name: "简称", Aliases: []string{"别名", "其他名称"}, Hint: "台账中用到的其他叫法，用顿号（、）隔开"},
		},
	},
	{
		ID: "mediation", Name: "人民调解台账", Kind: Event, Order: 1,
		Signature: []string{"受理日期", "纠纷类型", "调解结果"},
		Columns: []Column{
			{Name: "编号", Aliases: []string{"序号", "案件编号"}},
			{Name: "受理日期", Required: true, Date: true, Aliases: []string{"受理时间", "登记日期"}},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "村(社区)", Aliases: villageAlias},
			{Name: "调解组织类型", Values: []string{"村居调委会", "乡镇街道调委会", "企事业单位调委会", "行业性专业性调委会"}, Aliases: []string{"调委会类型"}},
			{Name: "纠纷类型", Required: true, Values: disputeTypes, Aliases: []string{"纠纷类别", "案件类型"}},
			{Name: "当事人数", Int: true, Aliases: []string{"当事人人数"}},
			{Name: "涉及金额(元)", Money: true, Aliases: []string{"涉及金额", "涉案金额"}},
			{Name: "调解结果", Required: true, Values: []string{"调解成功", "调解不成功", "终止调解", "正在调解"}, Aliases: []string{"调处结果", "处理结果"}},
			{Name: "结案日期", Date: true, Aliases: []string{"结案时间"}},
			{Name: "协议形式", Values: []string{"书面", "口头"}},
			{Name: "防止激化类型", Values: []string{"无", "防止群体性上访", "防止民转刑", "防止自杀", "制止群体性械斗"}},
			{Name: "防止激化人数", Int: true},
			{Name: "涉法信访", Values: yesNo},
			{Name: "调解员", Aliases: []string{"调解人员", "主持人"}},
		},
	},
	{
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
	},
	{
		ID: "consultation", Name: "法律咨询台账", Kind: Event, Order: 3,
		Signature: []string{"咨询方式", "人次"},
		Columns: []Column{
			{Name: "日期", Required: true, Date: true, Aliases: []string{"咨询日期", "接待日期"}},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "咨询方式", Required: true, Values: []string{"来访", "电话", "网络"}},
			{Name: "咨询类别", Values: disputeTypes, Aliases: []string{"咨询类型"}},
			{Name: "人次", Required: true, Int: true, Aliases: []string{"咨询人次", "接待人次"}},
			{Name: "引导服务", Values: []string{"无", "律师", "公证", "司法鉴定", "法律援助", "人民调解"}},
		},
	},
	{
		ID: "corrections", Name: "社区矫正台账", Kind: Snapshot, Order: 4,
		Signature: []string{"矫正类别", "状态"},
		Columns: []Column{
			{Name: "统计时点", Date: true, Aliases: snapshotAlias},
			{Name: "编号", Aliases: []string{"序号"}},
			{Name: "身份证号", Aliases: []string{"身份证号码", "公民身份号码"}},
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
	},
	{
		ID: "resettlement", Name: "安置帮教台账", Kind: Snapshot, Order: 5,
		Signature: []string{"释放日期", "安置情况"},
		Columns: []Column{
			{Name: "统计时点", Date: true, Aliases: snapshotAlias},
			{Name: "编号", Aliases: []string{"序号"}},
			{Name: "身份证号", Aliases: []string{"身份证号码", "公民身份号码"}},
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
	},
	{
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
	},
	{
		ID: "roster", Name: "人员花名册", Kind: Snapshot, Order: 7,
		Signature: []string{"姓名", "在岗状态"},
		Columns: []Column{
			{Name: "统计时点", Date: true, Aliases: snapshotAlias},
			{Name: "姓名", Required: true},
			{Name: "身份证号", Aliases: []string{"身份证号码", "公民身份号码"}},
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
		},
	},
	{
		ID: "budget", Name: "经费台账", Kind: Yearly, Order: 8,
		Signature: []string{"经费类别", "预算数"},
		Columns: []Column{
			{Name: "年度", Required: true, Int: true, Aliases: []string{"年份"}},
			{Name: "单位", Required: true, Aliases: []string{"单位名称"}},
			{Name: "经费类别", Required: true, Values: []string{"公用经费", "普法宣传经费", "法律援助经费", "人民调解经费", "社区矫正经费", "安置帮教经费"}},
			{Name: "标准金额", Money: true, Hint: "可不填，按配置的标准计算"},
			{Name: "预算数", Required: true, Money: true},
			{Name: "到位数", Money: true},
			{Name: "实际支出", Money: true},
			{Name: "标准依据"},
		},
	},
	{
		ID: "site", Name: "平台建设台账", Kind: Snapshot, Order: 9,
		Signature: []string{"站点名称", "层级"},
		Columns: []Column{
			{Name: "统计时点", Date: true, Aliases: snapshotAlias},
			{Name: "站点名称", Required: true},
			{Name: "层级", Required: true, Values: []string{"乡镇司法行政服务站", "村(社区)司法行政工作室"}},
			{Name: "乡镇", Required: true, Aliases: townAliases},
			{Name: "村(社区)", Aliases: villageAlias},
			{Name: "依托单位"},
			{Name: "建立日期", Date: true},
			{Name: "规范化验收日期", Date: true, Hint: "未验收的不填"},
			yn("有工作人员"), yn("有办公场所"), yn("有办公设施"), yn("有标牌"), yn("有制度"), yn("有工作台账"),
			yn("公示人员信息"), yn("公示服务项目"), yn("公示服务流程"), yn("公示服务承诺"), yn("公示监督方式"),
		},
	},
}

// LedgerByID returns the ledger with the id, or nil.
func LedgerByID(id string) *Ledger {
	for _, l := range Ledgers {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// LedgerByName accepts an id (mediation) or a Chinese name (人民调解台账, 人民调解).
func LedgerByName(s string) *Ledger {
	s = strings.TrimSpace(s)
	for _, l := range Ledgers {
		if l.ID == s || l.Name == s || strings.TrimSuffix(l.Name, "台账") == s {
			return l
		}
	}
	return nil
}
