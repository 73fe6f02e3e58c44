-- run_logs: one row per line a training process wrote to its stdout or stderr.
--
-- The agent tees file descriptors 1 and 2 (Run(capture_output=True), the default), so lines
-- from print(), C extensions and subprocesses all land here, while the terminal still shows
-- them. A line redrawn with '\r' (a tqdm bar) is stored once, in its final state. ANSI escape
-- sequences are kept (the dashboard renders them). A row with stream = 'runwatch' is the
-- agent's own marker, e.g. "[runwatch] 1234 lines dropped (over 1000 lines/s)".
--
-- seq numbers the lines of one process (host, rank) of a run in the order they were read,
-- both streams together; `step` is the step training had reached when the line was read, so
-- "the lines around step 4000" is a range on it.
--
-- ORDER BY (run_id, event_time, host, rank, seq): the Logs tab reads a run's lines in time
-- order, all ranks interleaved, usually the newest ones; one rank is a filter on that range.
--
-- Search: ngrambf_v1 on line lets `line LIKE '%CUDA out of memory%'` across every run skip the
-- granules that cannot contain it (4-grams, 64 KiB filter per granule).
--
-- Example: the last lines of every rank of a run
--   SELECT event_time, host, rank, stream, line FROM run_logs
--   WHERE run_id = 'r1' ORDER BY event_time DESC, seq DESC LIMIT 100;
CREATE TABLE IF NOT EXISTS run_logs
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, event_time, host, rank, seq)
SETTINGS non_replicated_deduplication_window = 10000;
