package ingest

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"
)

// sheetParts maps each sheet name to its part inside the .xlsx zip.
func sheetParts(zr *zip.Reader) (map[string]string, error) {
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXMLPart(zr, "xl/workbook.xml", &wb); err != nil {
		return nil, err
	}
	if err := readXMLPart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return nil, err
	}
	targets := map[string]string{}
	for _, r := range rels.Rels {
		t := r.Target
		if strings.HasPrefix(t, "/") {
			t = strings.TrimPrefix(t, "/")
		} else {
			t = path.Join("xl", t)
		}
		targets[r.ID] = t
	}
	out := map[string]string{}
	for _, s := range wb.Sheets {
		out[s.Name] = targets[s.RID]
	}
	return out, nil
}

func readXMLPart(zr *zip.Reader, name string, v any) error {
	for _, f := range zr.File {
		if f.Name == name {
			rc, err := f.Open()
			if err != nil {
				return err
			}
			defer rc.Close()
			return xml.NewDecoder(io.LimitReader(rc, 32<<20)).Decode(v)
		}
	}
	return fmt.Errorf("缺少 %s", name)
}

// mergeRange is a merged cell area, 1-based inclusive rows, 0-based columns.
type mergeRange struct{ r1, c1, r2, c2 int }

// scanMerges reads the <mergeCell ref="A1:C2"/> elements of a sheet part
// without loading the sheet: a byte scan of the inflated stream, which
// also enforces the inflated-size limit on what is actually there.
func scanMerges(zr *zip.Reader, part string, limit int64) ([]mergeRange, error) {
	var zf *zip.File
	for _, f := range zr.File {
		if f.Name == part {
			zf = f
		}
	}
	if zf == nil {
		return nil, nil
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, fmt.Errorf("无法读取工作表：%v", err)
	}
	defer rc.Close()
	needle := []byte(`<mergeCell `)
	buf := make([]byte, 1<<16)
	var carry []byte
	var out []mergeRange
	var read int64
	for {
		n, err := rc.Read(buf)
		read += int64(n)
		if read > limit {
			return nil, fmt.Errorf("解压后超过 %d MB 的上限，文件可能已损坏或是恶意文件", limit>>20)
		}
		chunk := append(carry, buf[:n]...)
		for {
			i := bytes.Index(chunk, needle)
			if i < 0 {
				break
			}
			end := bytes.IndexByte(chunk[i:], '>')
			if end < 0 {
				break
			}
			el := chunk[i : i+end]
			if k := bytes.Index(el, []byte(`ref="`)); k >= 0 {
				ref := el[k+5:]
				if q := bytes.IndexByte(ref, '"'); q >= 0 {
					if m, ok := parseRange(string(ref[:q])); ok {
						out = append(out, m)
					}
				}
			}
			chunk = chunk[i+end:]
		}
		keep := len(needle) + 64
		if len(chunk) > keep {
			chunk = chunk[len(chunk)-keep:]
		}
		carry = append(carry[:0], chunk...)
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, zip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, errors.New("文件不完整或已损坏（解压校验失败）")
			}
			return nil, fmt.Errorf("文件已损坏：%v", err)
		}
	}
	return out, nil
}

func parseRange(ref string) (mergeRange, bool) {
	a, b, ok := strings.Cut(ref, ":")
	if !ok {
		return mergeRange{}, false
	}
	c1, r1, err1 := excelize.CellNameToCoordinates(a)
	c2, r2, err2 := excelize.CellNameToCoordinates(b)
	if err1 != nil || err2 != nil {
		return mergeRange{}, false
	}
	return mergeRange{r1: r1, c1: c1 - 1, r2: r2, c2: c2 - 1}, true
}

// mergeFill gives every cell of a merged area the value of its top-left cell,
// as the rows stream past (the top-left cell always comes first).
type mergeFill struct {
	ranges []mergeRange // sorted by first row
	next   int
	active []int
	values map[int]string
}

func newMergeFill(ranges []mergeRange) *mergeFill {
	if len(ranges) == 0 {
		return nil
	}
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].r1 < ranges[j].r1 })
	return &mergeFill{ranges: ranges, values: map[int]string{}}
}

func (m *mergeFill) apply(row int, cells []string) []string {
	if m == nil {
		return cells
	}
	for m.next < len(m.ranges) && m.ranges[m.next].r1 <= row {
		m.active = append(m.active, m.next)
		m.next++
	}
	keep := m.active[:0]
	for _, i := range m.active {
		r := m.ranges[i]
		if r.r2 < row {
			delete(m.values, i)
			continue
		}
		keep = append(keep, i)
		if r.r1 == row {
			m.values[i] = cell(cells, r.c1)
		}
		v := m.values[i]
		if v == "" {
			continue
		}
		for len(cells) <= r.c2 {
			cells = append(cells, "")
		}
		for c := r.c1; c <= r.c2; c++ {
			if cells[c] == "" {
				cells[c] = v
			}
		}
	}
	m.active = keep
	return cells
}
