package transform

import (
	"sifa/ingest/ledger"
	"strconv"
	"strings"
	"time"
)

var townLevels = []string{LevelTown}

// event handles what the event ledgers share: the date, its month and year, the township.
func (r *row) event(dateCol string) (time.Time, *Org) {
	t, ok := r.date(dateCol)
	town := r.org("乡镇", townLevels...)
	if !ok || town == nil {
		return t, town
	}
	r.setI("year", int64(t.Year()))
	r.place(town, town.Code, r.c.monthOf(t))
	return t, town
}

func (r *row) village(town *Org, col string, required bool) {
	v := clean(r.raw(col))
	if v == "" || town == nil {
		if required && v == "" {
			r.missing(col)
		}
		return
	}
	hit, ok := r.c.villages[[2]string{town.Code, v}]
	if !ok {
		hit.org, hit.err = r.c.reg.Village(town, v)
		if len(r.c.villages) < cacheLimit {
			r.c.villages[[2]string{town.Code, v}] = hit
		}
	}
	o, err := hit.org, hit.err
	if err != nil {
		r.fail(col, v, err.Error())
		return
	}
	r.setS("village_code", o.Code)
	r.setS("village_name", o.Name)
}

// subject reads what the two snapshot ledgers of persons share: the
// snapshot, the township, the case number and the person.
func (r *row) subject(ledger string) {
	snap, ok := r.snapshotDate()
	town := r.org("乡镇", townLevels...)
	if ok && town != nil {
		r.place(town, town.Code, snap.Format("2006-01-02"))
	}
	r.setT("snapshot", snap)
	r.person(snap, ledger, clean(r.raw("编号")), r.raw("乡镇"))
}

// rules fill, per ledger, the fact columns the catalog marks ledger.Rule:
// dates that decide the scope, org names conformed to the registry,
// persons, and checks between columns. Every other column is filled by the
// generic loop (convert.go) as the catalog (ingest/ledger) declares it.
var rules = map[string]func(*row){
	"registry": func(r *row) { panic("the registry is converted by ConvertRegistry") },
	"mediation": func(r *row) {
		received, town := r.event("受理日期")
		r.village(town, "村(社区)", false)
		r.setT("received", received)
		if closed, ok := r.date("结案日期"); ok {
			if !received.IsZero() && closed.Before(received) {
				r.fail("结案日期", clean(r.raw("结案日期")), "结案日期早于受理日期")
			}
			r.setT("closed", closed)
		}
		pt := r.str("防止激化类型")
		if pt == "" {
			pt = "无"
		}
		r.setS("prevented_type", pt)
		// the mediator counts as a keyed hash, like every person: names never reach the warehouse
		if m := r.str("调解员"); m != "" {
			// a county has a few hundred mediators over thousands of rows: one HMAC each
			k := [2]string{m, r.raw("乡镇")}
			key, ok := r.c.mediators[k]
			if !ok {
				key = PersonKey(r.c.cfg.Secret, "mediator", k[0], k[1])
				r.c.mediators[k] = key
			}
			r.setS("mediator_key", key)
		}
	},
	"legal_aid": func(r *row) {
		applied, _ := r.event("申请日期")
		r.setT("applied", applied)
	},
	"consultation": func(r *row) {
		day, _ := r.event("日期")
		r.setT("day", day)
	},
	"publicity": func(r *row) {
		day, town := r.event("日期")
		r.village(town, "村(社区)", false)
		r.setT("day", day)
	},
	"corrections":  func(r *row) { r.subject("corrections") },
	"resettlement": func(r *row) { r.subject("resettlement") },
	"roster": func(r *row) {
		snap, ok := r.snapshotDate()
		unit := r.org("单位", LevelCounty, LevelTown)
		if ok && unit != nil {
			r.place(unit, unit.Code, snap.Format("2006-01-02"))
			lvl := "乡镇"
			if unit.Level == LevelCounty {
				lvl = "县"
			}
			r.setS("org_level", lvl)
		}
		r.setT("snapshot", snap)
		name := clean(r.raw("姓名"))
		if name == "" {
			r.missing("姓名")
		}
		r.person(snap, "roster", name, clean(r.raw("单位")))
		// a column present but left empty means 否
		comp := clean(r.raw("会使用计算机"))
		if comp == "" && r.c.tbl.Letters["会使用计算机"] != "" {
			comp = "否"
		}
		n, err := ParseYesNo(comp)
		if err != nil {
			r.fail("会使用计算机", comp, err.Error())
		}
		r.setI("computer", n)
	},
	"population": func(r *row) {
		year := r.year("年度")
		unit := r.org("单位", LevelCounty, LevelTown)
		if unit != nil && year > 0 {
			r.place(unit, unit.Code, strconv.FormatInt(year, 10))
			r.setS("org_level", map[bool]string{true: "县", false: "乡镇"}[unit.Level == LevelCounty])
		}
		r.setI("year", year)
		// a population in 万人 (3.2) would read as 3 persons
		if v := clean(r.raw("常住人口(人)")); v != "" {
			if n, _, err := parseCountNote(v); err == nil && n < 100 {
				r.fail("常住人口(人)", v, "常住人口的单位是人，不是万人：3.2万人请写 32000")
			}
		}
	},
	"budget": func(r *row) {
		year := r.year("年度")
		unit := r.org("单位", LevelCounty, LevelTown)
		if unit != nil && year > 0 {
			r.place(unit, unit.Code, strconv.FormatInt(year, 10))
			lvl := "乡镇"
			if unit.Level == LevelCounty {
				lvl = "县"
			}
			r.setS("org_level", lvl)
		}
		r.setI("year", year)
		// an empty 标准金额: the standard is derived from the configuration
		if clean(r.raw("标准金额")) != "" {
			r.setI("standard_fen", r.money("标准金额"))
			r.setI("standard_given", int64(1))
		}
	},
	"site": func(r *row) {
		snap, ok := r.snapshotDate()
		town := r.org("乡镇", townLevels...)
		level := r.str("层级")
		if ok && town != nil {
			r.place(town, town.Code, snap.Format("2006-01-02"))
		}
		r.setT("snapshot", snap)
		r.setS("level", level)
		r.village(town, "村(社区)", level == ledger.RoomLevel)
		est, _ := r.date("建立日期")
		r.setT("established", est)
		std, okStd := r.date("规范化验收日期")
		if okStd && !est.IsZero() && std.Before(est) {
			r.fail("规范化验收日期", clean(r.raw("规范化验收日期")), "验收日期早于建立日期")
		}
		r.setT("standardized", std)
	},
}

// year reads a yearly ledger's 年度 (2014, 2014年, 2014年度).
func (r *row) year(col string) int64 {
	yv := strings.TrimSuffix(strings.TrimSuffix(clean(r.raw(col)), "年度"), "年")
	year, err := ParseCount(yv)
	if err != nil || year < 1990 || year > int64(r.c.cfg.Now.Year()+1) {
		r.fail(col, clean(r.raw(col)), "年度应是四位年份，如 2014")
		return 0
	}
	return year
}
