package dashboards

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"strconv"
	"strings"
)

// source returns the source a bearer token belongs to ("" when none does).
func (s *Site) source(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return ""
	}
	for name, t := range s.PushTokens {
		if t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(token)) == 1 {
			return name
		}
	}
	return ""
}

// push takes files from another system through the one ingest path.
func (s *Site) push(w http.ResponseWriter, r *http.Request) {
	src := s.source(r)
	if src == "" {
		s.audit(r, nil, "denied", r.URL.Path, "缺少或不认识的推送令牌", "拒绝")
		writeJSON(w, http.StatusUnauthorized, APIError{"缺少或不认识的推送令牌（Authorization: Bearer 令牌，在配置文件的 push_tokens 里）"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, s.MaxUpload)
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		writeJSON(w, http.StatusBadRequest, APIError{"上传内容不对或超过 " + strconv.FormatInt(s.MaxUpload>>20, 10) + " MB：" + err.Error()})
		return
	}
	defer r.MultipartForm.RemoveAll()
	files := r.MultipartForm.File["files"]
	if len(files) == 0 {
		writeJSON(w, http.StatusBadRequest, APIError{"没有文件：请用 multipart 字段 files 发送"})
		return
	}
	dir, paths, err := saveUploads(s.UploadDir, files)
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, APIError{err.Error()})
		return
	}
	defer os.RemoveAll(dir)
	reports, err := s.Ingest.RunWithin(r.Context(), "", paths)
	if err == nil {
		s.auditUpload(r, &panels.Access{User: "推送：" + src}, "push", reports)
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, APIError{"仓库暂时不可用，请稍后重发：" + err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, load.NewPushReport(src, reports))
}

// backup writes an online backup for sifa backup on this machine.
func (s *Site) backup(w http.ResponseWriter, r *http.Request) {
	if s.source(r) != "local" {
		s.audit(r, nil, "denied", r.URL.Path, "备份需要本机的 local 令牌", "拒绝")
		writeJSON(w, http.StatusUnauthorized, APIError{"只有本机的 local 令牌可以备份"})
		return
	}
	var req struct {
		Dir string `json:"dir"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(&req); err != nil || !filepath.IsAbs(req.Dir) {
		writeJSON(w, http.StatusBadRequest, APIError{"请给出备份目录的绝对路径"})
		return
	}
	dir, err := s.Backup(r.Context(), req.Dir)
	result := "成功"
	if err != nil {
		result = "失败"
	}
	s.audit(r, &panels.Access{User: "本机（local 令牌）"}, "export", "在线备份", dir, result)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, APIError{err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"dir": dir})
}
