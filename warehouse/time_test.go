package warehouse

import (
	"testing"
	"time"
)

func TestTimeOf(t *testing.T) {
	noon := time.Date(2016, 3, 8, 12, 30, 5, 0, time.UTC)
	midnight := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   any
		want time.Time
	}{
		{"2016-03-08 12:30:05", noon},
		{normalize(noon), noon},
		{normalize(midnight), midnight}, // answered as "2016-01-01"
		{noon, noon},
		{"2016-13-01", time.Time{}},
		{nil, time.Time{}},
		{int64(5), time.Time{}},
	} {
		if got := TimeOf(c.in); !got.Equal(c.want) {
			t.Errorf("TimeOf(%#v) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestInChunks(t *testing.T) {
	items := make([]string, 4001)
	for _, c := range []struct{ n, parts, last int }{{0, 0, 0}, {1, 1, 1}, {2000, 1, 2000}, {2001, 2, 1}, {4001, 3, 1}} {
		got := InChunks(items[:c.n])
		total := 0
		for _, p := range got {
			total += len(p)
		}
		if len(got) != c.parts || total != c.n || c.parts > 0 && len(got[len(got)-1]) != c.last {
			t.Errorf("InChunks(%d items): %d parts, %d items", c.n, len(got), total)
		}
	}
}

func TestIdentifier(t *testing.T) {
	for name, want := range map[string]bool{"sifa": true, "fact_dispute": true, "t123_4": true, "": false,
		"a-b": false, "a b": false, "x; DROP TABLE y": false, "库": false, "a'": false} {
		if got := identifier(name); got != want {
			t.Errorf("identifier(%q) = %v, want %v", name, got, want)
		}
	}
}
