package panels

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// 目标进度: where each build-out target stands, the pace of the last two
// years, whether the target year will be reached at that pace, and what the
// missing sites lack and would cost.
//
// Everything here is computed "as of" a date from the snapshots dated on or
// before it only: a 2016 file cannot change what the outlook said at the end
// of 2015 (a back-test would be worthless otherwise).

// OutlookPaceYears is how far back the pace is measured: the last year
// (a two-year window would carry 2014's first burst of acceptances into
// every later outlook; the back-test shows the error either way).
const OutlookPaceYears = 1

// OutlookRiskShare: a target the projection misses by at most this share of
// the units (or by one unit), while the sites still move, is 有风险; missed
// by more, or with nothing moving, 按目前进度难以完成.
const OutlookRiskShare = 0.1

// The outlook statuses (Status) and what users read (StatusText).
const (
	OutlookMet      = "met"       // already at the target
	OutlookOnTrack  = "on_track"  // reaches it at this pace
	OutlookAtRisk   = "at_risk"   // misses it at this pace, narrowly (OutlookRiskShare)
	OutlookWillMiss = "will_miss" // misses it at this pace by more, or nothing moved
	OutlookMissed   = "missed"    // the target year is over and it was not reached
)

// OutlookStatusText is the Chinese word for each status.
var OutlookStatusText = map[string]string{
	OutlookMet: "已达标", OutlookOnTrack: "可按期完成", OutlookAtRisk: "有风险", OutlookWillMiss: "按目前进度难以完成", OutlookMissed: "未达标",
}

// OutlookRow is one org, level and measure of outlook.targets.
type OutlookRow struct {
	OrgCode  string `json:"org_code"`
	OrgName  string `json:"org_name"`
	OrgLevel string `json:"org_level"`
	Level    string `json:"level"`   // 乡镇司法行政服务站 / 村(社区)司法行政工作室
	Measure  string `json:"measure"` // 建立 / 规范化
	// the target: the rate of Units by the end of TargetYear, and as a count
	TargetYear  int     `json:"target_year"`
	TargetRate  float64 `json:"target_rate"`
	TargetCount int64   `json:"target_count"`
	Units       int64   `json:"units"`
	// where it stands on AsOf, and PaceYears before
	Now       int64   `json:"now"`
	NowRate   float64 `json:"now_rate"`
	Before    int64   `json:"before"`
	Pace      float64 `json:"pace"`        // units a year over the last PaceYears
	Needed    float64 `json:"pace_needed"` // units a year still needed to reach the target in time
	YearsLeft float64 `json:"years_left"`
	// at this pace, by the end of TargetYear
	Projected     int64   `json:"projected"`
	ProjectedRate float64 `json:"projected_rate"`
	Shortfall     int64   `json:"shortfall"` // TargetCount - Projected, 0 when reached
	Status        string  `json:"status"`
	StatusText    string  `json:"status_text"`
	Sentence      string  `json:"sentence"`
}

// OutlookBacktest is what the outlook said at the end of one year for the
// next target year, against what happened (the scope's own rows).
type OutlookBacktest struct {
	Level         string  `json:"level"`
	Measure       string  `json:"measure"`
	MadeAsOf      string  `json:"made_as_of"`
	TargetYear    int     `json:"target_year"`
	ProjectedRate float64 `json:"projected_rate"`
	ActualRate    float64 `json:"actual_rate"`
	ErrorPoints   float64 `json:"error_points"` // (projected - actual) × 100, percentage points
	Status        string  `json:"status"`       // what the outlook said
	Reached       bool    `json:"reached"`      // whether the target was reached
}

// Outlook is outlook.targets: the scope first, then each org under it.
type Outlook struct {
	AsOf      string            `json:"as_of"` // the latest snapshot read ("" when none)
	PaceYears int               `json:"pace_years"`
	Rows      []OutlookRow      `json:"rows"`
	Backtest  []OutlookBacktest `json:"backtest"`
}

// siteFact is one site row of one snapshot.
type siteFact struct {
	scopeOrg, snapshot string
	station            bool
	town, village      string
	name, est, std     string
	missing            int64 // bit k set when SixItems[k] is missing
}

// siteUnit is a station (per township) or a work room (per village) as one
// set of snapshots says: its earliest dates and the 六有 items it lacks.
type siteUnit struct {
	name, est, std string
	missing        int64
}

