package warehouse

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Reads over ClickHouse's HTTP interface in its Native format, when the DSN
// names the server's HTTP port: the answer comes back in column blocks and
// is decoded here straight into the rows Query gives. Through clickhouse-go
// each cell is decoded into the driver's column, scanned into a typed
// target and copied out: for a province's quality.offices (62,000 rows a
// run) that was half of sifa's CPU (docs/bench.md, "Ninth pass"). Streams
// (Each) and the answers of a type this reader does not know still go
// through clickhouse-go.

// errNativeType is an answer with a column type readNative does not decode.
var errNativeType = errors.New("a ClickHouse column type the Native reader does not decode")

var readBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// query runs a read-only query over HTTP and decodes its Native answer.
// The server holds the answer until the query ends (wait_end_of_query), so
// an error is never half an answer. An answer with no row names no column:
// ClickHouse 18.16 sends nothing for it (and DESCRIBE TABLE (q), which
// would name them, builds the sets of q's IN subqueries: as dear as q).
func (h *chHTTP) query(ctx context.Context, q string) (*Result, error) {
	params := url.Values{"database": {h.db}, "default_format": {"Native"}, "wait_end_of_query": {"1"},
		"buffer_size": {strconv.Itoa(answerBuffer)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.base+"?"+params.Encode(), strings.NewReader(q))
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(h.user, h.password)
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("查询失败：%w\n%s", err, q)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("查询失败：%s\n%s", strings.TrimSpace(string(msg)), q)
	}
	buf := readBufs.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxKeptBuffer { // an export's answer is not kept for the next
			readBufs.Put(buf)
		}
	}()
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, fmt.Errorf("查询失败：%w\n%s", err, q)
	}
	res, err := readNative(buf.Bytes(), h.tz)
	if err != nil && !errors.Is(err, errNativeType) {
		return nil, fmt.Errorf("查询失败：ClickHouse 的回答读不懂（%w）\n%s", err, q)
	}
	return res, err
}

// maxKeptBuffer is the largest answer buffer kept for the next query.
const maxKeptBuffer = 8 << 20

// answerBuffer is how much of an answer the server keeps in memory while
// the query runs (beyond it, a temporary file): a province's largest panel
// answer is about 2 MB.
const answerBuffer = 16 << 20

// readNative decodes Native blocks into rows, each value as normalize gives
// the clickhouse-go driver's: integers as int64, floats as float64, dates
// as "2006-01-02", times as UTC "2006-01-02 15:04:05" (a time at midnight of
// loc, the server's zone, as its date), Enums as their names, NULL as nil.
func readNative(b []byte, loc *time.Location) (*Result, error) {
	r := &nativeReader{b: b}
	res := &Result{}
	type block struct {
		vals []any
		rows int
	}
	var blocks []block
	total := 0
	for r.off < len(b) {
		c, n := r.uvarint(), r.uvarint()
		if r.err != nil {
			return nil, r.err
		}
		// every cell takes a byte at least: no block is larger than what is left
		if c > 1<<16 || n > uint64(len(b)) || c*n > uint64(len(b)-r.off) {
			return nil, fmt.Errorf("block of %d columns and %d rows in %d bytes", c, n, len(b)-r.off)
		}
		ncols, nrows := int(c), int(n)
		vals := make([]any, ncols*nrows)
		names := make([]string, ncols)
		for c := range ncols {
			names[c] = r.str()
			typ := r.str()
			if r.err != nil {
				return nil, r.err
			}
			if err := r.column(typ, nrows, vals[min(c, len(vals)):], ncols, loc); err != nil { // (a block may have no row)
				return nil, fmt.Errorf("column %s (%s): %w", names[c], typ, err)
			}
		}
		if res.Columns == nil {
			res.Columns = names
		}
		if len(names) != len(res.Columns) {
			return nil, fmt.Errorf("a block of %d columns after one of %d", len(names), len(res.Columns))
		}
		blocks = append(blocks, block{vals, nrows})
		total += nrows
	}
	if total > 0 {
		res.Rows = make([][]any, 0, total)
		n := len(res.Columns)
		for _, bl := range blocks {
			for i := range bl.rows {
				res.Rows = append(res.Rows, bl.vals[i*n:(i+1)*n:(i+1)*n])
			}
		}
	}
	return res, r.err
}

// nativeReader reads a Native answer from its bytes; the first fault stops
// it (err) and every read after answers zero.
type nativeReader struct {
	b   []byte
	off int
	err error
}

func (r *nativeReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
	r.off = len(r.b)
}

// next answers the next n bytes.
func (r *nativeReader) next(n int) []byte {
	if n < 0 || n > len(r.b)-r.off {
		r.fail(io.ErrUnexpectedEOF)
		return nil
	}
	p := r.b[r.off : r.off+n]
	r.off += n
	return p
}

func (r *nativeReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail(io.ErrUnexpectedEOF)
		return 0
	}
	r.off += n
	return v
}

// text answers the bytes of the next string (its length, then them).
func (r *nativeReader) text() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)-r.off) {
		r.fail(io.ErrUnexpectedEOF)
		return nil
	}
	return r.next(int(n))
}

func (r *nativeReader) str() string { return string(r.text()) }

