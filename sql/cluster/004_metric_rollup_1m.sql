-- Cluster edition of ../004_metric_rollup_1m.sql.
CREATE TABLE IF NOT EXISTS metric_rollup_1m_local ON CLUSTER '{cluster}'
(
    run_id       LowCardinality(String),
    metric       LowCardinality(String),
    host         LowCardinality(String),
    rank         UInt32,
    device       UInt16,
    minute       DateTime CODEC(DoubleDelta, ZSTD(1)),
    min_step     SimpleAggregateFunction(min, UInt64),
    max_step     SimpleAggregateFunction(max, UInt64),
    min_value    SimpleAggregateFunction(min, Float64),
    max_value    SimpleAggregateFunction(max, Float64),
    last_value   AggregateFunction(argMax, Float64, Tuple(DateTime64(3), UInt64)),
    sum_value    SimpleAggregateFunction(sum, Float64),
    finite_count SimpleAggregateFunction(sum, UInt64),
    nan_count    SimpleAggregateFunction(sum, UInt64),
    count        SimpleAggregateFunction(sum, UInt64)
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/metric_rollup_1m_local', '{replica}')
PARTITION BY toYYYYMM(minute)
ORDER BY (run_id, metric, host, rank, device, minute);

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_rollup_1m_mv ON CLUSTER '{cluster}' TO metric_rollup_1m_local AS
SELECT
    run_id, metric, host, rank, device,
    toStartOfMinute(event_time)            AS minute,
    min(step)                              AS min_step,
    max(step)                              AS max_step,
    min(value)                             AS min_value,
    max(value)                             AS max_value,
    argMaxState(value, (event_time, step)) AS last_value,
    sumIf(value, isFinite(value))          AS sum_value,
    countIf(isFinite(value))               AS finite_count,
    countIf(isNaN(value))                  AS nan_count,
    count()                                AS count
FROM metric_points_local
GROUP BY run_id, metric, host, rank, device, minute;

CREATE TABLE IF NOT EXISTS metric_rollup_1m ON CLUSTER '{cluster}' AS metric_rollup_1m_local
ENGINE = Distributed('{cluster}', currentDatabase(), metric_rollup_1m_local, cityHash64(run_id));
