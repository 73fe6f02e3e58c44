"""SQL of the compare resources. Pure; every user value is a server-side parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runwatch.server.query.metric_queries import Window, _metric_where
from runwatch.server.query.queries import MS, Query

# The point columns an export carries, in the table's sort order.
EXPORT_COLUMNS = ("metric", "step", "event_time", "value", "host", "rank", "device", "unit")
EXPORT_FORMATS = {"csv": "CSVWithNames", "parquet": "Parquet", "jsonl": "JSONEachRow"}


_POINT_AGGREGATES = {
    "min_step": "argMinIf(step, (value, step), NOT isNaN(value)) AS min_step",
    "max_step": "argMinIf(step, (-value, step), NOT isNaN(value)) AS max_step",
}


def summaries(metrics: Sequence[str], aggregates: Sequence[str],
              run_ids: Sequence[str] | None = None) -> Query:
    """Per run and metric: last, min, max (of the non-NaN values) and the step where the min
    and max first happened — only the `aggregates` asked for.

    last/min/max come from the per-minute rollup (one row per series and minute, not per
    point); the steps of the extremes need the points. A run's processes (hosts, ranks) are
    one population: "val/loss min" is the smallest val/loss any of them logged.
    """
    where = "metric IN {metrics:Array(String)}"
    params: dict[str, Any] = {"metrics": list(metrics)}
    if run_ids is not None:
        where += " AND run_id IN {run_ids:Array(String)}"
        params["run_ids"] = list(run_ids)
    rollup = f"""
SELECT toString(run_id) AS run_id, toString(metric) AS metric,
       argMaxMerge(last_value) AS last, min(min_value) AS min, max(max_value) AS max,
       sum(count) - sum(nan_count) AS finite
FROM metric_rollup_1m
WHERE {where}
GROUP BY run_id, metric"""
    point_aggs = [_POINT_AGGREGATES[a] for a in aggregates if a in _POINT_AGGREGATES]
    if not point_aggs:
        return Query(rollup, params)
    points = f"""
SELECT toString(run_id) AS run_id, toString(metric) AS metric, {", ".join(point_aggs)}
FROM metric_points
WHERE {where}
GROUP BY run_id, metric"""
    sql = f"SELECT * FROM ({rollup}) AS r INNER JOIN ({points}) AS p USING (run_id, metric)"
    return Query(sql, params)


def data_version() -> Query:
    """What changes whenever a runs table could: the runs rows, the points (through run_stats)
    and the rollup the summaries read, without FINAL or a join; and ClickHouse's clock, the
    one the runs query computes statuses with. A merge changes the counts too (a needless
    rebuild, never a stale table)."""
    sql = """
SELECT (SELECT tuple(count(), max(updated_at), sum(cityHash64(run_id, updated_at, status)))
        FROM runs) AS runs_version,
       (SELECT tuple(count(), max(last_ingested_at), sum(point_count)) FROM run_stats)
           AS stats_version,
       (SELECT tuple(count(), sum(count)) FROM metric_rollup_1m) AS rollup_version,
       toUnixTimestamp64Milli(now64(3)) AS now_ms"""
    return Query(sql, {})


def row_versions(run_ids: Sequence[str] | None = None) -> Query:
    """Per run: a hash of every runs row and run_stats row it has (heartbeat_at through ifNull:
    a hash of a NULL is NULL, which sum() would skip), without FINAL, so it
    changes with any insert (a heartbeat, a status, a point) and with any merge of them (a
    needless re-read, never a missed change). A kept runs table re-reads only the runs whose
    hash moved (compare/kept.py)."""
    where, params = "", {}
    if run_ids is not None:
        where, params = "WHERE run_id IN {run_ids:Array(String)}", {"run_ids": list(run_ids)}
    sql = f"""
SELECT toString(run_id) AS run_id, sum(h) AS version
FROM (
    SELECT run_id, cityHash64(updated_at, status, ifNull(heartbeat_at, toDateTime64(0, 3)),
                              project, name, config_json, tags, host, `user`, git_commit,
                              started_at, failure_reason, failure_type, failure_message) AS h
    FROM runs {where}
    UNION ALL
    SELECT run_id, cityHash64(first_event_time, last_event_time, last_ingested_at, max_step,
                              point_count, hosts) AS h
    FROM run_stats {where}
)
GROUP BY run_id"""
    return Query(sql, params)


def runs_version(run_ids: Sequence[str]) -> Query:
    """The points these runs hold, as run_stats counts them: a group answer over them is
    unchanged while this is."""
    sql = """
SELECT count(), sum(point_count), max(last_ingested_at), max(max_step)
FROM run_stats
WHERE run_id IN {run_ids:Array(String)}"""
    return Query(sql, {"run_ids": sorted(set(run_ids))})


def metric_names() -> Query:
    """Every metric name (from the per-minute rollup: far fewer rows than metric_points)."""
    return Query("SELECT DISTINCT toString(metric) FROM metric_rollup_1m ORDER BY 1", {})


def run_extras(run_ids: Sequence[str]) -> Query:
    """What the runs table leaves out and a run's detail/compare show."""
    sql = """
SELECT run_id, env_json, git_dirty, toUnixTimestamp64Milli(finished_at) AS finished_ms
FROM runs FINAL
WHERE run_id IN {run_ids:Array(String)}"""
    return Query(sql, {"run_ids": list(run_ids)})


