package dashboards_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"sifa/dashboards"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

func TestPush(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir,
		PushTokens: map[string]string{"县政务系统": "s3cret-token"}})
	push := func(token string, files map[string]string) (int, load.PushReport, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for name, content := range files {
			fw, _ := mw.CreateFormFile("files", name)
			fw.Write([]byte(content))
		}
		mw.Close()
		req, _ := http.NewRequest("POST", srv.URL+"/api/v1/ingest", &body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		var rep load.PushReport
		json.Unmarshal(raw, &rep)
		return resp.StatusCode, rep, string(raw)
	}
	files := map[string]string{
		"名录.csv": "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n",
		"调解.csv": "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,石门,邻里,调解成功\n2014-03-06,石门,吵架,调解成功\n",
	}
	for _, tok := range []string{"", "wrong"} {
		if code, _, raw := push(tok, files); code != 401 {
			t.Errorf("token %q: %d %s", tok, code, raw)
		}
	}
	code, rep, raw := push("s3cret-token", files)
	if code != 200 || rep.Source != "县政务系统" || len(rep.Files) != 2 {
		t.Fatalf("push: %d %s", code, raw)
	}
	var accepted, rejected int
	for _, f := range rep.Files {
		accepted += f.Accepted
		rejected += f.Rejected
		for _, tb := range f.Tables {
			for _, rj := range tb.Rejects {
				if rj.Column != "纠纷类型" || rj.Row != 3 || rj.Value != "吵架" {
					t.Errorf("reject %+v", rj)
				}
			}
		}
	}
	if accepted != 3 || rejected != 1 {
		t.Errorf("accepted %d rejected %d: %s", accepted, rejected, raw)
	}
	if _, rep, _ := push("s3cret-token", files); !rep.Files[0].Skipped || !rep.Files[1].Skipped {
		t.Errorf("pushed again: not recognised as seen")
	}
	// no tokens configured: no push endpoint
	closed := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p})
	resp, _ := http.Post(closed.URL+"/api/v1/ingest", "text/plain", nil)
	if resp.StatusCode == 200 {
		t.Errorf("push answered without any token configured")
	}
	resp.Body.Close()
}
