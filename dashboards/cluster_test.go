package dashboards_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"

	"sifa/ingest"
	"sifa/transform"
	"sifa/warehouse"
	"sifa/warehouse/load"
	"sifa/warehouse/panels"
	"sifa/warehouse/whtest"
)

// TestClusterParity starts two ClickHouse servers as a two-shard cluster,
// ingests the demo through the Distributed tables, and holds every panel
// under every parity filter to the single-server answer; the rows are
// spread over both shards, each county on one.
func TestClusterParity(t *testing.T) {
	dsn, servers := whtest.Cluster(t)
	ctx := context.Background()
	w, err := warehouse.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p := &load.Pipeline{W: w, Archive: ingest.Archive{Dir: filepath.Join(t.TempDir(), "archive")}, Config: transform.Config{Secret: []byte("test-secret")}, Now: demoNow}
	reps, err := p.Run(ctx, []string{demoFiles(t)})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reps {
		if r.Err != nil && filepath.Ext(r.File) != ".txt" {
			t.Fatalf("%s: %v", r.File, r.Err)
		}
	}
	single := &panels.Engine{Store: demoWarehouse(t, "clickhouse")}
	cluster := &panels.Engine{Store: w}
	compared := 0
	for _, pn := range panels.Panels() {
		if pn.ID == "jobs.recent" {
			continue // the job history is of the process, not of the data
		}
		filters := parityFilters
		if len(pn.Categories) > 0 {
			filters = append(append([]panels.Filter{}, filters...), panels.Filter{Org: "990122", Year: 2014, Category: pn.Categories[0]})
		}
		for _, f := range filters {
			a, err := single.Run(ctx, pn.ID, f)
			if err != nil {
				t.Fatalf("single %s %+v: %v", pn.ID, f, err)
			}
			b, err := cluster.Run(ctx, pn.ID, f)
			if err != nil {
				t.Fatalf("cluster %s %+v: %v", pn.ID, f, err)
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Errorf("%s %+v differs:\nsingle:  %s\ncluster: %s", pn.ID, f, ja, jb)
			}
			compared++
		}
	}
	// the rows are on both shards, each county's on one
	where := map[string]int{}
	for i, s := range servers {
		c, err := clickhouse.Open(&clickhouse.Options{Addr: []string{fmt.Sprintf("127.0.0.1:%d", s.TCPPort)}, Auth: clickhouse.Auth{Database: "sifa", Username: "default"}})
		if err != nil {
			t.Fatal(err)
		}
		rows, err := c.Query(ctx, "SELECT county_code, count() FROM fact_dispute_local GROUP BY county_code ORDER BY county_code")
		if err != nil {
			t.Fatal(err)
		}
		var counties []string
		for rows.Next() {
			var code string
			var n uint64
			rows.Scan(&code, &n)
			counties = append(counties, fmt.Sprintf("%s:%d", code, n))
			if prev, ok := where[code]; ok {
				t.Errorf("county %s has rows on shards %d and %d", code, prev, i+1)
			}
			where[code] = i + 1
		}
		rows.Close()
		c.Close()
		t.Logf("shard %d holds %v", i+1, counties)
		if len(counties) == 0 {
			t.Errorf("shard %d holds no disputes: the rows were not spread", i+1)
		}
	}
	// a correction on the cluster replaces what the earlier file said
	lin, err := cluster.Lineage(ctx, "disputes.summary", panels.Filter{Org: "990122", Year: 2014})
	if err != nil || len(lin.Sources) != 1 {
		t.Errorf("lineage on the cluster: %v %+v", err, lin)
	}
	t.Logf("compared %d panel answers between one server and a two-shard cluster", compared)
}
