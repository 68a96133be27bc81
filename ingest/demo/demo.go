package demo

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"
)

type village struct{ code, name string }

type town struct {
	code, name string
	villages   []village
}

type county struct {
	code, name string
	towns      []*town
}

// Years are the years the demo covers.
var Years = []int{2012, 2013, 2014, 2015, 2016}

var (
	qingshanTowns = []string{"石门镇", "营盘镇", "青石镇", "柳林镇", "桃园镇", "松坪镇", "杏花镇", "金川镇", "龙潭镇", "白河镇", "双岭镇", "南沟镇", "北坡乡"}
	lvshuiTowns   = []string{"清溪镇", "碧水镇", "荷塘镇", "枫林镇", "竹园镇", "梅岭镇", "兰溪乡", "芦花镇", "玉泉镇", "云台镇", "丰乐镇", "安宁镇"}
	villageStems  = []string{"东坪", "西沟", "南岔", "北坡", "上坝", "下院", "中湾", "前进", "红星", "胜利", "新庄", "老街", "杨家", "李家", "王庄", "张湾", "黄岭", "马鞍", "牛角", "凤凰", "金鸡", "银河", "太平", "永丰", "长岭", "小河", "大坪", "花园", "柿园", "桑树"}
	surnames      = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"}
	givenNames    = []string{"建国", "志强", "秀英", "桂兰", "文华", "海燕", "明", "军", "丽", "伟", "芳", "勇", "静", "磊", "红梅", "晓东", "春生", "玉兰", "德福", "小平"}
)

func newCounty(code, name string, towns []string, rng *rand.Rand) *county {
	c := &county{code: code, name: name}
	for i, tn := range towns {
		t := &town{code: code + strconv.Itoa(100+i), name: tn}
		n := 8 + rng.IntN(5)
		perm := rng.Perm(len(villageStems))
		for k := 0; k < n; k++ {
			suffix := "村"
			if k == 0 {
				suffix = "社区"
			}
			t.villages = append(t.villages, village{code: t.code + strconv.Itoa(201+k), name: villageStems[perm[k]] + suffix})
		}
		c.towns = append(c.towns, t)
	}
	return c
}

// Write writes the demo files into dir and returns their paths.
func Write(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	g := &gen{rng: rand.New(rand.NewPCG(2014, 12)), dir: dir}
	qs := newCounty("990121", "青山县", qingshanTowns, g.rng)
	ls := newCounty("990122", "绿水县", lvshuiTowns, g.rng)
	g.registry(qs, true)
	g.registry(ls, false)
	for _, y := range Years {
		g.disputes(qs, y)
		g.disputes(ls, y)
		g.legalAid(qs, y)
		g.legalAid(ls, y)
		g.consultations(qs, y)
		g.consultations(ls, y)
		g.publicity(qs, y)
		g.publicity(ls, y)
		g.corrections(qs, y)
		g.corrections(ls, y)
		g.resettlement(qs, y)
		g.resettlement(ls, y)
		g.roster(qs, y)
		g.roster(ls, y)
		g.budget(qs, y)
		g.budget(ls, y)
	}
	for _, y := range []int{2014, 2015, 2016} {
		g.sites(qs, y)
		g.sites(ls, y)
	}
	g.population(qs)
	g.population(ls)
	if g.err != nil {
		return nil, g.err
	}
	readme := filepath.Join(dir, "说明.txt")
	os.WriteFile(readme, []byte("这些文件是 sifa 的演示数据：青山县、绿水县及其乡镇、村都是虚构的（省级代码 99 不存在），"+
		"数字按三篇调研报告的口径编造，只用于演示，不是真实统计。\n"), 0o644)
	sort.Strings(g.files)
	return g.files, nil
}

type gen struct {
	rng   *rand.Rand
	dir   string
	files []string
	err   error
	seq   int
	staff map[string][]*staffer
	plans map[string]*plans
	// scale data: this many disputes a county-year (0: the demo's), every file CSV
	perYear int
	csvOnly bool
}

func (g *gen) save(s *sheet, name string, kind string) {
	if g.err != nil {
		return
	}
	path := filepath.Join(g.dir, name)
	if g.csvOnly {
		kind = "csv"
	}
	switch kind {
	case "xlsx":
		path += ".xlsx"
		g.err = s.writeXLSX(path)
	case "gbk":
		path += ".csv"
		g.err = s.writeCSV(path, true)
	default:
		path += ".csv"
		g.err = s.writeCSV(path, false)
	}
	g.files = append(g.files, path)
}

// exact returns a shuffled list holding each value exactly counts[value]
// times, padded with fill up to n.
func (g *gen) exact(n int, fill string, counts map[string]int) []string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, n)
	for _, k := range keys {
		for i := 0; i < counts[k]; i++ {
			out = append(out, k)
		}
	}
	for len(out) < n {
		out = append(out, fill)
	}
	g.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// split divides total into n parts of at least min each, at random.
func (g *gen) split(total, n, min int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = min
	}
	for left := total - n*min; left > 0; left-- {
		out[g.rng.IntN(n)]++
	}
	return out
}

func (g *gen) day(year int) time.Time {
	return time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.rng.IntN(365))
}

func (g *gen) pick(xs []string) string { return xs[g.rng.IntN(len(xs))] }

func (g *gen) name() string { return g.pick(surnames) + g.pick(givenNames) }

// townName writes a township the way a clerk might: 石门镇, 石门, 石门镇司法所.
func (g *gen) townName(t *town) string {
	switch g.rng.IntN(10) {
	case 0:
		return t.name + "司法所"
	case 1:
		r := []rune(t.name)
		return string(r[:len(r)-1])
	}
	return t.name
}

var idWeights = []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idNumber makes a synthetic resident ID number (valid checksum) in the
// fictional area code, unique within the demo.
func (g *gen) idNumber(area string, birth time.Time, male bool) string {
	for {
		g.seq++
		seq := g.seq % 1000
		if male != (seq%2 == 1) {
			continue
		}
		body := area + birth.Format("20060102") + fmt.Sprintf("%03d", seq)
		sum := 0
		for k := 0; k < 17; k++ {
			sum += int(body[k]-'0') * idWeights[k]
		}
		return body + string("10X98765432"[sum%11])
	}
}

func birthForAge(age int, on time.Time, rng *rand.Rand) time.Time {
	// a birthday strictly inside the year that gives this age on the date
	b := on.AddDate(-age-1, 0, 1+rng.IntN(360))
	if b.After(on.AddDate(-age, 0, 0)) {
		b = on.AddDate(-age, 0, -1)
	}
	return b
}
