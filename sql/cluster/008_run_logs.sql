-- Cluster edition of ../008_run_logs.sql: same columns, codecs and sort order.
--
-- run_logs_local holds each shard's rows (ReplicatedMergeTree: replicas deduplicate a retried
-- insert by its insert_deduplication_token); run_logs is the Distributed table, sharded by
-- run_id like metric_points. Requires the {cluster}, {shard} and {replica} macros.
CREATE TABLE IF NOT EXISTS run_logs_local ON CLUSTER '{cluster}'
(
    event_time  DateTime64(3) DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    run_id      LowCardinality(String),
    host        LowCardinality(String) DEFAULT '',
    rank        UInt32 DEFAULT 0,
    stream      LowCardinality(String),
    seq         UInt64 CODEC(DoubleDelta, ZSTD(1)),
    step        UInt64 DEFAULT 0 CODEC(DoubleDelta, ZSTD(1)),
    line        String CODEC(ZSTD(3)),
    ingested_at DateTime64(3) DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    INDEX line_ngrams line TYPE ngrambf_v1(4, 65536, 2, 0) GRANULARITY 1,
    INDEX ingested_at_minmax ingested_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/run_logs_local', '{replica}')
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, event_time, host, rank, seq);

CREATE TABLE IF NOT EXISTS run_logs ON CLUSTER '{cluster}' AS run_logs_local
ENGINE = Distributed('{cluster}', currentDatabase(), run_logs_local, cityHash64(run_id));
