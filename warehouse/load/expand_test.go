package load

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestExpandTakesLedgerFiles: a folder's ledgers in every format an office
// saves, but not the notes and lock files beside them.
func TestExpandTakesLedgerFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"a.xlsx": "x", "b.xls": "x", "c.et": "x", "d.ods": "x", "e.csv": "x", "f.tsv": "x",
		"unicode.txt": "\xff\xfe受\x00",          // Excel's "Unicode 文本"
		"export.txt":  "受理日期\t乡镇\t纠纷类型\t调解结果\n", // tab-separated
		"说明.txt":      "这是说明，请于每月5日前报送。\n",
		"~$a.xlsx":    "lock", ".hidden.csv": "x", "notes.docx": "x",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, filepath.Base(p))
	}
	want := "[a.xlsx b.xls c.et d.ods e.csv export.txt f.tsv unicode.txt]"
	if s := fmt.Sprint(names); s != want {
		t.Errorf("took %s, want %s", s, want)
	}
}