// texts decodes a String column. A text repeated in the block (a period,
// an office, a load) is made a value once: the block's texts are looked up
// before they are made (a lookup by the bytes allocates nothing) until
// more than one in internShare of its rows has a text of its own, a column
// of mostly different texts. A text like the one before is not looked up.
func (r *nativeReader) texts(n int, into []any, stride int) {
	var seen map[string]any
	var last string // the text before
	if n >= internFrom {
		seen = make(map[string]any, 64)
	}
	for i := range n {
		p := r.text()
		if r.err != nil {
			return
		}
		if seen == nil {
			into[i*stride] = string(p)
			continue
		}
		if i > 0 && string(p) == last { // a sorted column's run
			into[i*stride] = into[(i-1)*stride]
			continue
		}
		v, ok := seen[string(p)]
		if !ok {
			v = string(p)
			seen[v.(string)] = v
			if len(seen)*internShare > n {
				seen = nil // mostly different texts
			}
		}
		into[i*stride] = v
		last = v.(string)
	}
}

// A String column of internFrom rows or more is interned (texts) while its
// different texts are at most one in internShare of its rows.
const (
	internFrom  = 256
	internShare = 4
)

// column decodes a column of n rows of type typ into every stride-th
// value of into.
func (r *nativeReader) column(typ string, n int, into []any, stride int, loc *time.Location) error {
	if inner, ok := cut(typ, "Nullable(", ")"); ok {
		nulls := r.next(n)
		if err := r.column(inner, n, into, stride, loc); err != nil {
			return err
		}
		for i, null := range nulls {
			if null != 0 {
				into[i*stride] = nil
			}
		}
		return r.err
	}
	fixed := func(size int, value func(p []byte) any) error {
		p := r.next(n * size)
		if r.err != nil {
			return r.err
		}
		for i := range n {
			into[i*stride] = value(p[i*size : (i+1)*size])
		}
		return nil
	}
	le := binary.LittleEndian
	switch typ {
	case "String":
		r.texts(n, into, stride)
		return r.err
	case "Int8":
		return fixed(1, func(p []byte) any { return int64(int8(p[0])) })
	case "Int16":
		return fixed(2, func(p []byte) any { return int64(int16(le.Uint16(p))) })
	case "Int32":
		return fixed(4, func(p []byte) any { return int64(int32(le.Uint32(p))) })
	case "Int64":
		return fixed(8, func(p []byte) any { return int64(le.Uint64(p)) })
	case "UInt8":
		return fixed(1, func(p []byte) any { return int64(p[0]) })
	case "UInt16":
		return fixed(2, func(p []byte) any { return int64(le.Uint16(p)) })
	case "UInt32":
		return fixed(4, func(p []byte) any { return int64(le.Uint32(p)) })
	case "UInt64":
		return fixed(8, func(p []byte) any { return int64(le.Uint64(p)) })
	case "Float32":
		return fixed(4, func(p []byte) any { return float64(math.Float32frombits(le.Uint32(p))) })
	case "Float64":
		return fixed(8, func(p []byte) any { return math.Float64frombits(le.Uint64(p)) })
	case "Date":
		return fixed(2, func(p []byte) any { return time.Unix(int64(le.Uint16(p))*86400, 0).UTC().Format(time.DateOnly) })
	case "Nothing": // the type of NULL: a byte a row
		return fixed(1, func([]byte) any { return nil })
	}
	if typ == "DateTime" || strings.HasPrefix(typ, "DateTime('") {
		at := loc
		if zone, ok := cut(typ, "DateTime('", "')"); ok {
			l, err := time.LoadLocation(zone)
			if err != nil {
				return err
			}
			at = l
		}
		return fixed(4, func(p []byte) any { return normalize(time.Unix(int64(le.Uint32(p)), 0).In(at)) })
	}
	if size, ok := cut(typ, "FixedString(", ")"); ok {
		k, err := strconv.Atoi(size)
		if err != nil || k <= 0 {
			return fmt.Errorf("%w: %s", errNativeType, typ)
		}
		return fixed(k, func(p []byte) any { return string(p) })
	}
	for _, e := range []struct {
		prefix string
		size   int
	}{{"Enum8(", 1}, {"Enum16(", 2}} {
		if list, ok := cut(typ, e.prefix, ")"); ok {
			names, err := enumNames(list)
			if err != nil {
				return err
			}
			return fixed(e.size, func(p []byte) any {
				code := int64(int8(p[0]))
				if e.size == 2 {
					code = int64(int16(le.Uint16(p)))
				}
				if name, ok := names[code]; ok {
					return name
				}
				return strconv.FormatInt(code, 10)
			})
		}
	}
	return fmt.Errorf("%w: %s", errNativeType, typ)
}

// cut answers what typ holds between prefix and suffix.
func cut(typ, prefix, suffix string) (string, bool) {
	if strings.HasPrefix(typ, prefix) && strings.HasSuffix(typ, suffix) && len(typ) >= len(prefix)+len(suffix) {
		return typ[len(prefix) : len(typ)-len(suffix)], true
	}
	return "", false
}

// enumNames reads an Enum's list ('a' = 1, 'b' = -2) into names by code.
func enumNames(list string) (map[int64]string, error) {
	names := map[int64]string{}
	for rest := strings.TrimSpace(list); rest != ""; {
		if rest[0] != '\'' {
			return nil, fmt.Errorf("%w: Enum(%s)", errNativeType, list)
		}
		var name strings.Builder
		i := 1
		for ; i < len(rest) && rest[i] != '\''; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
			}
			name.WriteByte(rest[i])
		}
		if i >= len(rest) {
			return nil, fmt.Errorf("%w: Enum(%s)", errNativeType, list)
		}
		rest = strings.TrimPrefix(strings.TrimSpace(rest[i+1:]), "=")
		num, after, _ := strings.Cut(rest, ",")
		code, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: Enum(%s)", errNativeType, list)
		}
		names[code] = name.String()
		rest = strings.TrimSpace(after)
	}
	return names, nil
}
