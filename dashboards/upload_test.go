package dashboards_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"sifa/dashboards"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// postFiles uploads files as the administrator signed in to url's server.
func postFiles(t *testing.T, url string, files map[string]string) (int, string) {
	return postFilesAs(t, adminOf(t, url), url, files)
}

func postFilesAs(t *testing.T, u *user, url string, files map[string]string) (int, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", u.csrf)
	for name, content := range files {
		fw, _ := mw.CreateFormFile("files", name)
		fw.Write([]byte(content))
	}
	mw.Close()
	resp, err := u.c.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestUpload: files dropped on the upload page go through the one ingest
// path; the page lists what loaded and every rejected row with its reason;
// the rejects download as a spreadsheet; the same file again is recognised.
func TestUpload(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir})
	files := map[string]string{
		"台账.csv":  "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,石门,邻里,调解成功\n2014-02-30,石门,邻里,调解成功\n2014-03-07,=HYPERLINK(\"x\"),邻里,调解成功\n",
		"名录.csv":  "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n",
		"说明.xlsx": "not a spreadsheet",
	}
	code, page := postFiles(t, srv.URL+"/upload", files)
	if code != 200 {
		t.Fatalf("upload: %d %s", code, page)
	}
	for _, want := range []string{"机构名录：载入 2 行", "人民调解台账：载入 1 行，退回 2 行", "2014-02-30", "不是有效的日期", "机构名录里没有", "说明.xlsx", "不是 Excel", "下载退回明细"} {
		if !strings.Contains(page, want) {
			t.Errorf("upload page lacks %q", want)
		}
	}
	link := regexp.MustCompile(`href="(/upload/rejects/[0-9a-f]+)"`).FindStringSubmatch(page)
	if link == nil {
		t.Fatal("no rejects link")
	}
	resp, err := adminOf(t, srv.URL).c.Get(srv.URL + link[1])
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("rejects download is not a spreadsheet: %v", err)
	}
	rows, _ := x.GetRows("退回明细")
	if len(rows) != 4 || rows[0][6] != "退回原因" {
		t.Fatalf("rejects sheet: %v", rows)
	}
	joined := ""
	for _, r := range rows {
		joined += strings.Join(r, "|") + "\n"
	}
	if !strings.Contains(joined, "'=HYPERLINK") || !strings.Contains(joined, "说明.xlsx") {
		t.Errorf("rejects sheet: formula not kept as text, or the unreadable file missing:\n%s", joined)
	}
	// the data is in the warehouse, and the same file again counts nothing twice
	v, _ := (&panels.Engine{Store: w}).Run(context.Background(), "disputes.summary", panels.Filter{})
	if got := v.(*panels.DisputesSummary).Received; got != 1 {
		t.Errorf("received after upload = %d, want 1", got)
	}
	_, page = postFiles(t, srv.URL+"/upload", map[string]string{"台账.csv": files["台账.csv"]})
	if !strings.Contains(page, "以前已经载入过") {
		t.Errorf("a re-sent file was not recognised")
	}
	// an office's .xls workbook: the page says how it was read
	xls, err := os.ReadFile("../ingest/testdata/formats/monthly.xls")
	if err != nil {
		t.Fatal(err)
	}
	_, page = postFiles(t, srv.URL+"/upload", map[string]string{"石门镇1-2月.xls": string(xls)})
	for _, want := range []string{"读作：Excel 97–2003 工作簿", "工作表「填表说明」：没有找到台账的表头", "工作表「旧数据」：隐藏的工作表",
		"工作表「2月」第3–4行 → 人民调解台账：载入 2 行", "工作表「法律援助」第3–4行 → 法律援助台账", "注意：1 处人数是约数"} {
		if !strings.Contains(page, want) {
			t.Errorf("upload page lacks %q", want)
		}
	}
	code, page = postFiles(t, srv.URL+"/upload", nil)
	if code != 400 || !strings.Contains(page, "没有选择文件") {
		t.Errorf("empty upload: %d", code)
	}
}

