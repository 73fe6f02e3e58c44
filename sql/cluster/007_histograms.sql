-- Cluster edition of ../007_histograms.sql: same columns, codecs and sort order.
--
-- histograms_local holds each shard's rows (ReplicatedMergeTree: replicas deduplicate a retried
-- insert by its insert_deduplication_token); histograms is the Distributed table, sharded by
-- run_id like metric_points. Requires the {cluster}, {shard} and {replica} macros.
CREATE TABLE IF NOT EXISTS histograms_local ON CLUSTER '{cluster}'
(
    event_time  DateTime64(3) DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    run_id      LowCardinality(String),
    host        LowCardinality(String) DEFAULT '',
    rank        UInt32 DEFAULT 0,
    step        UInt64 DEFAULT 0 CODEC(DoubleDelta, ZSTD(1)),
    metric      LowCardinality(String),
    edges       Array(Float64) CODEC(Delta, ZSTD(3)),
    counts      Array(Float64) CODEC(Delta, ZSTD(3)),
    min         Float64 CODEC(ZSTD(1)),
    max         Float64 CODEC(ZSTD(1)),
    count       UInt64 CODEC(ZSTD(1)),
    sum         Float64 CODEC(ZSTD(1)),
    nonfinite   UInt64 DEFAULT 0 CODEC(ZSTD(1)),
    ingested_at DateTime64(3) DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    INDEX ingested_at_minmax ingested_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/histograms_local', '{replica}')
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, metric, host, rank, step, event_time);

CREATE TABLE IF NOT EXISTS histograms ON CLUSTER '{cluster}' AS histograms_local
ENGINE = Distributed('{cluster}', currentDatabase(), histograms_local, cityHash64(run_id));
