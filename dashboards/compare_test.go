package dashboards_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"sifa/warehouse/panels"
)

// TestComparePage: a county's researcher compares its townships, not
// another county's; a province's compares the counties; the tidy dataset
// opens in arrow-go and excelize and its codebook names every column.
func TestComparePage(t *testing.T) {
	srv := demoSite(t)
	county := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleResearcher, "990121")
	code, page := county.get(t, "/compare?year=2016&m=disputes_per10k&m=staff_per10k&sort=staff_per10k")
	if code != 200 || !strings.Contains(page, "各乡镇对比（2016年，按每万人在岗人员从高到低）") || strings.Count(page, `<td><a href="/compare?org=9901211`) != 13 {
		t.Errorf("the county researcher's comparison: %d, %d township rows", code, strings.Count(page, `<td><a href="/compare?org=9901211`))
	}
	if code, _ := county.get(t, "/compare?org=990122&year=2016"); code != 403 {
		t.Errorf("a 青山县 researcher comparing 绿水县's townships: %d, want 403", code)
	}
	if code, _ := county.get(t, "/compare/dataset?org=990122&year=2016&format=csv"); code != 403 {
		t.Errorf("a 青山县 researcher's dataset of 绿水县: %d, want 403", code)
	}
	province := signIn(t, srv.URL, storeOf(t, srv.URL), panels.RoleResearcher, "99")
	if code, page := province.get(t, "/compare?from=2012-01&to=2016-12"); code != 200 || !strings.Contains(page, "各县对比（2016年") ||
		strings.Count(page, `<td><a href="/compare?`) != 2 {
		t.Errorf("the province researcher's comparison of counties: %d", code)
	}
	get := func(path string) []byte {
		resp, err := province.c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		return b
	}
	book, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(get("/compare/codebook.csv"), []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]bool{}
	for _, r := range book[1:] {
		named[r[0]] = r[1] != "" && r[4] != ""
	}
	// CSV: 2 counties × 5 years
	rows, err := csv.NewReader(bytes.NewReader(get("/compare/dataset?from=2012-01&to=2016-12&format=csv"))).ReadAll()
	if err != nil || len(rows) != 11 {
		t.Fatalf("dataset CSV: %d rows, %v", len(rows), err)
	}
	for _, col := range rows[0] {
		if !named[col] {
			t.Errorf("the codebook does not describe column %q", col)
		}
	}
	// Parquet, read by arrow-go
	pq := get("/compare/dataset?from=2012-01&to=2016-12&format=parquet")
	tbl := readParquet(t, pq)
	defer tbl.Release()
	if tbl.NumRows() != 10 || int(tbl.NumCols()) != len(rows[0]) {
		t.Errorf("Parquet: %d rows, %d columns", tbl.NumRows(), tbl.NumCols())
	}
	if m := tbl.Schema().Field(4).Metadata; m.FindKey("meaning") < 0 {
		t.Error("the Parquet columns carry no codebook metadata")
	}
	// Excel, read by excelize
	x, err := excelize.OpenReader(bytes.NewReader(get("/compare/dataset?from=2012-01&to=2016-12&format=xlsx")))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := x.GetRows("数据")
	vars, _ := x.GetRows("变量说明")
	if len(data) != 11 || data[0][0] != "org_code" || len(vars) != len(rows[0])+1 {
		t.Errorf("Excel dataset: %d rows, codebook %d lines", len(data), len(vars))
	}
}
