package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"sifa/warehouse"
	"sifa/warehouse/panels"
	"strings"
	"testing"
)

func sifa(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var"))
	t.Setenv("SIFA_WAREHOUSE", "duckdb:"+filepath.Join(dir, "w.duckdb"))
	demoDir := filepath.Join(dir, "demo")
	if code, out, errs := sifa(t, "demo", "--out", demoDir); code != 0 || !strings.Contains(out, "90") {
		t.Fatalf("demo: %d %s %s", code, out, errs)
	}
	bad := filepath.Join(dir, "坏文件.xlsx")
	os.WriteFile(bad, []byte("not a spreadsheet"), 0o644)
	rejects := filepath.Join(dir, "rejects.csv")
	code, out, errs := sifa(t, "ingest", demoDir, bad, "--rejects", rejects)
	if code != exitFailure {
		t.Errorf("ingest with one unreadable file: exit %d, want 1 (%s)", code, errs)
	}
	for _, want := range []string{"✗ 坏文件.xlsx：没有载入", "人民调解台账", "载入 2116 行，退回 3 行", "第2122行B列「受理日期」", "合计：91 个文件"} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest summary lacks %q", want)
		}
	}
	f, err := os.Open(rejects)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) < 30 || !strings.HasPrefix(recs[0][0], "\uFEFF文件") {
		t.Errorf("rejects CSV: %d rows, %v", len(recs), err)
	}
	// everything again: every file is recognised, nothing loads twice
	code, out, _ = sifa(t, "ingest", demoDir)
	if code != exitOK || !strings.Contains(out, "重复跳过 90 个") {
		t.Errorf("second ingest: exit %d\n%s", code, lastLine(out))
	}
	code, out, errs = sifa(t, "panel", "staffing.summary", "--org", "990121", "--year", "2014")
	if code != 0 {
		t.Fatalf("panel: %d %s", code, errs)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil || s["staff"].(float64) != 26 || s["offices"].(float64) != 13 {
		t.Errorf("panel answer %s %v", out, err)
	}
	for _, args := range [][]string{
		{"panel", "no.such.panel"},
		{"panel", "disputes.summary", "--year", "14"},
		{"panel", "disputes.summary", "--org", "123456"},
		{"panel", "disputes.summary", "--year", "2014", "--from", "2014-01"},
		{"panel", "staffing.summary", "--category", "邻里"},
		{"panel"},
		{"ingest"},
		{"ingest", "--type", "不存在", demoDir},
		{"nonsense"},
		{},
	} {
		if code, _, errs := sifa(t, args...); code != exitUsage || errs == "" {
			t.Errorf("%v: exit %d (want 2) %q", args, code, errs)
		}
	}
	if code, out, errs := sifa(t, "panel", "disputes.summary", "--org", "990122", "--year", "2014", "--category", "邻里"); code != 0 || !strings.Contains(out, `"received":`) {
		t.Errorf("panel with a category: %d %s %s", code, out, errs)
	}
	if code, out, _ := sifa(t, "templates", "--out", filepath.Join(dir, "tpl")); code != 0 || !strings.Contains(out, "11") { // one per ledger type, 人口台账 included
		t.Errorf("templates: %d %s", code, out)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// TestRebuild: a warehouse rebuilt from the raw archive answers every panel
// exactly as the original, including a correction that arrived later.
func TestRebuild(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var"))
	orig, rebuilt := "duckdb:"+filepath.Join(dir, "a.duckdb"), "duckdb:"+filepath.Join(dir, "b.duckdb")
	demoDir := filepath.Join(dir, "demo")
	if code, _, errs := sifa(t, "demo", "--out", demoDir); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := sifa(t, "ingest", "--warehouse", orig, demoDir); code != 0 {
		t.Fatal(errs)
	}
	// a correction for one township and month, sent later
	fix := filepath.Join(dir, "更正.csv")
	os.WriteFile(fix, []byte("受理日期,乡镇,纠纷类型,调解结果\n2014-03-05,清溪镇,邻里,调解成功\n"), 0o644)
	if code, _, errs := sifa(t, "ingest", "--warehouse", orig, fix); code != 0 {
		t.Fatal(errs)
	}
	// what uploads do to the archive: refused files of each kind, files
	// sent under odd names, a registry sent after the ledgers it names
	poison(t, dir, orig)
	code, out, errs := sifa(t, "rebuild", "--warehouse", rebuilt)
	if code != 0 || !strings.Contains(out, "95 个原始文件") {
		t.Fatalf("rebuild: %d %s %s", code, lastLine(out), errs)
	}
	if code, _, errs := sifa(t, "rebuild", "--warehouse", rebuilt); code != exitUsage || !strings.Contains(errs, "不是空的") {
		t.Errorf("rebuilding into a full warehouse: %d %s", code, errs)
	}
	compared := 0
	for _, panel := range panels.Panels() {
		p := panel.ID
		for _, f := range [][]string{{"--org", "990121", "--year", "2014"}, {"--org", "990122", "--year", "2014"}, {"--org", "990122100", "--from", "2014-01", "--to", "2014-06"}, {"--org", "990123"}, {}} {
			_, a, e1 := sifa(t, append([]string{"panel", p, "--warehouse", orig}, f...)...)
			_, b, e2 := sifa(t, append([]string{"panel", p, "--warehouse", rebuilt}, f...)...)
			if e1 != "" || e2 != "" || a != b {
				t.Errorf("%s %v differs after rebuild:\n%s\n%s %s %s", p, f, a, b, e1, e2)
			}
			compared++
		}
	}
	// the correction is in both: 清溪镇 2014-03 has one dispute
	_, a, _ := sifa(t, "panel", "disputes.summary", "--warehouse", rebuilt, "--org", "990122100", "--from", "2014-03", "--to", "2014-03")
	if !strings.Contains(a, `"received":1,`) {
		t.Errorf("the later correction did not win in the rebuild: %s", a)
	}
	if compared != 5*len(panels.Panels()) {
		t.Errorf("only %d answers compared", compared)
	}
	t.Logf("%d panel answers identical after rebuild", compared)
	// a rebuild that does not come to what the loads did fails loudly
	journal := filepath.Join(dir, "var", "archive", "journal.jsonl")
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(journal, []byte(strings.Replace(string(b), `"accepted":1,`, `"accepted":7,`, 1)), 0o640)
	code, _, errs = sifa(t, "rebuild", "--warehouse", "duckdb:"+filepath.Join(dir, "c.duckdb"))
	if code != exitFailure || !strings.Contains(errs, "不一样") || !strings.Contains(errs, "原来载入 7 行") {
		t.Errorf("a rebuild that differs from the loads: exit %d %s", code, errs)
	}
}

// poison sends into the warehouse and archive of dsn, through the same
// pipeline uploads use: a 数据员's file with another county's rows and a
// 数据员's registry (both refused, both archived); two files under names
// without a ledger extension (loaded); and 白云县's ledger before the
// registry that names it (its rows rejected, then the registry loaded).
func poison(t *testing.T, dir, dsn string) {
	t.Helper()
	cfg, err := loadConfig("")
	if err != nil {
		t.Fatal(err)
	}
	w, err := warehouse.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p, err := cfg.pipeline(w)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		path := filepath.Join(dir, "sent", name)
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	ctx := context.Background()
	refused := []string{
		write("石门镇调解.csv", "受理日期,乡镇,纠纷类型,调解结果\n2014-05-05,清溪镇,邻里,调解成功\n"),                           // 绿水县's 清溪镇
		write("机构名录.csv", "区划代码,单位名称,层级,上级区划代码\n990121,青山县司法局,县,99\n990121100,石门镇,乡镇(街道),990121\n"), // a registry
	}
	for _, f := range refused {
		reps, err := p.RunWithin(ctx, "990121100", []string{f})
		if err != nil || len(reps) != 1 || reps[0].Err == nil {
			t.Fatalf("%s from 石门镇's clerk was not refused: %+v %v", f, reps, err)
		}
	}
	loaded := []string{
		write("石门镇十月调解", "受理日期,乡镇,纠纷类型,调解结果\n2014-10-08,石门镇,邻里,调解成功\n2014-10-09,石门镇,合同,调解成功\n"),
		write("清溪镇十一月.bak", "受理日期,乡镇,纠纷类型,调解结果\n2014-11-08,清溪镇,邻里,调解成功\n"),
		write("白云县调解.csv", "受理日期,乡镇,纠纷类型,调解结果\n2014-03-01,白云镇,邻里,调解成功\n2014-03-02,白云镇,邻里,调解成功\n"),
		write("白云县机构名录.csv", "区划代码,单位名称,层级,上级区划代码\n990123,白云县司法局,县,99\n990123100,白云镇,乡镇(街道),990123\n"),
	}
	for _, f := range loaded {
		reps, err := p.Run(ctx, []string{f})
		if err != nil || len(reps) != 1 || reps[0].Err != nil || reps[0].Accepted()+reps[0].Rejected() == 0 {
			t.Fatalf("%s did not load: %+v %v", f, reps, err)
		}
	}
}

// TestBackupRestore: a backup restored into a new place answers every panel as the original.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var"))
	orig := "duckdb:" + filepath.Join(dir, "var", "sifa.duckdb")
	demoDir := filepath.Join(dir, "demo")
	sifa(t, "demo", "--out", demoDir)
	if code, _, errs := sifa(t, "ingest", "--warehouse", orig, demoDir); code != 0 {
		t.Fatal(errs)
	}
	code, out, errs := sifa(t, "backup", "--warehouse", orig, "--out", filepath.Join(dir, "bk"))
	if code != 0 || !strings.Contains(out, "已备份到") {
		t.Fatalf("backup: %d %s %s", code, out, errs)
	}
	backups, _ := filepath.Glob(filepath.Join(dir, "bk", "sifa-*"))
	if len(backups) != 1 {
		t.Fatalf("backup folders: %v", backups)
	}
	// restore on "another machine": a new data dir and warehouse
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var2"))
	restored := "duckdb:" + filepath.Join(dir, "var2", "sifa.duckdb")
	code, out, errs = sifa(t, "restore", "--warehouse", restored, "--from", backups[0])
	if code != 0 || !strings.Contains(out, "90 个原始文件") {
		t.Fatalf("restore: %d %s %s", code, out, errs)
	}
	if code, _, errs := sifa(t, "restore", "--warehouse", restored, "--from", backups[0]); code != exitUsage || !strings.Contains(errs, "已经存在") {
		t.Errorf("restoring over a warehouse: %d %s", code, errs)
	}
	for _, p := range []string{"staffing.summary", "disputes.summary", "funding.shortfall", "buildout.progress", "work.summary"} {
		_, a, _ := sifa(t, "panel", p, "--warehouse", orig, "--org", "990121", "--year", "2014")
		_, b, e := sifa(t, "panel", p, "--warehouse", restored, "--org", "990121", "--year", "2014")
		if a != b || e != "" {
			t.Errorf("%s differs after restore:\n%s\n%s %s", p, a, b, e)
		}
	}
	// the restored secret keeps counting the same people once: a re-sent roster changes nothing
	if code, out, _ := sifa(t, "ingest", "--warehouse", restored, "--force", filepath.Join(demoDir, "08_青山县_人员花名册_2014.xlsx")); code != 0 {
		t.Fatalf("ingest after restore: %s", out)
	}
	_, a, _ := sifa(t, "panel", "staffing.summary", "--warehouse", restored, "--org", "990121", "--year", "2014")
	if !strings.Contains(a, `"staff":26`) {
		t.Errorf("after restore and a re-sent roster: %s", a)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sifa.toml")
	os.WriteFile(cfgPath, []byte("addr = \"127.0.0.1:9\"\ninbox_schedule = \"@every 1h\"\n[push_tokens]\n\"县政务系统\" = \"a\"\nold = \"b\"\n"), 0o644)
	t.Setenv("SIFA_ADDR", "127.0.0.1:8081")
	t.Setenv("SIFA_PUSH_TOKEN_LOCAL", "c")
	t.Setenv("SIFA_PUSH_TOKEN_OLD", "")
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8081" || cfg.InboxSchedule != "@every 1h" || cfg.PushTokens["local"] != "c" || cfg.PushTokens["县政务系统"] != "a" || cfg.PushTokens["old"] != "" {
		t.Errorf("config: %+v", cfg)
	}
	// the unit costs of the target outlook: 六有 items only, never negative
	os.WriteFile(cfgPath, []byte("[standards.site_item_costs]\n\"有办公场所\" = 80000\n"), 0o644)
	if cfg, err := loadConfig(cfgPath); err != nil || cfg.standards().SiteItemCosts["有办公场所"] != 80000 {
		t.Errorf("site item costs: %v", err)
	}
	for body, want := range map[string]string{"\"有电脑\" = 5000": "不是“六有”项目", "\"有标牌\" = -1": "不能是负数"} {
		os.WriteFile(cfgPath, []byte("[standards.site_item_costs]\n"+body+"\n"), 0o644)
		if _, err := loadConfig(cfgPath); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", body, err, want)
		}
	}
	// the notices' channels are checked at start
	good := "[notices]\nsite_url = \"http://10.1.2.3:8080\"\n[notices.smtp]\naddr = \"mail.county.example:25\"\nfrom = \"sifa@county.example\"\n" +
		"[[notices.webhooks]]\nname = \"值班群\"\nurl = \"http://10.1.2.9/robot\"\nformat = \"wecom\"\nrules = [\"missed\", \"job\"]\n"
	os.WriteFile(cfgPath, []byte(good), 0o644)
	if cfg, err := loadConfig(cfgPath); err != nil {
		t.Errorf("notices: %v", err)
	} else if nc, _ := cfg.Notices.service(cfg.Addr); nc.SMTP.Addr != "mail.county.example:25" || len(nc.Webhooks) != 1 || nc.Webhooks[0].Format != "wecom" {
		t.Errorf("notices config: %+v", nc)
	}
	for _, c := range []struct{ from, to, want string }{
		{`url = "http://10.1.2.9/robot"`, `url = "file:///etc/passwd"`, "应以 http:// 或 https:// 开头"},
		{`format = "wecom"`, `format = "qq"`, "format「qq」不对"},
		{`"job"]`, `"jobs"]`, "rules 里的「jobs」不对"},
		{`addr = "mail.county.example:25"`, `addr = "mail.county.example"`, "应是 主机:端口"},
		{`from = "sifa@county.example"`, `from = "sifa"`, "不是邮箱地址"},
		{`site_url = "http://10.1.2.3:8080"`, `site_url = "10.1.2.3"`, "site_url「10.1.2.3」不对"},
	} {
		os.WriteFile(cfgPath, []byte(strings.Replace(good, c.from, c.to, 1)), 0o644)
		if _, err := loadConfig(cfgPath); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.to, err, c.want)
		}
	}
	os.WriteFile(cfgPath, []byte("adress = \"x\"\n"), 0o644)
	if _, err := loadConfig(cfgPath); err == nil || !strings.Contains(err.Error(), "不认识的设置") {
		t.Errorf("a misspelt key: %v", err)
	}
}

