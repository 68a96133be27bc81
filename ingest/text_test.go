package ingest

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// foldReference is Fold written plainly: full-width forms to ASCII, the
// ideographic and no-break spaces to spaces, then trimmed.
func foldReference(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000 || r == 0xA0:
			return ' '
		}
		return r
	}, s))
}

func TestTrimAndFold(t *testing.T) {
	cases := []struct{ in, trim, fold string }{
		{"", "", ""},
		{"石门镇", "石门镇", "石门镇"},
		{" 石门镇\t", "石门镇", "石门镇"},
		{"\u3000石门镇\u3000", "石门镇", "石门镇"},
		{"石门镇\u00a0", "石门镇", "石门镇"},
		{"\u2003邻里", "邻里", "邻里"},
		{"１２３", "１２３", "123"},
		{"（村）", "（村）", "(村)"},
		{"a\u3000b", "a\u3000b", "a b"},
		{"\x85", "\x85", "\x85"},
		{"邻\xe4", "邻\xe4", "邻\xe4"},
		{"\u0085x\u0085", "x", "x"},
		{"\u1680x", "x", "x"},
		{"x\u205f", "x", "x"},
	}
	for _, c := range cases {
		if got := Trim(c.in); got != c.trim {
			t.Errorf("Trim(%q) = %q, want %q", c.in, got, c.trim)
		}
		if got := Fold(c.in); got != c.fold {
			t.Errorf("Fold(%q) = %q, want %q", c.in, got, c.fold)
		}
	}
	// and against the plain forms, over strings of every kind of space,
	// full-width forms, CJK, ASCII and broken UTF-8
	var spaces []rune
	for r := rune(0); r <= 0x3000; r++ {
		if unicode.IsSpace(r) {
			spaces = append(spaces, r)
		}
	}
	alphabet := append(spaces, 'a', '1', '-', '石', '镇', '１', 'Ａ', '（', '\uFEFF', '\uFFFD', 0x10000)
	rng := rand.New(rand.NewPCG(7, 11))
	for range 200000 {
		var b strings.Builder
		for range rng.IntN(14) { // long enough for needsFold to take eight bytes at a time
			if rng.IntN(12) == 0 {
				b.WriteByte(byte(0x80 + rng.IntN(0x80))) // a stray byte
			} else {
				b.WriteRune(alphabet[rng.IntN(len(alphabet))])
			}
		}
		s := b.String()
		if got, want := Trim(s), strings.TrimSpace(s); got != want {
			t.Fatalf("Trim(%q) = %q, want %q", s, got, want)
		}
		if !utf8.ValidString(s) {
			continue // Fold leaves broken bytes alone unless it rewrites the cell
		}
		if got, want := Fold(s), foldReference(s); got != want {
			t.Fatalf("Fold(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestUTF8CutAtPeek: a valid UTF-8 CSV is UTF-8 wherever byte 65,536 falls
// inside a character (it was refused as "unknown encoding" when it did).
func TestUTF8CutAtPeek(t *testing.T) {
	for shift := 0; shift < 4; shift++ {
		var b strings.Builder
		b.WriteString("受理日期,乡镇,纠纷类型,调解结果\n")
		b.WriteString(strings.Repeat("a", shift))
		for b.Len() < 1<<17 {
			b.WriteString("2014-03-05,石门镇,邻里,调解成功\n")
		}
		path := filepath.Join(t.TempDir(), "调解.csv")
		os.WriteFile(path, []byte(b.String()), 0o644)
		tables, rows, err := readAll(t, path, Options{})
		if err != nil {
			t.Errorf("shift %d: %v", shift, err)
			continue
		}
		if len(tables) != 1 || len(rows[0]) < 3000 || rows[0][1]["乡镇"] != "石门镇" {
			t.Errorf("shift %d: %d tables", shift, len(tables))
		}
	}
	for _, c := range []struct {
		b    []byte
		full bool
		want bool
	}{
		{[]byte("abc"), false, true},
		{[]byte("ab\xe7\x9f"), true, true},   // 石 cut after two of its three bytes
		{[]byte("ab\xe7\x9f"), false, false}, // the file ends there: not UTF-8
		{[]byte("ab\xff"), true, true},       // one stray byte at the cut is allowed
		{[]byte("a\xffbcdef"), true, false},  // a bad byte inside is not
	} {
		if got := validUTF8Prefix(c.b, c.full); got != c.want {
			t.Errorf("validUTF8Prefix(%q, %v) = %v", c.b, c.full, got)
		}
	}
}
