package panels

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"sifa/ingest/ledger"
	"sifa/warehouse"
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

// MaxRowsBehind bounds the fact rows one export of the rows behind an
// answer writes, unless the engine says otherwise (Engine.MaxRowsBehind).
// The rows are streamed in batches of rowsPerGroup, so memory stays near one
// batch whatever the count.
const MaxRowsBehind = 2_000_000

// rowsPerGroup is the rows of one Parquet row group, built and written at once.
const rowsPerGroup = 65536

// RowStreamer is a store that hands a query's rows over one at a time
// (the warehouse does); a store without it answers whole.
type RowStreamer interface {
	Each(ctx context.Context, q string, fn func(row []any) error) error
}

// factsBehind is the read of one fact table behind a panel answer.
type factsBehind struct {
	table  *ledger.Table
	schema *arrow.Schema
	query  string // SELECT … FROM … WHERE … ORDER BY …
	where  string
}

// behind finds the fact rows a panel answer counted: the tables the panel
// declares, with the conditions its queries used, within the caller's
// limits (added again here), without the columns that would follow or date
// a person.
func (e *Engine) behind(ctx context.Context, id string, f Filter) ([]factsBehind, error) {
	f, reads, err := e.reads(ctx, id, f)
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
	for _, rd := range reads {
		if !strings.HasPrefix(rd.table, "fact_") || !p.readsTable(rd.table) {
			continue
		}
		if _, seen := conds[rd.table]; !seen {
			order = append(order, rd.table)
		}
		if !slices.Contains(conds[rd.table], rd.cond) {
			conds[rd.table] = append(conds[rd.table], rd.cond)
		}
	}
	var out []factsBehind
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
		out = append(out, factsBehind{table: t, schema: arrow.NewSchema(fields, nil), where: where,
			query: "SELECT " + strings.Join(cols, ", ") + " FROM " + name + " WHERE " + where + " ORDER BY county_code, town_code, period, src_row"})
	}
	if len(out) == 0 {
		return nil, BadFilter("面板「%s」不是由台账明细汇总的，没有可导出的明细", id)
	}
	return out, nil
}

// WriteRowsBehind writes the fact rows behind a panel answer as Parquet
// (Snappy): one file, or a zip of one per table when the panel read
// several; it says which. More than MaxRowsBehind rows is a 400 asking for
// a narrower filter; the rows are streamed a row group at a time.
func (e *Engine) WriteRowsBehind(ctx context.Context, w io.Writer, id string, f Filter) (zipped bool, err error) {
	reads, err := e.behind(ctx, id, f)
	if err != nil {
		return false, err
	}
	total := int64(0)
	for _, r := range reads {
		row, err := e.Store.Query(ctx, "SELECT count(*) FROM "+r.table.Name+" WHERE "+r.where)
		if err != nil {
			return false, err
		}
		total += num(row.Rows[0][0])
	}
	limit := int64(e.MaxRowsBehind)
	if limit <= 0 {
		limit = MaxRowsBehind
	}
	if total > limit {
		return false, BadFilter("这个面板背后的明细共 %d 行，超过一次导出的上限 %d 行：请缩小范围（选一个县或乡镇，或一个年份）再导出", total, limit)
	}
	if len(reads) == 1 {
		return false, e.writeParquet(ctx, w, reads[0])
	}
	z := zip.NewWriter(w)
	for _, r := range reads {
		fw, err := z.Create(r.table.Name + ".parquet")
		if err != nil {
			return true, err
		}
		if err := e.writeParquet(ctx, fw, r); err != nil {
			return true, err
		}
	}
	return true, z.Close()
}

// writeParquet streams one table's rows into a Parquet file.
func (e *Engine) writeParquet(ctx context.Context, w io.Writer, r factsBehind) error {
	// the Parquet writer closes a sink that can be closed: the caller's
	// file or zip entry is the caller's to close
	fw, err := pqarrow.NewFileWriter(r.schema, struct{ io.Writer }{w}, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy)),
		pqarrow.DefaultWriterProps())
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, r.schema)
	defer b.Release()
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		rec := b.NewRecord()
		defer rec.Release()
		n = 0
		return fw.Write(rec)
	}
	add := func(row []any) error {
		if err := appendRow(b, row); err != nil {
			return err
		}
		if n++; n == rowsPerGroup {
			return flush()
		}
		return nil
	}
	if rs, ok := e.Store.(RowStreamer); ok {
		err = rs.Each(ctx, r.query, add)
	} else {
		var res *warehouse.Result
		if res, err = e.Store.Query(ctx, r.query); err == nil {
			for _, row := range res.Rows {
				if err = add(row); err != nil {
					break
				}
			}
		}
	}
	if err == nil {
		err = flush()
	}
	if err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}

// appendRow appends one row of warehouse values to a record builder.
func appendRow(b *array.RecordBuilder, row []any) error {
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
				return fmt.Errorf("日期「%v」：%w", v, err)
			}
			x.Append(arrow.Date32FromTime(d))
		case *array.TimestampBuilder:
			t := warehouse.TimeOf(v)
			if t.IsZero() {
				return fmt.Errorf("时间「%v」不是日期时间", v)
			}
			x.Append(arrow.Timestamp(t.Unix()))
		default:
			return fmt.Errorf("不支持的列类型 %T", fb)
		}
	}
	return nil
}
