package warehouse

import (
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
	"time"
)

// nativeBlock writes a Native block of columns (name, type, data).
func nativeBlock(rows int, cols ...[3]string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(cols)))
	b = binary.AppendUvarint(b, uint64(rows))
	for _, c := range cols {
		b = appendNativeString(b, c[0])
		b = appendNativeString(b, c[1])
		b = append(b, c[2]...)
	}
	return b
}

func texts(vals ...string) string {
	var b []byte
	for _, v := range vals {
		b = appendNativeString(b, v)
	}
	return string(b)
}

func TestReadNative(t *testing.T) {
	first := nativeBlock(2, [3]string{"office", "String", texts("甲", "乙")}, [3]string{"n", "Nullable(Int64)", "\x00\x01" + "\x05\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00"})
	twoBlocks := append(first, nativeBlock(1, [3]string{"office", "String", texts("丙")}, [3]string{"n", "Nullable(Int64)", "\x00" + "\xff\xff\xff\xff\xff\xff\xff\xff"})...)
	for _, c := range []struct {
		name string
		body []byte
		want *Result
		err  error // errNativeType, or any error when errors.New("")
	}{
		{"nothing", nil, &Result{}, nil},
		{"two blocks", twoBlocks, &Result{Columns: []string{"office", "n"}, Rows: [][]any{{"甲", int64(5)}, {"乙", nil}, {"丙", int64(-1)}}}, nil},
		{"a date and an enum", nativeBlock(1, [3]string{"d", "Date", "\xa1\x41"}, [3]string{"e", "Enum8('已调解' = 1, 'b, c' = -2)", "\xfe"}),
			&Result{Columns: []string{"d", "e"}, Rows: [][]any{{"2016-01-01", "b, c"}}}, nil},
		{"an array", nativeBlock(1, [3]string{"a", "Array(UInt8)", "\x01\x00\x00\x00\x00\x00\x00\x00\x07"}), nil, errNativeType},
		{"more rows than bytes", nativeBlock(1000, [3]string{"a", "UInt8", "\x01"}), nil, errors.New("")},
		{"a block of another width", append(nativeBlock(1, [3]string{"a", "UInt8", "\x01"}), nativeBlock(1, [3]string{"a", "UInt8", "\x01"}, [3]string{"b", "UInt8", "\x01"})...), nil, errors.New("")},
		{"a text longer than the answer", nativeBlock(1, [3]string{"a", "String", "\xff\x01ab"}), nil, errors.New("")},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := readNative(c.body, time.UTC)
			switch {
			case c.err == errNativeType:
				if !errors.Is(err, errNativeType) {
					t.Fatalf("err %v, want errNativeType", err)
				}
			case c.err != nil:
				if err == nil || errors.Is(err, errNativeType) {
					t.Fatalf("err %v, want a fault", err)
				}
			case err != nil:
				t.Fatal(err)
			case !reflect.DeepEqual(got, c.want):
				t.Fatalf("got %#v, want %#v", got, c.want)
			}
		})
	}
	// an answer cut anywhere but between blocks is a fault, never a panic
	for n := range len(twoBlocks) {
		if res, err := readNative(twoBlocks[:n], time.UTC); err == nil && n != 0 && n != len(first) {
			t.Errorf("the answer cut at %d of %d bytes read as %d rows", n, len(twoBlocks), len(res.Rows))
		}
	}
}

// texts of a column of mostly different values and of repeated ones read
// the same interned or not.
func TestReadNativeTexts(t *testing.T) {
	for _, distinct := range []int{1, 37, 300, 1000} {
		vals := make([]string, 1000)
		want := make([][]any, len(vals))
		for i := range vals {
			vals[i] = string(rune('a'+i%distinct%26)) + string(rune(0x4e00+i%distinct))
			want[i] = []any{vals[i]}
		}
		got, err := readNative(nativeBlock(len(vals), [3]string{"t", "String", texts(vals...)}), time.UTC)
		if err != nil || !reflect.DeepEqual(got.Rows, want) {
			t.Errorf("%d different texts: %v", distinct, err)
		}
	}
}

func FuzzReadNative(f *testing.F) {
	f.Add(nativeBlock(2, [3]string{"office", "String", texts("甲", "乙")}, [3]string{"n", "Nullable(Int64)", "\x00\x01" + "\x05\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00\x00\x00\x00\x00"}))
	f.Add(nativeBlock(1, [3]string{"d", "Date", "\x9e\x41"}, [3]string{"e", "Enum8('a' = 1, 'b' = -2)", "\xfe"}, [3]string{"t", "DateTime", "\x01\x02\x03\x04"}))
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := readNative(body, time.UTC)
		if err == nil {
			for _, row := range res.Rows {
				if len(row) != len(res.Columns) {
					t.Fatalf("a row of %d values under %d columns", len(row), len(res.Columns))
				}
			}
		}
	})
}
