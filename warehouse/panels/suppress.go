package panels

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
)

// Persons counts people in a panel answer. A count that could single a
// person out is withheld from roles that may not see individuals: it is
// then negative (−k, k being the minimum group size) and written to JSON
// as null.
type Persons int64

// MarshalJSON writes a withheld count as null.
func (p Persons) MarshalJSON() ([]byte, error) {
	if p < 0 {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, int64(p), 10), nil
}

// UnmarshalJSON reads null as withheld.
func (p *Persons) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*p = -1
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	*p = Persons(n)
	return err
}

// Withheld says the count is not shown.
func (p Persons) Withheld() bool { return p < 0 }

// DefaultMinGroup is the smallest group of people a count may describe
// for roles that may not see individuals.
const DefaultMinGroup = 3

// Statistical disclosure control, by struct tags on Persons fields:
//
//	sdc:"subjects"   a count of people who must not be recognisable (corrections
//	                 subjects, released prisoners): withheld when 0 < n < k.
//	sdc:"of=Field"   a count of those of Field's group who share a trait (age,
//	                 education, no computer skills, lost contact): withheld when
//	                 0 < n < k, and every such count is withheld when the group
//	                 itself is smaller than k (in a group of two, "both are over
//	                 46" says as much about each as "one is").
//
// Map fields of Persons apply the tag to every value.

var personsType = reflect.TypeFor[Persons]()

// hasPersons says whether a type holds Persons anywhere.
func hasPersons(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return t.Elem() == personsType || hasPersons(t.Elem(), seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).Type == personsType || hasPersons(t.Field(i).Type, seen) {
				return true
			}
		}
	}
	return false
}

// suppress returns a copy of a panel answer with the counts that could
// single a person out withheld (the cached answer is shared and stays whole).
func suppress(ans any, k int) (any, error) {
	if w, ok := ans.(interface{ withheld(k int64) any }); ok && k > 1 {
		return w.withheld(int64(k)), nil // an answer that knows what its counts reveal
	}
	if k <= 1 || ans == nil || !hasPersons(reflect.TypeOf(ans), map[reflect.Type]bool{}) {
		return ans, nil
	}
	b, err := json.Marshal(ans)
	if err != nil {
		return nil, err
	}
	cp := reflect.New(reflect.TypeOf(ans)) // *T, T being the answer's (pointer) type
	if err := json.Unmarshal(b, cp.Interface()); err != nil {
		return nil, err
	}
	withhold(cp.Elem(), int64(k))
	return cp.Elem().Interface(), nil
}

func withhold(v reflect.Value, k int64) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			withhold(v.Elem(), k)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			withhold(v.Index(i), k)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := v.Field(i)
			tag := t.Field(i).Tag.Get("sdc")
			if tag == "" {
				withhold(f, k) // nested answers (embedded summaries, rows)
				continue
			}
			group := int64(-1) // subjects: no group
			if of, ok := strings.CutPrefix(tag, "of="); ok {
				g := v.FieldByName(of)
				group = g.Int()
			}
			hide := func(n int64) bool { return n > 0 && n < k || group >= 0 && group < k || group < -1 }
			switch f.Kind() {
			case reflect.Int64:
				if hide(f.Int()) {
					f.SetInt(-k)
				}
			case reflect.Map:
				for _, key := range f.MapKeys() {
					if hide(f.MapIndex(key).Int()) {
						f.SetMapIndex(key, reflect.ValueOf(Persons(-k)))
					}
				}
			}
		}
	}
}
