package main

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportAndReportCommands: sifa export writes a panel as csv, xlsx and
// parquet; sifa report writes the appendix as a .docx; bad arguments exit 2.
func TestExportAndReportCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SIFA_DATA_DIR", filepath.Join(dir, "var"))
	dsn := "duckdb:" + filepath.Join(dir, "w.duckdb")
	os.WriteFile(filepath.Join(dir, "名录.csv"), []byte(regCSV), 0o644)
	os.WriteFile(filepath.Join(dir, "调解.csv"), []byte(medCSV), 0o644)
	var out, errs bytes.Buffer
	if code := run([]string{"ingest", "--warehouse", dsn, dir}, &out, &errs); code != 0 {
		t.Fatalf("ingest: %d %s", code, errs.String())
	}
	cases := []struct {
		args []string
		code int
		file string
		want string
	}{
		{[]string{"export", "disputes.summary", "--format", "csv", "--org", "990121", "--year", "2014"}, 0, "a.csv", "受理纠纷"},
		{[]string{"export", "disputes.by_org", "--format", "xlsx", "--org", "990121", "--year", "2014"}, 0, "a.xlsx", "xl/charts/chart1.xml"},
		{[]string{"export", "disputes.summary", "--format", "parquet", "--org", "990121"}, 0, "a.parquet", "PAR1"},
		{[]string{"export", "disputes.summary", "--format", "pdf"}, 2, "x.pdf", ""},
		{[]string{"export", "no.such.panel", "--format", "csv"}, 2, "x.csv", ""},
		{[]string{"report", "--org", "990121", "--year", "2014"}, 0, "附录.docx", "word/document.xml"},
		{[]string{"report", "--org", "990121"}, 2, "y.docx", ""},
	}
	for _, c := range cases {
		path := filepath.Join(dir, c.file)
		out.Reset()
		errs.Reset()
		code := run(append(append(c.args, "--warehouse", dsn), "--out", path), &out, &errs)
		if code != c.code {
			t.Errorf("%v: exit %d, want %d: %s%s", c.args, code, c.code, out.String(), errs.String())
			continue
		}
		if c.want == "" {
			continue
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		switch {
		case strings.HasSuffix(c.file, ".xlsx") || strings.HasSuffix(c.file, ".docx"):
			z, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			found := false
			for _, f := range z.File {
				if f.Name == c.want {
					found = true
					if c.file == "附录.docx" {
						rc, _ := f.Open()
						doc, _ := io.ReadAll(rc)
						rc.Close()
						if !strings.Contains(string(doc), "1个司法所共有在岗人员") || !strings.Contains(string(doc), "全年受理矛盾纠纷2件") {
							t.Errorf("the appendix text: %.400s", doc)
						}
					}
				}
			}
			if err != nil || !found {
				t.Errorf("%v: %s has no %s (%v)", c.args, c.file, c.want, err)
			}
		default:
			if !strings.Contains(string(b), c.want) {
				t.Errorf("%v: %s lacks %q", c.args, c.file, c.want)
			}
		}
	}
}
