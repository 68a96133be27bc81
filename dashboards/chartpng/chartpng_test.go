package chartpng

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
)

// TestPNG draws bar and line charts with and without a CJK font: each is a
// PNG of the declared size whose bars are where their values say.
func TestPNG(t *testing.T) {
	charts := []struct {
		name string
		c    Chart
	}{
		{"bars", Chart{Title: "学历", Categories: []string{"研究生", "大学本科", "大学专科", "中专", "高中"}, Series: []Series{{Name: "人数", Values: []float64{0, 5, 9, 2, 10}}}, Unit: "人"}},
		{"grouped", Chart{Title: "经费", Categories: []string{"公用经费", "普法宣传经费"}, Series: []Series{{Name: "标准", Values: []float64{46.8, 2}}, {Name: "预算", Values: []float64{10, 1}}}, Unit: "万元"}},
		{"line", Chart{Title: "各月受理纠纷", Categories: []string{"1月", "2月", "3月", "4月"}, Series: []Series{{Name: "受理", Values: []float64{170, 160, 195, 172}}}, Line: true}},
		{"empty", Chart{Title: "无数据"}},
	}
	for _, fontPath := range []string{"", "/nonexistent.ttf"} {
		r := NewRenderer(fontPath)
		if fontPath == "/nonexistent.ttf" {
			r = &Renderer{big: r.big, small: r.small, CJK: r.CJK, FontPath: r.FontPath}
		}
		for _, c := range charts {
			b, err := r.PNG(c.c)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			img, err := png.Decode(bytes.NewReader(b))
			if err != nil || img.Bounds() != image.Rect(0, 0, 960, 480) {
				t.Fatalf("%s: not a 960×480 PNG: %v", c.name, err)
			}
			if c.name == "bars" {
				// the tallest bar (高中, 10) reaches higher than the 中专 bar (2)
				top := func(i int) int {
					slot := float64(960-left-right) / 5
					x := left + int(slot*(float64(i)+0.5))
					for y := top; y < 480-bottom; y++ {
						if img.At(x, y) == color.Color(palette[0]) {
							return y
						}
					}
					return 480
				}
				if !(top(4) < top(3) && top(3) < 480-bottom) {
					t.Errorf("bar tops: 高中 %d, 中专 %d", top(4), top(3))
				}
			}
		}
	}
	noFont := &Renderer{big: NewRenderer("").big}
	if got := noFont.Labels(charts[0].c); got[0] != "1" || got[4] != "5" {
		t.Errorf("labels without a CJK font: %v", got)
	}
	if r := NewRenderer(""); r.CJK {
		t.Logf("CJK font: %s", r.FontPath)
	} else {
		t.Logf("no CJK font on this machine: categories are numbered")
	}
}
