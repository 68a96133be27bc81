// The layout of the repository, held as a test: which package may import
// which (docs/design.md, "Package rules"), and no SQL outside warehouse/.
package sifa_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// rules says, per package of sifa, which packages of sifa it may import.
// A package not listed may not exist: a new one must be given its place.
var rules = map[string][]string{
	"ingest/ledger":       {},
	"ingest":              {"ingest/ledger"},
	"ingest/demo":         {"ingest", "ingest/ledger"},
	"transform":           {"ingest", "ingest/ledger"},
	"warehouse":           {"ingest/ledger", "transform"},
	"warehouse/load":      {"ingest", "ingest/ledger", "transform", "warehouse"},
	"warehouse/panels":    {"warehouse", "transform", "ingest/ledger"},
	"warehouse/whtest":    {"ingest", "ingest/ledger", "transform", "warehouse", "warehouse/load"}, // test support
	"dashboards":          {"warehouse/panels", "warehouse/load", "warehouse", "dashboards/docx", "dashboards/chartpng", "dashboards/geomap", "notices"},
	"dashboards/docx":     {},
	"dashboards/geomap":   {},
	"notices":             {"warehouse/panels", "warehouse"},
	"dashboards/chartpng": {},
	"cmd/sifa":            {"*"},
	".":                   {}, // this test
}

// drivers are the database drivers: only warehouse/ may import them.
var drivers = []string{"github.com/duckdb/duckdb-go", "github.com/ClickHouse/clickhouse-go", "database/sql"}

type listed struct {
	ImportPath string
	Imports    []string
}

func TestPackageRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-tags", "duckdb_arrow", "-json=ImportPath,Imports", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, "sifa"), "/")
		if name == "" {
			name = "."
		}
		allowed, ok := rules[name]
		if !ok {
			t.Errorf("package %s has no place in the layout: add it to the rules (and to docs/design.md)", name)
			continue
		}
		seen++
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "sifa/") {
				dep := strings.TrimPrefix(imp, "sifa/")
				if !slices.Contains(allowed, "*") && !slices.Contains(allowed, dep) {
					t.Errorf("%s imports %s, which the layout does not allow (it may import: %s)", name, dep, strings.Join(allowed, ", "))
				}
			}
			for _, d := range drivers {
				if strings.HasPrefix(imp, d) && !strings.HasPrefix(name, "warehouse") && name != "cmd/sifa" {
					t.Errorf("%s imports the database driver %s: only warehouse/ talks to the engines", name, imp)
				}
			}
		}
	}
	if seen < 10 {
		t.Errorf("go list found only %d packages", seen)
	}
}

// sqlText is a string literal that is an SQL statement or a piece of one.
var sqlText = regexp.MustCompile(`^"\s*(SELECT|INSERT|DELETE|ALTER|CREATE|DROP|UPDATE|WITH|RENAME|TRUNCATE)\b|\b(FROM|WHERE|GROUP BY|ORDER BY) [a-z_]+`)

// TestNoSQLOutsideWarehouse: dashboards and the command line write no SQL.
func TestNoSQLOutsideWarehouse(t *testing.T) {
	for _, dir := range []string{"dashboards", "dashboards/docx", "dashboards/chartpng", "cmd/sifa"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			fs := token.NewFileSet()
			af, err := parser.ParseFile(fs, f, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(af, func(n ast.Node) bool {
				if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING && sqlText.MatchString(b.Value) {
					t.Errorf("%s: SQL outside warehouse/: %s", fs.Position(b.Pos()), b.Value)
				}
				return true
			})
		}
	}
}
