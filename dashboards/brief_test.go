package dashboards_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"sifa/warehouse/panels"
)

// TestBriefPage: the monthly brief of 青山县 for 2016-12 on the page and as
// Word, its month's count the same as the month chart's, open to 政府用户
// and not to a 数据员.
func TestBriefPage(t *testing.T) {
	srv := demoSite(t)
	admin := adminOf(t, srv.URL)
	_, raw := admin.get(t, "/api/v1/panels/disputes.by_month?org=990121&year=2016")
	var months panels.Rows[panels.DisputeRow]
	json.Unmarshal([]byte(raw), &months)
	var dec, ytd int64
	for _, r := range months.Rows {
		ytd += r.Received
		if r.Month == "2016-12" {
			dec = r.Received
		}
	}
	if dec == 0 {
		t.Fatalf("no December in %s", raw)
	}
	code, page := admin.get(t, "/brief?org=990121&month=2016-12")
	if code != 200 || !strings.Contains(page, "<h1>青山县2016年12月司法行政简报</h1>") {
		t.Fatalf("brief page: %d", code)
	}
	for _, want := range []string{
		`data-field="received" data-value="` + itoa(dec) + `"`, // the month
		`data-value="` + itoa(ytd) + `"`,                       // the year to date
		"13个司法所都已报送2016年12月的月度台账",
		`href="/brief.docx?month=2016-12&amp;org=990121"`,
		`/export?format=xlsx&amp;month=2016-12&amp;org=990121&amp;page=%2Fbrief`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the brief page lacks %s", want)
		}
	}
	gov := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleGovernment, "990121")
	resp, err := gov.c.Get(srv.URL + "/brief.docx?org=990121&month=2016-12")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("brief.docx for 政府用户: %d %s", resp.StatusCode, body)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the .docx is not a zip: %v", err)
	}
	var doc string
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			doc = string(b)
		}
	}
	if !strings.Contains(doc, "青山县2016年12月司法行政简报") || !strings.Contains(doc, "本月受理矛盾纠纷 "+itoa(dec)+"件") {
		t.Errorf("the .docx lacks the title or the month's count")
	}
	clerk := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleClerk, "990121100")
	for _, path := range []string{"/brief?org=990121100&month=2016-12", "/brief.docx?org=990121100&month=2016-12"} {
		if code, _ := clerk.get(t, path); code != 403 {
			t.Errorf("a 数据员 on %s: %d, want 403", path, code)
		}
	}
	if code, _ := gov.get(t, "/brief?org=990122&month=2016-12"); code != 403 {
		t.Errorf("青山县's 政府用户 on 绿水县's brief: %d, want 403", code)
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
