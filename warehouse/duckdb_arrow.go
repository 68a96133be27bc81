//go:build duckdb_arrow

package warehouse

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"sifa/ingest/ledger"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/duckdb/duckdb-go/v2"
)

var viewSeq atomic.Int64

// appendRecord loads one record as a stream of one: DuckDB reads the batch
// through its Arrow scan in one statement instead of one cgo call per value
// through the Appender (built without the duckdb_arrow tag, the Appender is used).
func (e *duckEngine) appendRecord(ctx context.Context, t *ledger.Table, rec arrow.Record) error {
	s, err := e.openStream(ctx, t)
	if err != nil {
		return err
	}
	if err := s.write(rec); err != nil {
		s.close()
		return err
	}
	return s.close()
}

// openStream runs one INSERT … SELECT over a view of a channel-fed Arrow
// stream: DuckDB pulls each record as the transform produces it, and the
// whole table's rows are written by one statement (DuckDB's cost of
// persisting rows is paid per statement: one INSERT of four 50,000-row
// batches took 0.53 s against 0.74 s for four INSERTs).
func (e *duckEngine) openStream(ctx context.Context, t *ledger.Table) (tableStream, error) {
	s := &duckStream{rdr: newChanReader(t.Arrow()), done: make(chan struct{})}
	e.mu.Lock()
	go func() {
		defer close(s.done)
		defer e.mu.Unlock()
		conn, err := e.db.Conn(ctx)
		if err != nil {
			s.fail(err)
			return
		}
		defer conn.Close()
		s.fail(conn.Raw(func(dc any) error {
			ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
			if err != nil {
				return err
			}
			view := fmt.Sprintf("sifa_load_%d", viewSeq.Add(1))
			release, err := ar.RegisterView(s.rdr, view)
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
		}))
		s.rdr.drain()
	}()
	return s, nil
}

type duckStream struct {
	rdr    *chanReader
	done   chan struct{}
	mu     sync.Mutex
	err    error
	closed bool
}

func (s *duckStream) fail(err error) {
	if err == nil {
		return
	}
	s.mu.Lock()
	if s.err == nil {
		s.err = err
	}
	s.mu.Unlock()
}

func (s *duckStream) write(rec arrow.Record) error {
	rec.Retain()
	select {
	case s.rdr.ch <- rec:
		return nil
	case <-s.done:
		rec.Release()
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.err == nil {
			return errors.New("写入已结束")
		}
		return s.err
	}
}

func (s *duckStream) close() error {
	if !s.closed {
		s.closed = true
		close(s.rdr.ch)
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// chanReader is an Arrow RecordReader fed through a channel.
type chanReader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	ch     chan arrow.Record
	cur    arrow.Record
}

func newChanReader(schema *arrow.Schema) *chanReader {
	r := &chanReader{schema: schema, ch: make(chan arrow.Record, 1)}
	r.refs.Store(1)
	return r
}

func (r *chanReader) Retain()                        { r.refs.Add(1) }
func (r *chanReader) Release()                       { r.refs.Add(-1) }
func (r *chanReader) Schema() *arrow.Schema          { return r.schema }
func (r *chanReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *chanReader) Record() arrow.RecordBatch      { return r.cur }
func (r *chanReader) Err() error                     { return nil }

func (r *chanReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	rec, ok := <-r.ch
	if !ok {
		return false
	}
	r.cur = rec
	return true
}

// drain releases what DuckDB did not read (after a failed INSERT).
func (r *chanReader) drain() {
	go func() {
		for rec := range r.ch {
			rec.Release()
		}
	}()
}
