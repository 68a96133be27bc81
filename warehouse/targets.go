package warehouse

import (
	"context"
	"fmt"
	"sort"
	"time"

	"sifa/transform"
)

// Target is a build-out target: the share of units established and
// standardized by the end of a year.
type Target struct {
	Level        string
	Year         int
	Established  float64
	Standardized float64
}

// DefaultTargets are the 2014–2016 targets of 篇三 (docs/design.md).
var DefaultTargets = []Target{
	{"乡镇司法行政服务站", 2014, 1, 0.5}, {"乡镇司法行政服务站", 2015, 1, 1}, {"乡镇司法行政服务站", 2016, 1, 1},
	{"村(社区)司法行政工作室", 2014, 0, 0.5}, {"村(社区)司法行政工作室", 2015, 0, 0.7}, {"村(社区)司法行政工作室", 2016, 0, 1},
}

// SetTargets makes targets the current ones, writing a new version only
// when they differ from what the warehouse holds (ClickHouse cannot update
// rows synchronously, so targets are versioned, not updated).
func (w *Warehouse) SetTargets(ctx context.Context, targets []Target) error {
	cur, err := w.Targets(ctx)
	if err != nil {
		return err
	}
	want := append([]Target{}, targets...)
	sortTargets(want)
	if fmt.Sprint(cur) == fmt.Sprint(want) {
		return nil
	}
	v := time.Now().UnixNano()
	var rows [][]any
	for _, t := range want {
		rows = append(rows, []any{t.Level, int64(t.Year), t.Established, t.Standardized, v})
	}
	rec := transform.BuildRecord(DimTarget, rows)
	defer rec.Release()
	defer w.forget()
	return w.eng.appendRecord(ctx, DimTarget, rec)
}

// Targets reads the current targets.
func (w *Warehouse) Targets(ctx context.Context) ([]Target, error) {
	res, err := w.eng.query(ctx, "SELECT level, year, established_rate, standardized_rate FROM dim_target WHERE version = (SELECT max(version) FROM dim_target)")
	if err != nil {
		return nil, err
	}
	var out []Target
	for _, r := range res.Rows {
		out = append(out, Target{r[0].(string), int(r[1].(int64)), r[2].(float64), r[3].(float64)})
	}
	sortTargets(out)
	return out, nil
}

func sortTargets(t []Target) {
	sort.Slice(t, func(i, j int) bool {
		if t[i].Level != t[j].Level {
			return t[i].Level < t[j].Level
		}
		return t[i].Year < t[j].Year
	})
}
