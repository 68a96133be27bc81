package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Archive keeps every raw file a user sent, by content, before it is parsed.
type Archive struct{ Dir string }

// Archived is a file in the archive.
type Archived struct {
	SHA256 string
	Path   string // where the archive keeps the bytes
	Name   string // the name the file was sent under
	Size   int64
}

// Put copies the file into the archive under its SHA-256 (written to a
// temporary file, synced, then renamed, so a crash or a full disk never
// leaves half a file under a real name). The same bytes are stored once.
func (a Archive) Put(path string) (Archived, error) {
	name := filepath.Base(path)
	src, err := os.Open(path)
	if err != nil {
		return Archived{}, &FileError{File: name, Reason: "无法打开文件：" + err.Error()}
	}
	defer src.Close()
	if err := os.MkdirAll(a.Dir, 0o750); err != nil {
		return Archived{}, &FileError{File: name, Reason: "无法建立归档目录：" + err.Error()}
	}
	tmp, err := os.CreateTemp(a.Dir, ".incoming-*")
	if err != nil {
		return Archived{}, &FileError{File: name, Reason: "无法写入归档目录：" + err.Error()}
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), src)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Archived{}, &FileError{File: name, Reason: "归档原始文件失败（磁盘可能已满），文件没有载入：" + err.Error()}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dir := filepath.Join(a.Dir, sum[:2])
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Archived{}, &FileError{File: name, Reason: "无法建立归档目录：" + err.Error()}
	}
	ext := strings.ToLower(filepath.Ext(name))
	if len(ext) > 8 {
		ext = ""
	}
	dst := filepath.Join(dir, sum+ext)
	if _, err := os.Stat(dst); err != nil {
		if err := os.Rename(tmp.Name(), dst); err != nil {
			return Archived{}, &FileError{File: name, Reason: "归档原始文件失败：" + err.Error()}
		}
	}
	// the names a file was sent under, one a line (each once), for a rebuild from the archive
	namesPath := filepath.Join(dir, sum+".names")
	known, _ := os.ReadFile(namesPath)
	if !slices.Contains(strings.Split(string(known), "\n"), name) {
		if f, err := os.OpenFile(namesPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640); err == nil {
			fmt.Fprintln(f, name)
			f.Close()
		}
	}
	return Archived{SHA256: sum, Path: dst, Name: name, Size: n}, nil
}

// IsRawFile says whether a name in the archive folder is a raw file (the
// bytes a user sent, named by their SHA-256), not the journal or a list
// of the names a file was sent under.
func IsRawFile(name string) bool {
	sum := strings.TrimSuffix(name, filepath.Ext(name))
	return len(sum) == 64 && !strings.HasSuffix(name, ".names") && !strings.HasPrefix(name, ".")
}

// List returns every archived file in the order it first arrived (the time
// the archive wrote it), each under the first name it was sent under.
func (a Archive) List() ([]Archived, error) {
	type item struct {
		Archived
		at time.Time
	}
	var items []item
	err := filepath.WalkDir(a.Dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == a.Dir {
				return filepath.SkipDir
			}
			return err
		}
		name := d.Name()
		if d.IsDir() && path == filepath.Join(a.Dir, quarantineDir) {
			return filepath.SkipDir // refused files are not the archive's
		}
		if d.IsDir() || !IsRawFile(name) {
			return nil
		}
		sum := strings.TrimSuffix(name, filepath.Ext(name))
		info, err := d.Info()
		if err != nil {
			return err
		}
		orig := name
		if b, err := os.ReadFile(filepath.Join(filepath.Dir(path), sum+".names")); err == nil {
			if first, _, _ := strings.Cut(string(b), "\n"); first != "" {
				orig = first
			}
		}
		items = append(items, item{Archived{SHA256: sum, Path: path, Name: orig, Size: info.Size()}, info.ModTime()})
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].at.Equal(items[j].at) {
			return items[i].at.Before(items[j].at)
		}
		return items[i].Path < items[j].Path
	})
	out := make([]Archived, len(items))
	for i, it := range items {
		out[i] = it.Archived
	}
	return out, nil
}

// Path finds the archived bytes of a file by its SHA-256.
func (a Archive) Path(sha string) (string, error) {
	if len(sha) != 64 || strings.Trim(sha, "0123456789abcdef") != "" {
		return "", fmt.Errorf("「%s」不是 SHA-256", sha)
	}
	matches, _ := filepath.Glob(filepath.Join(a.Dir, sha[:2], sha+"*"))
	for _, m := range matches {
		if !strings.HasSuffix(m, ".names") {
			return m, nil
		}
	}
	return "", fmt.Errorf("归档里没有 %s", sha)
}

// Committed is one line of the archive's journal: a file whose load
// committed, in the order the loads committed. A rebuild replays exactly
// these, each under the limit and the ledger type it was loaded with; a
// file that was refused, or that failed, is not in it.
type Committed struct {
	At     time.Time `json:"at"`
	SHA256 string    `json:"sha256"`
	Name   string    `json:"name"`             // as it was sent
	LoadID string    `json:"load_id"`          // in the warehouse that took it
	Within string    `json:"within,omitempty"` // the uploader's org limit ("" = none)
	Ledger string    `json:"ledger,omitempty"` // a ledger type forced by the sender ("" = detected)
	// Accepted and Rejected are the rows the load took and turned back: a
	// replay must come to the same.
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
}