// siteHistory is every snapshot of the sites in scope, read once.
type siteHistory struct {
	rows []siteFact
	last string // the latest snapshot date
	// the units of each date asked (at): the outlook asks the same year-ends
	// for each of its measures; one request's, asked one at a time
	units map[string][2]map[string]*siteUnit
}

// sixItemsMask is the SQL of a site row's missing 六有 items as one number:
// bit k set when SixItems[k] is missing (NULL counts as missing).
func sixItemsMask() string {
	missing := make([]string, len(SixItems))
	for k, it := range SixItems {
		missing[k] = "(CASE WHEN coalesce(" + it.Name + ", 0) = 0 THEN " + strconv.Itoa(1<<k) + " ELSE 0 END)"
	}
	return strings.Join(missing, " + ")
}

// readSiteRows reads the site rows of a FROM clause, and the latest snapshot among them.
func (r *request) readSiteRows(from string) ([]siteFact, string, error) {
	rows, err := r.rows("SELECT scope_org, snapshot, CASE WHEN level = '" + ledger.StationLevel + "' THEN 1 ELSE 0 END, town_code, village_code, site_name, " +
		"coalesce(established, snapshot), standardized, " + sixItemsMask() + from)
	if err != nil {
		return nil, "", err
	}
	out, last := make([]siteFact, len(rows)), ""
	for i, x := range rows {
		out[i] = siteFact{scopeOrg: str(x[0]), snapshot: str(x[1]), station: num(x[2]) == 1, town: str(x[3]), village: str(x[4]),
			name: str(x[5]), est: str(x[6]), std: str(x[7]), missing: num(x[8])}
		last = max(last, out[i].snapshot)
	}
	return out, last, nil
}

// readSites reads every snapshot up to the filter's end (the outlook is made
// as of a day and reads nothing dated later).
func (r *request) readSites() (*siteHistory, error) {
	cond := r.visible("fact_site") + " AND " + r.sc.where(true)
	if end := r.f.End(); end != "" {
		cond += " AND snapshot <= " + r.d.DateLit(end)
	}
	rows, last, err := r.readSiteRows(r.from("fact_site", cond))
	if err != nil {
		return nil, err
	}
	return &siteHistory{rows: rows, last: last}, nil
}

// at is the units as the latest snapshot of each sending org on or before
// date says; the caller reads them and changes nothing.
func (h *siteHistory) at(date string) (stations, rooms map[string]*siteUnit) {
	if u, ok := h.units[date]; ok {
		return u[0], u[1]
	}
	if h.units == nil {
		h.units = map[string][2]map[string]*siteUnit{}
	}
	stations, rooms = h.unitsAt(date)
	h.units[date] = [2]map[string]*siteUnit{stations, rooms}
	return stations, rooms
}

func (h *siteHistory) unitsAt(date string) (stations, rooms map[string]*siteUnit) {
	latest := map[string]string{}
	for _, x := range h.rows {
		if x.snapshot <= date && x.snapshot > latest[x.scopeOrg] {
			latest[x.scopeOrg] = x.snapshot
		}
	}
	var rows []siteFact
	for _, x := range h.rows {
		if latest[x.scopeOrg] == x.snapshot {
			rows = append(rows, x)
		}
	}
	return unitsOf(rows)
}

// unitsOf is the units the site rows of one snapshot per org describe:
// stations by township code, rooms by village code, each with its earliest
// dates (a site without 建立日期 was there by its snapshot) and the items
// every row of it lacks.
func unitsOf(rows []siteFact) (stations, rooms map[string]*siteUnit) {
	stations, rooms = map[string]*siteUnit{}, map[string]*siteUnit{}
	for _, x := range rows {
		m, key := rooms, x.village
		if x.station {
			m, key = stations, x.town
		}
		u := m[key]
		if u == nil {
			u = &siteUnit{name: x.name, est: x.est, missing: x.missing}
			m[key] = u
		}
		if x.est < u.est {
			u.est = x.est
		}
		if x.std != "" && (u.std == "" || x.std < u.std) {
			u.std = x.std
		}
		u.missing &= x.missing
	}
	return stations, rooms
}

// targetRow is one level and year of the targets in force.
type targetRow struct {
	level            string
	year             int
	established, std float64
}

func (r *request) readTargets() ([]targetRow, error) {
	rows, err := r.rows("SELECT level, year, established_rate, standardized_rate" + r.from("dim_target", "version = (SELECT max(version) FROM dim_target)") + " ORDER BY level, year")
	if err != nil {
		return nil, err
	}
	out := make([]targetRow, len(rows))
	for i, t := range rows {
		out[i] = targetRow{str(t[0]), int(num(t[1])), t[2].(float64), t[3].(float64)}
	}
	return out, nil
}

