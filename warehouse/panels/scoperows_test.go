package panels

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"sifa/ingest"
	"sifa/ingest/demo"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
)

// TestScopeRowsAnswerAsTheFacts: every panel answers the same from the
// scope rows' counts and sums (warehouse.ScopeSums) as from the fact rows
// they add up, on the demo data, for the whole warehouse, a county, a
// township, a year, a span of months and a province prefix, on both
// engines.
func TestScopeRowsAnswerAsTheFacts(t *testing.T) {
	dir := t.TempDir()
	if _, err := demo.Write(filepath.Join(dir, "demo")); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2017, 3, 1, 9, 0, 0, 0, time.UTC)
	for engine, dsn := range bothEngines(t) {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			w, err := warehouse.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(t.TempDir(), "archive")}, Config: transform.Config{Secret: []byte("k")},
				Now: func() time.Time { return now }}
			reps, err := p.Run(ctx, []string{filepath.Join(dir, "demo")})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range reps {
				if r.Err != nil && filepath.Ext(r.File) != ".txt" {
					t.Fatalf("%s: %v", r.File, r.Err)
				}
			}
			clock := func() time.Time { return now }
			scopes, facts := &Engine{Store: w, Now: clock}, &Engine{Store: w, Now: clock, factsOnly: true}
			filters := []Filter{{}, {Org: "990121", Year: 2014}, {Org: "990122", Year: 2016}, {Org: "990121101", Year: 2015},
				{From: "2013-03", To: "2014-02"}, {Org: "99", Year: 2013}, {Org: "990122", From: "2012-01", To: "2012-06"}}
			for _, pn := range Panels() {
				for _, f := range filters {
					sameAsFacts(t, scopes, facts, pn.ID, f)
				}
			}
		})
	}
}

// sameAsFacts fails the test unless a panel answers the same from the
// scope rows (scopes) as from the facts (an Engine with factsOnly).
func sameAsFacts(t *testing.T, scopes, facts *Engine, panel string, f Filter) {
	t.Helper()
	a, errA := scopes.Run(context.Background(), panel, f)
	b, errB := facts.Run(context.Background(), panel, f)
	if errA != nil || errB != nil {
		t.Fatalf("%s %+v: %v / %v", panel, f, errA, errB)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Errorf("%s %+v:\nscope rows %s\nfacts      %s", panel, f, ja, jb)
	}
}
