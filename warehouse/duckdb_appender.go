//go:build !duckdb_arrow

package warehouse

import (
	"context"
	"database/sql/driver"
	"fmt"
	"sifa/ingest/ledger"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/duckdb/duckdb-go/v2"
)

// appendRecord loads through DuckDB's Appender (prepared INSERTs are about
// 300 times slower: docs/engines.md).
func (e *duckEngine) appendRecord(ctx context.Context, t *ledger.Table, rec arrow.Record) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	conn, err := e.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", t.Name)
		if err != nil {
			return fmt.Errorf("无法写入 %s：%w", t.Name, err)
		}
		getters := make([]func(int) driver.Value, len(t.Columns))
		for k, c := range t.Columns {
			getters[k] = arrowGetter(rec.Column(k), c.Type)
		}
		row := make([]driver.Value, len(t.Columns))
		n := int(rec.NumRows())
		for i := 0; i < n; i++ {
			for k, g := range getters {
				row[k] = g(i)
			}
			if err := app.AppendRow(row...); err != nil {
				app.Close()
				return fmt.Errorf("写入 %s 第%d行失败：%w", t.Name, i+1, err)
			}
		}
		return app.Close()
	})
}

func (e *duckEngine) openStream(ctx context.Context, t *ledger.Table) (tableStream, error) {
	return &recordStream{ctx: ctx, e: e, t: t}, nil
}
