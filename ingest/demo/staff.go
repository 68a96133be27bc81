package demo

import (
	"fmt"
	"sort"
	"time"
)

type staffer struct {
	name, id          string
	male              bool
	birth             time.Time
	town              int // index into county.towns; -1 = the county bureau
	post, kind, estab string
	edu, major        string
	law, computer     bool
	rank              string
	workStart         time.Time
	status            string
	from, until       int // years on the roster (inclusive)
	mangledID         bool
}

// qingshanStaff builds 青山县's roster so that the 2014-12-31 snapshot gives
// exactly 篇一's figures: 13 offices, 26 in-post staff (9 offices with two or
// more, 4 with one), 12 with 副科级 treatment, 10 with only 高中, 17 aged 46
// or over, 11 who cannot use a computer, 8 law majors; bureau 16 in post.
func (g *gen) qingshanStaff(c *county) []*staffer {
	on := yearEnd(2014)
	sizes := []int{3, 2, 3, 2, 3, 2, 3, 2, 2, 1, 1, 1, 1}
	var ages []int
	for band, n := range [][3]int{{25, 35, 3}, {36, 45, 6}, {46, 55, 12}, {56, 59, 5}} {
		_ = band
		for i := 0; i < n[2]; i++ {
			ages = append(ages, n[0]+g.rng.IntN(n[1]-n[0]+1))
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(ages))) // oldest first
	edu := []string{}
	for _, e := range []struct {
		v string
		n int
	}{{"高中", 10}, {"中专", 2}, {"大学专科", 9}, {"大学本科", 5}} {
		for i := 0; i < e.n; i++ {
			edu = append(edu, e.v)
		}
	}
	people := make([]*staffer, 26)
	for i := range people {
		id, male, birth := g.person(c, ages[i], on)
		p := &staffer{name: g.name(), id: id, male: male, birth: birth, edu: edu[i], status: "在岗", from: 2012, until: 2016,
			kind: "公务员", estab: "中央政法专项编制", computer: true, rank: "无"}
		p.workStart = birth.AddDate(20+g.rng.IntN(3), 0, 0)
		people[i] = p
	}
	// 11 of the 17 aged 46+ cannot use a computer; 8 of the 14 with a degree studied law
	for _, k := range g.rng.Perm(17)[:11] {
		people[k].computer = false
	}
	for _, k := range g.rng.Perm(14)[:8] {
		people[12+k].law = true
	}
	for _, p := range people {
		switch {
		case p.law:
			p.major = "法律"
		case p.edu == "大学本科" || p.edu == "大学专科":
			p.major = g.pick([]string{"汉语言文学", "行政管理", "农学", "会计"})
		}
	}
	// offices: each gets a head (所长) first
	order := g.rng.Perm(26)
	k := 0
	for t, n := range sizes {
		for j := 0; j < n; j++ {
			p := people[order[k]]
			k++
			p.town = t
			p.post = "工作人员"
			if j == 0 {
				p.post = "所长"
				p.rank = "副科级"
				if c.towns[t].name == "营盘镇" { // 营盘所长为负责人 (篇一)
					p.rank = "无"
				}
			} else if j == 2 {
				p.post = "司法协理员"
				p.kind, p.estab = "公益性岗位", "无编制"
			}
		}
	}
	// two of them joined in 2013; three newcomers join in 2015 and 2016
	people[20].from, people[23].from = 2013, 2013
	for _, y := range []int{2015, 2015, 2016} {
		id, male, birth := g.person(c, 24+g.rng.IntN(4), on)
		people = append(people, &staffer{name: g.name(), id: id, male: male, birth: birth, town: 9 + g.rng.IntN(4), post: "工作人员",
			kind: "公务员", estab: "中央政法专项编制", edu: "大学本科", major: "法律", law: true, computer: true, rank: "无", status: "在岗",
			from: y, until: 2016, workStart: time.Date(y, 7, 1, 0, 0, 0, 0, time.UTC)})
	}
	// not in post: counted nowhere in staff figures
	id, male, birth := g.person(c, 50, on)
	people = append(people, &staffer{name: g.name(), id: id, male: male, birth: birth, town: 0, post: "工作人员", kind: "事业人员",
		estab: "事业编制", edu: "高中", computer: false, rank: "无", status: "长期病假", from: 2012, until: 2016, workStart: birth.AddDate(19, 0, 0)})
	// a row whose ID number Excel turned into 6.10322E+17: rejected, so not counted
	id, male, birth = g.person(c, 30, on)
	people = append(people, &staffer{name: g.name(), id: id, male: male, birth: birth, town: 0, post: "工作人员", kind: "聘用人员",
		estab: "无编制", edu: "大学专科", computer: true, rank: "无", status: "在岗", from: 2014, until: 2014, mangledID: true,
		workStart: time.Date(2013, 9, 1, 0, 0, 0, 0, time.UTC)})
	people = append(people, g.bureau(c, 16, on)...)
	return people
}

