package ledger

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/ledgers.md's catalog section from the catalog")

const docPath = "../../docs/ledgers.md"
const docMark = "<!-- catalog: written by `go test ./ingest/ledger -update`; do not edit below -->"

// catalogDoc writes the catalog as the contract's tables: each ledger's
// columns, what is required, its coded values and the headers taken for
// it, and the fact table with the column each fact column reads.
func catalogDoc() string {
	var b strings.Builder
	kinds := map[Kind]string{Registry: "机构名录", Event: "按事项（每行一件，按日期归月）", Snapshot: "时点快照（按统计时点）", Yearly: "按年度"}
	for i, l := range Ledgers {
		fmt.Fprintf(&b, "\n## %d. %s (`%s`)\n\n", i+1, l.Name, l.ID)
		var flags []string
		flags = append(flags, kinds[l.Kind])
		if l.Monthly {
			flags = append(flags, "每个司法所每月报送")
		}
		if l.Persons {
			flags = append(flags, "一人一行的人员名册（明细只给管理员和领导）")
		}
		fmt.Fprintf(&b, "%s. Recognised by the headers %s. Fact table `%s`.\n\n", strings.Join(flags, "；"), "`"+strings.Join(l.Signature, "` `")+"`", l.Fact.Name)
		b.WriteString("| header | required | values | also taken as |\n|---|---|---|---|\n")
		for _, c := range l.Columns {
			req := ""
			if c.Required {
				req = "yes"
			}
			vals := strings.Join(c.Values, " / ")
			switch {
			case c.Money:
				vals = "元 (万元 when the header or a caption says so)"
			case c.Date:
				vals = "date"
			case c.Int:
				vals = "whole number"
			}
			if c.Hint != "" {
				vals = strings.TrimSpace(vals + " " + c.Hint)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Name, req, vals, strings.Join(c.Aliases, "、"))
		}
		b.WriteString("\n| fact column | type | read from | how |\n|---|---|---|---|\n")
		types := []string{"String", "Int", "Float", "Date", "Time", "Enum"}
		reads := []string{"rule (transform/rules.go)", "text", "count", "money (分)", "date", "是/否 → 1/0"}
		for _, c := range l.Fact.Columns[len(scopeCols):] {
			how := reads[c.Read]
			if c.From == "" {
				how = "derived"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", c.Name, types[c.Type], c.From, how)
		}
	}
	return b.String()
}

// TestLedgersDoc: the contract in docs/ledgers.md lists the catalog as
// the code has it.
func TestLedgersDoc(t *testing.T) {
	b, err := os.ReadFile(docPath)
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := strings.Cut(string(b), docMark)
	if !ok {
		t.Fatalf("%s lacks the line %s", docPath, docMark)
	}
	want := head + docMark + "\n" + catalogDoc()
	if *update {
		if err := os.WriteFile(docPath, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(b) != want {
		t.Errorf("%s is not the catalog: run go test ./ingest/ledger -update", docPath)
	}
}
