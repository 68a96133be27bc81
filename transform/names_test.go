package transform

import (
	"strings"
	"testing"
)

// TestNameIndex: answers are right for literals, for equal strings at other
// addresses, for strings sharing one backing array, and for unknown names.
func TestNameIndex(t *testing.T) {
	m := map[string]int{"受理日期": 0, "乡镇": 1, "ab": 2, "abc": 3}
	x := newNameIndex(m)
	backing := "abcd"
	cases := []struct {
		name string
		want int
		ok   bool
	}{
		{"受理日期", 0, true}, {"乡镇", 1, true},
		{strings.Clone("乡镇"), 1, true},
		{backing[:2], 2, true}, {backing[:3], 3, true}, {backing[:2], 2, true}, // same address, different lengths
		{"abcd", 0, false}, {"", 0, false},
	}
	for round := 0; round < 3; round++ { // cold, then cached
		for _, c := range cases {
			got, ok := x.get(c.name)
			if ok != c.ok || (ok && got != c.want) {
				t.Errorf("round %d get(%q) = %d %v, want %d %v", round, c.name, got, ok, c.want, c.ok)
			}
		}
	}
	// many names: slots collide, answers stay right
	big := map[string]int{}
	for i := 0; i < 1000; i++ {
		big[strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune(0x4e00+i))] = i
	}
	y := newNameIndex(big)
	for round := 0; round < 2; round++ {
		for k, v := range big {
			if got, ok := y.get(strings.Clone(k)); !ok || got != v {
				t.Fatalf("get(%q) = %d %v, want %d", k, got, ok, v)
			}
		}
	}
}
