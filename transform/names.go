package transform

import "unsafe"

// nameIndex maps column names to positions. The rules look columns up by
// literal names tens of times per row; a small table keyed by the name's
// address answers those in a few nanoseconds, and a full string compare on
// every hit keeps it correct for any string, literal or not.
type nameIndex struct {
	keys [128]string
	vals [128]int32
	m    map[string]int
}

func newNameIndex(m map[string]int) *nameIndex { return &nameIndex{m: m} }

func (x *nameIndex) get(name string) (int, bool) {
	// Fibonacci hashing of the address: literals lie a few bytes apart, and
	// the address shifted by 3 put two of a row's 30 names on one slot (two
	// map lookups a row); the top 7 bits of the product spread them
	h := (uint64(uintptr(unsafe.Pointer(unsafe.StringData(name)))) + uint64(len(name))) * 0x9E3779B97F4A7C15 >> 57
	if x.keys[h] == name && name != "" {
		return int(x.vals[h]), true
	}
	v, ok := x.m[name]
	if ok {
		x.keys[h], x.vals[h] = name, int32(v)
	}
	return v, ok
}
