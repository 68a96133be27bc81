package demo

import (
	"fmt"
	"strconv"
	"time"
)

type budgetLine struct {
	unit, category            string
	standard                  int // 0 = derived by sifa
	budget, allocated, actual int
	basis                     string
}

// inPost counts a county's in-post staff per unit (-1 = the bureau) in a year.
func (g *gen) inPost(c *county, y int) map[int]int {
	out := map[int]int{}
	for _, p := range g.staff[c.code] {
		if y >= p.from && y <= p.until && p.status == "在岗" && !p.mangledID {
			out[p.town]++
		}
	}
	return out
}

func (g *gen) budget(c *county, y int) {
	staff := g.inPost(c, y)
	var lines []budgetLine
	bureau := c.name + "司法局"
	lines = append(lines, budgetLine{unit: bureau, category: "公用经费", budget: staff[-1] * 15000, allocated: staff[-1] * 15000, actual: staff[-1] * 16500})
	for t, tw := range c.towns {
		n := staff[t]
		lines = append(lines, budgetLine{unit: tw.name + "司法所", category: "公用经费", budget: n * 12000, allocated: n * 10800, actual: n * 16000})
	}
	i := y - 2012
	if c.code == "990121" {
		// 篇一: 预算经费仅有1-3万元，距每年实际支出的8-12万元相差8-9万元
		aidBudget := []int{10000, 20000, 20000, 30000, 30000}[i]
		aidActual := []int{80000, 95000, 110000, 115000, 120000}[i]
		lines = append(lines,
			budgetLine{unit: bureau, category: "法律援助经费", budget: aidBudget, allocated: aidBudget, actual: aidActual},
			budgetLine{unit: bureau, category: "人民调解经费", budget: 50000, allocated: 45000, actual: 65000},
			budgetLine{unit: bureau, category: "社区矫正经费", budget: 40000, allocated: 40000, actual: 60000},
			budgetLine{unit: bureau, category: "普法宣传经费", standard: 50000, budget: 30000, allocated: 30000, actual: 42000, basis: "按全县人口每人0.2元"},
			budgetLine{unit: bureau, category: "安置帮教经费", budget: 10000, allocated: 8000, actual: 15000})
	} else {
		// 篇二: 人民调解经费远低于20万元；社区矫正经费每名对象不足50元
		lines = append(lines,
			budgetLine{unit: bureau, category: "法律援助经费", budget: 60000 + 10000*i, allocated: 60000 + 10000*i, actual: 90000 + 8000*i},
			budgetLine{unit: bureau, category: "人民调解经费", budget: 30000, allocated: 30000, actual: 45000},
			budgetLine{unit: bureau, category: "社区矫正经费", budget: 5000, allocated: 5000, actual: 5600},
			budgetLine{unit: bureau, category: "普法宣传经费", budget: 40000, allocated: 35000, actual: 52000},
			budgetLine{unit: bureau, category: "安置帮教经费", budget: 12000, allocated: 12000, actual: 20000})
	}
	inWan := (c.code == "990121" && y == 2014) || (c.code == "990122" && y == 2016)
	s := &sheet{title: []string{c.name + "司法行政经费保障情况表" + Synthetic, fmt.Sprintf("%d年度", y)}}
	money := func(v int) any {
		if v == 0 {
			return "--"
		}
		if inWan {
			return strconv.FormatFloat(float64(v)/10000, 'f', -1, 64)
		}
		if v >= 10000 && v%3 == 0 {
			return fmt.Sprintf("%d,%03d", v/1000, v%1000) // with a thousands separator
		}
		return v
	}
	s.header = []string{"年度", "单位", "经费类别", "标准金额", "预算数", "到位数", "实际支出", "标准依据"}
	if inWan && c.code == "990121" {
		s.title = append(s.title, "单位：万元")
	} else if inWan {
		s.header = []string{"年度", "单位", "经费类别", "标准金额(万元)", "预算数(万元)", "到位数(万元)", "实际支出(万元)", "标准依据"}
	}
	for _, l := range lines {
		yearCell := any(y)
		if l.category == "公用经费" && l.unit != bureau {
			yearCell = fmt.Sprintf("%d年", y)
		}
		s.rows = append(s.rows, []any{yearCell, l.unit, l.category, money(l.standard), money(l.budget), money(l.allocated), money(l.actual), l.basis})
	}
	s.footer = []string{"注：标准金额空着的，由系统按配置的标准计算。"}
	kind := "xlsx"
	if c.code == "990122" {
		kind = "utf8"
	}
	g.save(s, fmt.Sprintf("09_%s_经费台账_%d", c.name, y), kind)
}

