package transform

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"sifa/ingest"
)

// Org levels as the registry writes them.
const (
	LevelCounty  = "县"
	LevelTown    = "乡镇(街道)"
	LevelVillage = "村(社区)"
)

// Org is one entry of the org registry, with its county and township.
type Org struct {
	Code, Name, Level, Parent string
	Aliases                   []string
	CountyCode, CountyName    string
	TownCode, TownName        string
}

// Registry conforms the org names clerks write to registry codes.
type Registry struct {
	byCode map[string]*Org
	byName map[string][]*Org
	sorted []*Org              // every org by code
	under  map[underKey][]*Org // the orgs of a level under (or equal to) a code, by code
}

// NewRegistry indexes orgs by code, name, aliases and the usual variants
// (石门镇 → 石门, 石门镇司法所, 石门司法所; 青山县 → 青山县司法局).
func NewRegistry(orgs []Org) *Registry {
	r := &Registry{byCode: map[string]*Org{}, byName: map[string][]*Org{}}
	for k := range orgs {
		o := orgs[k]
		r.byCode[o.Code] = &o
	}
	for _, o := range r.byCode {
		r.fillAncestry(o)
		for _, n := range nameVariants(o) {
			key := nameKey(n)
			if key == "" || contains(r.byName[key], o) {
				continue
			}
			r.byName[key] = append(r.byName[key], o)
		}
	}
	// a province has 15,000 orgs and panels ask for the townships or
	// villages under an org once per township: index them once
	r.sorted = make([]*Org, 0, len(r.byCode))
	for _, o := range r.byCode {
		r.sorted = append(r.sorted, o)
	}
	sort.Slice(r.sorted, func(i, j int) bool { return r.sorted[i].Code < r.sorted[j].Code })
	r.under = map[underKey][]*Org{}
	for _, o := range r.sorted {
		keys := []string{"", o.Code}
		if o.CountyCode != "" && o.CountyCode != o.Code {
			keys = append(keys, o.CountyCode)
		}
		if o.TownCode != "" && o.TownCode != o.Code {
			keys = append(keys, o.TownCode)
		}
		for _, k := range keys {
			r.under[underKey{k, o.Level}] = append(r.under[underKey{k, o.Level}], o)
		}
	}
	return r
}

func contains(list []*Org, o *Org) bool {
	for _, x := range list {
		if x == o {
			return true
		}
	}
	return false
}

func (r *Registry) fillAncestry(o *Org) {
	switch o.Level {
	case LevelCounty:
		o.CountyCode, o.CountyName = o.Code, o.Name
	case LevelTown:
		o.TownCode, o.TownName = o.Code, o.Name
		if p := r.byCode[o.Parent]; p != nil {
			o.CountyCode, o.CountyName = p.Code, p.Name
		}
	case LevelVillage:
		if t := r.byCode[o.Parent]; t != nil {
			o.TownCode, o.TownName = t.Code, t.Name
			if c := r.byCode[t.Parent]; c != nil {
				o.CountyCode, o.CountyName = c.Code, c.Name
			}
		}
	}
}

var nameKeyReplacer = strings.NewReplacer(" ", "", "　", "", "（", "(", "）", ")")

func nameKey(n string) string { return nameKeyReplacer.Replace(ingest.Fold(n)) }

var (
	townSuffixes    = []string{"街道办事处", "办事处", "街道", "镇", "乡"}
	villageSuffixes = []string{"村民委员会", "居民委员会", "社区居委会", "村委会", "居委会", "社区", "村"}
)

func nameVariants(o *Org) []string {
	out := []string{o.Name, o.Code}
	out = append(out, o.Aliases...)
	switch o.Level {
	case LevelCounty:
		out = append(out, o.Name+"司法局", strings.TrimSuffix(strings.TrimSuffix(o.Name, "县"), "区"))
	case LevelTown:
		base := o.Name
		for _, s := range townSuffixes {
			if strings.HasSuffix(base, s) && len(base) > len(s) {
				base = strings.TrimSuffix(base, s)
				break
			}
		}
		out = append(out, o.Name+"司法所", base, base+"司法所", base+"所", o.Name+"司法行政服务站")
	case LevelVillage:
		base := o.Name
		for _, s := range villageSuffixes {
			if strings.HasSuffix(base, s) && len(base) > len(s) {
				base = strings.TrimSuffix(base, s)
				break
			}
		}
		out = append(out, base, base+"村", base+"村委会", base+"社区", o.Name+"委员会", o.Name+"司法行政工作室")
	}
	return out
}

