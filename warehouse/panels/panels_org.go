package panels

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// StaffRow is one township office of staffing.by_org.
type StaffRow struct {
	OrgCode     string  `json:"org_code"`
	OrgName     string  `json:"org_name"`
	Staff       int64   `json:"staff"`
	SingleStaff bool    `json:"single_staff"`
	Aged46Plus  Persons `json:"aged_46_plus" sdc:"of=Staff"`
	NoComputer  Persons `json:"no_computer" sdc:"of=Staff"`
	LawMajor    Persons `json:"law_major" sdc:"of=Staff"`
}

// staffingByOrg lists every township office under the scope with its in-post staff.
func staffingByOrg(r *request) (any, error) {
	out := &Rows[StaffRow]{Level: transform.LevelTown, Rows: []StaffRow{}}
	if r.sc.level == transform.LevelVillage {
		return out, nil
	}
	rows, err := r.rows(personCount{groups: []string{"town_code"}, counts: []string{"", "age >= 46", "computer = 0", "law_major = 1"}}.sql(
		r.snapshot("fact_staff", false, false) + " AND status = '在岗' AND org_level = '乡镇'"))
	if err != nil {
		return nil, err
	}
	got := map[string][]any{}
	for _, x := range rows {
		got[str(x[0])] = x
	}
	for _, o := range r.reg.Under(r.sc.code, transform.LevelTown) {
		s := StaffRow{OrgCode: o.Code, OrgName: o.Name}
		if x, ok := got[o.Code]; ok {
			s.Staff, s.Aged46Plus, s.NoComputer, s.LawMajor = num(x[1]), pnum(x[2]), pnum(x[3]), pnum(x[4])
		}
		s.SingleStaff = s.Staff == 1
		out.Rows = append(out.Rows, s)
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
		built = " AND coalesce(established, snapshot) <= " + r.st.DateLit(end)
		std = "standardized <= " + r.st.DateLit(end)
	}
	missing := make([]string, len(SixItems))
	for k, it := range SixItems {
		missing[k] = "(CASE WHEN coalesce(" + it.Name + ", 0) = 0 THEN " + strconv.Itoa(1<<k) + " ELSE 0 END)"
	}
	rows, err := r.rows("SELECT CASE WHEN level = '" + ledger.StationLevel + "' THEN 1 ELSE 0 END, town_code, village_code, " +
		"CASE WHEN " + std + " THEN 1 ELSE 0 END, " + strings.Join(missing, " + ") + r.snapshot("fact_site", true, false) + built)
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

// WorkOrgRow is one org of work.by_org.
type WorkOrgRow struct {
	OrgCode string `json:"org_code"`
	OrgName string `json:"org_name"`
	WorkSummary
}

// workByOrg answers work.summary per org of the level under the scope.
func workByOrg(r *request) (any, error) {
	level, codeCol, _ := r.childLevel()
	if level == transform.LevelVillage { // the station ledgers record townships, not villages
		level, codeCol = transform.LevelTown, "town_code"
	}
	out := &Rows[WorkOrgRow]{Level: level, Rows: []WorkOrgRow{}}
	byOrg := map[string]*WorkSummary{}
	get := func(code string) *WorkSummary {
		if byOrg[code] == nil {
			byOrg[code] = &WorkSummary{}
		}
		return byOrg[code]
	}
	group := " GROUP BY " + codeCol
	rows, err := r.rows("SELECT " + codeCol + ", count(*), " + sumIf("decision = '给予援助'") + ", sum(recovered_fen)" + r.events("fact_legal_aid", false) + group)
	if err != nil {
		return nil, err
	}
	for _, x := range rows {
		w := get(str(x[0]))
		w.LegalAidApplications, w.LegalAidCases, w.LegalAidRecovered = num(x[1]), num(x[2]), yuan(num(x[3]))
	}
	if rows, err = r.rows("SELECT " + codeCol + ", sum(visits)" + r.events("fact_consultation", false) + group); err != nil {
		return nil, err
	}
	for _, x := range rows {
		get(str(x[0])).Consultations = num(x[1])
	}
	if rows, err = r.rows("SELECT " + codeCol + ", count(*), sum(participants)" + r.events("fact_publicity", true) + group); err != nil {
		return nil, err
	}
	for _, x := range rows {
		w := get(str(x[0]))
		w.PublicityEvents, w.PublicityParticipants = num(x[1]), num(x[2])
	}
	if rows, err = r.rows(correctionsPersons([]string{codeCol}).sql(r.snapshot("fact_corrections", false, true))); err != nil {
		return nil, err
	}
	for _, x := range rows {
		w := get(str(x[0]))
		w.CorrectionsInSupervision, w.CorrectionsLostContact, w.CorrectionsReoffended = pnum(x[1]), pnum(x[2]), pnum(x[3])
	}
	if rows, err = r.rows(resettlementPersons([]string{codeCol}).sql(r.snapshot("fact_resettlement", false, true))); err != nil {
		return nil, err
	}
	for _, x := range rows {
		w := get(str(x[0]))
		w.ReleasedRegistered, w.ReleasedResettled, w.ReleasedReoffended = pnum(x[1]), pnum(x[2]), pnum(x[3])
	}
	scopeCode := r.sc.code
	if r.sc.level == transform.LevelVillage {
		scopeCode = r.sc.org.TownCode
	}
	for _, o := range r.reg.Under(scopeCode, level) {
		row := WorkOrgRow{OrgCode: o.Code, OrgName: o.Name}
		if w := byOrg[o.Code]; w != nil {
			row.WorkSummary = *w
		}
		out.Rows = append(out.Rows, row)
	}
	return out, nil
}

// monthlyLedgers are the ledgers every township office sends each month.
var monthlyLedgers = ledger.Monthly()

// SubmissionRow is one township of submissions.monthly.
type SubmissionRow struct {
	OrgCode string   `json:"org_code"`
	OrgName string   `json:"org_name"`
	Missing []string `json:"missing"` // the monthly ledgers not received for the month
}

// Submissions says, for a month, which township offices have not sent
// which monthly ledgers.
type Submissions struct {
	Month   string          `json:"month"`
	Offices int64           `json:"offices"`
	Missing int64           `json:"offices_missing"`
	Rows    []SubmissionRow `json:"rows"`
}

// dueMonth is the latest month whose ledgers are due by now: last month
// once the due day has come, the month before until then.
func dueMonth(now time.Time, day int) string {
	back := 1
	if now.Day() < day {
		back = 2
	}
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -back, 0).Format("2006-01")
}

