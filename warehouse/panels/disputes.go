package panels

import (
	"sort"
	"strings"

	"sifa/ingest/ledger"
	"sifa/transform"
	"sifa/warehouse"
)

// 人民调解: disputes received and mediated, by month, type and org.

var (
	// DisputeResults are the mediation ledger's 调解结果 values.
	DisputeResults = ledger.Mediation.Values("调解结果")
	// PreventedTypes are its 防止激化类型 values other than 无.
	PreventedTypes = ledger.Mediation.Values("防止激化类型")[1:]
)

// Prevented counts escalations prevented: cases and the persons involved.
type Prevented struct {
	Cases   int64 `json:"cases"`
	Persons int64 `json:"persons"`
}

// DisputesSummary is 人民调解 for the period.
type DisputesSummary struct {
	Received        int64                `json:"received"`
	MediatedSuccess int64                `json:"mediated_success"`
	SuccessRate     float64              `json:"success_rate"`
	ByResult        map[string]int64     `json:"by_result"`
	Prevented       map[string]Prevented `json:"prevented"`
	PetitionRelated int64                `json:"petition_related"`
	Parties         int64                `json:"parties"`
	AmountInvolved  float64              `json:"amount_involved"`
}

// DisputeTypes are the mediation ledger's 纠纷类型 values.
var DisputeTypes = ledger.Mediation.Values("纠纷类型")

// mediationColumn is the column on the scope rows of a sum of the
// mediation ledger's rows (warehouse.ScopeSums): of ("" a count) where the
// conditions hold.
func mediationColumn(of string, where ...warehouse.Is) string {
	c, ok := warehouse.ScopeColumn(ledger.Mediation.ID, of, where...)
	if !ok {
		panic("the scope rows carry no sum of mediation's " + of + " for these conditions")
	}
	return c
}

var (
	// disputeSums is the select list over mediation scope rows of
	// disputes.summary: rows, each result's count, each prevented type's cases
	// and persons, petitions, parties and the amount.
	disputeSums = func() string {
		cols := []string{"sum(rows)"}
		for _, res := range DisputeResults {
			cols = append(cols, "sum("+mediationColumn("", warehouse.Is{Col: "result", Op: "=", Val: res})+")")
		}
		for _, p := range PreventedTypes {
			is := warehouse.Is{Col: "prevented_type", Op: "=", Val: p}
			cols = append(cols, "sum("+mediationColumn("", is)+")", "sum("+mediationColumn("prevented_persons", is)+")")
		}
		for _, of := range []string{"petition", "parties", "amount_fen"} {
			cols = append(cols, "sum("+mediationColumn(of)+")")
		}
		return strings.Join(cols, ", ")
	}()
	// successes is the column of the disputes mediated successfully.
	successes = mediationColumn("", warehouse.Is{Col: "result", Op: "=", Val: "调解成功"})
)

// disputesOnScopes says whether the disputes panels read the scope rows:
// where they answer (onScopes) and no type narrows the disputes, which the
// scope rows do not split out. A province's year is a million disputes and
// 15,600 scope rows.
func (r *request) disputesOnScopes() bool { return r.onScopes() && r.f.Category == "" }

// disputeScopes is the FROM … WHERE of the request's current mediation scope rows.
func (r *request) disputeScopes() string {
	from, to := r.f.Months()
	return r.scopeRows(ledger.Mediation.ID, r.d.CurrentScopes(ledger.Mediation.ID, r.sc.orgPrefix(), from, to))
}

func disputesSummary(r *request) (any, error) {
	from := r.events("fact_dispute", true, r.category("dispute_type")) // the rows behind the answer, for lineage, either way
	out := &DisputesSummary{ByResult: map[string]int64{}, Prevented: map[string]Prevented{}}
	for _, res := range DisputeResults {
		out.ByResult[res] = 0
	}
	for _, p := range PreventedTypes {
		out.Prevented[p] = Prevented{}
	}
	if r.disputesOnScopes() {
		rows, err := r.rows("SELECT " + disputeSums + r.disputeScopes())
		if err != nil {
			return nil, err
		}
		if len(rows) == 1 {
			x := rows[0]
			out.Received = num(x[0])
			i := 1
			for _, res := range DisputeResults {
				out.ByResult[res] = num(x[i])
				i++
			}
			for _, p := range PreventedTypes {
				out.Prevented[p] = Prevented{Cases: num(x[i]), Persons: num(x[i+1])}
				i += 2
			}
			out.PetitionRelated, out.Parties, out.AmountInvolved = num(x[i]), num(x[i+1]), yuan(num(x[i+2]))
		}
		out.MediatedSuccess = out.ByResult["调解成功"]
		out.SuccessRate = rate(out.MediatedSuccess, out.Received)
		return out, nil
	}
	// one line per result and prevented type, added up here: on ClickHouse
	// sixteen CASE sums over a province's year of rows cost twice the GROUP BY
	rows, err := r.rows("SELECT result, prevented_type, count(*), sum(prevented_persons), sum(petition), sum(parties), sum(amount_fen)" + from +
		" GROUP BY result, prevented_type")
	if err != nil {
		return nil, err
	}
	var amount int64
	for _, x := range rows {
		res, p, n := str(x[0]), str(x[1]), num(x[2])
		out.Received += n
		out.PetitionRelated += num(x[4])
		out.Parties += num(x[5])
		amount += num(x[6])
		if _, ok := out.ByResult[res]; ok {
			out.ByResult[res] += n
		}
		if pv, ok := out.Prevented[p]; ok {
			out.Prevented[p] = Prevented{Cases: pv.Cases + n, Persons: pv.Persons + num(x[3])}
		}
	}
	out.AmountInvolved = yuan(amount)
	out.MediatedSuccess = out.ByResult["调解成功"]
	out.SuccessRate = rate(out.MediatedSuccess, out.Received)
	return out, nil
}

