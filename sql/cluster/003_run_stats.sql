-- Cluster edition of ../003_run_stats.sql. The view reads each shard's local inserts, and
-- because metric_points is sharded by run_id, each run's aggregate lives on one shard.
CREATE TABLE IF NOT EXISTS run_stats_local ON CLUSTER '{cluster}'
(
    run_id           String,
    first_event_time SimpleAggregateFunction(min, DateTime64(3)),
    last_event_time  SimpleAggregateFunction(max, DateTime64(3)),
    last_ingested_at SimpleAggregateFunction(max, DateTime64(3)),
    max_step         SimpleAggregateFunction(max, UInt64),
    point_count      SimpleAggregateFunction(sum, UInt64),
    hosts            SimpleAggregateFunction(groupUniqArrayArray, Array(String))
)
ENGINE = ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/run_stats_local', '{replica}')
ORDER BY run_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_stats_mv ON CLUSTER '{cluster}' TO run_stats_local AS
SELECT
    run_id,
    min(event_time)                AS first_event_time,
    max(event_time)                AS last_event_time,
    max(ingested_at)               AS last_ingested_at,
    max(step)                      AS max_step,
    count()                        AS point_count,
    groupUniqArray(toString(host)) AS hosts
FROM metric_points_local
GROUP BY run_id;

CREATE TABLE IF NOT EXISTS run_stats ON CLUSTER '{cluster}' AS run_stats_local
ENGINE = Distributed('{cluster}', currentDatabase(), run_stats_local, cityHash64(run_id));