// outlookMeasure is one thing a target counts: a level's sites established
// or standardized, read from the units' dates.
type outlookMeasure struct {
	level, name string
	station     bool
	date        func(*siteUnit) string
	target      func(targetRow) float64
}

var outlookMeasures = []outlookMeasure{
	{ledger.StationLevel, "建立", true, func(u *siteUnit) string { return u.est }, func(t targetRow) float64 { return t.established }},
	{ledger.StationLevel, "规范化", true, func(u *siteUnit) string { return u.std }, func(t targetRow) float64 { return t.std }},
	{ledger.RoomLevel, "建立", false, func(u *siteUnit) string { return u.est }, func(t targetRow) float64 { return t.established }},
	{ledger.RoomLevel, "规范化", false, func(u *siteUnit) string { return u.std }, func(t targetRow) float64 { return t.std }},
}

// targetFor picks the target year an outlook made on asOf is about: the
// first year with a target for the measure that ends after asOf, else the
// last one (then the verdict is met or missed).
func (m outlookMeasure) targetFor(targets []targetRow, asOf string) (int, float64, bool) {
	next, last := -1, -1
	for i, t := range targets {
		if t.level != m.level || m.target(t) <= 0 {
			continue
		}
		if yearEnd(t.year) > asOf {
			if next < 0 || t.year < targets[next].year {
				next = i
			}
		} else if last < 0 || t.year > targets[last].year {
			last = i
		}
	}
	if next < 0 {
		next = last
	}
	if next < 0 {
		return 0, 0, false
	}
	return targets[next].year, m.target(targets[next]), true
}

func yearEnd(y int) string { return fmt.Sprintf("%d-12-31", y) }

func asOfYear(d string) int { y, _ := strconv.Atoi(d[:4]); return y }

// minusYears is date (2006-01-02) n years earlier.
func minusYears(date string, n int) string {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return date
	}
	return t.AddDate(-n, 0, 0).Format("2006-01-02")
}

// yearsBetween is the time from a to b in years.
func yearsBetween(a, b string) float64 {
	ta, e1 := time.Parse("2006-01-02", a)
	tb, e2 := time.Parse("2006-01-02", b)
	if e1 != nil || e2 != nil {
		return 0
	}
	return math.Round(tb.Sub(ta).Hours()/24/365.25*100) / 100
}

// project makes one outlook row for units (codes) from the units the
// snapshots on asOf show.
func (m outlookMeasure) project(units []string, at map[string]*siteUnit, asOf string, targetYear int, targetRate float64) OutlookRow {
	row := OutlookRow{Level: m.level, Measure: m.name, TargetYear: targetYear, TargetRate: targetRate, Units: int64(len(units))}
	before := minusYears(asOf, OutlookPaceYears)
	for _, code := range units {
		u := at[code]
		if u == nil {
			continue
		}
		if d := m.date(u); d != "" && d <= asOf {
			row.Now++
			if d <= before {
				row.Before++
			}
		}
	}
	row.TargetCount = int64(math.Ceil(targetRate*float64(row.Units) - 1e-9))
	row.NowRate = rate(row.Now, row.Units)
	row.Pace = float64(row.Now-row.Before) / OutlookPaceYears
	row.YearsLeft = max(yearsBetween(asOf, yearEnd(targetYear)), 0)
	proj := float64(row.Now) + row.Pace*row.YearsLeft
	row.Projected = min(int64(math.Floor(proj+1e-9)), row.Units)
	row.ProjectedRate = rate(row.Projected, row.Units)
	row.Shortfall = max(row.TargetCount-row.Projected, 0)
	if row.YearsLeft > 0 && row.TargetCount > row.Now {
		row.Needed = math.Round(float64(row.TargetCount-row.Now)/row.YearsLeft*100) / 100
	}
	switch {
	case row.Now >= row.TargetCount:
		row.Status = OutlookMet
	case row.YearsLeft == 0:
		row.Status = OutlookMissed
	case row.Projected >= row.TargetCount:
		row.Status = OutlookOnTrack
	case row.Pace > 0 && float64(row.Shortfall) <= max(1, OutlookRiskShare*float64(row.Units)):
		row.Status = OutlookAtRisk
	default:
		row.Status = OutlookWillMiss
	}
	row.StatusText = OutlookStatusText[row.Status]
	row.Sentence = row.sentence()
	return row
}

