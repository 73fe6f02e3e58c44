-- runs: one row per run with its metadata; the newest row (by updated_at) wins.
--
-- ReplacingMergeTree(updated_at) lets the agent change a run's status with a plain INSERT
-- (running at start, finished/failed at the end) instead of a mutation. Read with FINAL, or
-- argMax(..., updated_at), to see one row per run.
--
-- status: 'running', 'finished' or 'failed'. A process that was killed leaves 'running'; the
-- dashboard shows such a run as stale once it has stored nothing for a while.
-- config_json, env_json: JSON objects (the run's config; python/package versions, argv, pid).
--
-- Example: runs of a project whose config has lr = 3e-4
--   SELECT run_id, name, status FROM runs FINAL
--   WHERE project = 'vision' AND JSONExtractFloat(config_json, 'lr') = 3e-4;
CREATE TABLE IF NOT EXISTS runs
(
    run_id      String,
    project     LowCardinality(String) DEFAULT '',
    name        String DEFAULT '',
    config_json String DEFAULT '{}',
    tags        Array(String) DEFAULT [],
    host        String DEFAULT '',
    user        String DEFAULT '',
    git_commit  String DEFAULT '',
    git_dirty   UInt8 DEFAULT 0,
    env_json    String DEFAULT '{}',
    status      LowCardinality(String) DEFAULT 'running',
    started_at  DateTime64(3) DEFAULT now64(3),
    finished_at Nullable(DateTime64(3)),
    updated_at  DateTime64(3) DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY run_id;
