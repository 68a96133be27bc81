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

// Handler serves GET /api/v1/panels/ID and GET /api/v1/panels (the list).
// APIHandler serves the panels as JSON, unguarded: Site serves it behind its
// sign-in and role guard; tests and the command line use it directly.
func APIHandler(e *panels.Engine) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/panels", func(w http.ResponseWriter, r *http.Request) {
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
	})
	mux.HandleFunc("GET /api/v1/panels/{id}", func(w http.ResponseWriter, r *http.Request) {
		f, err := panels.ParseFilter(r.URL.Query())
		if err == nil {
			var v any
			v, err = e.Run(r.Context(), r.PathValue("id"), f)
			if err == nil {
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
		writeError(w, r, err)
	})
	mux.HandleFunc("GET /api/v1/panels/{id}/lineage", func(w http.ResponseWriter, r *http.Request) {
		f, err := panels.ParseFilter(r.URL.Query())
		if err == nil {
			var v *panels.Lineage
			v, err = e.Lineage(r.Context(), r.PathValue("id"), f)
			if err == nil {
				writeJSON(w, http.StatusOK, v)
				return
			}
		}
		writeError(w, r, err)
	})
	return mux
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
