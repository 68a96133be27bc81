package panels

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"sifa/warehouse"
)

// TestPersonCount holds personCount's one GROUP BY per person to what
// count(DISTINCT CASE WHEN c THEN person_key END) answers, on rows where a
// person has several rows (some meeting a condition, some not), rows without
// a key, and groups with no one meeting a condition.
func TestPersonCount(t *testing.T) {
	ctx := context.Background()
	w, err := warehouse.Open(ctx, "duckdb:"+filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Exec(ctx, "CREATE TABLE p (town_code VARCHAR, period VARCHAR, person_key VARCHAR, age INTEGER, status VARCHAR)"); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	var vals []string
	for i := 0; i < 3000; i++ {
		key := fmt.Sprintf("'k%d'", rnd.IntN(400))
		if rnd.IntN(50) == 0 {
			key = "NULL"
		}
		vals = append(vals, fmt.Sprintf("('t%d', '2014-%02d', %s, %d, '%s')", rnd.IntN(5), 1+rnd.IntN(12), key, 20+rnd.IntN(45),
			[]string{"在岗", "离岗", "在矫"}[rnd.IntN(3)]))
	}
	if err := w.Exec(ctx, "INSERT INTO p VALUES "+strings.Join(vals, ", ")); err != nil {
		t.Fatal(err)
	}
	distinct := func(c string) string {
		if c == "" {
			return "count(DISTINCT person_key)"
		}
		return "count(DISTINCT CASE WHEN " + c + " THEN person_key END)"
	}
	for _, tc := range []struct {
		name string
		p    personCount
		from string
	}{
		{"every person", personCount{counts: []string{""}}, " FROM p WHERE 1 = 1"},
		{"conditions and the last period", personCount{counts: []string{"", "age >= 46", "status = '在矫' AND age <= 35"}, latest: true}, " FROM p WHERE town_code <> 't4'"},
		{"per town", personCount{groups: []string{"town_code"}, counts: []string{"", "age >= 60"}}, " FROM p WHERE status <> '离岗'"},
		{"per town and month, conditions only", personCount{groups: []string{"town_code", "period"}, counts: []string{"status = '在矫'", "age > 100"}}, " FROM p WHERE 1 = 1"},
		{"no rows", personCount{groups: []string{"town_code"}, counts: []string{""}}, " FROM p WHERE age > 100"},
		{"no rows, no groups", personCount{counts: []string{"", "age >= 46"}, latest: true}, " FROM p WHERE age > 100"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cols := append([]string{}, tc.p.groups...)
			for _, c := range tc.p.counts {
				cols = append(cols, distinct(c))
			}
			if tc.p.latest {
				cols = append(cols, "max(period)")
			}
			want := "SELECT " + strings.Join(cols, ", ") + tc.from
			order := ""
			if len(tc.p.groups) > 0 {
				want += " GROUP BY " + strings.Join(tc.p.groups, ", ")
				order = " ORDER BY ALL"
			}
			exp, err := w.Query(ctx, "SELECT * FROM ("+want+")"+order)
			if err != nil {
				t.Fatal(err)
			}
			got, err := w.Query(ctx, "SELECT * FROM ("+tc.p.sql(tc.from)+")"+order)
			if err != nil {
				t.Fatalf("%v\n%s", err, tc.p.sql(tc.from))
			}
			if !reflect.DeepEqual(got.Rows, exp.Rows) {
				t.Errorf("personCount answers\n%v\ncount(DISTINCT) answers\n%v", got.Rows, exp.Rows)
			}
		})
	}
}

// TestTableRead finds the table and condition a panel query reads, also
// through a subquery in FROM.
func TestTableRead(t *testing.T) {
	for _, tc := range []struct {
		q           string
		table, cond string
		ok          bool
	}{
		{"SELECT count(*) FROM fact_dispute WHERE a = 1 GROUP BY b", "fact_dispute", "a = 1", true},
		{"SELECT x FROM fact_staff WHERE a IN (SELECT b FROM c WHERE d = ') GROUP BY ') ORDER BY x", "fact_staff", "a IN (SELECT b FROM c WHERE d = ') GROUP BY ')", true},
		{personCount{groups: []string{"town_code"}, counts: []string{"", "age >= 46"}}.sql(" FROM fact_staff WHERE county_code = '1' AND status = '在岗'"),
			"fact_staff", "county_code = '1' AND status = '在岗' AND person_key IS NOT NULL", true},
		{"SELECT a FROM (SELECT a FROM fact_site WHERE s = '(') GROUP BY a", "fact_site", "s = '('", true},
		{"SELECT a FROM (SELECT a FROM fact_site WHERE b = 1", "", "", false},
		{"SELECT level FROM dim_target WHERE version = 1", "", "", false},
	} {
		table, cond, ok := tableRead(tc.q)
		if table != tc.table || cond != tc.cond || ok != tc.ok {
			t.Errorf("tableRead(%q) = %q, %q, %v; want %q, %q, %v", tc.q, table, cond, ok, tc.table, tc.cond, tc.ok)
		}
	}
}
