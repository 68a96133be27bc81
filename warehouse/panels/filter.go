package panels

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"sifa/transform"
)

// Filter is what a panel is asked about: an org and everything under it,
// and a period (a year, or a month range).
type Filter struct {
	Org  string // registry code; empty = everything
	Year int
	From string // YYYY-MM
	To   string // YYYY-MM
	// Category narrows panels that take one (a dispute type, a funding
	// category); a panel that takes none answers 400 to it.
	Category string
	// limit is the org of the account asking (set by Engine.Run from the
	// request's Access, never from the URL): every query keeps to it.
	limit string
}

// FilterError is a bad filter: the API answers it with 400.
type FilterError struct{ Msg string }

func (e *FilterError) Error() string { return e.Msg }

func BadFilter(format string, a ...any) error { return &FilterError{fmt.Sprintf(format, a...)} }

var (
	reMonth = regexp.MustCompile(`^(\d{4})-(0[1-9]|1[0-2])$`)
	reCode  = regexp.MustCompile(`^\d{2,12}$`)
)

// ParseFilter reads org, year, from and to from query values; any other
// key is an error, never silently ignored.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	for k := range q {
		switch k {
		case "org", "year", "from", "to", "category":
		default:
			return f, BadFilter("不认识的筛选条件「%s」：只能用 org、year、from、to、category", k)
		}
	}
	f.Org = strings.TrimSpace(q.Get("org"))
	if y := strings.TrimSpace(q.Get("year")); y != "" {
		n, err := strconv.Atoi(y)
		if err != nil || n < 1990 || n > 2100 {
			return f, BadFilter("年份「%s」不对，应是四位数字，如 2014", y)
		}
		f.Year = n
	}
	f.From, f.To = strings.TrimSpace(q.Get("from")), strings.TrimSpace(q.Get("to"))
	f.Category = strings.TrimSpace(q.Get("category"))
	return f, f.Validate()
}

// Validate checks a filter's form (the org is checked against the registry by the panels).
func (f Filter) Validate() error {
	if f.Org != "" && !reCode.MatchString(f.Org) {
		return BadFilter("单位代码「%s」不对，应是机构名录里的区划代码（数字）", f.Org)
	}
	if f.Year != 0 && (f.From != "" || f.To != "") {
		return BadFilter("year 和 from/to 只能选一种")
	}
	for _, m := range []string{f.From, f.To} {
		if m != "" && !reMonth.MatchString(m) {
			return BadFilter("月份「%s」不对，应写成 2014-03", m)
		}
	}
	if f.From != "" && f.To != "" && f.From > f.To {
		return BadFilter("起始月份 %s 晚于结束月份 %s", f.From, f.To)
	}
	if f.Year != 0 && (f.Year < 1990 || f.Year > 2100) {
		return BadFilter("年份 %d 不对", f.Year)
	}
	return nil
}

// Months is the month range of the filter ("" where open).
func (f Filter) Months() (from, to string) {
	if f.Year != 0 {
		return fmt.Sprintf("%04d-01", f.Year), fmt.Sprintf("%04d-12", f.Year)
	}
	return f.From, f.To
}

// End is the last day the filter covers ("" when open): snapshot panels read
// the latest snapshot on or before it.
func (f Filter) End() string {
	_, to := f.Months()
	if to == "" {
		return ""
	}
	y, _ := strconv.Atoi(to[:4])
	m, _ := strconv.Atoi(to[5:])
	days := [...]int{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}[m-1]
	if m == 2 && (y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		days = 29
	}
	return fmt.Sprintf("%s-%02d", to, days)
}

// Start is the first day the filter covers ("" when open).
func (f Filter) Start() string {
	from, _ := f.Months()
	if from == "" {
		return ""
	}
	return from + "-01"
}

// scope is the resolved org of a filter.
type scope struct {
	org   *transform.Org // nil = everything
	code  string
	level string // "", province/city prefix "prefix", or a registry level
	limit *scope // the account's org, added to every condition
}

