package dashboards

import (
	"net/http"
	"slices"

	"sifa/warehouse/panels"
)

// route is one row of the route table: the pattern, how a caller is
// known (public, a signed-in session, a push token), the role guard (nil:
// any signed-in account; a panel route checks the panel's own roles), and
// the handler.
type route struct {
	pattern string
	kind    routeKind
	allow   func(*panels.Access) bool
	handler http.HandlerFunc
}

// The role guards (the rights themselves are the role table's, in warehouse/panels/access.go).
var (
	mayUpload = func(a *panels.Access) bool { return a.Role.MayUpload() }
	adminOnly = func(a *panels.Access) bool { return a.Role == panels.RoleAdmin }
)

func mayOpen(path string) func(*panels.Access) bool {
	return func(a *panels.Access) bool { return slices.Contains(a.Role.Pages(), path) }
}

// routeTable is every route the site serves, in one place. Site.Routes
// lists them and a test walks each one signed out and with every role.
func (s *Site) routeTable() []route {
	rs := []route{
		// the panel API: the engine refuses a panel the role may not read, and an org outside the account's
		{"GET /api/v1/panels", routeSession, nil, panelList},
		{"GET /api/v1/panels/{id}", routeSession, nil, panelAnswer(s.Engine)},
		{"GET /api/v1/panels/{id}/lineage", routeSession, nil, panelLineage(s.Engine)},
		{"GET /api/v1/panels/{id}/export", routeSession, nil, s.exportPanel},
		{"GET /api/v1/version", routeSession, nil, s.dataVersion},
		// what anyone may fetch: the embedded assets and the sign-in form
		{"GET /assets/{name}", routePublic, nil, s.serveAsset},
		{"GET /favicon.ico", routePublic, nil, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=86400")
			w.WriteHeader(http.StatusNoContent)
		}},
		{"GET /login", routePublic, nil, s.loginForm},
		{"POST /login", routePublic, nil, s.login},
		{"POST /csp-report", routePublic, nil, s.cspReport},
		// the account
		{"POST /logout", routeSession, nil, s.logout},
		{"GET /account/password", routeSession, nil, s.passwordForm},
		{"POST /account/password", routeSession, nil, s.changePassword},
		{"GET /messages", routeSession, nil, s.messagesPage},
		{"POST /messages", routeSession, nil, s.saveMessages},
	}
	// the dashboard pages, each for the roles whose pages include it
	for _, d := range pageDefs {
		pattern := "GET " + d.Path
		if d.Path == "/" {
			pattern = "GET /{$}"
		}
		rs = append(rs, route{pattern, routeSession, mayOpen(d.Path), func(w http.ResponseWriter, r *http.Request) { s.servePage(w, r, d) }})
	}
	if s.Ingest != nil {
		rs = append(rs, route{"POST /sources/reload/{load}", routeSession, adminOnly, s.reloadSource})
		rs = append(rs,
			route{"GET /upload", routeSession, mayUpload, s.uploadForm},
			route{"POST /upload", routeSession, mayUpload, s.upload},
			route{"POST /upload/zero", routeSession, mayUpload, s.declareZero},
			route{"GET /upload/rejects/{id}", routeSession, mayUpload, s.downloadRejects})
		if len(s.PushTokens) > 0 {
			rs = append(rs, route{"POST /api/v1/ingest", routeToken, nil, s.push})
		}
		if s.Backup != nil && s.PushTokens["local"] != "" {
			rs = append(rs, route{"POST /api/v1/backup", routeToken, nil, s.backup})
		}
	}
	return append(rs,
		// exports, sources and the report appendix
		route{"GET /export", routeSession, nil, s.exportPage},
		route{"GET /sources", routeSession, nil, s.sourcesPage},
		route{"GET /sources/raw/{load}", routeSession, nil, s.rawFile},
		route{"GET /sources/history", routeSession, adminOnly, s.historyPage},
		route{"GET /report", routeSession, mayReport, s.reportPage},
		route{"GET /report.docx", routeSession, mayReport, s.reportDOCX},
		route{"GET /brief.docx", routeSession, mayOpen("/brief"), s.briefDOCX},
		route{"GET /compare/dataset", routeSession, mayOpen("/compare"), s.compareDataset},
		route{"GET /compare/codebook.csv", routeSession, mayOpen("/compare"), s.compareCodebook},
		// administration
		route{"GET /admin/users", routeSession, adminOnly, s.usersPage},
		route{"POST /admin/users", routeSession, adminOnly, s.changeUser},
		route{"GET /admin/audit", routeSession, adminOnly, s.auditPage},
		route{"GET /admin/targets", routeSession, adminOnly, s.targetsPage},
		route{"POST /admin/targets", routeSession, adminOnly, s.saveTargets},
		route{"GET /admin/map", routeSession, adminOnly, s.mapPage},
		route{"POST /admin/map", routeSession, adminOnly, s.uploadMap})
}
