package geomap

import (
	"encoding/json"
	"strings"
	"testing"

	"sifa/ingest/demo"
)

var towns = []Town{{"990121100", "石门镇"}, {"990121101", "营盘镇"}, {"990121102", "青石镇"}}

const square = `[[[110,30],[110.1,30],[110.1,30.1],[110,30.1],[110,30]]]`

func fc(features ...string) string {
	return `{"type":"FeatureCollection","features":[` + strings.Join(features, ",") + `]}`
}

func feat(props, geom string) string {
	return `{"type":"Feature","properties":` + props + `,"geometry":` + geom + `}`
}

func poly(coords string) string { return `{"type":"Polygon","coordinates":` + coords + `}` }

func TestCheck(t *testing.T) {
	ok := feat(`{"code":"990121100","name":"<script>alert(1)</script>","population":5}`, poly(square))
	for _, c := range []struct {
		name, doc string
		want      string // part of the error; "" = accepted
		missing   int
	}{
		{"by code, extra properties dropped", fc(ok), "", 2},
		{"code as a number", fc(feat(`{"adcode":990121101}`, poly(square))), "", 2},
		{"by name", fc(feat(`{"name":"青石镇"}`, poly(square))), "", 2},
		{"multipolygon", fc(feat(`{"code":"990121100"}`, `{"type":"MultiPolygon","coordinates":[`+square+`,`+square+`]}`)), "", 2},
		{"BOM", "\xef\xbb\xbf" + fc(ok), "", 2},
		{"not json", `{"type":`, "不是有效的 GeoJSON", 0},
		{"a geometry, not a collection", poly(square), "应是 FeatureCollection", 0},
		{"empty", fc(), "没有任何区域", 0},
		{"unknown code", fc(feat(`{"code":"990199100"}`, poly(square))), "没有这个乡镇代码", 0},
		{"unknown name", fc(feat(`{"name":"火星镇"}`, poly(square))), "没有这个乡镇", 0},
		{"no code or name", fc(feat(`{"id":1}`, poly(square))), "没有乡镇代码", 0},
		{"twice", fc(ok, ok), "第 2 个区域和第 1 个区域都是石门镇", 0},
		{"no geometry", fc(`{"type":"Feature","properties":{"code":"990121100"},"geometry":null}`), "没有边界", 0},
		{"a point", fc(feat(`{"code":"990121100"}`, `{"type":"Point","coordinates":[110,30]}`)), "应是 Polygon 或 MultiPolygon", 0},
		{"open ring", fc(feat(`{"code":"990121100"}`, poly(`[[[110,30],[110.1,30],[110.1,30.1],[110,30.1]]]`))), "没有闭合", 0},
		{"too few points", fc(feat(`{"code":"990121100"}`, poly(`[[[110,30],[110.1,30],[110,30]]]`))), "至少要 4 个", 0},
		{"projected metres", fc(feat(`{"code":"990121100"}`, poly(`[[[500000,3300000],[500100,3300000],[500100,3300100],[500000,3300000]]]`))), "WGS84", 0},
		{"text coordinates", fc(feat(`{"code":"990121100"}`, poly(`[[["110","30"]]]`))), "闭合的环", 0},
		{"too large", fc(feat(`{"code":"990121100","pad":"`+strings.Repeat("x", MaxBytes)+`"}`, poly(square))), "超过上限", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Check([]byte(c.doc), towns)
			if c.want != "" {
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("err = %v, want it to say %q", err, c.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Missing) != c.missing {
				t.Errorf("missing = %v, want %d townships", got.Missing, c.missing)
			}
			if strings.Contains(string(got.GeoJSON), "script") || strings.Contains(string(got.GeoJSON), "population") {
				t.Errorf("the rewritten map keeps what the file carried: %s", got.GeoJSON)
			}
		})
	}
}

func TestTooManyPoints(t *testing.T) {
	ring := make([][2]float64, MaxPoints+1)
	for i := range ring {
		ring[i] = [2]float64{110 + float64(i)*1e-6, 30 + float64(i%2)*1e-3}
	}
	ring[len(ring)-1] = ring[0]
	coords, _ := json.Marshal([][][2]float64{ring})
	_, err := Check([]byte(fc(feat(`{"code":"990121100"}`, poly(string(coords))))), towns)
	if err == nil || !strings.Contains(err.Error(), "边界点超过") {
		t.Fatalf("err = %v", err)
	}
}

// TestDemoMaps: the demo's made-up shapes pass the check, every township drawn.
func TestDemoMaps(t *testing.T) {
	names := map[string][]string{
		"990121": {"石门镇", "营盘镇", "青石镇", "柳林镇", "桃园镇", "松坪镇", "杏花镇", "金川镇", "龙潭镇", "白河镇", "双岭镇", "南沟镇", "北坡乡"},
		"990122": {"清溪镇", "碧水镇", "荷塘镇", "枫林镇", "竹园镇", "梅岭镇", "兰溪乡", "芦花镇", "玉泉镇", "云台镇", "丰乐镇", "安宁镇"},
	}
	maps := demo.Maps()
	for county, ns := range names {
		var ts []Town
		for i, n := range ns {
			ts = append(ts, Town{county + string(rune('1')) + string(rune('0'+i/10)) + string(rune('0'+i%10)), n})
		}
		c, err := Check(maps[county], ts)
		if err != nil {
			t.Fatalf("%s: %v", county, err)
		}
		if c.Features != len(ns) || len(c.Missing) != 0 {
			t.Errorf("%s: %d shapes, missing %v", county, c.Features, c.Missing)
		}
	}
}
