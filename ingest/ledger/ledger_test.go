package ledger

import (
	"strings"
	"testing"
)

// TestCatalog: every ledger is whole: its signature and every fact column's
// source are its own columns, coded columns have distinct values, coded
// fact columns carry them, and lookups find it by id and by name.
func TestCatalog(t *testing.T) {
	ids := map[string]bool{}
	for i, l := range Ledgers {
		if ids[l.ID] || l.Order != i {
			t.Errorf("%s: duplicate id or order %d at %d", l.ID, l.Order, i)
		}
		ids[l.ID] = true
		if ByID(l.ID) != l || ByName(l.Name) != l || ByName(strings.TrimSuffix(l.Name, "台账")) != l {
			t.Errorf("%s: not found by id or name", l.ID)
		}
		for _, s := range l.Signature {
			if l.Column(s) == nil {
				t.Errorf("%s: signature column %s is not a column", l.ID, s)
			}
		}
		for _, c := range l.Columns {
			seen := map[string]bool{}
			for _, v := range c.Values {
				if seen[v] || v == "" {
					t.Errorf("%s.%s: value %q twice or empty", l.ID, c.Name, v)
				}
				seen[v] = true
			}
		}
		if l.Fact == nil || l.Fact.Ledger != l.ID || FactFor(l.ID) != l.Fact || Facts[i] != l.Fact {
			t.Fatalf("%s: no fact table of its own", l.ID)
		}
		names := map[string]bool{}
		for _, c := range l.Fact.Columns {
			if names[c.Name] {
				t.Errorf("%s: fact column %s twice", l.Fact.Name, c.Name)
			}
			names[c.Name] = true
			if c.From != "" && l.Column(c.From) == nil {
				t.Errorf("%s.%s reads %s, not a column", l.Fact.Name, c.Name, c.From)
			}
			if c.Type == Enum && (len(c.Values) < 2 || c.Values[0] != "") {
				t.Errorf("%s.%s: an Enum without its values", l.Fact.Name, c.Name)
			}
			if c.Read != Rule && c.From == "" {
				t.Errorf("%s.%s: read generically from no column", l.Fact.Name, c.Name)
			}
		}
		for _, c := range scopeCols {
			if !names[c.Name] {
				t.Errorf("%s lacks the scope column %s", l.Fact.Name, c.Name)
			}
		}
	}
	var monthly, persons []string
	for _, l := range Ledgers {
		if l.Monthly {
			monthly = append(monthly, l.ID)
		}
		if IsPersons(l.ID) {
			persons = append(persons, l.ID)
		}
	}
	if strings.Join(monthly, ",") != "mediation,consultation" || strings.Join(persons, ",") != "corrections,resettlement,roster" {
		t.Errorf("monthly %v, persons %v", monthly, persons)
	}
	if len(SixItems) != 6 || SixItems[0].From != "有工作人员" || SixItems[5].From != "有工作台账" {
		t.Errorf("六有: %+v", SixItems)
	}
}

// TestMisspeltColumnFailsAtStart: a fact column naming a column the
// ledger lacks, or a coded one over an uncoded column, stops the program
// when the catalog is built, never in the middle of a load.
func TestMisspeltColumnFailsAtStart(t *testing.T) {
	for name, col := range map[string]Col{
		"misspelt": text("case_no", "编 号"),
		"uncoded":  code("case_no", "编号"),
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("fact() accepted %+v", col)
				}
			}()
			l := &Ledger{ID: "x", Columns: []Column{{Name: "编号"}}}
			fact(l, "fact_x", col)
		})
	}
}
