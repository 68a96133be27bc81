package warehouse_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"sifa/warehouse"
	"sifa/warehouse/whtest"
)

// TestClickHouseReadsOverHTTP holds the answers read over the HTTP
// interface (the Native reader) to those read through clickhouse-go, for
// every column type a query may answer, over several blocks.
func TestClickHouseReadsOverHTTP(t *testing.T) {
	ctx := context.Background()
	dsn := whtest.ClickHouse(t)
	overHTTP, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer overHTTP.Close()
	native, err := warehouse.Open(ctx, dsn[:strings.Index(dsn, "?")])
	if err != nil {
		t.Fatal(err)
	}
	defer native.Close()
	// 70,000 rows: two blocks of the server's 65,536
	const many = " FROM system.numbers LIMIT 70000"
	for _, c := range []struct {
		name, q string
		rows    int
	}{
		{"a query the server refuses", "SELECT number, count() OVER ()" + many, -1},
		{"integers", "SELECT number, toInt8(-(number % 100)), toInt16(-300), toInt32(-70000), toInt64(-5000000000), toUInt8(200), " +
			"toUInt16(60000), toUInt32(4000000000), toUInt64(number * 1000003)" + many, 70000},
		{"floats", "SELECT toFloat32(1.5), toFloat64(number) / 7, -0.1" + many, 70000},
		{"texts", "SELECT toString(number % 37), concat('司法所-', toString(number)), '', 'it''s \\\\ 引号', toFixedString('ab', 3)" + many, 70000},
		// (sifa's DateTime columns take the server's zone: a DateTime('zone')
		// loses its zone in 18.16's HTTP answer, docs/engines.md)
		{"dates and times", "SELECT toDate('2016-02-29') + number % 3, toDate('1970-01-01'), toDateTime('2016-01-01 00:00:00'), " +
			"toDateTime(1451649845 + number)" + many, 70000},
		{"enums", "SELECT CAST(if(number % 2 = 0, 'a', 'b, c') AS Enum8('a' = 1, 'b, c' = -2)), " +
			"CAST('x''y' AS Enum16('x''y' = 1000))" + many, 70000},
		{"nulls", "SELECT if(number % 3 = 0, NULL, number), if(number % 5 = 0, NULL, toString(number)), NULL, " +
			"if(number % 2 = 0, NULL, toDate('2016-01-01'))" + many, 70000},
		{"a type the reader leaves to the driver", "SELECT [number, 1], toDecimal64(1.5, 2)" + many, 70000},
		{"no row", "SELECT 1 WHERE 0", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			want, werr := native.Query(ctx, c.q)
			got, gerr := overHTTP.Query(ctx, c.q)
			if c.rows < 0 { // a query the server refuses (18.16 has no window functions)
				if werr == nil || gerr == nil || !strings.Contains(gerr.Error(), "查询失败") || !strings.Contains(gerr.Error(), "OVER") {
					t.Fatalf("want both refused, the HTTP error naming the query: %v / %v", werr, gerr)
				}
				return
			}
			if werr != nil || gerr != nil {
				t.Fatal(werr, gerr)
			}
			if len(got.Rows) != c.rows || len(want.Rows) != c.rows {
				t.Fatalf("%d and %d rows, want %d", len(got.Rows), len(want.Rows), c.rows)
			}
			if c.rows > 0 && !reflect.DeepEqual(got.Columns, want.Columns) {
				t.Errorf("columns %q, want %q", got.Columns, want.Columns)
			}
			for i := range want.Rows {
				if !reflect.DeepEqual(got.Rows[i], want.Rows[i]) {
					t.Fatalf("row %d: %#v, want %#v", i, got.Rows[i], want.Rows[i])
				}
			}
		})
	}
}