func ResolveOrg(reg *transform.Registry, code string) (scope, error) {
	if code == "" {
		return scope{}, nil
	}
	if o := reg.Org(code); o != nil {
		return scope{org: o, code: code, level: o.Level}, nil
	}
	if len(code) == 2 || len(code) == 4 {
		for _, o := range reg.Orgs() {
			if o.Level == transform.LevelCounty && strings.HasPrefix(o.Code, code) {
				return scope{code: code, level: "prefix"}, nil
			}
		}
	}
	return scope{}, BadFilter("机构名录里没有代码为「%s」的单位", code)
}

// where is the condition that limits a fact table to the scope. villages
// says whether the table records villages; a village scope on a table that
// does not is empty.
// orgPrefix is the code that the scope org of every row within the scope
// starts with ("" for all): a county's or town's own code, a province's or
// city's prefix, a village's town (its rows are its town's scopes); with an
// account's limit, the narrower of the two.
func (s scope) orgPrefix() string {
	p := s.ownPrefix()
	if s.limit != nil {
		if lp := s.limit.ownPrefix(); len(lp) > len(p) {
			p = lp
		}
	}
	return p
}

func (s scope) ownPrefix() string {
	switch s.level {
	case "prefix", transform.LevelCounty, transform.LevelTown:
		return s.code
	case transform.LevelVillage:
		if s.org != nil {
			return s.org.TownCode
		}
	}
	return ""
}

func (s scope) where(villages bool) string {
	if s.limit != nil {
		return s.own(villages) + " AND " + s.limit.own(villages)
	}
	return s.own(villages)
}

func (s scope) own(villages bool) string {
	switch s.level {
	case "":
		return "1 = 1"
	case "prefix":
		return "county_code LIKE '" + s.code + "%'"
	case transform.LevelCounty:
		return "county_code = '" + s.code + "'"
	case transform.LevelTown:
		return "town_code = '" + s.code + "'"
	case transform.LevelVillage:
		if villages {
			return "village_code = '" + s.code + "'"
		}
		return "1 = 0"
	}
	return "1 = 0"
}

// monthWhere limits an event table to the filter's months (an event row's
// period is its month, "2014-03").
func monthWhere(f Filter) string {
	from, to := f.Months()
	var c []string
	if from != "" {
		c = append(c, "period >= '"+from+"'")
	}
	if to != "" {
		c = append(c, "period <= '"+to+"'")
	}
	if len(c) == 0 {
		return "1 = 1"
	}
	return strings.Join(c, " AND ")
}

// previous is the same period one year earlier.
// Previous is the same period a year earlier.
func (f Filter) Previous() Filter {
	shift := func(m string) string {
		if m == "" {
			return ""
		}
		y, _ := strconv.Atoi(m[:4])
		return fmt.Sprintf("%04d%s", y-1, m[4:])
	}
	p := f
	if f.Year != 0 {
		p.Year--
	}
	p.From, p.To = shift(f.From), shift(f.To)
	return p
}

// Query returns the filter as URL query values, with overrides.
func (f Filter) Query(over ...string) url.Values {
	q := url.Values{}
	if f.Org != "" {
		q.Set("org", f.Org)
	}
	if f.Year != 0 {
		q.Set("year", strconv.Itoa(f.Year))
	}
	if f.From != "" {
		q.Set("from", f.From)
	}
	if f.To != "" {
		q.Set("to", f.To)
	}
	if f.Category != "" {
		q.Set("category", f.Category)
	}
	for i := 0; i+1 < len(over); i += 2 {
		if over[i+1] == "" {
			q.Del(over[i])
		} else {
			q.Set(over[i], over[i+1])
		}
	}
	return q
}

// Href is path with the filter as its query, with overrides.
func (f Filter) Href(path string, over ...string) string {
	q := f.Query(over...)
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// The org registry, as panels and the pages that show them read it
// (dashboards reaches the registry only through here).
type (
	Registry = transform.Registry
	Org      = transform.Org
)

// The registry's levels.
const (
	LevelCounty  = transform.LevelCounty
	LevelTown    = transform.LevelTown
	LevelVillage = transform.LevelVillage
)

// NewRegistry makes a registry of orgs (an empty one when there are none).
func NewRegistry(orgs []Org) *Registry { return transform.NewRegistry(orgs) }
