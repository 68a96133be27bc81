package warehouse

import (
	"context"
	"fmt"
	"net"
	"sifa/ingest/ledger"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// A ClickHouse cluster (clickhouse://host:port/db?cluster=NAME): every
// table is a MergeTree table NAME_local on each shard and a Distributed
// table NAME over them, so every query written for one server reads the
// whole cluster. Fact rows are sharded by county (one county's rows stay on
// one shard, and a corrected file replaces rows on that shard only); a
// commit's scope rows are one block on one shard, so a load still becomes
// visible at once. The DDL is sent to each shard in turn (ON CLUSTER needs
// ZooKeeper, which a county or city deployment of 18.16 does not have).

// joinCluster connects to the first replica of every shard of a cluster
// the entry server knows, and creates the database on each.
func (e *chEngine) joinCluster(ctx context.Context, cluster string, opts clickhouse.Options) error {
	if !identifier(cluster) {
		return fmt.Errorf("集群名「%s」只能用字母、数字和下划线", cluster)
	}
	res, err := e.query(ctx, "SELECT shard_num, host_address, port FROM system.clusters WHERE cluster = "+chQuote(cluster)+" AND replica_num = 1 ORDER BY shard_num")
	if err != nil {
		return err
	}
	if len(res.Rows) == 0 {
		return fmt.Errorf("ClickHouse 的配置（remote_servers）里没有名为「%s」的集群", cluster)
	}
	for _, row := range res.Rows {
		o := opts
		o.Addr = []string{net.JoinHostPort(row[1].(string), strconv.FormatInt(row[2].(int64), 10))}
		o.Auth.Database = "default"
		c, err := clickhouse.Open(&o)
		if err == nil {
			err = c.Exec(ctx, "CREATE DATABASE IF NOT EXISTS "+e.db)
		}
		if err != nil {
			return fmt.Errorf("集群「%s」的第 %d 个分片（%s）连不上：%w", cluster, row[0], o.Addr[0], err)
		}
		c.Close()
		o.Auth.Database = e.db
		if c, err = clickhouse.Open(&o); err != nil {
			return err
		}
		e.shards = append(e.shards, c)
	}
	e.cluster = cluster
	return nil
}

// shardKey keeps one county's rows on one shard (counties by their code,
// so consecutive codes go round the shards and a province spreads evenly);
// bookkeeping rows of a load stay with the load.
func shardKey(t *ledger.Table) string {
	switch {
	case t.Index("county_code") >= 0:
		return "toUInt64OrZero(county_code)"
	case t.Index("load_id") >= 0:
		return "cityHash64(load_id)"
	case t.Index("scope") >= 0:
		return "cityHash64(scope)"
	}
	return "rand()"
}

func (e *chEngine) ensureTable(ctx context.Context, t *ledger.Table) error {
	if e.cluster == "" {
		return e.exec(ctx, e.createTable(t))
	}
	local := *t
	local.Name = t.Name + "_local"
	for i, s := range e.shards {
		if err := s.Exec(ctx, e.createTable(&local)); err != nil {
			return fmt.Errorf("分片 %d：%w", i+1, err)
		}
		dist := "CREATE TABLE IF NOT EXISTS " + t.Name + " AS " + local.Name + " ENGINE = Distributed(" + e.cluster + ", " + e.db + ", " + local.Name + ", " + shardKey(t) + ")"
		if err := s.Exec(ctx, dist); err != nil {
			return fmt.Errorf("分片 %d：%w", i+1, err)
		}
	}
	return nil
}

// localSuffix is what a table's name takes on a shard: "_local" on a
// cluster, "" on one server.
func (e *chEngine) localSuffix() string {
	if e.cluster == "" {
		return ""
	}
	return "_local"
}

func (e *chEngine) in() string {
	if e.cluster != "" {
		return "GLOBAL IN"
	}
	return "IN"
}

func (e *chEngine) notIn() string {
	if e.cluster != "" {
		return "GLOBAL NOT IN"
	}
	return "NOT IN"
}

// insertCtx makes an insert into a Distributed table wait until every
// shard has its rows (by default they are forwarded in the background,
// and a commit could become visible before its rows).
func (e *chEngine) insertCtx(ctx context.Context) context.Context {
	if e.cluster == "" {
		return ctx
	}
	return clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_distributed_sync": 1}))
}