// TestUploadOddNames: files named "..", with a NUL byte or over 255 bytes
// load like any other (they failed the whole upload with a 500).
func TestUploadOddNames(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir})
	ledger := func(day int) string {
		return fmt.Sprintf("受理日期,乡镇,纠纷类型,调解结果\n2014-03-%02d,石门,邻里,调解成功\n", day)
	}
	postFiles(t, srv.URL+"/upload", map[string]string{"名录.csv": "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n"})
	// a NUL inside the name breaks the form itself (Go's multipart reader
	// refuses it): a 400 that says so, never a 500
	if code, page := postFiles(t, srv.URL+"/upload", map[string]string{"a\x00b.csv": ledger(9)}); code != 400 || !strings.Contains(page, "格式不对") {
		t.Errorf("a file name with a NUL byte: %d %s", code, page)
	}
	for i, name := range []string{"..", strings.Repeat("很长的名字", 30) + ".csv", "../../etc/passwd", "."} {
		code, page := postFiles(t, srv.URL+"/upload", map[string]string{name: ledger(i + 1)})
		if code != 200 || !strings.Contains(page, "人民调解台账：载入 1 行") {
			t.Errorf("a file named %q: %d\n%s", name, code, page)
		}
	}
}

// TestUploadRoleBeforeBody: an account that may not upload is refused
// before its body is read.
func TestUploadRoleBeforeBody(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir, MaxUpload: 500 << 20})
	u := signIn(t, srv.URL, w, panels.RoleResearcher, "990121")
	var sent countingReader
	sent.left = 200 << 20
	req, _ := http.NewRequest("POST", srv.URL+"/upload", &sent)
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("X-CSRF-Token", u.csrf)
	resp, err := u.c.Do(req)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("a researcher's upload: %d, want 403", resp.StatusCode)
		}
	}
	if sent.read > 20<<20 {
		t.Errorf("the server read %d MB of a body it refuses", sent.read>>20)
	}
}

type countingReader struct{ left, read int64 }

func (c *countingReader) Read(b []byte) (int, error) {
	if c.left <= 0 {
		return 0, io.EOF
	}
	n := int64(len(b))
	if n > c.left {
		n = c.left
	}
	clear(b[:n])
	c.left -= n
	c.read += n
	return int(n), nil
}

// TestStaleUploadsRemoved: folders a killed server left in the upload
// folder are removed when the next one starts.
func TestStaleUploadsRemoved(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	up := t.TempDir()
	stale := filepath.Join(up, "sifa-upload-123")
	os.MkdirAll(stale, 0o700)
	os.WriteFile(filepath.Join(stale, "x.csv"), []byte("x"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stale, old, old)
	serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: up})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("a crashed upload's folder is still there: %v", err)
	}
}

// TestRefusedUploadsDoNotStay: what a 数据员 sends and sifa refuses leaves
// the archive for the bounded quarantine, and an account's uploads in a day
// are bounded.
func TestRefusedUploadsDoNotStay(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir,
		Security: dashboards.Security{UploadBytesPerDay: 64 << 10}})
	postFiles(t, srv.URL+"/upload", map[string]string{"名录.csv": "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990122,绿水县,县,\n990122100,清溪镇,乡镇(街道),990122\n"})
	clerk := signIn(t, srv.URL, w, panels.RoleClerk, "990121100")
	garbage := strings.Repeat("\x00\x01random", 1000)
	for name, body := range map[string]string{
		"随机.xlsx": garbage,
		"别处.csv":  "受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,清溪镇,邻里,调解成功\n",
	} {
		if code, page := postFilesAs(t, clerk, srv.URL+"/upload", map[string]string{name: body}); code != 200 || !strings.Contains(page, `class="file bad"`) {
			t.Errorf("%s: %d", name, code)
		}
	}
	files, _ := p.Archive.List()
	if len(files) != 1 { // the registry the admin sent
		t.Errorf("the archive keeps %d files, want the registry alone", len(files))
	}
	if q, _ := p.Archive.Quarantined(); len(q) != 2 {
		t.Errorf("quarantine holds %v, want the two refused files", q)
	}
	// 64 KB a day: a 50 KB file passes, the next does not
	big := "受理日期,乡镇,纠纷类型,调解结果\n" + strings.Repeat("2014-03-05,石门镇,邻里,调解成功\n", 1200)
	if code, _ := postFilesAs(t, clerk, srv.URL+"/upload", map[string]string{"大.csv": big}); code != 200 {
		t.Errorf("an upload within the day's quota: %d", code)
	}
	if code, page := postFilesAs(t, clerk, srv.URL+"/upload", map[string]string{"又一个.csv": big + "\n"}); code != 429 || !strings.Contains(page, "一天最多上传") {
		t.Errorf("an upload past the day's quota: %d", code)
	}
}

