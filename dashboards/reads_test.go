package dashboards_test

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"sifa/ingest/ledger"
	"sifa/warehouse/panels"
)

var (
	reFrom      = regexp.MustCompile(`FROM (\w+)`)
	reScopeRows = regexp.MustCompile(`FROM scopes WHERE ledger = '(\w+)'`)
)

// TestPanelsDeclareWhatTheyRead: the tables each panel declares (Reads,
// which lineage and the rows-behind export follow) are exactly the tables
// its queries read (a read of a ledger's scope rows, which carry their
// rows' counts and sums, counts as one of those rows), for a county, a township, a year and no filter (the
// registry, declared by the panels that count its units, is read into
// memory once rather than by their queries).
func TestPanelsDeclareWhatTheyRead(t *testing.T) {
	w := demoWarehouse(t, "duckdb")
	e := &panels.Engine{Store: w}
	for _, p := range panels.Panels() {
		read := map[string]bool{}
		for _, f := range []panels.Filter{{}, {Org: "990121", Year: 2014}, {Org: "990122100", Year: 2016}} {
			qs, err := e.Queries(context.Background(), p.ID, f)
			if err != nil {
				t.Fatalf("%s: %v", p.ID, err)
			}
			for _, q := range qs {
				// the counts and sums on the scope rows are a read of the ledger's rows they add up
				q = reScopeRows.ReplaceAllStringFunc(q, func(m string) string {
					return "FROM " + ledger.FactFor(reScopeRows.FindStringSubmatch(m)[1]).Name + " WHERE"
				})
				// the visibility condition reads the scope pointers for every panel
				for _, m := range reFrom.FindAllStringSubmatch(withoutVisibility(q), -1) {
					read[m[1]] = true
				}
			}
		}
		var got, declared []string
		for k := range read {
			got = append(got, k)
		}
		for _, tb := range p.Reads {
			if tb.Name != "dim_org" { // the registry is read once, into memory, not by a panel query
				declared = append(declared, tb.Name)
			}
		}
		sort.Strings(got)
		sort.Strings(declared)
		if !slices.Equal(got, declared) {
			t.Errorf("%s reads %s, declares %s", p.ID, strings.Join(got, " "), strings.Join(declared, " "))
		}
	}
}

// withoutVisibility takes the visibility conditions out of a query: each
// "scope_key IN (SELECT …)" (GLOBAL IN on a cluster; NOT IN beside it on
// ClickHouse) to its closing bracket, and the pick of each org's last
// snapshot of a year among the scopes ("scope IN (SELECT max(scope) …").
func withoutVisibility(q string) string {
	for _, start := range []string{"scope_key IN (SELECT", "scope_key GLOBAL IN (SELECT", "scope_key NOT IN (SELECT", "scope_key GLOBAL NOT IN (SELECT",
		"scope IN (SELECT max(scope)", "scope GLOBAL IN (SELECT max(scope)"} {
		for {
			i := strings.Index(q, start)
			if i < 0 {
				break
			}
			depth, j := 0, i+strings.Index(start, "(")
			for ; j < len(q); j++ {
				if q[j] == '(' {
					depth++
				} else if q[j] == ')' {
					if depth--; depth == 0 {
						break
					}
				}
			}
			q = q[:i] + "1 = 1" + q[min(j+1, len(q)):]
		}
	}
	return q
}
