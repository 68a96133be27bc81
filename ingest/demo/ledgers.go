package demo

import (
	"fmt"
	"time"
)

func yearEnd(y int) time.Time { return time.Date(y, 12, 31, 0, 0, 0, 0, time.UTC) }

func (g *gen) registry(c *county, xlsx bool) {
	s := &sheet{title: []string{c.name + "司法行政机构名录" + Synthetic}, header: []string{"区划代码", "单位名称", "层级", "上级区划代码", "简称"}}
	s.rows = append(s.rows, []any{c.code, c.name, "县", "", c.name + "司法局"})
	for _, t := range c.towns {
		s.rows = append(s.rows, []any{t.code, t.name, "乡镇(街道)", c.code, ""})
		for _, v := range t.villages {
			s.rows = append(s.rows, []any{v.code, v.name, "村(社区)", t.code, ""})
		}
	}
	if xlsx {
		g.save(s, "01_"+c.name+"_机构名录", "xlsx")
	} else {
		g.save(s, "01_"+c.name+"_机构名录", "gbk")
	}
}

// disputeYear fixes the exact figures of one county-year of mediation.
type disputeYear struct {
	received  int
	results   map[string]int // besides 调解成功
	prevented map[string][2]int
	petition  int
}

// the 绿水县 2014 figures of 篇二
var lvshui2014 = disputeYear{
	received: 2116,
	results:  map[string]int{"调解不成功": 20, "终止调解": 5, "正在调解": 7},
	prevented: map[string][2]int{"防止群体性上访": {15, 213}, "防止民转刑": {98, 157}, "防止自杀": {13, 15},
		"制止群体性械斗": {128, 261}},
	petition: 218,
}

var disputeTypeWeights = []string{"婚姻家庭", "婚姻家庭", "婚姻家庭", "邻里", "邻里", "邻里", "房屋宅基地", "房屋宅基地", "合同", "生产经营",
	"损害赔偿", "损害赔偿", "山林土地", "山林土地", "征地拆迁", "环境污染", "劳动争议", "消费", "医疗", "道路交通事故", "物业", "其他"}

func (g *gen) disputeFigures(c *county, y int) disputeYear {
	if c.code == "990122" && y == 2014 {
		return lvshui2014
	}
	d := disputeYear{results: map[string]int{}, prevented: map[string][2]int{}}
	if g.perYear > 0 {
		d.received = g.perYear*9/10 + g.rng.IntN(g.perYear/5+1)
	} else if c.code == "990121" {
		d.received = 1100 + g.rng.IntN(80)
	} else {
		d.received = 1950 + g.rng.IntN(300)
	}
	d.results["调解不成功"] = 10 + g.rng.IntN(15)
	d.results["终止调解"] = 2 + g.rng.IntN(6)
	d.results["正在调解"] = 3 + g.rng.IntN(8)
	scale := d.received / 100
	d.prevented["防止群体性上访"] = [2]int{scale / 2, scale / 2 * 12}
	d.prevented["防止民转刑"] = [2]int{scale * 4, scale * 6}
	d.prevented["防止自杀"] = [2]int{scale / 2, scale/2 + 2}
	d.prevented["制止群体性械斗"] = [2]int{scale * 5, scale * 10}
	d.petition = scale * 10
	return d
}