// TestIngestSaysHowFilesWereRead: sifa ingest says what each file was read
// as, which sheets went to which ledger, what it passed over and the notes.
func TestIngestSaysHowFilesWereRead(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var"))
	t.Setenv("SIFA_WAREHOUSE", "duckdb:"+filepath.Join(dir, "w.duckdb"))
	reg := filepath.Join(dir, "机构名录.csv")
	os.WriteFile(reg, []byte("区划代码,单位名称,层级,上级区划代码\n990121,青山县,县,\n990121100,石门镇,乡镇(街道),990121\n990121100201,石门村,村(社区),990121100\n"), 0o644)
	html := filepath.Join(dir, "导出.xls")
	os.WriteFile(html, []byte("<html><body><p>导出失败</p></body></html>"), 0o644)
	code, out, errs := sifa(t, "ingest", reg, "../../ingest/testdata/formats/monthly.xls", html)
	if code != exitFailure {
		t.Errorf("exit %d, want 1 for the page without a table (%s)", code, errs)
	}
	for _, want := range []string{
		"读作：Excel 97–2003 工作簿",
		"工作表「填表说明」：没有找到台账的表头",
		"工作表「旧数据」：隐藏的工作表，没有读",
		"工作表「1月」第4–6行 → 人民调解台账",
		"工作表「法律援助」第3–4行 → 法律援助台账",
		"注意：1 处人数是约数",
		"✗ 导出.xls：没有载入。文件「导出.xls」：这是一个网页文件（HTML），里面没有表格：请从原来的系统导出成 Excel（.xlsx）或 CSV 再上传",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("ingest output lacks %q:\n%s", want, out)
		}
	}
}
