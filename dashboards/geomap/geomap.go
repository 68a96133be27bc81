// Package geomap checks a county's township boundaries (GeoJSON) before the
// cockpit's map draws them: valid shapes, every one matched to a township
// of the county's registry, within size limits; and rewrites them with
// nothing but each township's code and registry name, so whatever else a
// file carried never reaches a page.
package geomap

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The limits on a county's map.
const (
	MaxBytes    = 8 << 20 // the file
	MaxFeatures = 500     // townships
	MaxPoints   = 300_000 // coordinate pairs in all
)

// Error is why a map was refused, in words for the admin.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

func refuse(format string, a ...any) error { return &Error{fmt.Sprintf(format, a...)} }

// Town is a township the map may draw.
type Town struct{ Code, Name string }

// Checked is a map fit to draw.
type Checked struct {
	GeoJSON  []byte // the rewritten FeatureCollection
	Features int
	Missing  []Town // townships of the county without a shape (drawn as absent)
}

// codeKeys and nameKeys are the properties a township is matched by: a
// code first, else its exact name.
var (
	codeKeys = []string{"code", "adcode", "区划代码", "代码"}
	nameKeys = []string{"name", "名称", "乡镇"}
)

type feature struct {
	Type       string                     `json:"type"`
	Properties map[string]json.RawMessage `json:"properties"`
	Geometry   *struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

type outFeature struct {
	Type       string            `json:"type"`
	Properties map[string]string `json:"properties"`
	Geometry   outGeometry       `json:"geometry"`
}

type outGeometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

// Check reads a county's GeoJSON against its townships.
func Check(data []byte, towns []Town) (*Checked, error) {
	if len(data) > MaxBytes {
		return nil, refuse("地图文件有 %.1f MB，超过上限 %d MB：请在制图软件里简化边界后再上传", float64(len(data))/(1<<20), MaxBytes>>20)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var doc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, refuse("地图文件不是有效的 GeoJSON（%s）：请用制图软件导出为 GeoJSON 格式", jsonProblem(err))
	}
	if doc.Type != "FeatureCollection" {
		return nil, refuse("地图文件的 type 是「%s」，应是 FeatureCollection（每个乡镇一个 Feature）", clip(doc.Type))
	}
	switch {
	case len(doc.Features) == 0:
		return nil, refuse("地图文件里没有任何区域（features 为空）")
	case len(doc.Features) > MaxFeatures:
		return nil, refuse("地图文件有 %d 个区域，超过上限 %d 个", len(doc.Features), MaxFeatures)
	}
	byCode, byName := map[string]Town{}, map[string][]Town{}
	for _, t := range towns {
		byCode[t.Code] = t
		byName[t.Name] = append(byName[t.Name], t)
	}
	used := map[string]int{}
	points := 0
	out := struct {
		Type     string       `json:"type"`
		Features []outFeature `json:"features"`
	}{Type: "FeatureCollection"}
	for i, raw := range doc.Features {
		n := i + 1
		var f feature
		if err := json.Unmarshal(raw, &f); err != nil || f.Type != "Feature" {
			return nil, refuse("第 %d 个区域不是 GeoJSON 的 Feature", n)
		}
		t, label, err := match(f.Properties, byCode, byName)
		if err != nil {
			return nil, refuse("第 %d 个区域%s", n, err.Error())
		}
		if prev, ok := used[t.Code]; ok {
			return nil, refuse("第 %d 个区域和第 %d 个区域都是%s（%s）：一个乡镇只能有一个区域，多块地请合成一个 MultiPolygon", n, prev, t.Name, t.Code)
		}
		used[t.Code] = n
		if f.Geometry == nil {
			return nil, refuse("第 %d 个区域（%s）没有边界（geometry 为空）", n, label)
		}
		g, np, err := geometry(f.Geometry.Type, f.Geometry.Coordinates)
		if err != nil {
			return nil, refuse("第 %d 个区域（%s）的边界不对：%s", n, label, err.Error())
		}
		if points += np; points > MaxPoints {
			return nil, refuse("地图的边界点超过 %d 个：请在制图软件里简化边界后再上传", MaxPoints)
		}
		out.Features = append(out.Features, outFeature{Type: "Feature", Properties: map[string]string{"code": t.Code, "name": t.Name}, Geometry: g})
	}
	c := &Checked{Features: len(out.Features)}
	for _, t := range towns {
		if _, ok := used[t.Code]; !ok {
			c.Missing = append(c.Missing, t)
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	c.GeoJSON = b
	return c, nil
}

// match finds a feature's township: by a code property, else by name.
func match(props map[string]json.RawMessage, byCode map[string]Town, byName map[string][]Town) (Town, string, error) {
	for _, k := range codeKeys {
		v, ok := text(props[k])
		if !ok {
			continue
		}
		t, ok := byCode[v]
		if !ok {
			return Town{}, "", fmt.Errorf("的 %s 是「%s」，本县的机构名录里没有这个乡镇代码", k, clip(v))
		}
		return t, t.Name, nil
	}
	for _, k := range nameKeys {
		v, ok := text(props[k])
		if !ok {
			continue
		}
		switch ts := byName[v]; len(ts) {
		case 0:
			return Town{}, "", fmt.Errorf("的 %s 是「%s」，本县的机构名录里没有这个乡镇：请在 properties 里写上乡镇代码（code）", k, clip(v))
		case 1:
			return ts[0], ts[0].Name, nil
		default:
			return Town{}, "", fmt.Errorf("的 %s 是「%s」，本县有 %d 个同名乡镇：请在 properties 里写上乡镇代码（code）", k, clip(v), len(ts))
		}
	}
	return Town{}, "", fmt.Errorf("没有乡镇代码：请在 properties 里写上 code（机构名录里的乡镇代码）或乡镇名称 name")
}

// text reads a property as text: a string, or a whole number.
func text(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		s = strings.TrimSpace(s)
		return s, s != ""
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil && f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatInt(int64(f), 10), true
	}
	return "", false
}

// geometry checks a Polygon or MultiPolygon and returns it with
// coordinates rounded to six decimals (about 0.1 m) and its point count.
func geometry(kind string, raw json.RawMessage) (outGeometry, int, error) {
	switch kind {
	case "Polygon":
		var rings [][][]float64
		if err := json.Unmarshal(raw, &rings); err != nil {
			return outGeometry{}, 0, fmt.Errorf("Polygon 的坐标应是一组闭合的环")
		}
		out, n, err := polygon(rings)
		return outGeometry{kind, out}, n, err
	case "MultiPolygon":
		var polys [][][][]float64
		if err := json.Unmarshal(raw, &polys); err != nil || len(polys) == 0 {
			return outGeometry{}, 0, fmt.Errorf("MultiPolygon 的坐标应是一组多边形")
		}
		var all [][][][2]float64
		total := 0
		for i, p := range polys {
			out, n, err := polygon(p)
			if err != nil {
				return outGeometry{}, 0, fmt.Errorf("第 %d 块：%s", i+1, err.Error())
			}
			all = append(all, out)
			total += n
		}
		return outGeometry{kind, all}, total, nil
	}
	return outGeometry{}, 0, fmt.Errorf("边界类型是「%s」，应是 Polygon 或 MultiPolygon", clip(kind))
}

func polygon(rings [][][]float64) ([][][2]float64, int, error) {
	if len(rings) == 0 {
		return nil, 0, fmt.Errorf("多边形没有环")
	}
	var out [][][2]float64
	n := 0
	for i, ring := range rings {
		if len(ring) < 4 {
			return nil, 0, fmt.Errorf("第 %d 个环只有 %d 个点，至少要 4 个（首尾相同）", i+1, len(ring))
		}
		r := make([][2]float64, len(ring))
		for j, p := range ring {
			if len(p) < 2 {
				return nil, 0, fmt.Errorf("第 %d 个环的第 %d 个点不是 [经度, 纬度]", i+1, j+1)
			}
			lng, lat := p[0], p[1]
			if lng < -180 || lng > 180 || lat < -90 || lat > 90 {
				return nil, 0, fmt.Errorf("第 %d 个环的第 %d 个点 [%g, %g] 不是经纬度（经度 -180～180，纬度 -90～90）：请导出为 WGS84 经纬度坐标", i+1, j+1, lng, lat)
			}
			r[j] = [2]float64{round6(lng), round6(lat)}
		}
		if r[0] != r[len(r)-1] {
			return nil, 0, fmt.Errorf("第 %d 个环没有闭合（第一个点和最后一个点不同）", i+1)
		}
		out = append(out, r)
		n += len(r)
	}
	return out, n, nil
}

func round6(f float64) float64 { return math.Round(f*1e6) / 1e6 }

// clip shortens a value quoted back to the user.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func jsonProblem(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("第 %d 个字节附近格式有误", se.Offset)
	}
	return "内容的结构不对"
}
