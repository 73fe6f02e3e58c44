"""SQL of GET /metrics/{run_id} and GET /checkpoints/{run_id}: one metric of one run, in a
window. Pure, like backend/runwatch/server/query/queries.py: every user value is a server-side parameter."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runwatch.server.query.queries import BUCKET_COLUMNS, MS, Query, bucket_aggregates


@dataclass(frozen=True)
class Window:
    """The part of a metric a chart asks for; None means unbounded."""

    from_step: int | None = None
    to_step: int | None = None
    from_time: int | None = None  # epoch ms
    to_time: int | None = None


def _metric_where(run_id: str, metric: str, window: Window) -> tuple[str, dict[str, Any]]:
    clauses = ["run_id = {run_id:String}", "metric = {metric:String}"]
    params: dict[str, Any] = {"run_id": run_id, "metric": metric}
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
    return "WHERE " + " AND ".join(clauses), params


def metric_extent(run_id: str, metric: str, window: Window) -> Query:
    """How many raw points the window holds, their step range and the minutes they span."""
    where, params = _metric_where(run_id, metric, window)
    sql = f"""
SELECT count() AS n, min(step) AS lo_step, max(step) AS hi_step,
       dateDiff('minute', min(event_time), max(event_time)) + 1 AS minutes,
       any(unit) AS unit
FROM metric_points {where}"""
    return Query(sql, params)


def metric_raw(run_id: str, metric: str, window: Window, limit: int) -> Query:
    where, params = _metric_where(run_id, metric, window)
    sql = f"""
SELECT run_id, metric, host, rank, device, unit, step,
       toUnixTimestamp64Milli(event_time) AS t, value
FROM metric_points {where}
ORDER BY host, rank, device, step, event_time
LIMIT {{limit:UInt64}}"""
    return Query(sql, {**params, "limit": limit})


def metric_buckets(run_id: str, metric: str, window: Window, lo_step: int, width: int) -> Query:
    """Raw points reduced on the server to min/max/first-NaN per `width` steps."""
    where, params = _metric_where(run_id, metric, window)
    sql = f"""
SELECT {", ".join(BUCKET_COLUMNS)}
FROM
(
SELECT run_id, metric, host, rank, device, any(unit) AS unit, count() AS n,
       toInt64({{width:UInt64}}) AS w, intDiv(step - {{lo_step:UInt64}}, {{width:UInt64}}) AS b,
       {bucket_aggregates("(step, t)")}
FROM (
    SELECT run_id, metric, host, rank, device, unit, step,
           toUnixTimestamp64Milli(event_time) AS t, value
    FROM metric_points {where}
)
GROUP BY run_id, metric, host, rank, device, b
)
ORDER BY run_id, metric, host, rank, device, b"""
    return Query(sql, {**params, "lo_step": lo_step, "width": width})


def metric_rollup(run_id: str, metric: str, window: Window) -> Query:
    """Per series and minute: the step range, min, max, last value and NaN count."""
    clauses = ["run_id = {run_id:String}", "metric = {metric:String}"]
    params: dict[str, Any] = {"run_id": run_id, "metric": metric}
    if window.from_time is not None:
        clauses.append(f"minute >= toStartOfMinute({MS % 'from_time'})")
        params["from_time"] = window.from_time
    if window.to_time is not None:
        clauses.append(f"minute <= {MS % 'to_time'}")
        params["to_time"] = window.to_time
    having = []
    if window.from_step is not None:
        having.append("max_step >= {from_step:UInt64}")
        params["from_step"] = window.from_step
    if window.to_step is not None:
        having.append("min_step <= {to_step:UInt64}")
        params["to_step"] = window.to_step
    sql = f"""
SELECT run_id, metric, host, rank, device, toInt64(toUnixTimestamp(minute)) * 1000 AS t,
       min(min_step) AS min_step, max(max_step) AS max_step,
       min(min_value) AS lo, max(max_value) AS hi, argMaxMerge(last_value) AS last,
       sum(nan_count) AS nans, sum(count) AS n
FROM metric_rollup_1m
WHERE {" AND ".join(clauses)}
GROUP BY run_id, metric, host, rank, device, minute
{("HAVING " + " AND ".join(having)) if having else ""}
ORDER BY host, rank, device, minute"""
    return Query(sql, params)


def metric_unit(run_id: str, metric: str) -> Query:
    return Query(
        "SELECT unit FROM metric_points WHERE run_id = {run_id:String} "
        "AND metric = {metric:String} LIMIT 1",
        {"run_id": run_id, "metric": metric},
    )


def checkpoints(run_id: str) -> Query:
    sql = """
SELECT step, toUnixTimestamp64Milli(event_time) AS t, value, tags_json
FROM metric_points
WHERE run_id = {run_id:String} AND metric = 'checkpoint'
ORDER BY step, event_time"""
    return Query(sql, {"run_id": run_id})
