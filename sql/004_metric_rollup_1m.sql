-- metric_rollup_1m: one row per series (run, metric, host, rank, device) and minute of
-- event_time, kept by a materialized view.
--
-- Wide windows (7d, All) over long runs read this instead of raw rows: the cost grows with
-- minutes, not points, and min_value/max_value keep every spike that a per-minute average
-- would hide. min/max skip NaN (a minute of only NaN gives NaN); nan_count says a NaN
-- happened in the minute. sum_value/finite_count give the mean of the finite values.
-- last_value is the value with the largest (event_time, step) in the minute.
--
-- Read with GROUP BY on the key and the matching combinators:
--   SELECT minute, min(min_value) AS lo, max(max_value) AS hi, argMaxMerge(last_value) AS last
--   FROM metric_rollup_1m WHERE run_id = 'r1' AND metric = 'train/loss'
--   GROUP BY minute ORDER BY minute;
CREATE TABLE IF NOT EXISTS metric_rollup_1m
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
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (run_id, metric, host, rank, device, minute)
-- A retried insert (same deduplication token) is skipped here too, not counted twice.
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS metric_rollup_1m_mv TO metric_rollup_1m AS
SELECT
    run_id, metric, host, rank, device,
    toStartOfMinute(event_time)                 AS minute,
    min(step)                                   AS min_step,
    max(step)                                   AS max_step,
    min(value)                                  AS min_value,
    max(value)                                  AS max_value,
    argMaxState(value, (event_time, step))      AS last_value,
    sumIf(value, isFinite(value))               AS sum_value,
    countIf(isFinite(value))                    AS finite_count,
    countIf(isNaN(value))                       AS nan_count,
    count()                                     AS count
FROM metric_points
GROUP BY run_id, metric, host, rank, device, minute;
