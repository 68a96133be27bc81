package warehouse

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"sifa/ingest/ledger"
	"sifa/transform"
)

// A mediation case (township, 编号) sent in two files is counted twice:
// quality.offices flags it. Grouping a year of a province's million disputes
// by case to find the few that repeat cost 120–200 ms on ClickHouse 18.16
// every time the panel ran (docs/bench.md); a commit instead looks up its
// own cases among the current rows of its counties, once, and writes every
// row of a case that now comes from more than one load into CaseRepeats.
// Those rows are keyed by their scope like fact rows: a correction that
// replaces one of the files marks its key, and the case no longer repeats
// unless the correction sends it again (its commit finds it again).

// repeatsOf finds, among the rows a load wrote into mediation scopes and
// the current rows of the same counties (less those of the keys the load
// replaces), the cases of a township that come from more than one load, and
// answers every such row as a row of CaseRepeats.
func (w *Warehouse) repeatsOf(ctx context.Context, loadID string, scopes []string, replaced []int64) ([][]any, error) {
	var counties []string
	for _, s := range scopes {
		l, org, _ := scopeParts(s)
		if l == ledger.Mediation.ID && len(org) >= 6 && !slices.Contains(counties, org[:6]) {
			counties = append(counties, org[:6])
		}
	}
	slices.Sort(counties)
	d := w.eng.dialect()
	var out [][]any
	for _, county := range counties {
		c, own := d.quote(county), d.quote(loadID)
		// a county's first mediation file has nothing to repeat (the
		// province's first load, a 200,000-row file into a new warehouse)
		res, err := w.eng.query(ctx, "SELECT count(*) FROM (SELECT scope_key FROM scopes WHERE "+d.ScopesOf(ledger.Mediation.ID, county)+
			" AND superseded = 0 AND load_id != "+own+" LIMIT 1) AS other")
		if err != nil {
			return nil, err
		}
		if toInt(res.Rows[0][0]) == 0 {
			continue
		}
		visible := d.VisibleOf("fact_dispute", county, "", "")
		if len(replaced) > 0 {
			keys := make([]string, len(replaced))
			for i, k := range replaced {
				keys[i] = fmt.Sprint(k)
			}
			visible += " AND scope_key NOT IN (" + strings.Join(keys, ", ") + ")"
		}
		// the current rows of other loads of a case the load has too (few;
		// most loads repeat nothing and stop here), then the load's own rows
		// of those cases, read by its load_id (the second of the facts'
		// sort key): the county's disputes are read once, not again for them
		others := "SELECT town_code, case_no, scope_key, load_id, period FROM fact_dispute WHERE county_code = " + c + " AND case_no != '' AND load_id != " + own + " AND " + visible +
			" AND " + d.caseKey() + " " + d.In() + " (SELECT " + d.caseKey() + " FROM fact_dispute WHERE county_code = " + c + " AND load_id = " + own + " AND case_no != '')"
		res, err = w.eng.query(ctx, others)
		if err != nil {
			return nil, err
		}
		if len(res.Rows) == 0 {
			continue
		}
		var nos []string
		seen := map[string]bool{}
		for _, r := range res.Rows {
			if no := r[1].(string); !seen[no] {
				seen[no] = true
				nos = append(nos, d.quote(no))
			}
		}
		rows := res.Rows
		for _, part := range InChunks(nos) {
			mine, err := w.eng.query(ctx, "SELECT town_code, case_no, scope_key, load_id, period FROM fact_dispute WHERE county_code = "+c+" AND load_id = "+own+
				" AND case_no IN ("+strings.Join(part, ", ")+")")
			if err != nil {
				return nil, err
			}
			rows = append(rows, mine.Rows...)
		}
		loads := map[string][]string{} // town|case → its loads
		for _, r := range rows {
			k := r[0].(string) + "|" + r[1].(string)
			if id := r[3].(string); !slices.Contains(loads[k], id) {
				loads[k] = append(loads[k], id)
			}
		}
		for _, r := range rows {
			if len(loads[r[0].(string)+"|"+r[1].(string)]) > 1 {
				out = append(out, []any{county, r[0], r[1], toInt(r[2]), r[3], r[4]})
			}
		}
	}
	return out, nil
}

// caseKey is the key of a fact_dispute row's case that the lookups match
// on: on ClickHouse its 64-bit hash (a set of a 200,000-row file's strings
// is slow to build on 18.16; a collision only adds a row that the grouping
// by town and case in Go then leaves alone).
func (d Dialect) caseKey() string {
	if d.hashDistinct {
		return "cityHash64(town_code, case_no)"
	}
	return "concat(town_code, '|', case_no)"
}

// writeRepeats appends rows of CaseRepeats.
func (w *Warehouse) writeRepeats(ctx context.Context, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	rec := transform.BuildRecord(CaseRepeats, rows)
	defer rec.Release()
	return w.eng.appendRecord(ctx, CaseRepeats, rec)
}

// fillRepeats writes CaseRepeats from the current mediation rows already
// loaded (schema v13): the cases of a township that come from more than one
// load, looked for county by county and written in one block, so a table
// with rows is one the migration filled before a restart.
func (w *Warehouse) fillRepeats(ctx context.Context) error {
	res, err := w.eng.query(ctx, "SELECT count(*) FROM "+CaseRepeats.Name)
	if err != nil || toInt(res.Rows[0][0]) > 0 {
		return err
	}
	res, err = w.eng.query(ctx, "SELECT DISTINCT county_code FROM fact_dispute WHERE case_no != '' ORDER BY county_code")
	if err != nil {
		return err
	}
	d := w.eng.dialect()
	var out [][]any
	for _, r := range res.Rows {
		c := d.quote(r[0].(string))
		cond := "county_code = " + c + " AND case_no != '' AND " + d.VisibleOf("fact_dispute", r[0].(string), "", "")
		q := "SELECT town_code, case_no, scope_key, load_id, period FROM fact_dispute WHERE " + cond + " AND " + d.caseKey() + " " + d.In() +
			" (SELECT " + d.caseKey() + " FROM fact_dispute WHERE " + cond + " GROUP BY town_code, case_no HAVING count(DISTINCT load_id) > 1)"
		rows, err := w.eng.query(ctx, q)
		if err != nil {
			return err
		}
		for _, x := range rows.Rows {
			out = append(out, []any{r[0], x[0], x[1], toInt(x[2]), x[3], x[4]})
		}
	}
	return w.writeRepeats(ctx, out)
}
