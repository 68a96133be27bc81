package dashboards_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sifa/dashboards"
	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
)

// demoSiteOn serves the demo warehouse of an engine (uncached).
func demoSiteOn(t testing.TB, engine string) *dashboardsServer {
	w := demoWarehouse(t, engine)
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(t.TempDir(), "archive")}, Config: transform.Config{Secret: []byte("test-secret")}}
	site := &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: t.TempDir(), Archive: archives[engine].Path}
	srv := serveSite(t, site)
	return &dashboardsServer{URL: srv.URL, w: w}
}

type dashboardsServer struct {
	URL string
	w   *warehouse.Warehouse
}

// otherCounty is everything that names 绿水县 (990122): its codes, the names
// of its orgs, its files' names and SHA-256.
func otherCounty(t *testing.T, w *warehouse.Warehouse) []string {
	t.Helper()
	reg, err := w.Registry(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := []string{"990122", "绿水县"}
	for _, o := range reg.Orgs() {
		if strings.HasPrefix(o.Code, "990122") {
			// a name both counties use (石门村 in each) would flag a true answer
			shared := false
			for _, p := range reg.Orgs() {
				if p.Name == o.Name && !strings.HasPrefix(p.Code, "990122") {
					shared = true
				}
			}
			if !shared {
				out = append(out, o.Name)
			}
		}
	}
	dir := demoFiles(t)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if !strings.Contains(e.Name(), "绿水县") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out = append(out, hex.EncodeToString(sum[:]))
	}
	return out
}

// parquetText is every string value of a Parquet file or a zip of them.
func parquetText(t *testing.T, b []byte) string {
	t.Helper()
	var files [][]byte
	if bytes.HasPrefix(b, []byte("PK")) {
		z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range z.File {
			r, _ := f.Open()
			x, _ := io.ReadAll(r)
			r.Close()
			files = append(files, x)
		}
	} else {
		files = [][]byte{b}
	}
	var sb strings.Builder
	for _, x := range files {
		tbl := readParquet(t, x)
		for i := 0; i < int(tbl.NumCols()); i++ {
			for _, ch := range tbl.Column(i).Data().Chunks() {
				for j := 0; j < ch.Len(); j++ {
					sb.WriteString(ch.ValueStr(j))
					sb.WriteByte('\n')
				}
			}
		}
		tbl.Release()
	}
	return sb.String()
}

// TestScopeWall: an account limited to 青山县 sees no code, name, file or
// row of 绿水县 in any panel, any export format, any lineage or the 数据来源
// pages, on both engines.
func TestScopeWall(t *testing.T) {
	for _, engine := range []string{"duckdb", "clickhouse"} {
		t.Run(engine, func(t *testing.T) {
			srv := demoSiteOn(t, engine)
			st := storeOf(t, srv.URL)
			leader := signIn(t, srv.URL, st, panels.RoleLeader, "990121")
			researcher := signIn(t, srv.URL, st, panels.RoleResearcher, "990121")
			forbidden := otherCounty(t, srv.w)
			check := func(who *user, path, body string) {
				t.Helper()
				for _, f := range forbidden {
					if strings.Contains(body, f) {
						t.Errorf("%s as %s (limited to 青山县) shows 「%s」", path, who.name, f)
						return
					}
				}
			}
			var ids []string
			for _, p := range panels.Panels() {
				ids = append(ids, p.ID)
			}
			roles := map[*user]panels.Role{leader: panels.RoleLeader, researcher: panels.RoleResearcher}
			for _, who := range []*user{leader, researcher} {
				for _, id := range ids {
					for _, q := range []string{"", "year=2014", "year=2016"} {
						code, body := who.get(t, "/api/v1/panels/"+id+"?"+q)
						if code == 403 {
							continue
						}
						check(who, id+"?"+q, body)
						_, body = who.get(t, "/api/v1/panels/"+id+"/lineage?"+q)
						check(who, id+"/lineage?"+q, body)
						for _, format := range []string{"xlsx", "csv", "parquet"} {
							path := "/api/v1/panels/" + id + "/export?format=" + format + "&" + q
							code, body := who.get(t, path)
							if code != 200 {
								continue
							}
							if format == "parquet" {
								body = parquetText(t, []byte(body))
							} else if format == "xlsx" {
								sheets, _ := readXLSX(t, []byte(body))
								var sb strings.Builder
								for _, rows := range sheets {
									for _, r := range rows {
										sb.WriteString(strings.Join(r, "\t"))
									}
								}
								body = sb.String()
							}
							check(who, path, body)
						}
						_, body = who.get(t, "/sources?panel="+id+"&"+q)
						check(who, "/sources?panel="+id+"&"+q, body)
					}
				}
				for _, page := range roles[who].Pages() {
					for _, q := range []string{"", "year=2014"} {
						path := "/sources?page=" + url.QueryEscape(page) + "&" + q
						_, body := who.get(t, path)
						check(who, path, body)
						_, body = who.get(t, page+"?"+q)
						check(who, page+"?"+q, body)
					}
				}
			}
			// the rows behind a panel that counts no fact rows of its own do not exist
			if code, _ := leader.get(t, "/api/v1/panels/meta.years/export?format=parquet"); code != 400 {
				t.Errorf("meta.years rows behind: %d, want 400", code)
			}
		})
	}
}
