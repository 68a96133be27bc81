package demo

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
)

// Scale describes a synthetic province for benchmarks: Counties counties
// (the fictional province 98, 10 to a city), each with 13 townships, over
// Years years ending in 2016, with about DisputesPerYear mediated disputes a
// county-year (±10%) and the other ledgers at the demo's volumes.
type Scale struct {
	Counties, Years, DisputesPerYear int
}

// Province is about 100 counties, 1,300 townships, 13,000 villages and 10
// million disputes over ten years.
var Province = Scale{Counties: 100, Years: 10, DisputesPerYear: 10000}

// ScaleCounty is the code of the n-th county (from 0) of a scale province.
func ScaleCounty(n int) string { return fmt.Sprintf("98%02d%02d", n/10+1, n%10+1) }

var countyStems = []string{"安", "宝", "长", "丹", "东", "凤", "福", "广", "河", "红", "华", "金", "康", "乐", "龙", "明", "宁", "平", "庆", "瑞",
	"顺", "泰", "天", "同", "万", "文", "西", "祥", "新", "兴", "阳", "永", "玉", "远", "云", "泽", "正", "中", "竹", "紫"}

// WriteScale writes the files of counties [from, to) of a scale province
// into dir (every file CSV: a province's month arrives as CSV exports far
// more than as workbooks), and returns their paths. Counties written in
// separate calls are the same counties: a county's data depends only on
// its number.
func WriteScale(dir string, sc Scale, from, to int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for n := from; n < to && n < sc.Counties; n++ {
		g := &gen{rng: rand.New(rand.NewPCG(uint64(n), 98)), dir: dir, perYear: sc.DisputesPerYear, csvOnly: true}
		name := countyStems[n%len(countyStems)] + countyStems[(n/len(countyStems)+n*7)%len(countyStems)] + "县"
		if n >= len(countyStems) {
			name = fmt.Sprintf("%s%d县", countyStems[n%len(countyStems)], n/len(countyStems)+1)
		}
		towns := make([]string, 13)
		for i := range towns {
			towns[i] = fmt.Sprintf("%s%s镇", countyStems[(n+i*3)%len(countyStems)], countyStems[(i*5+1)%len(countyStems)])
		}
		c := newCounty(ScaleCounty(n), name, towns, g.rng)
		g.registry(c, false)
		for y := 2016 - sc.Years + 1; y <= 2016; y++ {
			g.disputes(c, y)
			g.legalAid(c, y)
			g.consultations(c, y)
			g.publicity(c, y)
			g.corrections(c, y)
			g.resettlement(c, y)
			g.roster(c, y)
			g.budget(c, y)
			if y >= 2014 {
				g.sites(c, y)
			}
		}
		if g.err != nil {
			return nil, g.err
		}
		files = append(files, g.files...)
	}
	sort.Strings(files)
	return files, nil
}