const journalName = "journal.jsonl"

// journalMu keeps appends of one process whole; a line is one write(2) of
// under a page, which O_APPEND keeps whole across processes.
var journalMu sync.Mutex

// Record appends a committed load to the journal and syncs it.
func (a Archive) Record(c Committed) error {
	line, err := json.Marshal(c)
	if err != nil {
		return err
	}
	journalMu.Lock()
	defer journalMu.Unlock()
	if err := os.MkdirAll(a.Dir, 0o750); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(a.Dir, journalName), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return err
	}
	if _, err = f.Write(append(line, '\n')); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// HasJournal says whether the archive keeps a journal (archives written
// before it was kept have none until one is made from the warehouse).
func (a Archive) HasJournal() bool {
	_, err := os.Stat(filepath.Join(a.Dir, journalName))
	return err == nil
}

// Journal reads the committed loads in the order they committed. A last
// line cut short by a crash is passed over; any other bad line is an error.
func (a Archive) Journal() ([]Committed, error) {
	b, err := os.ReadFile(filepath.Join(a.Dir, journalName))
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	var out []Committed
	for i, l := range lines {
		if l == "" {
			continue
		}
		var c Committed
		if err := json.Unmarshal([]byte(l), &c); err != nil {
			if i == len(lines)-1 && !strings.HasSuffix(string(b), "\n") {
				break
			}
			return nil, fmt.Errorf("归档记录 %s 第 %d 行读不懂：%w", journalName, i+1, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// quarantineDir holds, inside the archive folder, the files that were sent
// but never loaded (refused, unreadable): kept for a while so that a clerk
// or the IT admin can look at what was sent, then removed, so that nobody can
// fill the disk by sending files that never load.
const quarantineDir = "quarantine"

// Quarantine is how long and how much of refused files are kept.
type Quarantine struct {
	Keep  time.Duration // default 30 days
	Bytes int64         // default 1 GiB: past it, the oldest go first
}

func (q Quarantine) withDefaults() Quarantine {
	if q.Keep <= 0 {
		q.Keep = 30 * 24 * time.Hour
	}
	if q.Bytes <= 0 {
		q.Bytes = 1 << 30
	}
	return q
}

// Refuse moves a file the archive took but that never loaded out of the
// archive into the quarantine (the archive keeps only what loaded), then
// drops quarantined files past the quota's age or size. It leaves alone a
// file whose bytes are in the journal (loaded before, or by a load that
// committed meanwhile).
func (a Archive) Refuse(arc Archived, q Quarantine) error {
	if committed, err := a.committed(arc.SHA256); err != nil || committed {
		return err
	}
	dir := filepath.Join(a.Dir, quarantineDir)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	base := filepath.Base(arc.Path)
	if err := os.Rename(arc.Path, filepath.Join(dir, base)); err != nil && !os.IsNotExist(err) {
		return err
	}
	names := strings.TrimSuffix(arc.Path, filepath.Ext(arc.Path)) + ".names"
	os.Rename(names, filepath.Join(dir, filepath.Base(names)))
	return a.pruneQuarantine(q.withDefaults(), time.Now())
}

// committed says whether the journal names these bytes.
func (a Archive) committed(sha string) (bool, error) {
	if !a.HasJournal() {
		return false, nil
	}
	j, err := a.Journal()
	if err != nil {
		return false, err
	}
	for _, c := range j {
		if c.SHA256 == sha {
			return true, nil
		}
	}
	return false, nil
}

// pruneQuarantine removes quarantined files older than the quota's age,
// then the oldest until the rest fit its size.
func (a Archive) pruneQuarantine(q Quarantine, now time.Time) error {
	dir := filepath.Join(a.Dir, quarantineDir)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	type file struct {
		path string
		at   time.Time
		size int64
	}
	var files []file
	var total int64
	for _, e := range ents {
		if !IsRawFile(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if now.Sub(info.ModTime()) > q.Keep {
			removeWithNames(p)
			continue
		}
		files = append(files, file{p, info.ModTime(), info.Size()})
		total += info.Size()
	}
	sort.Slice(files, func(i, j int) bool { return files[i].at.Before(files[j].at) })
	for _, f := range files {
		if total <= q.Bytes {
			break
		}
		removeWithNames(f.path)
		total -= f.size
	}
	return nil
}

func removeWithNames(path string) {
	os.Remove(path)
	os.Remove(strings.TrimSuffix(path, filepath.Ext(path)) + ".names")
}

// Quarantined lists the refused files kept (for the IT admin and tests).
func (a Archive) Quarantined() ([]string, error) {
	ents, err := os.ReadDir(filepath.Join(a.Dir, quarantineDir))
	if os.IsNotExist(err) {
		return nil, nil
	}
	var out []string
	for _, e := range ents {
		if IsRawFile(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, err
}

// CopyFile copies a file's bytes to a new file (where a hard link cannot be
// made: another file system).
func CopyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
