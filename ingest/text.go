package ingest

import (
	"encoding/binary"
	"regexp"
	"strings"
	"unicode"
	"unsafe"
)

// Fold turns full-width ASCII forms (２０１４, （万元）, ：) into their
// half-width forms, the ideographic space into a space, and trims the result.
func Fold(s string) string {
	if !needsFold(s) {
		return Trim(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000 || r == 0xA0:
			r = ' '
		case r == '、' || r == '，' || r == '。' || r == '—' || r == '－':
			// kept as they are: 、 separates aliases, the others are prose
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// needsFold reports whether s holds a full-width form (U+FF01–FF5E, UTF-8
// EF BC/BD …), an ideographic space (E3 80 80) or a no-break space (C2 A0).
// It looks at eight bytes at a time for any of EF, E3 and C2, and only
// where one is found byte by byte: it runs on every cell, twice.
func needsFold(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:]), 8))
		if hasByte(x, 0xEF) || hasByte(x, 0xE3) || hasByte(x, 0xC2) {
			break
		}
	}
	for ; i < len(s); i++ {
		switch s[i] {
		case 0xEF:
			return true
		case 0xE3:
			if i+2 < len(s) && s[i+1] == 0x80 && s[i+2] == 0x80 {
				return true
			}
		case 0xC2:
			if i+1 < len(s) && s[i+1] == 0xA0 {
				return true
			}
		}
	}
	return false
}

// hasByte reports whether any of the eight bytes of x is b.
func hasByte(x uint64, b byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	y := x ^ (lo * uint64(b))
	return (y-lo)&^y&hi != 0
}

// Trim is strings.TrimSpace with a fast path for the common cell that has
// nothing to trim (TrimSpace decodes every rune of a non-ASCII string). Only
// runes whose UTF-8 starts with a byte up to ' ' or with C2, E1, E2 or E3
// can be white space, so the first byte and the last rune's first byte say
// whether there is anything to do.
func Trim(s string) string {
	if s == "" {
		return s
	}
	j := len(s) - 1
	for j > 0 && j > len(s)-4 && s[j]&0xC0 == 0x80 {
		j--
	}
	if !maySpace(s[0]) && !maySpace(s[j]) {
		return s
	}
	return strings.TrimSpace(s)
}

// maySpace reports whether a rune starting with byte b can be white space.
func maySpace(b byte) bool {
	return b <= ' ' || b == 0xC2 || b == 0xE1 || b == 0xE2 || b == 0xE3
}

var unitSuffix = regexp.MustCompile(`\((?:单位[:：]?)?(?:元|万元|人|件|次|份|小时|人次|个)\)$`)

// HeaderKey is the form a header is compared in: folded, without white space
// and without a trailing unit in brackets, so that `涉及金额（元）`,
// `涉及金额(万元)` and `涉及 金额` all compare equal to `涉及金额`.
func HeaderKey(h string) string {
	h = Fold(h)
	h = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, h)
	h = strings.ReplaceAll(h, "（", "(")
	h = strings.ReplaceAll(h, "）", ")")
	return unitSuffix.ReplaceAllString(h, "")
}

// headerSaysWan reports whether a header states its amounts in 万元.
func headerSaysWan(h string) bool { return strings.Contains(Fold(h), "万元") }

var (
	snapshotLine = regexp.MustCompile(`(?:统计时点|统计时间|统计日期|截至|截止)[:：]?\s*([0-9０-９]{4}\s*[年./-]\s*[0-9０-９]{1,2}(?:\s*[月./-]\s*[0-9０-９]{1,2}\s*日?)?)`)
	wanLine      = regexp.MustCompile(`单位[:：]\s*万元`)
	reporterLine = regexp.MustCompile(`填报单位[:：]\s*([^\s　]+)`)
)

// isTotalRow reports whether a data row is a 合计/总计/小计 line.
func isTotalRow(cells []string) bool {
	seen := 0
	for _, c := range cells {
		if Trim(c) == "" {
			continue
		}
		if !strings.Contains(c, "计") {
			if seen++; seen >= 3 {
				return false
			}
			continue
		}
		c = strings.ReplaceAll(strings.ReplaceAll(Fold(c), " ", ""), "　", "")
		if c == "" {
			continue
		}
		if totalWord.MatchString(c) {
			return true
		}
		seen++
		if seen >= 3 {
			return false
		}
	}
	return false
}

// totalWord is a cell that names a total line: 合计, 本页小计, 本月合计,
// 本年累计, 合计（本页）, 总计：, with the spaces taken out.
var totalWord = regexp.MustCompile(`^(?:本页|本月|本季|本季度|本期|本年|全年|当月|当年|全县|全镇|全乡|总)?(?:合计|小计|总计|累计)(?:\(.{0,8}\)|:)?$`)

var notePrefixes = []string{"注", "备注:", "说明:", "填表人", "填报人", "审核人", "制表人", "制表", "负责人", "单位负责人", "填表日期", "填报日期", "联系电话"}

// isNoteRow reports whether a row is a trailing note (注：…, 填表人：…): its
// first non-empty cell starts with a note word and at most one other cell is filled.
func isNoteRow(cells []string) bool {
	first, filled, last := "", 0, ""
	for _, c := range cells {
		if c = Trim(c); c == "" || c == last {
			continue // a merged footer fills its whole area with one text
		}
		if filled == 0 {
			first = c
		}
		last = c
		if filled++; filled > 4 {
			return false
		}
	}
	first = Fold(first)
	if filled == 0 || filled > 4 {
		return false
	}
	for _, p := range notePrefixes {
		if strings.HasPrefix(first, p) {
			rest := strings.TrimPrefix(first, p)
			if p != "注" || rest == "" || strings.HasPrefix(rest, ":") || strings.HasPrefix(rest, "1") || strings.HasPrefix(rest, "意") || strings.HasPrefix(rest, "：") {
				return true
			}
		}
	}
	return false
}

func isBlankRow(cells []string) bool {
	for _, c := range cells {
		if Trim(c) != "" {
			return false
		}
	}
	return true
}

// ColumnLetter turns a 0-based column index into its spreadsheet letters (0 → A).
func ColumnLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}
