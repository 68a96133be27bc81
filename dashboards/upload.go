package dashboards

// 数据上传: the upload form, the upload, its report and rejects workbook, and the files on disk.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// rejectFile is an upload's rejects workbook, written to disk when the
// upload ends: the server keeps its path, never the rows (four uploads of a
// million rejected rows each once held 1.3 GB for an hour).
type rejectFile struct {
	at   time.Time
	user string // only the account that uploaded may download it
	path string
}

// rejectsKept bounds the rejects workbooks kept at once (each for an hour).
const rejectsKept = 200

type uploadView struct {
	CSRF    string
	Due     string   // the month whose ledgers are due now
	Missing []string // the account's offices that have not sent them, with what is missing
	Done    bool
	Files   []uploadFile
	Rejects string // download link
	Total   string
	// 零上报: the monthly ledgers, the offices the account may declare for,
	// and what the last declaration came to
	ZeroLedgers []struct{ ID, Name string }
	ZeroOrgs    []link // Text: name, Href: code
	ZeroMonth   string
	ZeroMessage string
	ZeroOK      bool
}

type uploadFile struct {
	Name    string
	OK      bool
	Message string
	Tables  []string
	Rejects []string
	More    int
}

func (s *Site) uploadForm(w http.ResponseWriter, r *http.Request) {
	p := &page{Title: "数据上传", Path: "/upload", Upload: &uploadView{}, NoFilter: true}
	reg, _ := s.Engine.Store.Registry(r.Context())
	if reg == nil {
		reg = panels.NewRegistry(nil)
	}
	s.frame(r.Context(), p, panels.Filter{}, nil, reg)
	s.submissions(r.Context(), p.Upload)
	s.zeroForm(r.Context(), p.Upload, reg)
	s.render(w, r, http.StatusOK, p)
}

// zeroForm fills the 零上报 form: the monthly ledgers and the offices the
// account may declare for (a 数据员: their own).
func (s *Site) zeroForm(ctx context.Context, v *uploadView, reg *panels.Registry) {
	v.ZeroLedgers, v.ZeroMonth = load.ZeroLedgers(), v.Due
	a := panels.AccessFrom(ctx)
	limit := ""
	if a != nil {
		limit = a.Org
	}
	if o := reg.Org(limit); o != nil && o.Level == panels.LevelTown {
		v.ZeroOrgs = []link{{Text: o.Name, Href: o.Code}}
		return
	}
	for _, t := range reg.Under(limit, panels.LevelTown) {
		name := t.Name
		if t.CountyName != "" {
			name = t.CountyName + t.Name
		}
		v.ZeroOrgs = append(v.ZeroOrgs, link{Text: name, Href: t.Code})
	}
}

// declareZero serves POST /upload/zero: an office declares it had none of
// a monthly ledger's business in a month.
func (s *Site) declareZero(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a := panels.AccessFrom(ctx)
	p := &page{Title: "数据上传", Path: "/upload", Upload: &uploadView{}, NoFilter: true}
	reg, _ := s.Engine.Store.Registry(ctx)
	if reg == nil {
		reg = panels.NewRegistry(nil)
	}
	s.frame(ctx, p, panels.Filter{}, nil, reg)
	d := load.ZeroDeclaration{Ledger: r.PostFormValue("ledger"), Org: strings.TrimSpace(r.PostFormValue("org")), Month: strings.TrimSpace(r.PostFormValue("month")), By: a.User}
	code := http.StatusOK
	dir, err := os.MkdirTemp(s.uploadParent(), "zero-*")
	var rep load.FileReport
	if err == nil {
		defer os.RemoveAll(dir)
		rep, err = s.Ingest.DeclareZero(ctx, a.Org, dir, d)
	}
	switch {
	case err != nil:
		code, p.Upload.ZeroMessage = http.StatusBadRequest, "没有零上报："+err.Error()
	case rep.Err != nil:
		code, p.Upload.ZeroMessage = http.StatusBadRequest, "没有零上报："+rep.Err.Error()
	default:
		name := d.Org
		if o := reg.Org(d.Org); o != nil {
			name = o.Name
		}
		ledgerName := d.Ledger
		for _, l := range load.ZeroLedgers() {
			if l.ID == d.Ledger {
				ledgerName = l.Name
			}
		}
		p.Upload.ZeroOK = true
		p.Upload.ZeroMessage = fmt.Sprintf("已零上报：%s %s 没有%s的业务。以后如果发现有数据，直接上传台账即可替换。", name, panels.MonthName(d.Month), strings.TrimSuffix(ledgerName, "台账"))
	}
	result := "成功"
	if !p.Upload.ZeroOK {
		result = "失败"
	}
	s.audit(r, a, "upload", "零上报", d.Org+" "+d.Month+" "+d.Ledger+"："+p.Upload.ZeroMessage, result)
	s.submissions(ctx, p.Upload)
	s.zeroForm(ctx, p.Upload, reg)
	s.render(w, r, code, p)
}

