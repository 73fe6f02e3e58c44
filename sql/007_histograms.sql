-- histograms: one row per logged distribution (runwatch.Histogram), binned in the agent.
--
-- A row is one histogram of one metric of one run at one step, from one process (host, rank):
-- `counts[i]` values fell in [edges[i], edges[i+1]) (the last bin is closed), so
-- length(edges) = length(counts) + 1. min/max/count/sum are of the finite values binned;
-- `nonfinite` counts the NaN/±Inf values left out of the bins (a diverging layer shows here
-- first). Counts are Float64 so weighted histograms (Histogram.from_counts) fit; they are exact
-- integers below 2^53.
--
-- ORDER BY (run_id, metric, host, rank, step, event_time): the dashboard reads "one metric of
-- one run, in step order" (a distribution card), which this key makes one contiguous range.
--
-- Codecs: edges and counts are arrays of ~64 doubles per row. Delta on their bit patterns
-- (edges are evenly spaced, neighbouring counts are close) then ZSTD(3), which also finds the
-- similarity between neighbouring rows of a metric: 168 bytes per 64-bin histogram against
-- 187 for ZSTD(3) alone, 198 for ZSTD(1), 599 for Gorilla and 1049 uncompressed (BENCHMARKS.md).
-- DoubleDelta on step and the time columns, as in metric_points.
--
-- non_replicated_deduplication_window: the agent sends histograms in batches with their own
-- insert_deduplication_token, retried and replayed from the spool like metric points.
--
-- Example: the gradient-norm distribution of a run over time, one row per step
--   SELECT step, counts, edges FROM histograms
--   WHERE run_id = 'r1' AND metric = 'grad/layer1' ORDER BY step;
CREATE TABLE IF NOT EXISTS histograms
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, metric, host, rank, step, event_time)
SETTINGS non_replicated_deduplication_window = 10000;
