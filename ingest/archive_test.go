package ingest

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestQuarantine: a refused file leaves the archive for the quarantine; a
// file the journal names stays; the quarantine drops what is past its age,
// then the oldest past its size; List and Path never see quarantined files.
func TestQuarantine(t *testing.T) {
	dir := t.TempDir()
	a := Archive{Dir: filepath.Join(dir, "archive")}
	put := func(name, body string) Archived {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(body), 0o644)
		arc, err := a.Put(p)
		if err != nil {
			t.Fatal(err)
		}
		return arc
	}
	loaded := put("好.csv", "loaded")
	if err := a.Record(Committed{SHA256: loaded.SHA256, Name: loaded.Name}); err != nil {
		t.Fatal(err)
	}
	q := Quarantine{Keep: time.Hour, Bytes: 25}
	if err := a.Refuse(loaded, q); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Path(loaded.SHA256); err != nil {
		t.Errorf("a loaded file left the archive: %v", err)
	}
	var refused []Archived
	for i, body := range []string{"random bytes 1", "random bytes 2", "random bytes 3"} {
		arc := put("坏"+string(rune('a'+i))+".xlsx", body)
		old := time.Now().Add(time.Duration(i-3) * time.Minute) // oldest first
		os.Chtimes(arc.Path, old, old)
		refused = append(refused, arc)
		if err := a.Refuse(arc, q); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Path(arc.SHA256); err == nil {
			t.Errorf("a refused file is still in the archive")
		}
	}
	got, _ := a.Quarantined()
	if len(got) != 1 || got[0] != filepath.Base(refused[2].Path) {
		t.Errorf("quarantine of 25 bytes keeps %v, want the newest (14 bytes) alone", got)
	}
	if files, _ := a.List(); len(files) != 1 || files[0].SHA256 != loaded.SHA256 {
		t.Errorf("the archive lists %+v", files)
	}
	// past its age
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(filepath.Join(a.Dir, quarantineDir, got[0]), old, old)
	if err := a.pruneQuarantine(q, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Quarantined(); len(got) != 0 {
		t.Errorf("an expired file is still quarantined: %v", got)
	}
}