// submissions tells the uploader which of their offices have not yet sent
// the month's ledgers (a 数据员 sees their own office only).
func (s *Site) submissions(ctx context.Context, v *uploadView) {
	ans, err := s.Engine.Run(ctx, "submissions.monthly", panels.Filter{})
	if err != nil {
		return // the page works without it
	}
	sub := ans.(*panels.Submissions)
	v.Due = sub.Month
	for _, r := range sub.Rows {
		if len(r.Missing) > 0 {
			v.Missing = append(v.Missing, r.OrgName+"："+strings.Join(r.Missing, "、"))
		}
	}
	if len(v.Missing) > 12 {
		v.Missing = append(v.Missing[:12], fmt.Sprintf("……共 %d 个单位未报齐", len(v.Missing)))
	}
}

func (s *Site) upload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload)
	p := &page{Title: "数据上传", Path: "/upload", Upload: &uploadView{Done: true}, NoFilter: true}
	reg, _ := s.Engine.Store.Registry(r.Context())
	if reg == nil {
		reg = panels.NewRegistry(nil)
	}
	s.frame(r.Context(), p, panels.Filter{}, nil, reg)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		p.Empty = "上传失败：文件太大或没有传完整（一次最多 " + strconv.FormatInt(s.MaxUpload>>20, 10) + " MB）。请分几次上传。"
		s.render(w, r, http.StatusBadRequest, p)
		return
	}
	defer r.MultipartForm.RemoveAll()
	files := r.MultipartForm.File["files"]
	if len(files) == 0 {
		p.Empty = "没有选择文件。请点“选择文件”，选好台账后再点“上传并载入”。"
		s.render(w, r, http.StatusBadRequest, p)
		return
	}
	if len(files) > s.sec.MaxFiles {
		p.Empty = fmt.Sprintf("一次最多上传 %d 个文件，这次选了 %d 个。请分几次上传。", s.sec.MaxFiles, len(files))
		s.render(w, r, http.StatusBadRequest, p)
		return
	}
	a := panels.AccessFrom(r.Context())
	var size int64
	for _, fh := range files {
		size += fh.Size
	}
	if ok, left := s.quota.take(a.User, size, s.sec.UploadBytesPerDay, time.Now()); !ok {
		p.Empty = fmt.Sprintf("您的账号一天最多上传 %d MB，今天还能上传 %d MB，这次的文件共 %d MB。请明天再传，或请管理员调高上限。",
			s.sec.UploadBytesPerDay>>20, left>>20, (size+(1<<20)-1)>>20)
		s.render(w, r, http.StatusTooManyRequests, p)
		return
	}
	dir, paths, err := saveUploads(s.UploadDir, files)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	defer os.RemoveAll(dir)
	reports, err := s.Ingest.RunUpload(r.Context(), a.Org, r.FormValue("replace_confirmed") == "1", paths)
	if err != nil {
		s.renderError(w, r, p, err)
		return
	}
	s.auditUpload(r, a, "upload", reports)
	var acc, rej int
	for _, rep := range reports {
		uf := uploadFile{Name: filepath.Base(rep.File), OK: rep.Err == nil}
		switch {
		case rep.Err != nil:
			uf.Message = rep.Err.Error()
		case rep.Skipped:
			uf.Message = "这个文件以前已经载入过，没有重复计算。"
		}
		if rep.Err == nil {
			uf.Tables = append(uf.Tables, rep.ReadAs()...)
		}
		for _, t := range rep.Tables {
			acc += t.Accepted
			rej += t.Rejected
			where := ""
			if w := t.Where(); w != "" {
				where = w + " → "
			}
			uf.Tables = append(uf.Tables, fmt.Sprintf("%s%s：载入 %s 行，退回 %s 行", where, t.LedgerName, thousands(int64(t.Accepted)), thousands(int64(t.Rejected))))
			if t.Notes.Any() {
				uf.Tables = append(uf.Tables, "注意："+t.Notes.Text())
			}
			for i, rp := range t.Replaces {
				if i == 5 {
					uf.Tables = append(uf.Tables, fmt.Sprintf("……共替换了 %d 个单位和时段的数据", len(t.Replaces)))
					break
				}
				uf.Tables = append(uf.Tables, rp.Text())
			}
			for _, rj := range t.Rejects {
				if len(uf.Rejects) < 200 {
					uf.Rejects = append(uf.Rejects, rj.Error())
				} else {
					uf.More++
				}
			}
		}
		p.Upload.Files = append(p.Upload.Files, uf)
	}
	p.Upload.Total = fmt.Sprintf("共 %d 个文件，载入 %s 行，退回 %s 行。", len(reports), thousands(int64(acc)), thousands(int64(rej)))
	if rej > 0 || hasFileError(reports) {
		id := make([]byte, 12)
		rand.Read(id)
		key := hex.EncodeToString(id)
		if path, err := s.writeRejects(key, load.RejectRows(reports)); err != nil {
			slog.Error("rejects workbook not written", "err", err)
		} else {
			s.keepRejects(key, rejectFile{at: time.Now(), user: a.User, path: path})
			p.Upload.Rejects = "/upload/rejects/" + key
		}
	}
	s.zeroForm(r.Context(), p.Upload, reg)
	s.render(w, r, http.StatusOK, p)
}

