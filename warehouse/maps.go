package warehouse

import (
	"context"
	"strings"
	"time"

	"sifa/transform"
)

// CountyMap is a county's township boundaries as GeoJSON, and who gave them.
type CountyMap struct {
	County    string
	GeoJSON   string
	Features  int
	ChangedBy string
	ChangedAt time.Time
}

// SetMap makes m the county's map (a new version; the old ones stay);
// m.ChangedAt is set to now.
func (w *Warehouse) SetMap(ctx context.Context, m CountyMap) error {
	now := time.Now() // the version is the time of the change
	rec := transform.BuildRecord(DimMap, [][]any{{m.County, m.GeoJSON, int64(m.Features), now.UnixNano(), m.ChangedBy, now.UTC()}})
	defer rec.Release()
	defer w.forget()
	return w.eng.appendRecord(ctx, DimMap, rec)
}

// Maps lists the counties' current maps without their shapes.
func (w *Warehouse) Maps(ctx context.Context) ([]CountyMap, error) {
	return w.maps(ctx, "''", "")
}

// MapsOf reads the current maps of the counties named, with their shapes,
// in one query (the counties without one are left out): a province's
// cockpit asked for its 100 counties one by one, 100 queries a page.
func (w *Warehouse) MapsOf(ctx context.Context, counties []string) ([]CountyMap, error) {
	var out []CountyMap
	for _, part := range InChunks(counties) {
		lits := make([]string, len(part))
		for i, c := range part {
			lits[i] = w.Lit(c)
		}
		ms, err := w.maps(ctx, "argMax(geojson, version)", " WHERE county IN ("+strings.Join(lits, ", ")+")")
		if err != nil {
			return nil, err
		}
		out = append(out, ms...)
	}
	return out, nil
}

// maps reads the newest version of each county's map (argMax, which both
// engines have and which needs no IN subquery over a distributed table).
func (w *Warehouse) maps(ctx context.Context, shape, where string) ([]CountyMap, error) {
	res, err := w.eng.query(ctx, "SELECT county, "+shape+", argMax(features, version), argMax(changed_by, version), max(version) FROM dim_map"+where+" GROUP BY county ORDER BY county")
	if err != nil {
		return nil, err
	}
	var out []CountyMap
	for _, r := range res.Rows {
		out = append(out, CountyMap{County: r[0].(string), GeoJSON: r[1].(string), Features: int(r[2].(int64)), ChangedBy: r[3].(string), ChangedAt: time.Unix(0, r[4].(int64))})
	}
	return out, nil
}
