package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInboxReady(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Minute)
	write := func(name, body string, mtime time.Time) string {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(body), 0o644)
		os.Chtimes(p, mtime, mtime)
		return p
	}
	stable := write("石门镇.xlsx", "x", old)
	growing := write("营盘镇.csv", "a", old)
	write("fresh.csv", "a", time.Now())     // written a moment ago
	write("upload.csv.part", "a", old)      // a browser's partial download
	write("~$石门镇.xlsx", "a", old)           // Excel's lock file
	write(".hidden.csv", "a", old)          // hidden
	write("done/earlier.csv", "a", old)     // already loaded
	write("failed/bad.csv", "a", old)       // already set aside
	sub := write("青山县/三月/调解.csv", "a", old) // files in folders are taken too
	in := &Inbox{Dir: dir, Settle: time.Second, Sleep: func(time.Duration) {
		// the office is still writing one file while the scan waits
		f, _ := os.OpenFile(growing, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString("more")
		f.Close()
		os.Chtimes(growing, old, old)
	}}
	ready, err := in.Ready()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ready, "|"); got != strings.Join([]string{stable, sub}, "|") && got != strings.Join([]string{sub, stable}, "|") {
		t.Errorf("ready = %v, want only the stable files", ready)
	}
	// empty inbox: nothing, without waiting
	empty := &Inbox{Dir: t.TempDir(), Sleep: func(time.Duration) { t.Error("waited on an empty inbox") }}
	if r, err := empty.Ready(); err != nil || len(r) != 0 {
		t.Errorf("empty inbox: %v %v", r, err)
	}
}

func TestInboxMoves(t *testing.T) {
	dir := t.TempDir()
	in := &Inbox{Dir: dir}
	for i := 0; i < 2; i++ {
		p := filepath.Join(dir, "台账.csv")
		os.WriteFile(p, []byte{byte('a' + i)}, 0o644)
		if err := in.Done(p); err != nil {
			t.Fatal(err)
		}
	}
	done, _ := os.ReadDir(filepath.Join(dir, "done"))
	if len(done) != 2 {
		t.Errorf("done/ holds %d files, want 2 (a second file of one name keeps the first)", len(done))
	}
	bad := filepath.Join(dir, "坏.xlsx")
	os.WriteFile(bad, []byte("x"), 0o644)
	if err := in.Failed(bad, "文件「坏.xlsx」：不是 Excel 表格"); err != nil {
		t.Fatal(err)
	}
	reason, err := os.ReadFile(filepath.Join(dir, "failed", "坏.xlsx.reason.txt"))
	if err != nil || !strings.Contains(string(reason), "不是 Excel") {
		t.Errorf("reason file: %q %v", reason, err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Errorf("the failed file is still in the inbox")
	}
}
