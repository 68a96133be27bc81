package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteScale writes two counties of a scale province over two years:
// every ledger for each, as CSV, with about the asked number of disputes,
// and the same files again for the same county numbers.
func TestWriteScale(t *testing.T) {
	sc := Scale{Counties: 3, Years: 2, DisputesPerYear: 2000}
	dir := t.TempDir()
	files, err := WriteScale(dir, sc, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2*(1+2*8) {
		t.Fatalf("%d files", len(files))
	}
	for _, f := range files {
		if filepath.Ext(f) != ".csv" {
			t.Errorf("%s is not CSV", f)
		}
	}
	var disputes int
	for _, f := range files {
		if strings.Contains(f, "人民调解") {
			b, _ := os.ReadFile(f)
			disputes += strings.Count(string(b), "\n")
		}
	}
	if disputes < 4*1800 || disputes > 4*2300 {
		t.Errorf("%d dispute lines for 2 counties × 2 years at ~2,000", disputes)
	}
	again, _ := WriteScale(t.TempDir(), sc, 2, 3)
	a, _ := os.ReadFile(again[0])
	var b []byte
	for _, f := range files {
		if filepath.Base(f) == filepath.Base(again[0]) {
			b, _ = os.ReadFile(f)
		}
	}
	if string(a) != string(b) || len(a) == 0 {
		t.Errorf("county 2 written alone differs from county 2 written with county 1")
	}
	if ScaleCounty(0) != "980101" || ScaleCounty(99) != "981010" {
		t.Errorf("county codes %s %s", ScaleCounty(0), ScaleCounty(99))
	}
}
