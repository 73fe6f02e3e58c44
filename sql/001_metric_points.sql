-- metric_points: one row per logged scalar.
--
-- A row is one value of one metric of one run at one step, from one process (host, rank) and,
-- for per-GPU system metrics, one device (65535 = not a device metric). Training metrics,
-- system metrics (`sys.*`), the agent's own counters (`agent.*`) and checkpoints
-- (metric = 'checkpoint', value = size in bytes or NaN, tags_json = {"path", "size_bytes",
-- "metrics"}) all live here, so one query language reaches all of them.
--
-- ORDER BY (run_id, metric, host, rank, device, step, event_time): every read the dashboard
-- makes is "some metrics of some runs, in step order", which this key turns into a few
-- contiguous ranges. It also makes step and the time columns nearly monotonic inside a
-- granule, which is what DoubleDelta needs.
--
-- Codecs: DoubleDelta on step and the two time columns (they grow by near-constant strides),
-- Gorilla on value (neighbouring values of a curve share sign, exponent and leading mantissa
-- bits), ZSTD(1) on what each leaves; measured against alternatives in BENCHMARKS.md.
--
-- ingested_at is the server's clock at insert time. The dashboard's poller asks "what was
-- stored since my last poll" with it, so a point that arrives late (a replayed spool, a
-- client whose clock is behind) is still found; the minmax index makes that question cheap
-- because, in this sort order, a granule's rows were stored at nearly the same time.
--
-- non_replicated_deduplication_window: a plain MergeTree ignores insert_deduplication_token
-- unless this is set, and the agent retries batches with their original token.
--
-- Example: the latest loss of every run
--   SELECT run_id, argMax(value, step) AS loss, max(step) AS step
--   FROM metric_points WHERE metric = 'train/loss' GROUP BY run_id;
CREATE TABLE IF NOT EXISTS metric_points
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, metric, host, rank, device, step, event_time)
SETTINGS non_replicated_deduplication_window = 10000;
