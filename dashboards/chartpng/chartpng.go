// Package chartpng draws simple bar and line charts as PNG images for
// documents (the survey-report appendix): Word and WPS show images, not
// ECharts. Chinese labels need a CJK font from the machine (or the
// configuration); without one, categories are drawn as numbers that refer
// to the rows of the table printed beside the chart.
package chartpng

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"strconv"
	"strings"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Series is one set of values across the categories.
type Series struct {
	Name   string
	Values []float64
}

// Chart is what to draw.
type Chart struct {
	Title      string
	Categories []string
	Series     []Series
	Unit       string // shown above the value axis
	Line       bool   // a line chart (months, years) instead of bars
}

// FontCandidates are where common CJK fonts live on Debian/Ubuntu, Kylin/UOS and Windows.
var FontCandidates = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
	`C:\Windows\Fonts\msyh.ttc`,
	`C:\Windows\Fonts\simhei.ttf`,
}

// Renderer draws charts with one font.
type Renderer struct {
	big, small font.Face
	// CJK says whether the font draws Chinese; without it labels are numbered.
	CJK bool
	// FontPath is the font file used ("" for the built-in Latin font).
	FontPath string
}

// LatinCandidates draw digits and Latin letters that a CJK fallback font lacks.
var LatinCandidates = []string{
	"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
	"/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
	`C:\Windows\Fonts\arial.ttf`,
}

// loadFont parses the first font of a file (a collection or a single font).
func loadFont(p string) *opentype.Font {
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	if c, err := opentype.ParseCollection(b); err == nil && c.NumFonts() > 0 {
		if f, err := c.Font(0); err == nil {
			return f
		}
	}
	if f, err := opentype.Parse(b); err == nil {
		return f
	}
	return nil
}

func faces(f *opentype.Font) (big, small font.Face) {
	big, _ = opentype.NewFace(f, &opentype.FaceOptions{Size: 18, DPI: 72, Hinting: font.HintingFull})
	small, _ = opentype.NewFace(f, &opentype.FaceOptions{Size: 13, DPI: 72, Hinting: font.HintingFull})
	return
}

// NewRenderer loads the first readable CJK font of path and FontCandidates,
// with a Latin font for the digits a CJK fallback font may lack.
func NewRenderer(path string) *Renderer {
	latinBig, latinSmall := font.Face(basicfont.Face7x13), font.Face(basicfont.Face7x13)
	for _, p := range LatinCandidates {
		if f := loadFont(p); f != nil {
			latinBig, latinSmall = faces(f)
			break
		}
	}
	for _, p := range append([]string{path}, FontCandidates...) {
		if p == "" {
			continue
		}
		f := loadFont(p)
		if f == nil {
			continue
		}
		big, small := faces(f)
		if big != nil && small != nil {
			return &Renderer{big: chain{big, latinBig}, small: chain{small, latinSmall}, CJK: true, FontPath: p}
		}
	}
	return &Renderer{big: latinBig, small: latinSmall}
}

// chain draws each character with the first face that has it.
type chain []font.Face

func (c chain) pick(r rune) font.Face {
	for _, f := range c {
		if _, ok := f.GlyphAdvance(r); ok {
			return f
		}
	}
	return c[len(c)-1]
}

func (c chain) Close() error { return nil }
func (c chain) Glyph(dot fixed.Point26_6, r rune) (image.Rectangle, image.Image, image.Point, fixed.Int26_6, bool) {
	return c.pick(r).Glyph(dot, r)
}
func (c chain) GlyphBounds(r rune) (fixed.Rectangle26_6, fixed.Int26_6, bool) {
	return c.pick(r).GlyphBounds(r)
}
func (c chain) GlyphAdvance(r rune) (fixed.Int26_6, bool) { return c.pick(r).GlyphAdvance(r) }
func (c chain) Kern(r0, r1 rune) fixed.Int26_6            { return 0 }
func (c chain) Metrics() font.Metrics                     { return c[0].Metrics() }

var palette = []color.RGBA{{0x1f, 0x4e, 0x79, 0xff}, {0xe0, 0x8a, 0x1e, 0xff}, {0x4c, 0x9a, 0x6a, 0xff}, {0xb4, 0x23, 0x18, 0xff}, {0x7b, 0x5e, 0xa7, 0xff}}

const (
	width, height                     = 960, 480
	left, right, top, bottom, legendH = 80, 24, 64, 96, 0
)

// Labels returns the category labels as drawn: the names, or 1, 2, 3… without a CJK font.
func (r *Renderer) Labels(c Chart) []string {
	out := make([]string, len(c.Categories))
	for i, s := range c.Categories {
		if r.CJK || isASCII(s) {
			out[i] = s
		} else {
			out[i] = strconv.Itoa(i + 1)
		}
	}
	return out
}

