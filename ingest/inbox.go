package ingest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Inbox is a folder offices (or other systems) drop ledger files into. A
// file is taken only once it has stopped growing; a loaded file moves to
// done/, a file that cannot be loaded to failed/ with a .reason.txt beside
// it; a file that could not be loaded for a passing reason stays to be
// tried again.
type Inbox struct {
	Dir    string
	Settle time.Duration // a file must keep its size and time this long (default 2 s)
	// Now and Sleep are the clock (tests replace them).
	Now   func() time.Time
	Sleep func(time.Duration)
}

const (
	doneDir   = "done"
	failedDir = "failed"
)

func (in *Inbox) now() time.Time {
	if in.Now != nil {
		return in.Now()
	}
	return time.Now()
}

func (in *Inbox) settle() time.Duration {
	if in.Settle <= 0 {
		return 2 * time.Second
	}
	return in.Settle
}

// Ready lists the files of the inbox (not its done/ and failed/ folders)
// that have stopped growing: their size and modification time are the same
// before and after the settle time, and the time is at least that old.
// Partial uploads (.part, .tmp, ~$ lock files, hidden files) are left alone.
func (in *Inbox) Ready() ([]string, error) {
	list := func() (map[string]os.FileInfo, error) {
		out := map[string]os.FileInfo{}
		err := filepath.WalkDir(in.Dir, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := d.Name()
			if d.IsDir() {
				if path != in.Dir && (name == doneDir || name == failedDir || strings.HasPrefix(name, ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") || strings.HasSuffix(name, ".part") ||
				strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".reason.txt") || strings.HasSuffix(name, ".crdownload") {
				return nil
			}
			info, err := d.Info()
			if err == nil && info.Mode().IsRegular() {
				out[path] = info
			}
			return nil
		})
		return out, err
	}
	first, err := list()
	if err != nil || len(first) == 0 {
		return nil, err
	}
	sleep := in.Sleep
	if sleep == nil {
		sleep = time.Sleep
	}
	sleep(in.settle())
	second, err := list()
	if err != nil {
		return nil, err
	}
	var ready []string
	for path, a := range first {
		b, ok := second[path]
		if !ok || a.Size() != b.Size() || !a.ModTime().Equal(b.ModTime()) || in.now().Sub(b.ModTime()) < in.settle() {
			continue // still being written
		}
		ready = append(ready, path)
	}
	sort.Strings(ready)
	return ready, nil
}

// Done moves a loaded file to done/.
func (in *Inbox) Done(path string) error {
	_, err := in.move(path, doneDir)
	return err
}

// Failed moves a file that cannot be loaded to failed/ and writes why beside it.
func (in *Inbox) Failed(path, reason string) error {
	dst, err := in.move(path, failedDir)
	if err != nil {
		return err
	}
	return os.WriteFile(dst+".reason.txt", []byte(reason+"\n"), 0o640)
}

// move renames a file into a folder of the inbox, keeping an earlier file
// of the same name (the new one gets the time in its name).
func (in *Inbox) move(path, sub string) (string, error) {
	dir := filepath.Join(in.Dir, sub)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	base := filepath.Base(path)
	dst := filepath.Join(dir, base)
	if _, err := os.Stat(dst); err == nil {
		ext := filepath.Ext(base)
		dst = filepath.Join(dir, fmt.Sprintf("%s.%s%s", strings.TrimSuffix(base, ext), in.now().Format("20060102-150405.000"), ext))
	}
	if err := os.Rename(path, dst); err != nil {
		return "", fmt.Errorf("无法移动「%s」到 %s：%w", base, sub, err)
	}
	return dst, nil
}