// TestReplaceAndReload: the upload says what a file replaces; a file that
// would shrink a scope to under half is refused until the sender confirms;
// the admin makes the earlier file current again from the load history.
func TestReplaceAndReload(t *testing.T) {
	dir := t.TempDir()
	w, p := whtest.DuckDB(t, dir)
	srv := serveSite(t, &dashboards.Site{Engine: &panels.Engine{Store: w}, Ingest: p, UploadDir: dir,
		Archive: p.Archive.Path})
	admin := adminOf(t, srv.URL)
	postFiles(t, srv.URL+"/upload", map[string]string{"名录.csv": "区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n"})
	clerk := signIn(t, srv.URL, w, panels.RoleClerk, "990121100")
	received := func() string {
		_, b := admin.get(t, "/api/v1/panels/disputes.summary?org=990121100&from=2016-12&to=2016-12")
		return strings.SplitN(strings.SplitN(b, `"received":`, 2)[1], ",", 2)[0]
	}
	month := "受理日期,乡镇,纠纷类型,调解结果\n" + strings.Repeat("2016-12-05,石门镇,邻里,调解成功\n", 8)
	if code, page := postFilesAs(t, clerk, srv.URL+"/upload", map[string]string{"十二月.csv": month}); code != 200 || received() != "8" {
		t.Fatalf("the month: %d, received %s\n%s", code, received(), page)
	}
	one := "受理日期,乡镇,纠纷类型,调解结果\n2016-12-09,石门镇,合同,调解成功\n"
	code, page := postFilesAs(t, clerk, srv.URL+"/upload", map[string]string{"更正.csv": one})
	if code != 200 || !strings.Contains(page, "行数少了一大半") || !strings.Contains(page, "原来 8 行") || received() != "8" {
		t.Errorf("a one-row file over eight rows: %d, received %s", code, received())
	}
	// confirmed: it loads, and says what it replaced
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", clerk.csrf)
	mw.WriteField("replace_confirmed", "1")
	fw, _ := mw.CreateFormFile("files", "更正.csv")
	fw.Write([]byte(one))
	mw.Close()
	resp, err := clerk.c.Post(srv.URL+"/upload", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "「十二月.csv」中石门镇 2016-12的 8 行（这次 1 行）") || received() != "1" {
		t.Errorf("confirmed: received %s\n%s", received(), b)
	}
	// the admin makes the month current again
	res, err := w.Query(context.Background(), "SELECT load_id FROM loads WHERE file = '十二月.csv'")
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("%v %v", res, err)
	}
	if code, hist := admin.get(t, "/sources/history"); code != 200 || !strings.Contains(hist, "十二月.csv") || !strings.Contains(hist, "设为当前") {
		t.Errorf("the history page: %d", code)
	}
	if code, _ := clerk.get(t, "/sources/history"); code != 403 {
		t.Errorf("the clerk's history page: %d, want 403", code)
	}
	if code := clerk.post(t, "/sources/reload/"+res.Rows[0][0].(string), url.Values{}); code != 403 {
		t.Errorf("the clerk's reload: %d, want 403", code)
	}
	if code := admin.post(t, "/sources/reload/"+res.Rows[0][0].(string), url.Values{}); code != 200 || received() != "8" {
		t.Errorf("reloaded: %d, received %s", code, received())
	}
}