// bureau makes a county bureau's staff: n in post and one seconded (借调) to the corrections centre.
func (g *gen) bureau(c *county, n int, on time.Time) []*staffer {
	var out []*staffer
	posts := []string{"局长", "副局长", "副局长"}
	edus := []string{"大学本科", "大学本科", "大学专科", "研究生", "大学专科", "中专"}
	for i := 0; i <= n; i++ {
		id, male, birth := g.person(c, 28+g.rng.IntN(30), on)
		p := &staffer{name: g.name(), id: id, male: male, birth: birth, town: -1, post: "工作人员", kind: "公务员", estab: "地方行政编制",
			edu: g.pick(edus), computer: true, rank: "无", status: "在岗", from: 2012, until: 2016, workStart: birth.AddDate(22, 0, 0)}
		if i < len(posts) {
			p.post, p.rank = posts[i], "正科级"
			if i > 0 {
				p.rank = "副科级"
			}
		}
		p.law = p.edu == "研究生" || g.rng.IntN(3) == 0
		if p.law {
			p.major = "法律"
		}
		if i == n {
			p.status = "借调"
		}
		out = append(out, p)
	}
	return out
}

func (g *gen) lvshuiStaff(c *county) []*staffer {
	on := yearEnd(2014)
	var out []*staffer
	edus := []string{"大学本科", "大学专科", "大学专科", "中专", "高中", "高中"}
	for t := range c.towns {
		n := 1 + g.rng.IntN(4)
		for j := 0; j < n; j++ {
			id, male, birth := g.person(c, 26+g.rng.IntN(33), on)
			p := &staffer{name: g.name(), id: id, male: male, birth: birth, town: t, post: "工作人员", kind: "公务员", estab: "中央政法专项编制",
				edu: g.pick(edus), computer: g.rng.IntN(3) > 0, rank: "无", status: "在岗", from: 2012, until: 2016, workStart: birth.AddDate(21, 0, 0)}
			if j == 0 {
				p.post, p.rank = "所长", "副科级"
			}
			p.law = g.rng.IntN(3) == 0
			if p.law {
				p.major = "法律"
			}
			out = append(out, p)
		}
	}
	return append(out, g.bureau(c, 20, on)...)
}

func (g *gen) roster(c *county, y int) {
	if g.staff == nil {
		g.staff = map[string][]*staffer{}
	}
	if g.staff[c.code] == nil {
		if c.code == "990121" {
			g.staff[c.code] = g.qingshanStaff(c)
		} else {
			g.staff[c.code] = g.lvshuiStaff(c)
		}
	}
	s := &sheet{
		title: []string{c.name + "司法行政系统人员花名册" + Synthetic, fmt.Sprintf("统计时点：%d年12月31日", y)},
		header: []string{"姓名", "身份证号", "性别", "出生日期", "单位", "职务", "人员类别", "编制类型", "学历", "所学专业", "法律专业", "会使用计算机",
			"职级待遇", "参加工作时间", "在岗状态", "兼任镇村工作"},
		footer: []string{"填表人：" + g.name(), "填报日期：" + fmt.Sprintf("%d年1月5日", y+1)},
	}
	for i, p := range g.staff[c.code] {
		if y < p.from || y > p.until {
			continue
		}
		unit := c.name + "司法局"
		if p.town >= 0 {
			unit = c.towns[p.town].name + "司法所"
		}
		yn := func(b bool) string {
			if b {
				return "是"
			}
			return "否"
		}
		idCell, birthCell := any(p.id), any(nil)
		switch {
		case p.mangledID:
			idCell = fmt.Sprintf("%.5E", float64(atoi64(p.id)))
		case i%7 == 3:
			idCell, birthCell = nil, dateAs(p.birth, i) // birth date instead of the ID number
		}
		comp := yn(p.computer)
		if !p.computer && i%4 == 0 {
			comp = "" // left empty: read as 否
		}
		s.rows = append(s.rows, []any{p.name, idCell, gender(p.male), birthCell, unit, p.post, p.kind, p.estab, p.edu, p.major, yn(p.law),
			comp, p.rank, dateAs(p.workStart, i), p.status, townDuties(p, i)})
	}
	g.save(s, fmt.Sprintf("08_%s_人员花名册_%d", c.name, y), "xlsx")
}

// townDuties is the town work a township office's staff member also
// carries (身兼数职: 篇一 says most offices must join the town's 综治, 维稳,
// 信访, 扶贫 and 包村 work). Drawn from the staff member's place in the
// roster, not the random source, so the other files stay as they were.
func townDuties(p *staffer, i int) string {
	if p.town < 0 || p.status != "在岗" {
		return ""
	}
	return []string{"综治、信访", "维稳、包村", "", "扶贫", "安全生产、包村"}[i%5]
}

func atoi64(s string) int64 {
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int64(r-'0')
	}
	return n
}
