package panels

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sifa/warehouse"
	"sifa/warehouse/whtest"
)

// TestPersonCount holds personCount's one GROUP BY per person to what
// count(DISTINCT CASE WHEN c THEN person_key END) answers, on rows where a
// person has several rows (some meeting a condition, some not), rows without
// a key, and groups with no one meeting a condition.
func TestPersonCount(t *testing.T) {
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) { testPersonCount(t, engine) })
	}
}

// testPersonCount runs TestPersonCount on one engine: on ClickHouse the
// persons are counted by uniqExact(If) per group instead.
func testPersonCount(t *testing.T, engine string) {
	ctx := context.Background()
	dsn, create := "duckdb:"+filepath.Join(t.TempDir(), "w.duckdb"), "CREATE TABLE p (town_code VARCHAR, period VARCHAR, person_key VARCHAR, age INTEGER, status VARCHAR)"
	if engine == "clickhouse" {
		dsn = whtest.ClickHouse(t)
		create = "CREATE TABLE p (town_code String, period String, person_key Nullable(String), age Int32, status String) ENGINE = MergeTree ORDER BY town_code"
	}
	w, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Exec(ctx, create); err != nil {
		t.Fatal(err)
	}
	rnd := rand.New(rand.NewPCG(7, 7))
	var vals, selects []string
	for i := 0; i < 3000; i++ {
		key := fmt.Sprintf("'k%d'", rnd.IntN(400))
		if rnd.IntN(50) == 0 {
			key = "NULL"
		}
		town, month, age, status := rnd.IntN(5), 1+rnd.IntN(12), 20+rnd.IntN(45), []string{"在岗", "离岗", "在矫"}[rnd.IntN(3)]
		vals = append(vals, fmt.Sprintf("('t%d', '2014-%02d', %s, %d, '%s')", town, month, key, age, status))
		selects = append(selects, fmt.Sprintf("SELECT 't%d', '2014-%02d', CAST(%s AS Nullable(String)), toInt32(%d), '%s'", town, month, key, age, status))
	}
	inserts := []string{"INSERT INTO p VALUES " + strings.Join(vals, ", ")}
	if engine == "clickhouse" { // the native protocol takes an INSERT's rows apart from its text
		inserts = nil
		for i := 0; i < len(selects); i += 250 {
			inserts = append(inserts, "INSERT INTO p "+strings.Join(selects[i:min(i+250, len(selects))], " UNION ALL "))
		}
	}
	for _, q := range inserts {
		if err := w.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	distinct := func(c string) string {
		if c == "" {
			return "coalesce(count(DISTINCT person_key), 0)"
		}
		// ClickHouse 18.16 answers NULL for a count(DISTINCT) of nothing but NULLs
		return "coalesce(count(DISTINCT CASE WHEN " + c + " THEN person_key END), 0)"
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
			if len(tc.p.groups) > 0 {
				want += " GROUP BY " + strings.Join(tc.p.groups, ", ")
			}
			exp, err := w.Query(ctx, want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := w.Query(ctx, tc.p.sql(w.Dialect(), tc.from))
			if err != nil {
				t.Fatalf("%v\n%s", err, tc.p.sql(w.Dialect(), tc.from))
			}
			for _, rows := range [][][]any{got.Rows, exp.Rows} { // in one order (18.16 has no ORDER BY ALL)
				sort.Slice(rows, func(i, j int) bool { return fmt.Sprint(rows[i]) < fmt.Sprint(rows[j]) })
			}
			if !reflect.DeepEqual(got.Rows, exp.Rows) {
				t.Errorf("personCount answers\n%v\ncount(DISTINCT) answers\n%v", got.Rows, exp.Rows)
			}
		})
	}
}

// TestReadsAsBuilt: the reads lineage and the rows behind follow are
// recorded as each panel builds its queries, filters included (a category,
// the in-post condition), and are the tables the panel declares.
func TestReadsAsBuilt(t *testing.T) {
	ctx := context.Background()
	w, err := warehouse.Open(ctx, "duckdb:"+filepath.Join(t.TempDir(), "w.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	e := &Engine{Store: w}
	for _, p := range panels {
		f := Filter{Year: 2014}
		if len(p.Categories) > 0 {
			f.Category = p.Categories[1]
		}
		_, reads, err := e.reads(ctx, p.ID, f)
		if err != nil {
			t.Fatalf("%s: %v", p.ID, err)
		}
		if len(reads) == 0 && p.ID != "submissions.monthly" && p.ID != "submissions.timeliness" { // they read the scopes of the registry's townships: none here
			t.Errorf("%s recorded no read", p.ID)
		}
		for _, rd := range reads {
			if !p.readsTable(rd.table) {
				t.Errorf("%s reads %s, which it does not declare", p.ID, rd.table)
			}
			if f.Category != "" && strings.HasPrefix(rd.table, "fact_") && rd.table != "fact_staff" && rd.table != "fact_corrections" && !strings.Contains(rd.cond, w.Lit(f.Category)) {
				t.Errorf("%s: the category is not in the read of %s: %s", p.ID, rd.table, rd.cond)
			}
		}
	}
	_, reads, _ := e.reads(ctx, "staffing.by_org", Filter{Year: 2014})
	if len(reads) != 1 || !strings.Contains(reads[0].cond, "status = '在岗'") || !strings.Contains(reads[0].cond, "argMax(scope_key, period)") {
		t.Errorf("staffing.by_org reads %+v", reads)
	}
}