func (g *gen) disputes(c *county, y int) {
	fig := g.disputeFigures(c, y)
	n := fig.received
	results := g.exact(n, "调解成功", fig.results)
	counts := map[string]int{}
	for k, v := range fig.prevented {
		counts[k] = v[0]
	}
	prevented := g.exact(n, "无", counts)
	persons := map[string][]int{}
	for k, v := range fig.prevented {
		min := 1
		if k == "防止群体性上访" || k == "制止群体性械斗" {
			min = 2
		}
		persons[k] = g.split(v[1], v[0], min)
	}
	petition := g.exact(n, "否", map[string]int{"是": fig.petition})
	s := &sheet{
		title: []string{c.name + "人民调解案件登记台账" + Synthetic, "填报单位：" + c.name + "司法局", fmt.Sprintf("统计年度：%d年", y)},
		header: []string{"编号", "受理时间", "所属乡镇", "村(社区)", "调解组织类型", "纠纷类型", "当事人数", "涉及金额(元)", "调解结果",
			"结案日期", "协议形式", "防止激化类型", "防止激化人数", "涉法信访", "调解员"},
		group:  &headerGroup{name: "防止激化", cols: []int{11, 12}, sub: []string{"类型", "人数"}},
		footer: []string{"注：本表由各司法所汇总，县司法局基层科复核。", "填表人：" + g.name() + "    审核人：" + g.name()},
		total:  true,
	}
	orgTypes := []string{"村居调委会", "村居调委会", "村居调委会", "乡镇街道调委会", "企事业单位调委会", "行业性专业性调委会"}
	for i := 0; i < n; i++ {
		t := c.towns[g.rng.IntN(len(c.towns))]
		v := t.villages[g.rng.IntN(len(t.villages))]
		got := g.day(y)
		res := results[i]
		var closed any
		if res != "正在调解" {
			cl := got.AddDate(0, 0, g.rng.IntN(20))
			if cl.Year() > y {
				cl = yearEnd(y)
			}
			closed = dateAs(cl, i+3)
		}
		var pp any
		if p := prevented[i]; p != "无" {
			pp = persons[p][0]
			persons[p] = persons[p][1:]
		}
		amount := any(nil)
		if g.rng.IntN(3) > 0 {
			amount = fmt.Sprintf("%d", (1+g.rng.IntN(200))*500)
			if i%50 == 0 {
				amount = "12,500" // thousands separator
			}
		}
		agreement := "口头"
		if g.rng.IntN(3) > 0 {
			agreement = "书面"
		}
		s.rows = append(s.rows, []any{fmt.Sprintf("%d-%04d", y, i+1), dateAs(got, i), g.townName(t), v.name, g.pick(orgTypes),
			g.pick(disputeTypeWeights), 2 + g.rng.IntN(4), amount, res, closed, agreement, prevented[i], pp, petition[i], g.name()})
	}
	// rows a clerk got wrong: reported back, not counted
	t := c.towns[0]
	s.rows = append(s.rows,
		[]any{"补-1", fmt.Sprintf("%d-02-30", y), t.name, "", "村居调委会", "邻里", 2, nil, "调解成功", nil, "口头", "无", nil, "否", g.name()},
		[]any{"补-2", fmt.Sprintf("%d-05-06", y), "黑山镇", "", "村居调委会", "邻里", 2, nil, "调解成功", nil, "口头", "无", nil, "否", g.name()},
		[]any{"补-3", fmt.Sprintf("%d-06-07", y), t.name, "", "村居调委会", "吵架", 2, nil, "调解成功", nil, "口头", "无", nil, "否", g.name()})
	kind := "xlsx"
	if y%2 == 1 {
		kind = "gbk"
	}
	g.save(s, fmt.Sprintf("02_%s_人民调解台账_%d", c.name, y), kind)
}

func (g *gen) legalAid(c *county, y int) {
	given := 150 + g.rng.IntN(30)
	if c.code == "990121" {
		given = 105 + g.rng.IntN(16) // 120 件左右 (篇一)
	}
	refused := 3 + g.rng.IntN(5)
	s := &sheet{
		title:  []string{c.name + "法律援助案件台账" + Synthetic, fmt.Sprintf("%d年度", y)},
		header: []string{"编号", "申请日期", "乡镇", "案件类别", "受援人类别", "审查决定", "决定日期", "承办人", "结案日期", "挽回经济损失(元)", "办案补贴(元)"},
	}
	cats := []string{"民事", "民事", "民事", "民事", "刑事", "刑事", "行政", "其他"}
	groups := []string{"农民工", "农民工", "老年人", "未成年人", "残疾人", "妇女", "其他"}
	for i := 0; i < given+refused; i++ {
		t := c.towns[g.rng.IntN(len(c.towns))]
		ap := g.day(y)
		dec := "给予援助"
		var closed, recovered, subsidy any
		if i >= given {
			dec = "不予援助"
		} else {
			cl := ap.AddDate(0, 1+g.rng.IntN(5), 0)
			if cl.Year() == y {
				closed = dateAs(cl, i)
			}
			recovered = (5 + g.rng.IntN(60)) * 1000
			subsidy = 600 + 100*g.rng.IntN(10)
		}
		s.rows = append(s.rows, []any{fmt.Sprintf("援%d-%03d", y, i+1), dateAs(ap, i+1), g.townName(t), g.pick(cats), g.pick(groups),
			dec, dateAs(ap.AddDate(0, 0, 3), i+2), g.name(), closed, recovered, subsidy})
	}
	g.save(s, fmt.Sprintf("03_%s_法律援助台账_%d", c.name, y), "xlsx")
}

