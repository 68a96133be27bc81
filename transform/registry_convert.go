package transform

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"sifa/ingest"
)

var reDigits = regexp.MustCompile(`^\d+$`)

// ConvertRegistry reads a whole org-registry table. Parents may be in the
// same file or already in the registry; each county in the file becomes one
// scope, so a re-sent registry replaces its county's orgs.
func (c *Converter) ConvertRegistry(recs []arrow.Record) (arrow.Record, []Reject, []Org) {
	type pending struct {
		org Org
		num int
	}
	var rows []pending
	var rejects []Reject
	seen := map[string]int{}
	for _, rec := range recs {
		nums := rec.Column(c.idx.m[ingest.RowColumn]).(interface{ Value(int) int64 })
		r := newRow(c, rec)
		for i := 0; i < int(rec.NumRows()); i++ {
			r.i, r.num, r.rejects = i, int(nums.Value(i)), nil
			code := strings.ReplaceAll(clean(r.raw("区划代码")), " ", "")
			name := r.str("单位名称")
			level := r.str("层级")
			parent := strings.ReplaceAll(clean(r.raw("上级区划代码")), " ", "")
			switch {
			case code == "":
				r.missing("区划代码")
			case !reDigits.MatchString(code):
				r.fail("区划代码", code, "区划代码只能是数字")
			case level == LevelCounty && len(code) != 6:
				r.fail("区划代码", code, "县级区划代码应是6位")
			case level == LevelTown && len(code) != 9 && len(code) != 12:
				r.fail("区划代码", code, "乡镇区划代码应是9位或12位")
			case level == LevelVillage && len(code) != 12:
				r.fail("区划代码", code, "村(社区)区划代码应是12位")
			}
			if level != LevelCounty && level != "" && parent == "" {
				r.fail("上级区划代码", "", "乡镇和村(社区)必须填上级区划代码")
			}
			if prev, dup := seen[code]; dup && code != "" {
				r.fail("区划代码", code, "和第"+strconv.Itoa(prev)+"行的区划代码重复")
			}
			var aliases []string
			for _, a := range strings.FieldsFunc(clean(r.raw("简称")), func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == ';' || r == '；' || r == '/' }) {
				if a = strings.TrimSpace(a); a != "" {
					aliases = append(aliases, a)
				}
			}
			if len(r.rejects) > 0 {
				c.Rejected++
				rejects = append(rejects, r.rejects...)
				continue
			}
			seen[code] = r.num
			rows = append(rows, pending{Org{Code: code, Name: name, Level: level, Parent: parent, Aliases: aliases}, r.num})
		}
	}
	// parents: from this file first, then the existing registry
	byCode := map[string]Org{}
	if c.reg != nil {
		for _, o := range c.reg.Orgs() {
			byCode[o.Code] = *o
		}
	}
	for _, p := range rows {
		byCode[p.org.Code] = p.org
	}
	wantParent := map[string]string{LevelTown: LevelCounty, LevelVillage: LevelTown}
	var ok []Org
	rowOf := map[string]int{}
	for _, p := range rows {
		rowOf[p.org.Code] = p.num
		if p.org.Level != LevelCounty {
			par, found := byCode[p.org.Parent]
			if !found || par.Level != wantParent[p.org.Level] {
				c.Rejected++
				reason := "上级区划代码在机构名录里找不到"
				if found {
					reason = "上级单位的层级不对：" + p.org.Level + "的上级应是" + wantParent[p.org.Level]
				}
				rejects = append(rejects, Reject{File: c.tbl.File, Sheet: c.tbl.Sheet, Row: p.num, Column: "上级区划代码",
					Letter: c.tbl.Letters["上级区划代码"], Value: p.org.Parent, Reason: reason, Ledger: "registry"})
				delete(byCode, p.org.Code)
				continue
			}
		}
		ok = append(ok, p.org)
	}
	all := make([]Org, 0, len(byCode))
	for _, o := range byCode {
		all = append(all, o)
	}
	reg := NewRegistry(all)
	var out [][]any
	for k := range ok {
		o := reg.Org(ok[k].Code)
		if o == nil || o.CountyCode == "" {
			continue
		}
		scope := "registry|" + o.CountyCode + "|"
		vals := make([]any, len(c.Fact.Columns))
		set := func(col string, v any) { vals[c.Fact.Index(col)] = v }
		set("load_id", c.loadID)
		set("scope_key", ScopeKey(scope, c.loadID))
		set("scope_org", o.CountyCode)
		set("period", "")
		set("src_row", int64(rowOf[o.Code]))
		set("county_code", o.CountyCode)
		set("county_name", o.CountyName)
		set("town_code", o.TownCode)
		set("town_name", o.TownName)
		set("code", o.Code)
		set("name", o.Name)
		set("level", o.Level)
		set("parent_code", o.Parent)
		set("aliases", strings.Join(o.Aliases, "、"))
		out = append(out, vals)
		c.Scopes[scope] = true
		c.Orgs[o.CountyCode] = true
		c.Accepted++
	}
	return BuildRecord(c.Fact, out), rejects, ok
}
