-- Cluster edition of ../009_media.sql: same columns, codecs and sort order.
--
-- media_local holds each shard's rows (ReplicatedMergeTree: replicas deduplicate a retried
-- insert by its insert_deduplication_token); media is the Distributed table, sharded by
-- run_id like metric_points. Requires the {cluster}, {shard} and {replica} macros.
CREATE TABLE IF NOT EXISTS media_local ON CLUSTER '{cluster}'
(
    event_time  DateTime64(3) DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    run_id      LowCardinality(String),
    host        LowCardinality(String) DEFAULT '',
    rank        UInt32 DEFAULT 0,
    step        UInt64 DEFAULT 0,
    key         LowCardinality(String),
    idx         UInt32 DEFAULT 0,
    caption     String DEFAULT '' CODEC(ZSTD(1)),
    mime        LowCardinality(String),
    width       UInt32 DEFAULT 0,
    height      UInt32 DEFAULT 0,
    data        String CODEC(NONE),
    ingested_at DateTime64(3) DEFAULT now64(3) CODEC(DoubleDelta, ZSTD(1)),
    INDEX ingested_at_minmax ingested_at TYPE minmax GRANULARITY 1
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/media_local', '{replica}')
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, key, step, host, rank, idx);

CREATE TABLE IF NOT EXISTS media ON CLUSTER '{cluster}' AS media_local
ENGINE = Distributed('{cluster}', currentDatabase(), media_local, cityHash64(run_id));