func (g *gen) consultations(c *county, y int) {
	total := 36000 + g.rng.IntN(4000)
	if c.code == "990121" && y == 2014 {
		total = 38000 // 3.8万人次 (篇一)
	}
	if c.code == "990122" {
		total = 45000 + g.rng.IntN(5000)
	}
	weeks := 52
	n := len(c.towns) * weeks
	visits := g.split(total, n, 5)
	s := &sheet{
		title:  []string{c.name + "法律咨询登记台账（按周汇总）" + Synthetic},
		header: []string{"日期", "乡镇", "咨询方式", "咨询类别", "人次", "引导服务"},
		footer: []string{"说明：每行为一个司法所一周的咨询人次汇总。"},
	}
	ways := []string{"来访", "来访", "来访", "电话", "电话", "网络"}
	guide := []string{"无", "无", "无", "律师", "公证", "法律援助", "人民调解", "司法鉴定"}
	k := 0
	for w := 0; w < weeks; w++ {
		for _, t := range c.towns {
			d := time.Date(y, 1, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 7*w)
			v := fmt.Sprint(visits[k])
			if k%97 == 0 {
				v = fullWidth(v)
			}
			s.rows = append(s.rows, []any{dateAs(d, k), t.name, g.pick(ways), g.pick(disputeTypeWeights), v, g.pick(guide)})
			k++
		}
	}
	g.save(s, fmt.Sprintf("04_%s_法律咨询台账_%d", c.name, y), "utf8")
}

func (g *gen) publicity(c *county, y int) {
	n := 85 + g.rng.IntN(20)
	s := &sheet{
		title:  []string{c.name + "普法宣传活动台账" + Synthetic},
		header: []string{"活动日期", "乡镇(街道)", "村(社区)", "活动形式", "主题", "参与人数", "发放资料(份)"},
	}
	forms := []string{"讲座", "宣传咨询", "宣传咨询", "法治文艺", "网络普法", "其他"}
	themes := []string{"宪法宣传日", "农民工讨薪维权", "禁毒宣传", "反家庭暴力", "土地承包法宣传", "防范电信诈骗", "法律进乡村"}
	for i := 0; i < n; i++ {
		t := c.towns[g.rng.IntN(len(c.towns))]
		v := t.villages[g.rng.IntN(len(t.villages))]
		s.rows = append(s.rows, []any{dateAs(g.day(y), i), t.name, v.name, g.pick(forms), g.pick(themes), 100 + g.rng.IntN(700), 50 + g.rng.IntN(500)})
	}
	g.save(s, fmt.Sprintf("07_%s_普法宣传台账_%d", c.name, y), "xlsx")
}

func (g *gen) person(c *county, age int, on time.Time) (id string, male bool, birth time.Time) {
	male = g.rng.IntN(4) > 0
	birth = birthForAge(age, on, g.rng)
	return g.idNumber(c.code, birth, male), male, birth
}

func gender(male bool) string {
	if male {
		return "男"
	}
	return "女"
}

