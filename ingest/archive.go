package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
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
	// the names a file was sent under, one a line, for a rebuild from the archive
	if f, err := os.OpenFile(filepath.Join(dir, sum+".names"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640); err == nil {
		fmt.Fprintln(f, name)
		f.Close()
	}
	return Archived{SHA256: sum, Path: dst, Name: name, Size: n}, nil
}
