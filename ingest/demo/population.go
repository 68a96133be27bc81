package demo

import (
	"fmt"
	"math/rand/v2"
)

// population writes 人口台账 for a county: each township's and the county's
// residents per year (made up: about 15,000–45,000 a township, growing a
// little each year). It draws from its own random source, so the other
// files stay as they were before it existed.
func (g *gen) population(c *county) {
	rng := rand.New(rand.NewPCG(uint64(len(c.towns)), 2016))
	s := &sheet{title: []string{c.name + "各乡镇人口" + Synthetic}, header: []string{"年度", "单位", "常住人口(人)", "户籍人口(人)", "数据来源"}}
	base := make([]int, len(c.towns))
	for t := range c.towns {
		base[t] = 15000 + rng.IntN(30000)
	}
	for _, y := range Years {
		total, totalReg := 0, 0
		for t, tw := range c.towns {
			n := base[t] + (y-2012)*base[t]/150 // about 0.7 % a year
			reg := n + n/12
			total, totalReg = total+n, totalReg+reg
			s.rows = append(s.rows, []any{y, tw.name, n, reg, fmt.Sprintf("%s统计局%d年统计年鉴（演示）", c.name, y)})
		}
		s.rows = append(s.rows, []any{y, c.name, total, totalReg, fmt.Sprintf("%s统计局%d年统计年鉴（演示）", c.name, y)})
	}
	g.save(s, fmt.Sprintf("%s_人口台账_2012-2016", c.name), "xlsx")
}
