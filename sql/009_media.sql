-- media: one row per logged image (runwatch.Image), its encoded bytes included.
--
-- `data` holds the PNG/JPEG/GIF/WebP file exactly as the agent encoded (or read) it; `mime`
-- is its content type. `idx` orders several images logged under one key at one step.
--
-- Why the bytes live in ClickHouse rather than in files beside the data directory: the agent
-- talks to ClickHouse only (a training node usually shares no filesystem with the dashboard),
-- the same insert path gives images the spool, the retries and exactly-once deduplication of
-- the points, it works unchanged on a real server or a replicated cluster, and a run's images
-- are deleted, moved or backed up with its rows. The agent caps each image (2 MB by default),
-- so a row stays far below ClickHouse's limits; listing media reads only the small columns
-- (columnar storage never touches `data` for that).
--
-- Codecs: image formats are already compressed; CODEC(NONE) avoids spending CPU on bytes
-- that do not shrink.
--
-- Example: the images a run logged under 'samples', newest step first, without their bytes
--   SELECT step, idx, caption, mime, width, height, length(data) AS bytes FROM media
--   WHERE run_id = 'r1' AND key = 'samples' ORDER BY step DESC, idx;
CREATE TABLE IF NOT EXISTS media
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
ENGINE = MergeTree
PARTITION BY toYYYYMM(event_time)
ORDER BY (run_id, key, step, host, rank, idx)
SETTINGS non_replicated_deduplication_window = 10000;