// buildPlan fixes, once per county, when each station and work room was
// established and passed its 规范化 acceptance, so that the snapshots of
// 2014–2016 agree with each other and meet some targets while missing others.
type sitePlan struct {
	est, std time.Time // zero std = not (yet) accepted; zero est = no site
}

func (g *gen) plan(c *county) (stations []sitePlan, rooms [][]sitePlan) {
	if g.plans == nil {
		g.plans = map[string]*plans{}
	}
	if p := g.plans[c.code]; p != nil {
		return p.stations, p.rooms
	}
	// cumulative shares standardized by the end of 2014, 2015, 2016
	stationShare := map[string][3]float64{"990121": {7.0 / 13, 12.0 / 13, 1}, "990122": {5.0 / 12, 1, 1}}[c.code]
	roomShare := map[string][3]float64{"990121": {0.45, 0.72, 0.95}, "990122": {0.55, 0.66, 1}}[c.code]
	roomEst := map[string][3]float64{"990121": {0.85, 0.95, 1}, "990122": {0.9, 1, 1}}[c.code]
	date := func(y int) time.Time {
		return time.Date(y, time.Month(3+g.rng.IntN(9)), 1+g.rng.IntN(28), 0, 0, 0, 0, time.UTC)
	}
	assign := func(n int, stdShare, estShare [3]float64, estBefore int) []sitePlan {
		out := make([]sitePlan, n)
		order := g.rng.Perm(n)
		stdCut := [3]int{}
		estCut := [3]int{}
		for k := 0; k < 3; k++ {
			stdCut[k] = int(stdShare[k]*float64(n) + 0.5)
			estCut[k] = int(estShare[k]*float64(n) + 0.5)
		}
		for rank, idx := range order {
			for k := 0; k < 3; k++ {
				if rank < estCut[k] && out[idx].est.IsZero() {
					y := 2014 + k
					if k == 0 {
						y = estBefore + g.rng.IntN(2014-estBefore+1)
					}
					out[idx].est = date(y)
				}
				if rank < stdCut[k] && out[idx].std.IsZero() {
					d := date(2014 + k)
					if !out[idx].est.IsZero() && d.Before(out[idx].est) {
						d = out[idx].est.AddDate(0, 1, 0)
						if d.Year() > 2014+k {
							d = time.Date(2014+k, 12, 20, 0, 0, 0, 0, time.UTC)
						}
					}
					out[idx].std = d
				}
			}
		}
		return out
	}
	stations = assign(len(c.towns), stationShare, [3]float64{1, 1, 1}, 2011)
	for _, t := range c.towns {
		rooms = append(rooms, assign(len(t.villages), roomShare, roomEst, 2012))
	}
	g.plans[c.code] = &plans{stations, rooms}
	return stations, rooms
}

type plans struct {
	stations []sitePlan
	rooms    [][]sitePlan
}

func (g *gen) sites(c *county, y int) {
	on := yearEnd(y)
	stations, rooms := g.plan(c)
	s := &sheet{
		title: []string{c.name + "司法行政服务站（工作室）建设情况台账" + Synthetic, fmt.Sprintf("统计时点：%d年12月31日", y)},
		header: []string{"站点名称", "层级", "乡镇", "村(社区)", "依托单位", "建立日期", "规范化验收日期", "有工作人员", "有办公场所", "有办公设施", "有标牌", "有制度", "有工作台账",
			"公示人员信息", "公示服务项目", "公示服务流程", "公示服务承诺", "公示监督方式"},
	}
	flags := func(std bool) []any {
		out := make([]any, 11)
		for k := range out {
			out[k] = "是"
			if !std && g.rng.IntN(3) == 0 {
				out[k] = "否"
			}
		}
		return out
	}
	add := func(name, level string, t *town, v string, host string, p sitePlan) {
		if p.est.IsZero() || p.est.After(on) {
			return
		}
		var std any
		ok := !p.std.IsZero() && !p.std.After(on)
		if ok {
			std = dateAs(p.std, len(s.rows))
		}
		row := []any{name, level, t.name, v, host, dateAs(p.est, len(s.rows)+1), std}
		s.rows = append(s.rows, append(row, flags(ok)...))
	}
	for i, t := range c.towns {
		add(t.name+"司法行政服务站", "乡镇司法行政服务站", t, "", t.name+"司法所", stations[i])
		for k, v := range t.villages {
			add(v.name+"司法行政工作室", "村(社区)司法行政工作室", t, v.name, v.name+"委员会", rooms[i][k])
		}
	}
	g.save(s, fmt.Sprintf("10_%s_平台建设台账_%d", c.name, y), "xlsx")
}
