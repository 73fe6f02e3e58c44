-- Cluster edition of ../001_metric_points.sql: same columns, codecs and sort order.
--
-- metric_points_local holds each shard's rows (ReplicatedMergeTree: replicas deduplicate a
-- retried insert by its insert_deduplication_token without extra settings); metric_points is
-- the Distributed table everyone reads and writes, sharded by run_id so that one run lives on
-- one shard and a run's charts are read from one place. Insert into metric_points with
-- distributed_foreground_insert = 1 (or straight into metric_points_local on a shard) so the
-- agent's deduplication tokens reach the replicas.
--
-- Requires the {cluster}, {shard} and {replica} macros in the servers' configuration.
CREATE TABLE IF NOT EXISTS metric_points_local ON CLUSTER '{cluster}'
(
    event_time  DateTime64(3) DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    run_id      LowCardinality(String),
    host        LowCardinality(String) DEFAULT '',
    rank        UInt32 DEFAULT 0,
    device      UInt16 DEFAULT 65535,
    step        UInt64 DEFAULT 0 CODEC(DoubleDelta, ZSTD(1)),
    metric      LowCardinality(String),
    value       Float64 CODEC(Gorilla, ZSTD(1)),
    unit        LowCardinality(String) DEFAULT '',
    tags_json   String DEFAULT '' CODEC(ZSTD(1)),
    ingested_at DateTime64(3) DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    INDEX ingested_at_minmax ingested_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/metric_points_local', '{replica}')
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, metric, host, rank, device, step, event_time);

CREATE TABLE IF NOT EXISTS metric_points ON CLUSTER '{cluster}' AS metric_points_local
ENGINE = Distributed('{cluster}', currentDatabase(), metric_points_local, cityHash64(run_id));