func isASCII(s string) bool {
	for _, c := range s {
		if c > 127 {
			return false
		}
	}
	return true
}

// PNG draws a chart.
func (r *Renderer) PNG(c Chart) ([]byte, error) {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	ink := color.RGBA{0x33, 0x33, 0x33, 0xff}
	grid := color.RGBA{0xdd, 0xdd, 0xdd, 0xff}
	if r.CJK || isASCII(c.Title) {
		r.text(img, r.big, c.Title, left, 30, ink)
	}
	// legend, right-aligned on the title line
	x := width - right
	for i := len(c.Series) - 1; i >= 0; i-- {
		name := c.Series[i].Name
		if !r.CJK && !isASCII(name) {
			name = string(rune('A' + i))
		}
		w := font.MeasureString(r.small, name).Ceil()
		x -= w
		r.text(img, r.small, name, x, 30, ink)
		x -= 18
		fill(img, image.Rect(x, 20, x+12, 32), palette[i%len(palette)])
		x -= 16
	}
	plot := image.Rect(left, top, width-right, height-bottom)
	hi := 0.0
	for _, s := range c.Series {
		for _, v := range s.Values {
			hi = math.Max(hi, v)
		}
	}
	step := niceStep(hi / 5)
	hi = math.Max(step*math.Ceil(hi/step), step)
	y := func(v float64) int { return plot.Max.Y - int(math.Round(v/hi*float64(plot.Dy()))) }
	for t := 0.0; t <= hi+step/2; t += step {
		yy := y(t)
		fill(img, image.Rect(plot.Min.X, yy, plot.Max.X, yy+1), grid)
		lab := formatNum(t)
		r.text(img, r.small, lab, plot.Min.X-8-font.MeasureString(r.small, lab).Ceil(), yy+5, ink)
	}
	if c.Unit != "" && (r.CJK || isASCII(c.Unit)) {
		r.text(img, r.small, "（"+c.Unit+"）", 8, plot.Min.Y-12, ink)
	}
	fill(img, image.Rect(plot.Min.X, plot.Max.Y, plot.Max.X, plot.Max.Y+1), ink)
	n := len(c.Categories)
	if n == 0 {
		return encode(img)
	}
	slot := float64(plot.Dx()) / float64(n)
	labels := r.Labels(c)
	every := 1
	for every*int(slot) < 40 {
		every++
	}
	for i, lab := range labels {
		if i%every != 0 {
			continue
		}
		for font.MeasureString(r.small, lab).Ceil() > int(slot)*every-4 && len([]rune(lab)) > 1 {
			lab = string([]rune(lab)[:len([]rune(lab))-1])
		}
		cx := plot.Min.X + int(slot*(float64(i)+0.5))
		r.text(img, r.small, lab, cx-font.MeasureString(r.small, lab).Ceil()/2, plot.Max.Y+20, ink)
	}
	for si, s := range c.Series {
		col := palette[si%len(palette)]
		if c.Line {
			var px, py int
			for i, v := range s.Values {
				cx, cy := plot.Min.X+int(slot*(float64(i)+0.5)), y(v)
				if i > 0 {
					line(img, px, py, cx, cy, col)
				}
				fill(img, image.Rect(cx-3, cy-3, cx+4, cy+4), col)
				px, py = cx, cy
			}
			continue
		}
		bw := slot * 0.7 / float64(len(c.Series))
		for i, v := range s.Values {
			x0 := plot.Min.X + int(slot*float64(i)+slot*0.15+bw*float64(si))
			x1 := x0 + int(math.Max(bw-2, 2))
			fill(img, image.Rect(x0, y(v), x1, plot.Max.Y), col)
			if n*len(c.Series) <= 24 {
				lab := formatNum(v)
				r.text(img, r.small, lab, (x0+x1)/2-font.MeasureString(r.small, lab).Ceil()/2, y(v)-4, ink)
			}
		}
	}
	return encode(img)
}

func encode(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

func (r *Renderer) text(img *image.RGBA, face font.Face, s string, x, y int, c color.Color) {
	d := &font.Drawer{Dst: img, Src: image.NewUniform(c), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// line draws a 2-pixel line.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	steps := max(abs(x1-x0), abs(y1-y0), 1)
	for i := 0; i <= steps; i++ {
		x := x0 + (x1-x0)*i/steps
		y := y0 + (y1-y0)*i/steps
		fill(img, image.Rect(x-1, y-1, x+1, y+1), c)
	}
}

func abs(a int) int {
	if a < 0 {
		return -a
	}
	return a
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

func formatNum(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
}
