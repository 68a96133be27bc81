package warehouse_test

import (
	"context"
	"testing"

	"sifa/warehouse"
)

// TestCountyMaps: a county's newest map is its map, on every engine.
func TestCountyMaps(t *testing.T) {
	ctx := context.Background()
	for engine, dsn := range withCluster(t) {
		t.Run(engine, func(t *testing.T) {
			w := open(t, dsn)
			defer w.Close()
			if ms, err := w.MapsOf(ctx, []string{"990121"}); err != nil || len(ms) != 0 {
				t.Fatalf("empty warehouse has a map: %v %v", ms, err)
			}
			v0, _ := w.DataVersion(ctx)
			for _, m := range []warehouse.CountyMap{{County: "990121", GeoJSON: `{"v":1}`, Features: 13, ChangedBy: "a"},
				{County: "990122", GeoJSON: `{"v":2}`, Features: 12, ChangedBy: "a"}, {County: "990121", GeoJSON: `{"v":3}`, Features: 12, ChangedBy: "b"}} {
				if err := w.SetMap(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			one, err := w.MapsOf(ctx, []string{"990121"})
			if err != nil || len(one) != 1 || one[0].GeoJSON != `{"v":3}` || one[0].Features != 12 || one[0].ChangedBy != "b" {
				t.Fatalf("map = %+v %v, want the newest version", one, err)
			}
			// several counties at once: the newest of each, those without one left out
			some, err := w.MapsOf(ctx, []string{"990123", "990122", "990121"})
			if err != nil || len(some) != 2 || some[0].County != "990121" || some[0].GeoJSON != `{"v":3}` || some[1].GeoJSON != `{"v":2}` {
				t.Fatalf("MapsOf = %+v %v, want 990121's newest and 990122's", some, err)
			}
			ms, err := w.Maps(ctx)
			if err != nil || len(ms) != 2 || ms[0].County != "990121" || ms[0].Features != 12 || ms[1].Features != 12 || ms[0].GeoJSON != "" {
				t.Fatalf("maps = %+v %v", ms, err)
			}
			if v1, _ := w.DataVersion(ctx); v1 == v0 {
				t.Error("a new map did not change the data version (the cockpit would not redraw)")
			}
		})
	}
}
