// Package transform validates and normalises the text cells ingest reads,
// conforms org names to registry codes, derives what panels need (age,
// person_key, month) and splits accepted rows, as typed Arrow records of the
// fact tables the ledger catalog declares, from rejected rows with their
// reasons. convert.go is the machinery (one generic loop fills every fact
// column that names its catalog column); rules.go holds, per ledger, only
// what the catalog cannot say.
package transform

import "hash/fnv"

// ScopeKey identifies a scope (ledger|org|period) as written by one load.
func ScopeKey(scope, loadID string) int64 {
	h := fnv.New64a()
	h.Write([]byte(scope))
	h.Write([]byte{'@'})
	h.Write([]byte(loadID))
	return int64(h.Sum64())
}