// DisputeRow is one line of disputes.by_month, by_type or by_org.
type DisputeRow struct {
	Month           string  `json:"month,omitempty"`
	Type            string  `json:"type,omitempty"`
	OrgCode         string  `json:"org_code,omitempty"`
	OrgName         string  `json:"org_name,omitempty"`
	Received        int64   `json:"received"`
	MediatedSuccess int64   `json:"mediated_success"`
	SuccessRate     float64 `json:"success_rate"`
}

func disputesBy(by string) func(r *request) (any, error) {
	return func(r *request) (any, error) {
		factFrom := r.events("fact_dispute", true, r.category("dispute_type"))
		factAgg := "count(*), " + sumIf("result = '调解成功'")
		from, agg := factFrom, factAgg
		scopes := r.disputesOnScopes()
		if scopes { // the same figures from the scope rows
			from, agg = r.disputeScopes(), "sum(rows), sum("+successes+")"
		}
		out := &Rows[DisputeRow]{Rows: []DisputeRow{}}
		switch by {
		case "month":
			rows, err := r.rows("SELECT period, " + agg + from + " GROUP BY period ORDER BY period")
			if err != nil {
				return nil, err
			}
			for _, x := range rows {
				out.Rows = append(out.Rows, DisputeRow{Month: str(x[0]), Received: num(x[1]), MediatedSuccess: num(x[2]), SuccessRate: rate(num(x[2]), num(x[1]))})
			}
		case "type":
			from, agg = factFrom, factAgg // the scope rows do not split out the types
			rows, err := r.rows("SELECT dispute_type, " + agg + from + " GROUP BY dispute_type")
			if err != nil {
				return nil, err
			}
			for _, x := range rows {
				out.Rows = append(out.Rows, DisputeRow{Type: str(x[0]), Received: num(x[1]), MediatedSuccess: num(x[2]), SuccessRate: rate(num(x[2]), num(x[1]))})
			}
			sort.SliceStable(out.Rows, func(i, j int) bool {
				if out.Rows[i].Received != out.Rows[j].Received {
					return out.Rows[i].Received > out.Rows[j].Received
				}
				return out.Rows[i].Type < out.Rows[j].Type
			})
		case "org":
			level, codeCol, _ := r.childLevel()
			out.Level = level
			if scopes && level == transform.LevelVillage { // a township's scope rows do not split out its villages
				from, agg = factFrom, factAgg
			} else if scopes {
				codeCol = scopeOrgAs(codeCol)
			}
			rows, err := r.rows("SELECT " + codeCol + ", " + agg + from + " GROUP BY " + codeCol)
			if err != nil {
				return nil, err
			}
			got := map[string][]any{}
			for _, x := range rows {
				got[str(x[0])] = x
			}
			for _, o := range r.reg.Under(r.sc.code, level) {
				if r.sc.level == transform.LevelVillage && o.Code != r.sc.code {
					continue
				}
				d := DisputeRow{OrgCode: o.Code, OrgName: o.Name}
				if x, ok := got[o.Code]; ok {
					d.Received, d.MediatedSuccess = num(x[1]), num(x[2])
					d.SuccessRate = rate(d.MediatedSuccess, d.Received)
					delete(got, o.Code)
				}
				out.Rows = append(out.Rows, d)
			}
			if x, ok := got[""]; ok && level == transform.LevelVillage {
				// disputes recorded without a village
				out.Rows = append(out.Rows, DisputeRow{OrgCode: "", OrgName: "未注明村(社区)", Received: num(x[1]), MediatedSuccess: num(x[2]), SuccessRate: rate(num(x[2]), num(x[1]))})
			}
		}
		return out, nil
	}
}