def grouped(metric: str, run_ids: Sequence[str], groups: Sequence[int], window: Window) -> Query:
    """Per group and step, over the group's points: mean, min, max, population std, count.

    One aggregation straight over the points (no per-run step first): a nested GROUP BY
    (run, step) costs a hash table of runs x steps and was 2-3x slower at 20 runs x 50,000
    steps. A run that logs the metric from several processes therefore weighs once per
    process. NaN/Inf points are left out, so one diverged step does not erase a group's line.

    The group number comes from the LowCardinality run_id as it is (a toString first decodes
    every row's string); rows come unordered (sorting the 200,000 result rows in ClickHouse cost
    more than numpy's sort per group) and from one thread: at this size two threads' hash
    tables cost more CPU to merge than they save, and the machine is shared.
    """
    clauses = ["metric = {metric:String}", "run_id IN {run_ids:Array(String)}", "isFinite(value)"]
    params: dict[str, Any] = {"metric": metric, "run_ids": list(run_ids), "groups": list(groups)}
    if window.from_step is not None:
        clauses.append("step >= {from_step:UInt64}")
        params["from_step"] = window.from_step
    if window.to_step is not None:
        clauses.append("step <= {to_step:UInt64}")
        params["to_step"] = window.to_step
    sql = f"""
SELECT transform(run_id, {{run_ids:Array(String)}}, {{groups:Array(UInt32)}},
                 toUInt32(0)) AS g,
       step, avg(value) AS mean, min(value) AS lo, max(value) AS hi, stddevPop(value) AS sd,
       count() AS n, min(toUnixTimestamp64Milli(event_time)) AS t
FROM metric_points
WHERE {" AND ".join(clauses)}
GROUP BY g, step
SETTINGS max_threads = 1"""
    return Query(sql, params)


def raw_numeric(run_id: str, metric: str, window: Window) -> tuple[Query, Query]:
    """The raw points of a window as numbers only (series as a hash), and the series' keys.

    Smoothing reads every point of the window: string columns per row (host, unit, ...)
    cost more to decode than the numbers themselves, so each series is named once.
    """
    where, params = _metric_where(run_id, metric, window)
    points = f"""
SELECT cityHash64(host, rank, device) AS sid, step, toUnixTimestamp64Milli(event_time) AS t, value
FROM metric_points {where}
ORDER BY host, rank, device, step, event_time"""
    keys = f"""
SELECT cityHash64(host, rank, device) AS sid, toString(host) AS host, rank, device,
       toString(argMax(unit, step)) AS unit
FROM metric_points {where}
GROUP BY host, rank, device"""
    return Query(points, params), Query(keys, params)


def x_values(run_id: str, metric: str, steps: Sequence[int]) -> Query:
    """The x metric at these steps of a run (mean of its processes at a step)."""
    sql = """
SELECT step, avg(value) AS x
FROM metric_points
WHERE run_id = {run_id:String} AND metric = {metric:String} AND step IN {steps:Array(UInt64)}
GROUP BY step"""
    return Query(sql, {"run_id": run_id, "metric": metric, "steps": list(steps)})


def export(run_id: str | Sequence[str], metrics: Sequence[str], window: Window) -> Query:
    """Every raw point of a run (or of some metrics), in the table's order. Several runs (a
    chart card's download): the same with `run_id` as the first column."""
    several = not isinstance(run_id, str)
    clauses = ["run_id IN {run_ids:Array(String)}" if several else "run_id = {run_id:String}"]
    params: dict[str, Any] = {"run_ids": list(run_id)} if several else {"run_id": run_id}
    if metrics:
        clauses.append("metric IN {metrics:Array(String)}")
        params["metrics"] = list(metrics)
    if window.from_step is not None:
        clauses.append("step >= {from_step:UInt64}")
        params["from_step"] = window.from_step
    if window.to_step is not None:
        clauses.append("step <= {to_step:UInt64}")
        params["to_step"] = window.to_step
    if window.from_time is not None:
        clauses.append(f"event_time >= {MS % 'from_time'}")
        params["from_time"] = window.from_time
    if window.to_time is not None:
        clauses.append(f"event_time <= {MS % 'to_time'}")
        params["to_time"] = window.to_time
    columns = ("run_id", *EXPORT_COLUMNS) if several else EXPORT_COLUMNS
    order = "run_id, metric" if several else "metric"
    sql = f"""
SELECT {", ".join(columns)}
FROM metric_points
WHERE {" AND ".join(clauses)}
ORDER BY {order}, host, rank, device, step, event_time"""
    return Query(sql, params)


def export_count(run_id: str, metrics: Sequence[str], window: Window) -> Query:
    sql, params = export(run_id, metrics, window)
    head, _, rest = sql.partition("FROM metric_points")
    where = rest.split("ORDER BY")[0]
    return Query(f"SELECT count() FROM metric_points{where}", params)
