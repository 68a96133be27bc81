package dashboards

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"sifa/warehouse/panels"
	"strings"
)

// APIError is the JSON body of an error answer.
type APIError struct {
	Error string `json:"error"`
}

// APIHandler serves the panel API unguarded (full access): the tests use
// it. The site serves the same handlers through its route table, behind
// sign-in and the role guard.
func APIHandler(e *panels.Engine) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/panels", panelList)
	mux.HandleFunc("GET /api/v1/panels/{id}", panelAnswer(e))
	mux.HandleFunc("GET /api/v1/panels/{id}/lineage", panelLineage(e))
	return mux
}

// panelList serves GET /api/v1/panels: the panels the caller may read.
func panelList(w http.ResponseWriter, r *http.Request) {
	type item struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	var out []item
	a := panels.AccessFrom(r.Context())
	for _, p := range panels.Panels() {
		if a == nil || a.Role.MayPanel(p.ID) {
			out = append(out, item{p.ID, p.Title})
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"panels": out})
}

// panelAnswer serves GET /api/v1/panels/{id}: the answer as JSON.
func panelAnswer(e *panels.Engine) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := panels.ParseFilter(r.URL.Query())
		if err == nil {
			var v any
			if v, err = e.Run(r.Context(), r.PathValue("id"), f); err == nil {
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
		writeError(w, r, err)
	}
}

// panelLineage serves GET /api/v1/panels/{id}/lineage: the files an answer read.
func panelLineage(e *panels.Engine) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, err := panels.ParseFilter(r.URL.Query())
		if err == nil {
			var v *panels.Lineage
			if v, err = e.Lineage(r.Context(), r.PathValue("id"), f); err == nil {
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
		writeError(w, r, err)
	}
}

// writeError answers a bad filter 400, a refusal 403, anything else 500 (logged).
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var fe *panels.FilterError
	if errors.As(err, &fe) {
		writeJSON(w, http.StatusBadRequest, APIError{fe.Msg})
		return
	}
	var ae *panels.AccessError
	if errors.As(err, &ae) {
		writeJSON(w, http.StatusForbidden, APIError{ae.Msg})
		return
	}
	slog.Error("panel failed", "panel", r.PathValue("id"), "err", err)
	writeJSON(w, http.StatusInternalServerError, APIError{"查询出错，请稍后再试；如果一直出错，请联系管理员查看日志"})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// MarshalPanel renders a panel answer as the JSON the CLI and the API print.
func MarshalPanel(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(b.String()), nil
}
