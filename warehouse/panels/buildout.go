package panels

import (
	"fmt"
	"sifa/ingest/ledger"
	"sifa/transform"
)

// 平台建设: stations and work rooms against the 2014–2016 targets.

// BuildoutLevels are the two levels of sites and the registry level each
// counts against.
var BuildoutLevels = []struct{ Site, Unit string }{
	{ledger.StationLevel, transform.LevelTown},
	{ledger.RoomLevel, transform.LevelVillage},
}

// BuildoutRow is one level and year of buildout.progress.
type BuildoutRow struct {
	Level                  string  `json:"level"`
	Year                   int     `json:"year"`
	Units                  int64   `json:"units"`
	Established            int64   `json:"established"`
	Standardized           int64   `json:"standardized"`
	EstablishedRate        float64 `json:"established_rate"`
	StandardizedRate       float64 `json:"standardized_rate"`
	TargetEstablishedRate  float64 `json:"target_established_rate"`
	TargetStandardizedRate float64 `json:"target_standardized_rate"`
	OnTrack                bool    `json:"on_track"`
	// StandardizedOfBuilt is the other reading of the rate: standardized
	// among the sites built, not among all units (the village rooms' 2014
	// verdict flips between the two); the targets are read over all units.
	StandardizedOfBuilt float64 `json:"standardized_of_built"`
	// Definition says in words what the rates divide by.
	Definition string `json:"definition"`
}

// BuildoutDefinition says what a level's rates divide by.
func BuildoutDefinition(level string) string {
	unit := "乡镇（街道）数"
	if level == ledger.RoomLevel {
		unit = "村（社区）数"
	}
	return fmt.Sprintf("建立率、规范化率 = 已建立、已规范化的%s ÷ 机构名录中的全部%s（目标按此口径判断）；另一口径“已建的里规范化的比例” = 已规范化 ÷ 已建立", level, unit)
}