func (g *gen) corrections(c *county, y int) {
	on := yearEnd(y)
	active := 70 + g.rng.IntN(15)
	if c.code == "990121" && y == 2014 {
		active = 80 // 80余名社区服刑人员 (篇一)
	}
	if c.code == "990122" {
		active = 110 + g.rng.IntN(20)
	}
	ended := 15 + g.rng.IntN(10)
	s := &sheet{
		title: []string{c.name + "社区矫正人员台账" + Synthetic, fmt.Sprintf("统计时点：%d年12月31日", y)},
		header: []string{"编号", "身份证号", "性别", "出生日期", "乡镇", "矫正类别", "矫正开始日期", "矫正结束日期", "管理等级", "状态", "脱管", "重新犯罪",
			"集中教育(次)", "个别教育(次)", "公益活动(小时)"},
	}
	cats := []string{"缓刑", "缓刑", "缓刑", "缓刑", "假释", "管制", "暂予监外执行"}
	levels := []string{"严管", "普管", "普管", "宽管"}
	for i := 0; i < active+ended; i++ {
		t := c.towns[g.rng.IntN(len(c.towns))]
		id, male, _ := g.person(c, 20+g.rng.IntN(45), on)
		start := on.AddDate(0, -1-g.rng.IntN(30), 0)
		end := start.AddDate(1+g.rng.IntN(3), 0, 0)
		status := "在矫"
		if i >= active {
			status = "期满解矫"
			end = on.AddDate(0, -g.rng.IntN(11), 0)
		}
		lost, again := "否", "否"
		if c.code == "990122" && y == 2013 && i == 3 {
			lost = "是"
		}
		idCell := any(id)
		if i%31 == 5 && id[17] == 'X' {
			idCell = id[:17] + "x"
		}
		s.rows = append(s.rows, []any{fmt.Sprintf("JZ%d%03d", y, i+1), idCell, gender(male), nil, t.name, g.pick(cats), dateAs(start, i), dateAs(end, i+1),
			g.pick(levels), status, lost, again, 6 + g.rng.IntN(6), 10 + g.rng.IntN(10), 40 + g.rng.IntN(60)})
	}
	g.save(s, fmt.Sprintf("05_%s_社区矫正台账_%d", c.name, y), "xlsx")
}

func (g *gen) resettlement(c *county, y int) {
	on := yearEnd(y)
	resettled, unplaced := 160+g.rng.IntN(30), 3+g.rng.IntN(5)
	switch {
	case c.code == "990121" && y == 2014:
		resettled, unplaced = 176, 6 // 过渡安置176名刑满释放对象 (篇一)
	case c.code == "990122" && y == 2014:
		resettled, unplaced = 437, 23 // 登记460名，安置437名 (篇二)
	case c.code == "990122":
		resettled, unplaced = 400+g.rng.IntN(50), 15+g.rng.IntN(15)
	}
	s := &sheet{
		title:  []string{c.name + "刑满释放人员安置帮教台账" + Synthetic, fmt.Sprintf("截至%d年12月31日", y)},
		header: []string{"编号", "身份证号码", "性别", "出生日期", "乡镇", "释放日期", "释放类别", "衔接方式", "安置情况", "一对一帮教", "重新犯罪"},
	}
	placements := []string{"就业", "务农", "务农", "自主创业"}
	for i := 0; i < resettled+unplaced; i++ {
		t := c.towns[g.rng.IntN(len(c.towns))]
		id, male, birth := g.person(c, 22+g.rng.IntN(40), on)
		pl := g.pick(placements)
		if i >= resettled {
			pl = "未安置"
		}
		idCell, birthCell := any(id), any(nil)
		if i%9 == 4 { // some offices write the birth date and leave the ID out
			idCell, birthCell = nil, dateAs(birth, i)
		}
		rel := on.AddDate(-g.rng.IntN(5), -g.rng.IntN(12), 0)
		s.rows = append(s.rows, []any{fmt.Sprintf("AZ%d%03d", y, i+1), idCell, gender(male), birthCell, g.townName(t), dateAs(rel, i), "刑满释放", "必接必送",
			pl, "是", "否"})
	}
	g.save(s, fmt.Sprintf("06_%s_安置帮教台账_%d", c.name, y), "gbk")
}
