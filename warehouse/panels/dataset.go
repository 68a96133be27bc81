package panels

import (
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// The tidy dataset of a comparison, for statistics software: one row per
// org and year, one column per measure, with its codebook (变量说明).

// DatasetColumn is one column of the dataset, as the codebook describes it.
type DatasetColumn struct {
	Name, Meaning, Unit, Sources, Computed string
}

// Codebook describes every column of the dataset, in order.
func (c *Comparison) Codebook() []DatasetColumn {
	out := []DatasetColumn{
		{"org_code", "单位代码（机构名录的区划代码）", "", "机构名录", "—"},
		{"org_name", "单位名称", "", "机构名录", "—"},
		{"level", "单位层级（县 / 乡镇(街道)）", "", "机构名录", "—"},
		{"year", "年度", "年", "—", "—"},
	}
	for _, m := range c.Measures {
		out = append(out, DatasetColumn{m.ID, m.Name, m.Unit, m.Sources, m.Definition + "；不能计算时为空（如没有人口数）"})
	}
	return out
}

// Dataset is the rows of the dataset: org_code, org_name, level, year, then
// each measure (nil when it has no value).
func (c *Comparison) Dataset() [][]any {
	var out [][]any
	for _, r := range c.Rows {
		row := []any{r.OrgCode, r.OrgName, c.Level, int64(r.Year)}
		for _, m := range c.Measures {
			if v := r.Values[m.ID]; v != nil {
				row = append(row, *v)
			} else {
				row = append(row, nil)
			}
		}
		out = append(out, row)
	}
	return out
}

// WriteDatasetParquet writes the dataset as Parquet, each column carrying
// its codebook line as field metadata.
func (c *Comparison) WriteDatasetParquet(w io.Writer) error {
	var fields []arrow.Field
	for i, col := range c.Codebook() {
		typ := arrow.DataType(arrow.PrimitiveTypes.Float64)
		switch {
		case i < 3:
			typ = arrow.BinaryTypes.String
		case i == 3:
			typ = arrow.PrimitiveTypes.Int64
		}
		fields = append(fields, arrow.Field{Name: col.Name, Type: typ, Nullable: true,
			Metadata: arrow.NewMetadata([]string{"meaning", "unit", "sources", "computed"}, []string{col.Meaning, col.Unit, col.Sources, col.Computed})})
	}
	schema := arrow.NewSchema(fields, nil)
	fw, err := pqarrow.NewFileWriter(schema, struct{ io.Writer }{w}, parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy)),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, row := range c.Dataset() {
		if err := appendRow(b, row); err != nil {
			fw.Close()
			return err
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	if err := fw.Write(rec); err != nil {
		fw.Close()
		return err
	}
	return fw.Close()
}