func buildoutProgress(r *request) (any, error) {
	out := &Rows[BuildoutRow]{Rows: []BuildoutRow{}}
	var facts []siteFact
	var lastSnap string
	var targets []targetRow
	siteRows := func() (err error) {
		facts, lastSnap, err = r.readSiteRows(r.snapshot("fact_site", true, false))
		return
	}
	err := atOnce(siteRows, func() (err error) { targets, err = r.readTargets(); return })
	if err != nil {
		return nil, err
	}
	stations, rooms := unitsOf(facts)
	sites := map[string]map[string]*siteUnit{ledger.StationLevel: stations, ledger.RoomLevel: rooms}
	last := 0
	if lastSnap != "" {
		last = asOfYear(lastSnap)
	}
	if r.f.Year != 0 && last > r.f.Year {
		last = r.f.Year
	}
	first := 2014
	for _, t := range targets {
		first = min(first, t.year)
	}
	target := func(level string, year int) (float64, float64) {
		var e, s float64
		best := 0
		for _, t := range targets {
			if t.level == level && t.year <= year && t.year >= best {
				best, e, s = t.year, t.established, t.std
			}
		}
		return e, s
	}
	for _, lv := range BuildoutLevels {
		units := r.reg.Under(r.sc.code, lv.Unit)
		if r.sc.level == transform.LevelVillage && lv.Unit == transform.LevelTown {
			units = nil
		}
		for y := first; y <= last; y++ {
			end := fmt.Sprintf("%d-12-31", y)
			row := BuildoutRow{Level: lv.Site, Year: y, Units: int64(len(units))}
			for _, u := range units {
				d := sites[lv.Site][u.Code]
				if d == nil {
					continue
				}
				if d.est <= end {
					row.Established++
				}
				if d.std != "" && d.std <= end {
					row.Standardized++
				}
			}
			row.EstablishedRate = rate(row.Established, row.Units)
			row.StandardizedRate = rate(row.Standardized, row.Units)
			row.StandardizedOfBuilt = rate(row.Standardized, row.Established)
			row.Definition = BuildoutDefinition(lv.Site)
			row.TargetEstablishedRate, row.TargetStandardizedRate = target(lv.Site, y)
			row.OnTrack = row.EstablishedRate >= row.TargetEstablishedRate && row.StandardizedRate >= row.TargetStandardizedRate
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

// BuildoutOrgRow is one township of buildout.by_org, at the end of the filter's year.
type BuildoutOrgRow struct {
	OrgCode              string           `json:"org_code"`
	OrgName              string           `json:"org_name"`
	StationEstablished   bool             `json:"station_established"`
	StationStandardized  bool             `json:"station_standardized"`
	Villages             int64            `json:"villages"`
	RoomsEstablished     int64            `json:"rooms_established"`
	RoomsStandardized    int64            `json:"rooms_standardized"`
	VillagesWithoutRoom  []string         `json:"villages_without_room"`
	MissingSixItems      map[string]int64 `json:"missing_six_items"` // 六有 item → sites lacking it
	SitesMissingSixItems int64            `json:"sites_missing_six_items"`
}

// SixItems are the 六有 of a work room, from the catalog: each fact
// column (Name) and the ledger column it is read from (From).
var SixItems = ledger.SixItems

func buildoutByOrg(r *request) (any, error) {
	out := &Rows[BuildoutOrgRow]{Level: transform.LevelTown, Rows: []BuildoutOrgRow{}}
	// A province has 20,000 sites: the SQL answers each with numbers only,
	// so no date or level string is carried to Go and compared there. Sites
	// established (or, without a date, first reported) after the period are
	// left out; standardized is 1 when it happened by the period's end; the
	// six items come back as one number, bit k set when SixItems[k] is
	// missing (NULL counts as missing).
	end := r.f.End()
	built, std := "", "standardized IS NOT NULL"
	if end != "" {
		built = " AND coalesce(established, snapshot) <= " + r.d.DateLit(end)
		std = "standardized <= " + r.d.DateLit(end)
	}
	rows, err := r.rows("SELECT CASE WHEN level = '" + ledger.StationLevel + "' THEN 1 ELSE 0 END, town_code, village_code, " +
		"CASE WHEN " + std + " THEN 1 ELSE 0 END, " + sixItemsMask() + r.snapshot("fact_site", true, false, built))
	if err != nil {
		return nil, err
	}
	towns := r.reg.Under(r.sc.code, transform.LevelTown)
	if r.sc.level == transform.LevelVillage {
		towns = []*transform.Org{r.reg.Org(r.sc.org.TownCode)}
	}
	// a province has 1,300 townships and 20,000 villages: one slice of rows,
	// the six items counted in arrays, each map made once at its size
	type town struct {
		row     BuildoutOrgRow
		missing [6]int64 // per entry of SixItems
	}
	all := make([]town, len(towns))
	byTown := make(map[string]*town, len(towns))
	for i, t := range towns {
		all[i].row = BuildoutOrgRow{OrgCode: t.Code, OrgName: t.Name}
		byTown[t.Code] = &all[i]
	}
	roomBuilt := make(map[string]bool, len(rows))
	var lastCode string
	var tw *town
	for _, x := range rows {
		// a ledger's sites come town by town: look a town up when it changes
		if code := str(x[1]); tw == nil || code != lastCode {
			lastCode, tw = code, byTown[code]
		}
		if tw == nil {
			continue
		}
		row := &tw.row
		standardized := num(x[3]) == 1
		if num(x[0]) == 1 {
			row.StationEstablished = true
			row.StationStandardized = row.StationStandardized || standardized
		} else {
			if v := str(x[2]); !roomBuilt[v] {
				row.RoomsEstablished++
				if standardized {
					row.RoomsStandardized++
				}
				roomBuilt[v] = true
			}
		}
		if mask := num(x[4]); mask != 0 {
			row.SitesMissingSixItems++
			for k := range SixItems {
				if mask&(1<<k) != 0 {
					tw.missing[k]++
				}
			}
		}
	}
	out.Rows = make([]BuildoutOrgRow, 0, len(towns))
	// towns with the same six counts share one map (answers are read-only)
	counts := map[[6]int64]map[string]int64{}
	for i := range all {
		tw := &all[i]
		row := &tw.row
		if row.MissingSixItems = counts[tw.missing]; row.MissingSixItems == nil {
			row.MissingSixItems = make(map[string]int64, len(SixItems))
			for k, it := range SixItems {
				row.MissingSixItems[it.From] = tw.missing[k]
			}
			counts[tw.missing] = row.MissingSixItems
		}
		row.VillagesWithoutRoom = []string{}
	}
	// every village in scope, in one pass: they come in code order, so
	// town by town
	tw = nil
	for _, v := range r.reg.Under(r.sc.code, transform.LevelVillage) {
		if tw == nil || v.TownCode != lastCode {
			lastCode, tw = v.TownCode, byTown[v.TownCode]
		}
		if tw == nil {
			continue
		}
		tw.row.Villages++
		if !roomBuilt[v.Code] {
			tw.row.VillagesWithoutRoom = append(tw.row.VillagesWithoutRoom, v.Name)
		}
	}
	for i := range all {
		out.Rows = append(out.Rows, all[i].row)
	}
	return out, nil
}

// The two levels of sites, as the panels' answers name them.
const (
	StationLevel = ledger.StationLevel
	RoomLevel    = ledger.RoomLevel
)
