package dashboards

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// TargetStore keeps the build-out targets (versioned: every change is a new
// version, the old ones stay).
type TargetStore interface {
	Targets(ctx context.Context) ([]warehouse.Target, error)
	SetTargets(ctx context.Context, targets []warehouse.Target) error
}

// targetsView is the admin's form of the targets, one row per level and year.
type targetsView struct {
	Rows    []targetFormRow
	Levels  []string
	Message string
	OK      bool
}

type targetFormRow struct {
	Level, Year, Established, Standardized string
}

func (s *Site) targetsPage(w http.ResponseWriter, r *http.Request) {
	if s.Targets == nil {
		http.NotFound(w, r)
		return
	}
	s.renderTargets(w, r, http.StatusOK, "", false, nil)
}

func (s *Site) renderTargets(w http.ResponseWriter, r *http.Request, code int, msg string, ok bool, rows []targetFormRow) {
	p := &page{Title: "建设目标", Path: "/admin/targets", NoFilter: true, Targets: &targetsView{Message: msg, OK: ok, Rows: rows}}
	for _, lv := range panels.BuildoutLevels {
		p.Targets.Levels = append(p.Targets.Levels, lv.Site)
	}
	if rows == nil {
		ts, err := s.Targets.Targets(r.Context())
		if err != nil {
			s.renderError(w, r, p, err)
			return
		}
		for _, t := range ts {
			p.Targets.Rows = append(p.Targets.Rows, targetFormRow{t.Level, strconv.Itoa(t.Year), percentText(t.Established), percentText(t.Standardized)})
		}
	}
	s.navFor(p, panels.AccessFrom(r.Context()))
	s.render(w, r, code, p)
}

func percentText(f float64) string { return strconv.FormatFloat(math.Round(f*1000)/10, 'f', -1, 64) }

// parseTargets reads the form: rows of level, year and the two rates in
// per cent; a row whose year is empty is left out (that removes it).
func parseTargets(r *http.Request) ([]warehouse.Target, []targetFormRow, error) {
	levels, years, est, std := r.PostForm["level"], r.PostForm["year"], r.PostForm["established"], r.PostForm["standardized"]
	if len(years) != len(levels) || len(est) != len(levels) || len(std) != len(levels) {
		return nil, nil, fmt.Errorf("表单不完整，请刷新页面后重新填写")
	}
	var out []warehouse.Target
	var rows []targetFormRow
	seen := map[string]bool{}
	for i := range levels {
		row := targetFormRow{strings.TrimSpace(levels[i]), strings.TrimSpace(years[i]), strings.TrimSpace(est[i]), strings.TrimSpace(std[i])}
		rows = append(rows, row)
		if row.Year == "" {
			continue
		}
		if !slices.ContainsFunc(panels.BuildoutLevels, func(l struct{ Site, Unit string }) bool { return l.Site == row.Level }) {
			return nil, rows, fmt.Errorf("第%d行：层级「%s」不对", i+1, row.Level)
		}
		y, err := strconv.Atoi(row.Year)
		if err != nil || y < 2000 || y > 2100 {
			return nil, rows, fmt.Errorf("第%d行：年度「%s」不对，应是四位数字，如 2016", i+1, row.Year)
		}
		if seen[row.Level+"|"+row.Year] {
			return nil, rows, fmt.Errorf("第%d行：%s %d年的目标写了两遍", i+1, row.Level, y)
		}
		seen[row.Level+"|"+row.Year] = true
		t := warehouse.Target{Level: row.Level, Year: y}
		for _, f := range []struct {
			name, text string
			dst        *float64
		}{{"建立率", row.Established, &t.Established}, {"规范化率", row.Standardized, &t.Standardized}} {
			v, err := strconv.ParseFloat(strings.TrimSuffix(orDefault(f.text, "0"), "%"), 64)
			if err != nil || v < 0 || v > 100 {
				return nil, rows, fmt.Errorf("第%d行：%s「%s」不对，应是 0 到 100 之间的百分数", i+1, f.name, f.text)
			}
			*f.dst = v / 100
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, rows, fmt.Errorf("至少要有一条目标")
	}
	return out, rows, nil
}

// targetChanges says in words what differs between two sets of targets.
func targetChanges(old, new []warehouse.Target) []string {
	key := func(t warehouse.Target) string { return fmt.Sprintf("%s %d年", t.Level, t.Year) }
	was := map[string]warehouse.Target{}
	for _, t := range old {
		was[key(t)] = t
	}
	var out []string
	for _, t := range new {
		o, ok := was[key(t)]
		delete(was, key(t))
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("新增 %s：建立率 %s%%，规范化率 %s%%", key(t), percentText(t.Established), percentText(t.Standardized)))
		case o != t:
			out = append(out, fmt.Sprintf("%s：建立率 %s%% → %s%%，规范化率 %s%% → %s%%", key(t), percentText(o.Established), percentText(t.Established),
				percentText(o.Standardized), percentText(t.Standardized)))
		}
	}
	for k := range was {
		out = append(out, "删除 "+k)
	}
	slices.Sort(out)
	return out
}

func (s *Site) saveTargets(w http.ResponseWriter, r *http.Request) {
	if s.Targets == nil {
		http.NotFound(w, r)
		return
	}
	a := panels.AccessFrom(r.Context())
	targets, rows, err := parseTargets(r)
	if err != nil {
		s.renderTargets(w, r, http.StatusBadRequest, "没有保存："+err.Error(), false, rows)
		return
	}
	old, err := s.Targets.Targets(r.Context())
	if err == nil {
		err = s.Targets.SetTargets(r.Context(), targets)
	}
	changes := targetChanges(old, targets)
	if err != nil {
		s.audit(r, a, "config_change", "建设目标", strings.Join(changes, "；"), "失败")
		s.renderTargets(w, r, http.StatusInternalServerError, "没有保存："+err.Error(), false, rows)
		return
	}
	if len(changes) == 0 {
		s.renderTargets(w, r, http.StatusOK, "目标没有变化", true, nil)
		return
	}
	s.audit(r, a, "config_change", "建设目标", strings.Join(changes, "；"), "成功")
	s.renderTargets(w, r, http.StatusOK, "已保存："+strings.Join(changes, "；"), true, nil)
}
