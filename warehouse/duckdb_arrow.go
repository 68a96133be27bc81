//go:build duckdb_arrow

package warehouse

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	"sifa/transform"
)

var viewSeq atomic.Int64

// appendRecord hands the Arrow record to DuckDB as a view and inserts from
// it in one statement: the batch crosses into DuckDB once, columnar, instead
// of one cgo call per value through the Appender (built without the
// duckdb_arrow tag, the Appender is used).
func (e *duckEngine) appendRecord(ctx context.Context, t *transform.Table, rec arrow.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rdr, err := array.NewRecordReader(rec.Schema(), []arrow.Record{rec})
		if err != nil {
			return err
		}
		defer rdr.Release()
		view := fmt.Sprintf("sifa_load_%d", viewSeq.Add(1))
		release, err := ar.RegisterView(rdr, view)
		if err != nil {
			return fmt.Errorf("无法写入 %s：%w", t.Name, err)
		}
		defer release()
		ex := dc.(driver.ExecerContext)
		if _, err := ex.ExecContext(ctx, "INSERT INTO "+t.Name+" SELECT * FROM "+view, nil); err != nil {
			return fmt.Errorf("写入 %s 失败：%w", t.Name, err)
		}
		_, err = ex.ExecContext(ctx, "DROP VIEW IF EXISTS "+view, nil)
		return err
	})
}