// Org returns the org with the code, or nil.
func (r *Registry) Org(code string) *Org { return r.byCode[code] }

// Orgs returns every org, ordered by code (the registry's own list: do not change it).
func (r *Registry) Orgs() []*Org { return r.sorted }

// Len is the number of orgs.
func (r *Registry) Len() int { return len(r.byCode) }

// Find conforms a name to one org of the given levels. countyHint, when
// set, settles a name that several counties share.
func (r *Registry) Find(name, countyHint string, levels ...string) (*Org, error) {
	key := nameKey(clean(name))
	var hits []*Org
	for _, o := range r.byName[key] {
		for _, l := range levels {
			if o.Level == l {
				hits = append(hits, o)
			}
		}
	}
	if len(hits) > 1 && countyHint != "" {
		var narrowed []*Org
		for _, o := range hits {
			if o.CountyCode == countyHint {
				narrowed = append(narrowed, o)
			}
		}
		hits = narrowed
	}
	switch len(hits) {
	case 1:
		return hits[0], nil
	case 0:
		if r.Len() == 0 {
			return nil, fmt.Errorf("机构名录还是空的，认不出「%s」；请先上传机构名录", name)
		}
		return nil, fmt.Errorf("机构名录里没有「%s」", name)
	}
	names := make([]string, len(hits))
	for k, o := range hits {
		names[k] = o.CountyName + o.Name + "（" + o.Code + "）"
	}
	sort.Strings(names)
	return nil, fmt.Errorf("「%s」对应多个单位：%s，请写全称或区划代码", name, strings.Join(names, "、"))
}

// CountyNamedIn returns the one county whose full name (青山县, 青山县司法局)
// a text such as a file name contains, or nil when none or several do. A
// name that is part of a longer county name found too (江县 in 清江县) does
// not count against it.
func (r *Registry) CountyNamedIn(text string) *Org {
	text = nameKey(text)
	var found []*Org
	for _, o := range r.under[underKey{"", LevelCounty}] {
		if n := nameKey(o.Name); utf8.RuneCountInString(n) >= 2 && strings.Contains(text, n) {
			found = append(found, o)
		}
	}
	var longest []*Org
	for _, o := range found {
		inner := false
		for _, x := range found {
			if x != o && len(x.Name) > len(o.Name) && strings.Contains(nameKey(x.Name), nameKey(o.Name)) {
				inner = true
			}
		}
		if !inner {
			longest = append(longest, o)
		}
	}
	if len(longest) != 1 {
		return nil
	}
	return longest[0]
}

// Village conforms a village name within a township.
func (r *Registry) Village(town *Org, name string) (*Org, error) {
	key := nameKey(clean(name))
	for _, o := range r.byName[key] {
		if o.Level == LevelVillage && o.Parent == town.Code {
			return o, nil
		}
	}
	return nil, fmt.Errorf("机构名录里%s没有「%s」", town.Name, name)
}

// Within says whether the org with code is limit or lies under it (limit
// may also be a province or city prefix of county codes). An empty limit
// holds everything; an unknown code is within nothing but everything.
func (r *Registry) Within(code, limit string) bool {
	if limit == "" || code == limit {
		return true
	}
	o := r.Org(code)
	if o == nil {
		return false
	}
	return o.CountyCode == limit || o.TownCode == limit || len(limit) < 6 && strings.HasPrefix(o.CountyCode, limit)
}

type underKey struct{ code, level string }

// Under lists the orgs of a level under (or equal to) the org with code.
func (r *Registry) Under(code, level string) []*Org {
	if code == "" || len(code) >= 6 {
		return slices.Clip(r.under[underKey{code, level}]) // an append by the caller copies
	}
	var out []*Org // a province or city prefix of county codes
	for _, o := range r.under[underKey{"", level}] {
		if o.Code == code || o.CountyCode == code || o.TownCode == code || strings.HasPrefix(o.CountyCode, code) {
			out = append(out, o)
		}
	}
	return out
}