func (row OutlookRow) sentence() string {
	what := strings.Replace(row.Level, "司法行政工作室", "工作室", 1) + row.Measure + "率"
	switch row.Status {
	case OutlookMet:
		return fmt.Sprintf("%s已达 %s（%d个中%d个），达到%d年目标 %s", what, Percent(row.NowRate), row.Units, row.Now, row.TargetYear, Percent(row.TargetRate))
	case OutlookMissed:
		return fmt.Sprintf("%d年%s为 %s，未达到目标 %s，还差 %d 个", row.TargetYear, what, Percent(row.NowRate), Percent(row.TargetRate), row.TargetCount-row.Now)
	}
	pace := fmt.Sprintf("近%d年每年%s约 %s 个", OutlookPaceYears, row.Measure, trimFloat(row.Pace))
	if row.Status == OutlookOnTrack {
		return fmt.Sprintf("按目前进度（%s），%d年%s约为 %s，可以达到目标 %s", pace, row.TargetYear, what, Percent(row.ProjectedRate), Percent(row.TargetRate))
	}
	return fmt.Sprintf("按目前进度（%s），%d年%s约为 %s，低于目标 %s，还差 %d 个；要按期完成，每年需%s约 %s 个",
		pace, row.TargetYear, what, Percent(row.ProjectedRate), Percent(row.TargetRate), row.Shortfall, row.Measure, trimFloat(row.Needed))
}

// Percent writes a rate the way reports do: 97%, 53.9% (one decimal at most).
func Percent(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + "%" }

func trimFloat(v float64) string { return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) }

// outlookOrgs are the scope and the orgs under it the outlook lists: the
// townships of a county, the counties of a city or province.
func (r *request) outlookOrgs() []*transform.Org {
	out := []*transform.Org{r.sc.org}
	if r.sc.org == nil {
		out = []*transform.Org{{Code: r.sc.code, Name: "全部", Level: r.sc.level}}
	}
	level, _, _ := r.childLevel()
	if level == transform.LevelVillage {
		return out
	}
	return append(out, r.reg.Under(r.sc.code, level)...)
}

// units are the codes of the stations (townships) or rooms (villages) under an org.
func (r *request) siteUnits(org *transform.Org, station bool) []string {
	level := transform.LevelVillage
	if station {
		if org.Level == transform.LevelVillage {
			return nil
		}
		level = transform.LevelTown
	}
	var out []string
	for _, u := range r.reg.Under(org.Code, level) {
		out = append(out, u.Code)
	}
	return out
}

func outlookTargets(r *request) (any, error) {
	out := &Outlook{PaceYears: OutlookPaceYears, Rows: []OutlookRow{}, Backtest: []OutlookBacktest{}}
	var h *siteHistory
	var targets []targetRow
	err := atOnce(func() (err error) { h, err = r.readSites(); return }, func() (err error) { targets, err = r.readTargets(); return })
	if err != nil {
		return nil, err
	}
	if h.last == "" {
		return out, nil
	}
	out.AsOf = h.last
	stations, rooms := h.at(h.last)
	first := asOfYear(h.last) // the first year with a snapshot: where the back-test starts
	for _, x := range h.rows {
		first = min(first, asOfYear(x.snapshot))
	}
	orgs := r.outlookOrgs()
	for _, m := range outlookMeasures {
		year, target, ok := m.targetFor(targets, h.last)
		if !ok {
			continue
		}
		at := rooms
		if m.station {
			at = stations
		}
		for _, o := range orgs {
			units := r.siteUnits(o, m.station)
			if len(units) == 0 {
				continue
			}
			row := m.project(units, at, h.last, year, target)
			row.OrgCode, row.OrgName, row.OrgLevel = o.Code, o.Name, o.Level
			out.Rows = append(out.Rows, row)
		}
		// the back-test: at the end of each earlier year with data, what the
		// outlook said of the next target year, against what happened
		units := r.siteUnits(orgs[0], m.station)
		if len(units) == 0 {
			continue
		}
		for y := first; yearEnd(y) < h.last; y++ {
			made := yearEnd(y)
			ty, tr, ok := m.targetFor(targets, made)
			if !ok || yearEnd(ty) > h.last || yearEnd(ty) <= made {
				continue
			}
			s, rm := h.at(made)
			if m.station {
				rm = s
			}
			said := m.project(units, rm, made, ty, tr)
			s, rm = h.at(yearEnd(ty))
			if m.station {
				rm = s
			}
			got := m.project(units, rm, yearEnd(ty), ty, tr)
			out.Backtest = append(out.Backtest, OutlookBacktest{Level: m.level, Measure: m.name, MadeAsOf: made, TargetYear: ty,
				ProjectedRate: said.ProjectedRate, ActualRate: got.NowRate, ErrorPoints: math.Round((said.ProjectedRate-got.NowRate)*1000) / 10,
				Status: said.Status, Reached: got.Status == OutlookMet})
		}
	}
	return out, nil
}

