package ingest

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TextColumn collects one column's cells of a record as Arrow lays out a
// string array (the bytes end to end, and where each cell ends), without a
// builder's checks and bookkeeping per cell: a load appends millions of
// cells, and Arrow's StringBuilder took 730 ns a row of the fact tables'
// 30-odd columns (docs/bench.md). Its cells are never null.
type TextColumn struct {
	data []byte
	ends []int32 // 0, then the end of each cell
}

// ColumnFull is where a column's bytes stop growing in one record: Arrow's
// string offsets are 32-bit, and 65,536 cells each at the cell limit would
// pass them; the rows after it go to the next record.
const ColumnFull = 1 << 30

// Reserve makes room for cells of about bytes in all.
func (c *TextColumn) Reserve(cells, bytes int) {
	c.data = make([]byte, 0, bytes)
	c.ends = make([]int32, 1, cells+1)
}

// Append adds a cell and says whether the column is full.
func (c *TextColumn) Append(v string) bool {
	c.data = append(c.data, v...)
	c.ends = append(c.ends, int32(len(c.data)))
	return len(c.data) >= ColumnFull
}

// Bytes is the bytes of the cells so far.
func (c *TextColumn) Bytes() int { return len(c.data) }

// Array hands the cells over as an Arrow string array; the column is empty after.
func (c *TextColumn) Array() arrow.Array {
	if len(c.ends) == 0 {
		c.ends = []int32{0}
	}
	d := array.NewData(arrow.BinaryTypes.String, len(c.ends)-1,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(c.ends)), memory.NewBufferBytes(c.data)}, nil, 0, 0)
	defer d.Release()
	c.data, c.ends = nil, nil
	return array.NewStringData(d)
}
