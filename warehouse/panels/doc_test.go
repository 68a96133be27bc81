package panels

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/panels.md's table of panels from the code")

const docPath = "../../docs/panels.md"
const docMark = "<!-- panels: written by `go test ./warehouse/panels -update`; do not edit below -->"

func panelsDoc() string {
	var b strings.Builder
	b.WriteString("\n| id | title | reads | who may read it | categories | rows behind |\n|---|---|---|---|---|---|\n")
	for _, p := range panels {
		var tables, roles []string
		for _, t := range p.Reads {
			tables = append(tables, "`"+t.Name+"`")
		}
		for _, r := range p.Roles {
			roles = append(roles, string(r))
		}
		cats, behind := "", "Parquet"
		if len(p.Categories) > 0 {
			cats = fmt.Sprintf("%d (%s…)", len(p.Categories), p.Categories[0])
		}
		if p.Derived {
			behind = "none (counts no fact rows of its own)"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s |\n", p.ID, p.Title, strings.Join(tables, " "), strings.Join(roles, "、"), cats, behind)
	}
	b.WriteString("\n## What each role may do\n\n| role | pages | uploads | sees groups under " + fmt.Sprint(DefaultMinGroup) + " persons | lands on |\n|---|---|---|---|---|\n")
	for _, r := range Roles {
		yes := func(b bool) string {
			if b {
				return "yes"
			}
			return "no"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r, strings.Join(r.Pages(), " "), yes(r.MayUpload()), yes(r.SeesIndividuals()), r.Home())
	}
	return b.String()
}

// TestPanelsDoc: docs/panels.md lists the panels, what they read and who
// may read them, as the code has them.
func TestPanelsDoc(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := strings.Cut(string(b), docMark)
	if !ok {
		t.Fatalf("%s lacks the line %s", docPath, docMark)
	}
	want := head + docMark + "\n" + panelsDoc()
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(b) != want {
		t.Errorf("%s is not the code's table of panels: run go test ./warehouse/panels -update", docPath)
	}
}
