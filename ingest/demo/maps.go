package demo

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
)

// Maps returns made-up township boundaries for the demo counties, as
// GeoJSON by county code: each county a band of rows of townships with
// wavy shared borders, so that the cockpit's map has something to draw.
// They are not the shape of any real place.
func Maps() map[string][]byte {
	return map[string][]byte{
		"990121": countyMap("990121", qingshanTowns, []int{4, 5, 4}, 110.10, 30.05),
		"990122": countyMap("990122", lvshuiTowns, []int{4, 4, 4}, 110.95, 30.10),
	}
}

func countyMap(code string, towns []string, rows []int, west, south float64) []byte {
	const width, height, steps = 0.9, 0.6, 18
	rng := rand.New(rand.NewPCG(uint64(len(towns)), 7))
	n := len(rows)
	// border k runs west to east between rows k-1 and k (0: the north edge)
	border := make([][]float64, n+1)
	for k := range border {
		border[k] = make([]float64, steps+1)
		base := south + height - height*float64(k)/float64(n)
		for i := range border[k] {
			border[k][i] = base + (rng.Float64()-0.5)*height/float64(n)*0.35
		}
	}
	at := func(k int, x float64) float64 { // the border's latitude at x
		t := (x - west) / width * steps
		i := min(max(int(t), 0), steps-1)
		f := t - float64(i)
		return border[k][i]*(1-f) + border[k][i+1]*f
	}
	type feature struct {
		Type       string            `json:"type"`
		Properties map[string]string `json:"properties"`
		Geometry   map[string]any    `json:"geometry"`
	}
	var features []feature
	t := 0
	for r, cells := range rows {
		// the row's north-south borders, each with a kink halfway down
		xs := make([]float64, cells+1)
		kink := make([]float64, cells+1)
		for j := range xs {
			xs[j] = west + width*float64(j)/float64(cells) + (rng.Float64()-0.5)*width/float64(cells)*0.3
			kink[j] = (rng.Float64() - 0.5) * width / float64(cells) * 0.25
		}
		xs[0], xs[cells] = max(xs[0], west), min(xs[cells], west+width)
		for j := 0; j < cells && t < len(towns); j++ {
			var ring [][2]float64
			add := func(x, y float64) { ring = append(ring, [2]float64{round(x), round(y)}) }
			a, b := xs[j], xs[j+1]
			add(a, at(r, a))
			for i := 1; i < steps; i++ { // the northern border's bends within the cell
				if x := west + width*float64(i)/steps; x > a && x < b {
					add(x, at(r, x))
				}
			}
			add(b, at(r, b))
			add(b+kink[j+1], (at(r, b)+at(r+1, b))/2)
			add(b, at(r+1, b))
			for i := steps - 1; i > 0; i-- {
				if x := west + width*float64(i)/steps; x > a && x < b {
					add(x, at(r+1, x))
				}
			}
			add(a, at(r+1, a))
			add(a+kink[j], (at(r, a)+at(r+1, a))/2)
			ring = append(ring, ring[0])
			features = append(features, feature{Type: "Feature", Properties: map[string]string{"code": code + strconv.Itoa(100+t), "name": towns[t]},
				Geometry: map[string]any{"type": "Polygon", "coordinates": [][][2]float64{ring}}})
			t++
		}
	}
	b, _ := json.Marshal(map[string]any{"type": "FeatureCollection", "features": features})
	return b
}

func round(f float64) float64 { return math.Round(f*1e5) / 1e5 }