// submissionsMonthly checks the latest month whose ledgers are due within
// the filter: for a past year its December, for the current year the month
// due by now (after the due day of the month), without a filter the month due now.
func submissionsMonthly(r *request) (any, error) {
	due := dueMonth(r.now, r.dueDay)
	_, month := r.f.Months()
	if month == "" || month > due {
		month = due
	}
	out := &Submissions{Month: month, Rows: []SubmissionRow{}}
	if month == "" || r.sc.level == transform.LevelVillage {
		return out, nil
	}
	towns := r.reg.Under(r.sc.code, transform.LevelTown)
	if len(towns) == 0 {
		return out, nil
	}
	// the scopes of the townships in scope, named one by one: the read (and
	// so its lineage) never touches another county's scopes
	var keys []string
	for _, t := range towns {
		for _, l := range monthlyLedgers {
			keys = append(keys, r.st.Lit(l.ID+"|"+t.Code+"|"+month))
		}
	}
	rows, err := r.rows("SELECT scope FROM scopes WHERE scope IN (" + strings.Join(keys, ", ") + ") GROUP BY scope")
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, x := range rows {
		have[str(x[0])] = true
	}
	for _, t := range towns {
		out.Offices++
		row := SubmissionRow{OrgCode: t.Code, OrgName: t.Name, Missing: []string{}}
		for _, l := range monthlyLedgers {
			if !have[l.ID+"|"+t.Code+"|"+month] {
				row.Missing = append(row.Missing, l.Name)
			}
		}
		if len(row.Missing) > 0 {
			out.Missing++
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

// Years lists the years the warehouse has data for.
type Years struct {
	Years  []int `json:"years"`
	Latest int   `json:"latest"`
}

func metaYears(r *request) (any, error) {
	out := &Years{Years: []int{}}
	seen := map[int]bool{}
	// the years of the caller's own scope: another county's files neither
	// show here nor move an account's default year
	where := " WHERE " + r.st.Visible() + " AND " + r.sc.where(false)
	all, err := r.rowsAll(
		"SELECT DISTINCT substring(period, 1, 4) FROM fact_dispute"+where,
		"SELECT DISTINCT substring(period, 1, 4) FROM fact_staff"+where,
		"SELECT DISTINCT substring(period, 1, 4) FROM fact_budget"+where)
	if err != nil {
		return nil, err
	}
	for _, rows := range all {
		for _, x := range rows {
			if y, err := strconv.Atoi(str(x[0])); err == nil && !seen[y] {
				seen[y] = true
				out.Years = append(out.Years, y)
			}
		}
	}
	sort.Ints(out.Years)
	if n := len(out.Years); n > 0 {
		out.Latest = out.Years[n-1]
	}
	return out, nil
}

// MonthName writes 2014-03 as 2014年3月.
func MonthName(m string) string {
	if len(m) != 7 {
		return m
	}
	mo, _ := strconv.Atoi(m[5:])
	return fmt.Sprintf("%s年%d月", m[:4], mo)
}