// ---- 缺项与补齐所需经费 ----

// SiteGap is one station or work room not standardized on the as-of date:
// what it lacks and what supplying it would cost (元).
type SiteGap struct {
	TownCode    string   `json:"town_code"`
	TownName    string   `json:"town_name"`
	VillageCode string   `json:"village_code,omitempty"`
	VillageName string   `json:"village_name,omitempty"`
	Level       string   `json:"level"`
	SiteName    string   `json:"site_name"` // "" when not established
	Established bool     `json:"built"`
	Missing     []string `json:"missing_items"` // 六有 items lacking (all six when not established)
	OneOff      float64  `json:"one_off"`       // the items other than staff, once
	Yearly      float64  `json:"yearly"`        // staff, each year (公用经费 per head)
}

// OrgCost is one org's total of outlook.costs.
type OrgCost struct {
	OrgCode string  `json:"org_code"`
	OrgName string  `json:"org_name"`
	Sites   int64   `json:"sites"`   // sites not standardized (built or not)
	OneOff  float64 `json:"one_off"` // 元
	Yearly  float64 `json:"yearly"`  // 元 a year
	// FundingGap is the gap of the year's budget to the funding standards
	// (经费 page), for the budget lines of the org and below.
	FundingGap float64 `json:"funding_gap"`
	Sentence   string  `json:"sentence"`
}

// ItemCost is one configured unit cost the figures used.
type ItemCost struct {
	Item       string  `json:"item"`
	Cost       float64 `json:"cost"` // 元
	Yearly     bool    `json:"per_year"`
	Configured bool    `json:"configured"` // false: sifa's example figure, not the county's
}

// OutlookCosts is outlook.costs.
type OutlookCosts struct {
	AsOf        string     `json:"as_of"`
	FundingYear int        `json:"funding_year"`
	Costs       []ItemCost `json:"costs"`
	ByOrg       []OrgCost  `json:"by_org"` // the scope first, then each org under it, costliest first
	Sites       []SiteGap  `json:"site_gaps"`
}

// itemCosts are the unit costs in force, in SixItems order.
func (r *request) itemCosts() []ItemCost {
	out := make([]ItemCost, len(SixItems))
	for k, it := range SixItems {
		c, ok := r.std.SiteItemCosts[it.From]
		out[k] = ItemCost{Item: it.From, Cost: c, Configured: ok}
		if !ok {
			out[k].Cost = DefaultSiteItemCosts[it.From]
		}
		if it.From == StaffItem {
			out[k].Yearly = true
			if !ok {
				out[k].Cost, out[k].Configured = r.std.PublicPerStaff, r.std.PublicPerStaff != DefaultStandards.PublicPerStaff
			}
		}
	}
	return out
}

// StaffItem is the 六有 item that is a person: it costs 公用经费 each year.
const StaffItem = "有工作人员"

// DefaultSiteItemCosts are example figures (元), used until the county
// configures its own ([standards.site_item_costs]); every answer says which
// were used. 有工作人员 defaults to the 公用经费 standard per head.
var DefaultSiteItemCosts = map[string]float64{"有办公场所": 50000, "有办公设施": 20000, "有标牌": 1000, "有制度": 500, "有工作台账": 500}

