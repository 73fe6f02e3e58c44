-- run_stats: per-run aggregates kept up to date by a materialized view, so that listing runs
-- reads O(runs) rows instead of scanning metric_points.
--
-- Each insert into metric_points adds one partial row per run; merges fold them. Always read
-- with GROUP BY run_id and the matching combinators:
--   SELECT run_id, min(first_event_time) AS first_event_time, max(last_event_time) AS last_event_time,
--          max(last_ingested_at) AS last_ingested_at, max(max_step) AS max_step,
--          sum(point_count) AS point_count, groupUniqArrayArray(hosts) AS hosts
--   FROM run_stats GROUP BY run_id;
-- last_ingested_at (server clock) decides whether a run is active: it is immune to a skewed
-- client clock.
CREATE TABLE IF NOT EXISTS run_stats
(
    run_id           String,
    first_event_time SimpleAggregateFunction(min, DateTime64(3)),
    last_event_time  SimpleAggregateFunction(max, DateTime64(3)),
    last_ingested_at SimpleAggregateFunction(max, DateTime64(3)),
    max_step         SimpleAggregateFunction(max, UInt64),
    point_count      SimpleAggregateFunction(sum, UInt64),
    hosts            SimpleAggregateFunction(groupUniqArrayArray, Array(String))
)
ENGINE = AggregatingMergeTree
ORDER BY run_id
-- A retried insert (same deduplication token) is skipped here too, not counted twice.
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS run_stats_mv TO run_stats AS
SELECT
    run_id,
    min(event_time)             AS first_event_time,
    max(event_time)             AS last_event_time,
    max(ingested_at)            AS last_ingested_at,
    max(step)                   AS max_step,
    count()                     AS point_count,
    groupUniqArray(toString(host)) AS hosts
FROM metric_points
GROUP BY run_id;
