-- saved_queries: one version of a console query saved as a dashboard panel; the newest row
-- (by updated_at) of each id wins.
--
-- ReplacingMergeTree(updated_at) makes a save and a delete plain INSERTs, never mutations: a
-- delete is a tombstone row with deleted = 1 (read with FINAL and WHERE deleted = 0).
-- chart_json: {"kind": "line" | "bar" | "table", "x": column, "y": [columns], "series": column
-- or null}; refresh_sec: how often the panel re-runs (it also re-runs when new points arrive).
--
-- Example: the panels, newest first
--   SELECT id, name, query, chart_json FROM saved_queries FINAL
--   WHERE deleted = 0 ORDER BY updated_at DESC;
CREATE TABLE IF NOT EXISTS saved_queries
(
    id          String,
    name        String,
    query       String,
    chart_json  String DEFAULT '{}',
    refresh_sec UInt32 DEFAULT 10,
    deleted     UInt8 DEFAULT 0,
    updated_at  DateTime64(3) DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY id
COMMENT 'one version of a console query saved as a panel, read with FINAL WHERE deleted = 0';