func outlookCosts(r *request) (any, error) {
	out := &OutlookCosts{Costs: r.itemCosts(), ByOrg: []OrgCost{}, Sites: []SiteGap{}}
	// the funding of the filter's last year is read beside the sites: it is
	// the as-of year's unless the sites end earlier (read again below)
	var h *siteHistory
	var funds *fundingData
	fundsYear := 0
	if end := r.f.End(); end != "" && r.sc.level != transform.LevelVillage {
		fundsYear = asOfYear(end)
	}
	err := atOnce(func() (err error) { h, err = r.readSites(); return }, func() (err error) {
		if fundsYear > 0 {
			funds, err = r.readFunding(fundsYear-1, fundsYear)
		}
		return
	})
	if err != nil {
		return nil, err
	}
	out.AsOf = h.last
	date := h.last
	if date == "" {
		if date = r.f.End(); date == "" {
			return out, nil
		}
	}
	stations, rooms := h.at(date)
	gap := func(u *siteUnit) (missing []string, oneOff, yearly float64) {
		mask := int64(1<<len(SixItems) - 1)
		if u != nil && u.est <= date {
			mask = u.missing
		}
		for k, c := range out.Costs {
			if mask&(1<<k) == 0 {
				continue
			}
			missing = append(missing, c.Item)
			if c.Yearly {
				yearly += c.Cost
			} else {
				oneOff += c.Cost
			}
		}
		return missing, oneOff, yearly
	}
	add := func(t *transform.Org, v *transform.Org, u *siteUnit, level string) {
		if u != nil && u.std != "" && u.std <= date {
			return
		}
		g := SiteGap{TownCode: t.Code, TownName: t.Name, Level: level, Missing: []string{}}
		if v != nil {
			g.VillageCode, g.VillageName = v.Code, v.Name
		}
		if u != nil && u.est <= date {
			g.SiteName, g.Established = u.name, true
		}
		m, o, y := gap(u)
		if m != nil {
			g.Missing = m
		}
		g.OneOff, g.Yearly = o, y
		out.Sites = append(out.Sites, g)
	}
	towns := r.reg.Under(r.sc.code, transform.LevelTown)
	if r.sc.level == transform.LevelVillage {
		towns = nil
		if t := r.reg.Org(r.sc.org.TownCode); t != nil {
			add(t, r.sc.org, rooms[r.sc.org.Code], ledger.RoomLevel)
		}
	}
	for _, t := range towns {
		add(t, nil, stations[t.Code], ledger.StationLevel)
		for _, v := range r.reg.Under(t.Code, transform.LevelVillage) {
			add(t, v, rooms[v.Code], ledger.RoomLevel)
		}
	}
	// the funding gap of the as-of year's budget, line by line
	gaps := map[string]float64{}
	if r.sc.level != transform.LevelVillage {
		out.FundingYear = asOfYear(date)
		if out.FundingYear != fundsYear {
			if funds, err = r.readFunding(out.FundingYear-1, out.FundingYear); err != nil {
				return nil, err
			}
		}
		gaps = r.funding(funds, out.FundingYear).gapByOrg
	}
	// each site and budget line added to the scope and to the one org under
	// it that holds it (found by walking up the registry: a province has
	// 14,000 sites and 100 counties)
	orgs := r.outlookOrgs()
	byOrg := make(map[string]*OrgCost, len(orgs))
	costs := make([]OrgCost, len(orgs))
	for i, o := range orgs {
		costs[i] = OrgCost{OrgCode: o.Code, OrgName: o.Name}
		if i > 0 {
			byOrg[o.Code] = &costs[i]
		}
	}
	holder := holderIn(r.reg, byOrg)
	for _, s := range out.Sites {
		for _, c := range []*OrgCost{&costs[0], holder(s.TownCode)} {
			if c != nil {
				c.Sites++
				c.OneOff += s.OneOff
				c.Yearly += s.Yearly
			}
		}
	}
	for org, g := range gaps {
		for _, c := range []*OrgCost{&costs[0], holder(org)} {
			if c != nil {
				c.FundingGap += g
			}
		}
	}
	for i, o := range orgs {
		c := costs[i]
		c.Sentence = fmt.Sprintf("%s有 %d 个站点未规范化，补齐“六有”缺口约需一次性投入 %s", o.Name, c.Sites, Wan(c.OneOff))
		if c.Yearly > 0 {
			c.Sentence += fmt.Sprintf("，另需每年公用经费 %s（补配工作人员）", Wan(c.Yearly))
		}
		if out.FundingYear > 0 {
			c.Sentence += fmt.Sprintf("；%d年经费距标准缺口 %s", out.FundingYear, Wan(c.FundingGap))
		}
		out.ByOrg = append(out.ByOrg, c)
	}
	under := out.ByOrg[1:]
	sort.SliceStable(under, func(i, j int) bool { return under[i].OneOff+under[i].Yearly > under[j].OneOff+under[j].Yearly })
	return out, nil
}

// Wan writes 元 as 万元 the way reports do: 1.8万元 (two decimals at most).
func Wan(yuan float64) string {
	return strconv.FormatFloat(math.Round(yuan/100)/100, 'f', -1, 64) + "万元"
}
