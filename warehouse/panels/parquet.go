package panels

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"sifa/ingest/ledger"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// withheldColumns never leave the warehouse in a row export: keys that
// follow one person across files, exact birth dates, and bookkeeping.
var withheldColumns = []string{"person_key", "mediator_key", "birth", "scope_key"}

// FactRows are the rows of one fact table behind a panel answer.
type FactRows struct {
	Table  *ledger.Table
	Schema *arrow.Schema
	Rows   [][]any
}

// FactsBehind reads the fact rows a panel answer counted (the tables and
// conditions its queries used, within the caller's limits), without the
// columns that would follow or date a person.
func (e *Engine) FactsBehind(ctx context.Context, id string, f Filter) ([]FactRows, error) {
	f, queries, err := e.record(ctx, id, f)
	if err != nil {
		return nil, err
	}
	p, _ := panelByID(id)
	if p.Derived {
		return nil, BadFilter("面板「%s」不是由台账明细汇总的，没有可导出的明细", id)
	}
	// the account's limit again, as a wall of its own: whatever a panel's
	// queries say, no row outside the account's org leaves here
	wall, err := e.limitScope(ctx, f)
	if err != nil {
		return nil, err
	}
	a := AccessFrom(ctx)
	conds := map[string][]string{}
	var order []string
	for _, q := range queries {
		table, cond, ok := tableRead(q)
		if !ok || !strings.HasPrefix(table, "fact_") || !p.readsTable(table) {
			continue
		}
		if _, seen := conds[table]; !seen {
			order = append(order, table)
		}
		if !slices.Contains(conds[table], cond) {
			conds[table] = append(conds[table], cond)
		}
	}
	var out []FactRows
	for _, name := range order {
		t := tableNamed(name)
		if t == nil {
			continue
		}
		if ledger.IsPersons(t.Ledger) && a != nil && !a.Role.SeesIndividuals() {
			return nil, Denied("「%s」是一人一行的明细，只提供给管理员和领导；请用 Excel 或 CSV 导出汇总数", name)
		}
		var cols []string
		var fields []arrow.Field
		for i, c := range t.Columns {
			if !slices.Contains(withheldColumns, c.Name) {
				cols = append(cols, c.Name)
				fields = append(fields, t.Arrow().Field(i))
			}
		}
		where := "((" + strings.Join(conds[name], ") OR (") + ")) AND " + wall.own(t.Index("village_code") >= 0)
		res, err := e.Store.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+name+" WHERE "+where+" ORDER BY county_code, town_code, period, src_row")
		if err != nil {
			return nil, err
		}
		out = append(out, FactRows{Table: t, Schema: arrow.NewSchema(fields, nil), Rows: res.Rows})
	}
	if len(out) == 0 {
		return nil, BadFilter("面板「%s」不是由台账明细汇总的，没有可导出的明细", id)
	}
	return out, nil
}

// record builds the Arrow record of fact rows.
func (fr FactRows) record() (arrow.Record, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, fr.Schema)
	defer b.Release()
	for _, row := range fr.Rows {
		for i, v := range row {
			fb := b.Field(i)
			if v == nil {
				fb.AppendNull()
				continue
			}
			switch x := fb.(type) {
			case *array.StringBuilder:
				x.Append(str(v))
			case *array.Int64Builder:
				x.Append(num(v))
			case *array.Float64Builder:
				n, _ := v.(float64)
				x.Append(n)
			case *array.Date32Builder:
				d, err := time.Parse("2006-01-02", str(v))
				if err != nil {
					return nil, fmt.Errorf("日期「%v」：%w", v, err)
				}
				x.Append(arrow.Date32FromTime(d))
			case *array.TimestampBuilder:
				t, err := time.Parse("2006-01-02 15:04:05", str(v))
				if err != nil {
					t, err = time.Parse("2006-01-02", str(v))
				}
				if err != nil {
					return nil, fmt.Errorf("时间「%v」：%w", v, err)
				}
				x.Append(arrow.Timestamp(t.Unix()))
			default:
				return nil, fmt.Errorf("不支持的列类型 %T", fb)
			}
		}
	}
	return b.NewRecord(), nil
}

// WriteParquet writes one table's rows as a Parquet file (Snappy).
func (fr FactRows) WriteParquet(w io.Writer) error {
	rec, err := fr.record()
	if err != nil {
		return err
	}
	defer rec.Release()
	fw, err := pqarrow.NewFileWriter(fr.Schema, w, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy)),
		pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// WriteParquets writes the rows behind a panel: one Parquet file, or a zip
// of one per table when the panel read several; it says which it wrote.
func WriteParquets(w io.Writer, rows []FactRows) (zipped bool, err error) {
	if len(rows) == 1 {
		return false, rows[0].WriteParquet(w)
	}
	z := zip.NewWriter(w)
	for _, fr := range rows {
		fw, err := z.Create(fr.Table.Name + ".parquet")
		if err != nil {
			return true, err
		}
		if err := fr.WriteParquet(fw); err != nil {
			return true, err
		}
	}
	return true, z.Close()
}
