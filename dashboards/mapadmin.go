package dashboards

// 地图 (/admin/map): an admin uploads a county's township boundaries for
// the cockpit's map; each file is checked (dashboards/geomap) and rewritten
// before it is kept.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"sifa/dashboards/geomap"
	"sifa/warehouse"
	"sifa/warehouse/panels"
)

// mapAdminView lists the counties and their maps, with the upload form.
type mapAdminView struct {
	Message string
	OK      bool
	Rows    []mapAdminRow
	MaxMB   int
}

type mapAdminRow struct {
	Code, Name, Status string
	Towns              int
	Has                bool
}

func (s *Site) mapPage(w http.ResponseWriter, r *http.Request) {
	s.renderMaps(w, r, http.StatusOK, "", false)
}

func (s *Site) renderMaps(w http.ResponseWriter, r *http.Request, code int, msg string, ok bool) {
	p := &page{Title: "地图", Path: "/admin/map", NoFilter: true, Map: &mapAdminView{Message: msg, OK: ok, MaxMB: geomap.MaxBytes >> 20}}
	s.navFor(p, panels.AccessFrom(r.Context()))
	if s.Maps == nil {
		p.Empty = "这个仓库不保存地图。"
		s.render(w, r, http.StatusNotFound, p)
		return
	}
	ctx := r.Context()
	reg, err := s.Engine.Store.Registry(ctx)
	var have []warehouse.CountyMap
	if err == nil {
		have, err = s.Maps.Maps(ctx)
	}
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	byCounty := map[string]warehouse.CountyMap{}
	for _, m := range have {
		byCounty[m.County] = m
	}
	a := panels.AccessFrom(ctx)
	for _, c := range reg.Under("", panels.LevelCounty) {
		if a != nil && !reg.Within(c.Code, a.Org) {
			continue
		}
		row := mapAdminRow{Code: c.Code, Name: c.Name, Towns: len(countyTowns(reg, c.Code)), Status: "未上传"}
		if m, ok := byCounty[c.Code]; ok {
			row.Has = true
			row.Status = fmt.Sprintf("已上传：%d个乡镇有边界，%s 由 %s 上传", m.Features, m.ChangedAt.Local().Format("2006-01-02 15:04"), m.ChangedBy)
		}
		p.Map.Rows = append(p.Map.Rows, row)
	}
	if len(p.Map.Rows) == 0 {
		p.Empty = "机构名录里还没有县：请先上传机构名录。"
	}
	s.render(w, r, code, p)
}

// KeepCountyMap checks a county's GeoJSON against its townships
// (geomap.Check: a refusal is a *geomap.Error) and keeps the rewritten map;
// the upload page, the demo and the tests all keep maps through it.
func KeepCountyMap(ctx context.Context, store MapStore, reg *panels.Registry, county string, data []byte, by string) (*geomap.Checked, error) {
	checked, err := geomap.Check(data, countyTowns(reg, county))
	if err != nil {
		return nil, err
	}
	return checked, store.SetMap(ctx, warehouse.CountyMap{County: county, GeoJSON: string(checked.GeoJSON), Features: checked.Features, ChangedBy: by})
}

// countyTowns are the townships of a county, as the map matches them.
func countyTowns(reg *panels.Registry, county string) []geomap.Town {
	var out []geomap.Town
	for _, t := range reg.Under(county, panels.LevelTown) {
		if t.CountyCode == county {
			out = append(out, geomap.Town{Code: t.Code, Name: t.Name})
		}
	}
	return out
}

func (s *Site) uploadMap(w http.ResponseWriter, r *http.Request) {
	if s.Maps == nil {
		http.NotFound(w, r)
		return
	}
	ctx := r.Context()
	a := panels.AccessFrom(ctx)
	reg, err := s.Engine.Store.Registry(ctx)
	if err != nil {
		s.renderMaps(w, r, http.StatusInternalServerError, "没有保存："+err.Error(), false)
		return
	}
	county := strings.TrimSpace(r.FormValue("county"))
	c := reg.Org(county)
	if c == nil || c.Level != panels.LevelCounty || a != nil && !reg.Within(county, a.Org) {
		s.renderMaps(w, r, http.StatusBadRequest, "没有保存：请选择一个县", false)
		return
	}
	fail := func(code int, msg string) {
		s.audit(r, a, "config_change", "地图", c.Name+"："+msg, "失败")
		s.renderMaps(w, r, code, "没有保存"+c.Name+"的地图："+msg, false)
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		fail(http.StatusBadRequest, "没有选择文件")
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, geomap.MaxBytes+1))
	if err != nil {
		fail(http.StatusBadRequest, "文件没有传完整，请重新上传")
		return
	}
	who := ""
	if a != nil {
		who = a.User
	}
	checked, err := KeepCountyMap(ctx, s.Maps, reg, county, data, who)
	var ce *geomap.Error
	switch {
	case errors.As(err, &ce):
		fail(http.StatusBadRequest, err.Error())
		return
	case err != nil:
		fail(http.StatusInternalServerError, err.Error())
		return
	}
	msg := fmt.Sprintf("已保存%s的地图：%d个乡镇有边界", c.Name, checked.Features)
	if len(checked.Missing) > 0 {
		var names []string
		for _, t := range checked.Missing {
			names = append(names, t.Name)
		}
		msg += fmt.Sprintf("；%d个乡镇没有边界（地图上不显示）：%s", len(checked.Missing), strings.Join(names, "、"))
	}
	s.audit(r, a, "config_change", "地图", msg, "成功")
	s.renderMaps(w, r, http.StatusOK, msg, true)
}

// dataVersion tells the cockpit whether new data has been committed
// since it was drawn.
func (s *Site) dataVersion(w http.ResponseWriter, r *http.Request) {
	v, err := s.Engine.Store.DataVersion(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, APIError{"仓库暂时无法访问"})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"version": versionTag(v)})
}