// auditUpload records each uploaded or pushed file: its name, fingerprint and result.
func (s *Site) auditUpload(r *http.Request, a *panels.Access, action string, reports []load.FileReport) {
	for _, rep := range reports {
		result, detail := "成功", fmt.Sprintf("载入 %d 行，退回 %d 行", rep.Accepted(), rep.Rejected())
		switch {
		case rep.Err != nil:
			result, detail = "失败", rep.Err.Error()
		case rep.Skipped:
			detail = "以前已经载入过"
		}
		if rep.SHA256 != "" {
			detail += "；SHA-256 " + rep.SHA256
		}
		s.audit(r, a, action, filepath.Base(rep.File), detail, result)
	}
}

func hasFileError(reports []load.FileReport) bool {
	for _, r := range reports {
		if r.Err != nil {
			return true
		}
	}
	return false
}

// downloadRejects writes the rejected rows of an upload as an .xlsx the
// clerk can open, fix and send again.
func (s *Site) downloadRejects(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	rf, ok := s.rejects[r.PathValue("id")]
	s.mu.Unlock()
	if !ok || time.Since(rf.at) > time.Hour {
		http.Error(w, "这份退回明细已过期（保留1小时），请重新上传文件查看。", http.StatusNotFound)
		return
	}
	a := panels.AccessFrom(r.Context())
	if rf.user != a.User {
		s.forbidden(w, r, a)
		return
	}
	f, err := os.Open(rf.path)
	if err != nil {
		http.Error(w, "这份退回明细已过期（保留1小时），请重新上传文件查看。", http.StatusNotFound)
		return
	}
	defer f.Close()
	s.audit(r, a, "export", "退回明细", "下载上传结果的退回明细", "成功")
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="rejects.xlsx"; filename*=UTF-8''%E9%80%80%E5%9B%9E%E6%98%8E%E7%BB%86.xlsx`)
	io.Copy(w, f)
}

// writeRejects writes an upload's rejects as a workbook in the upload
// folder (streamed: a long list never sits in memory as cells).
func (s *Site) writeRejects(key string, rows []load.RejectRow) (string, error) {
	dir := filepath.Join(s.uploadParent(), "sifa-rejects")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	f := excelize.NewFile()
	defer f.Close()
	sh := "退回明细"
	f.SetSheetName("Sheet1", sh)
	sw, err := f.NewStreamWriter(sh)
	if err != nil {
		return "", err
	}
	sw.SetColWidth(1, 1, 30)
	sw.SetColWidth(6, 6, 20)
	sw.SetColWidth(7, 7, 60)
	sw.SetRow("A1", []any{"文件", "工作表", "行号", "列", "项目", "填写内容", "退回原因"})
	for i, rj := range rows {
		var row any = ""
		if rj.Row > 0 {
			row = rj.Row
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", i+2), []any{FormulaSafe(rj.File), FormulaSafe(rj.Sheet), row, rj.Letter, rj.Column, FormulaSafe(rj.Value), FormulaSafe(rj.Reason)}); err != nil {
			return "", err
		}
	}
	if err := sw.Flush(); err != nil {
		return "", err
	}
	path := filepath.Join(dir, key+".xlsx")
	return path, f.SaveAs(path)
}

// keepRejects remembers a rejects workbook, forgetting (and removing) those
// over an hour old, and the oldest past rejectsKept.
func (s *Site) keepRejects(key string, rf rejectFile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.rejects {
		if time.Since(v.at) > time.Hour {
			os.Remove(v.path)
			delete(s.rejects, k)
		}
	}
	for len(s.rejects) >= rejectsKept {
		oldest := ""
		for k, v := range s.rejects {
			if oldest == "" || v.at.Before(s.rejects[oldest].at) {
				oldest = k
			}
		}
		os.Remove(s.rejects[oldest].path)
		delete(s.rejects, oldest)
	}
	s.rejects[key] = rf
}

// uploadParent is the folder uploads and rejects workbooks are written in.
func (s *Site) uploadParent() string {
	if s.UploadDir == "" {
		return os.TempDir()
	}
	return s.UploadDir
}

// saveUploads writes uploaded files into a new folder under parent, each in
// a sub-folder of its own (two files of one name stay apart) under its base
// name, for the ingest path. A file it cannot write is an error, never
// silently dropped; the caller removes the folder.
func saveUploads(parent string, files []*multipart.FileHeader) (string, []string, error) {
	dir, err := os.MkdirTemp(parent, "sifa-upload-*")
	if err != nil {
		return "", nil, err
	}
	var paths []string
	for i, fh := range files {
		name := uploadName(fh.Filename, i)
		sub := filepath.Join(dir, strconv.Itoa(i))
		dst := filepath.Join(sub, name)
		err := os.MkdirAll(sub, 0o700)
		var src multipart.File
		if err == nil {
			src, err = fh.Open()
		}
		if err == nil {
			var out *os.File
			if out, err = os.Create(dst); err == nil {
				_, err = io.Copy(out, src)
				if cerr := out.Close(); err == nil {
					err = cerr
				}
			}
			src.Close()
		}
		if err != nil {
			os.RemoveAll(dir)
			return "", nil, fmt.Errorf("无法保存上传的文件「%s」（磁盘可能已满），这次上传的文件都没有载入，请稍后重传：%w", name, err)
		}
		paths = append(paths, dst)
	}
	return dir, paths, nil
}

// maxNameBytes keeps a sent name (with the folder number in front) within
// what every file system takes (255 bytes a name).
const maxNameBytes = 200

// uploadName is the name a sent file is kept under: its last path element,
// without control characters (a NUL ends a name for the system), never "."
// or "..", and cut to maxNameBytes on a character boundary with its
// extension kept. A name with nothing left is 文件N.
func uploadName(sent string, i int) string {
	name := filepath.Base(strings.ReplaceAll(sent, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if strings.Trim(name, ".") == "" || name == "/" {
		return "文件" + strconv.Itoa(i+1)
	}
	if len(name) > maxNameBytes {
		ext := filepath.Ext(name)
		if len(ext) > 16 {
			ext = ""
		}
		stem := name[:maxNameBytes-len(ext)]
		for !utf8.ValidString(stem) {
			stem = stem[:len(stem)-1]
		}
		name = stem + ext
	}
	return name
}

// removeStaleUploads removes the upload folders and rejects workbooks a
// crashed or killed server left behind (an upload's folder lives only while
// its request does, a rejects workbook an hour).
func removeStaleUploads(parent string, before time.Time) {
	if parent == "" {
		parent = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(parent, "sifa-upload-*"))
	books, _ := filepath.Glob(filepath.Join(parent, "sifa-rejects", "*.xlsx"))
	exports, _ := filepath.Glob(filepath.Join(parent, "sifa-export-*"))
	dirs = append(append(dirs, books...), exports...)
	for _, d := range dirs {
		if st, err := os.Stat(d); err == nil && st.ModTime().Before(before) {
			os.RemoveAll(d)
		}
	}
}
