-- Cluster edition of ../002_runs.sql. Sharded by run_id like metric_points, so a run's
-- metadata sits beside its points.
CREATE TABLE IF NOT EXISTS runs_local ON CLUSTER '{cluster}'
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
ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/runs_local', '{replica}', updated_at)
ORDER BY run_id;

CREATE TABLE IF NOT EXISTS runs ON CLUSTER '{cluster}' AS runs_local
ENGINE = Distributed('{cluster}', currentDatabase(), runs_local, cityHash64(run_id));
