"""SQL the dashboard server runs, as (text, parameters) pairs. Pure: no client, no I/O.

Every value that comes from a user or from data is a server-side parameter (`{name:Type}`),
never spliced into the text; only fixed fragments chosen here are. Times cross the wire as
epoch milliseconds (Int64), which keeps time zones out of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

MS = "fromUnixTimestamp64Milli({%s:Int64})"  # an epoch-ms parameter as a DateTime64(3)

BUCKET_COLUMNS = (
    "run_id", "metric", "host", "rank", "device", "unit", "n", "w", "b",
    "finite", "lo", "lo_step", "lo_t", "hi", "hi_step", "hi_t", "nans", "nan_step", "nan_t",
)


class Query(NamedTuple):
    sql: str
    params: dict[str, Any]


def stored_counts_since(since_ms: int) -> Query:
    """How many points were stored at each ingested_at (ms) after `since_ms`: the poller
    compares these with what it has read, and fetches only the instants that differ."""
    sql = f"""
SELECT toUnixTimestamp64Milli(ingested_at) AS ing, count() AS n,
       toUnixTimestamp64Milli(now64(3)) AS now
FROM metric_points
WHERE ingested_at > {MS % "since"}
GROUP BY ing"""
    return Query(sql, {"since": since_ms})


def points_stored_at(since_ms: int, instants: Sequence[int], limit: int) -> Query:
    """The points stored at these ingested_at instants (ms, all after `since_ms`)."""
    sql = f"""
SELECT run_id, metric, host, rank, device, unit, step,
       toUnixTimestamp64Milli(event_time) AS t, value,
       toUnixTimestamp64Milli(ingested_at) AS ing
FROM metric_points
WHERE ingested_at > {MS % "since"}
  AND toUnixTimestamp64Milli(ingested_at) IN {{instants:Array(Int64)}}
ORDER BY run_id, metric, host, rank, device, step, event_time
LIMIT {{limit:UInt64}}"""
    return Query(sql, {"since": since_ms, "instants": list(instants), "limit": limit})


def runs_stored_since(since_ms: int) -> Query:
    return Query(
        f"SELECT DISTINCT run_id FROM metric_points WHERE ingested_at > {MS % 'since'}",
        {"since": since_ms},
    )


def server_now() -> Query:
    return Query("SELECT toUnixTimestamp64Milli(now64(3))", {})


def bucket_aggregates(rank_expr: str) -> str:
    """Per group: how many non-NaN points, the min and max point, the first NaN point."""
    return f"""
       countIf(NOT isNaN(value)) AS finite,
       minIf(value, NOT isNaN(value)) AS lo,
       argMinIf((step, t), value, NOT isNaN(value)) AS lo_at, lo_at.1 AS lo_step, lo_at.2 AS lo_t,
       maxIf(value, NOT isNaN(value)) AS hi,
       argMaxIf((step, t), value, NOT isNaN(value)) AS hi_at, hi_at.1 AS hi_step, hi_at.2 AS hi_t,
       countIf(isNaN(value)) AS nans,
       argMinIf((step, t), {rank_expr}, isNaN(value)) AS nan_at, nan_at.1 AS nan_step, nan_at.2 AS nan_t"""


def backfill(run_ids: Sequence[str], cutoff_ms: int, tail: int, buckets: int) -> Query:
    """The history of whole runs, stored up to `cutoff_ms`, reduced on the server.

    Per series: the newest `tail` points raw (one row each, b < 0), the rest in buckets of
    `w` consecutive points (w a power of two so that about `buckets` buckets remain), each
    bucket summarised by its min point, max point and first NaN point — the same rule the
    cache applies (backend/runwatch/server/live/series.py), so live points continue the buckets seamlessly.
    Rows come grouped by series (ordered by a hash of the key: sorting by the strings costs
    more than the whole aggregation) and in series order within a series.
    """
    key = "run_id, metric, host, rank, device"
    sql = f"""
SELECT {", ".join(BUCKET_COLUMNS)}
FROM
(
SELECT {key}, any(unit) AS unit, any(n) AS n, any(w) AS w, b, min(rn) AS rn0,
       {bucket_aggregates("rn")}
FROM
(
    SELECT {key}, unit, step, toUnixTimestamp64Milli(event_time) AS t, value,
           row_number() OVER in_order AS rn,
           count() OVER whole AS n,
           toInt64(n) - {{tail:Int64}} AS n_history,
           toInt64(exp2(greatest(0, ceil(log2(greatest(n_history, 1) / {{buckets:UInt64}}))))) AS w,
           if(toInt64(rn) > n_history, -toInt64(rn), intDiv(toInt64(rn) - 1, w)) AS b
    FROM metric_points
    WHERE run_id IN {{runs:Array(String)}} AND ingested_at <= {MS % "cutoff"}
    WINDOW whole AS (PARTITION BY {key}),
           in_order AS (PARTITION BY {key} ORDER BY step, event_time
                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
GROUP BY {key}, b
)
ORDER BY cityHash64({key}), rn0"""
    return Query(sql, {"runs": list(run_ids), "cutoff": cutoff_ms, "tail": tail,
                       "buckets": buckets})


def stored_between(run_ids: Sequence[str], after_ms: int, until_ms: int) -> Query:
    """Keys of points of these runs stored in (after, until]: what a backfill already holds
    of the poller's overlap window."""
    sql = f"""
SELECT run_id, metric, host, rank, device, step,
       toUnixTimestamp64Milli(event_time) AS t, toUnixTimestamp64Milli(ingested_at) AS ing
FROM metric_points
WHERE run_id IN {{runs:Array(String)}}
  AND ingested_at > {MS % "after"} AND ingested_at <= {MS % "until"}"""
    return Query(sql, {"runs": list(run_ids), "after": after_ms, "until": until_ms})


# --- runs ------------------------------------------------------------------------------------

RUN_COLUMNS = (
    "run_id", "project", "name", "config_json", "tags", "run_host", "user", "git_commit",
    "status", "is_active", "recent", "start_ms", "last_event_ms", "activity_ms", "max_step",
    "point_count", "hosts", "heartbeat_ms", "failure_reason", "failure_type", "failure_message",
    "total",
)

_RUNS_BASE = """
SELECT run_id, project, name, config_json, tags, run_host, user, git_commit, stored_status,
       start_ms, last_event_ms, activity_ms, max_step, point_count, hosts, heartbeat_ms,
       failure_reason, failure_type, failure_message,
       (now_ms - activity_ms) <= {active_ms:Int64} AS recent,
       stored_status = 'running' AND heartbeat_ms IS NOT NULL
           AND (now_ms - heartbeat_ms) > {crash_ms:Int64} AS vanished,
       stored_status = 'running' AND recent AND NOT vanished AS is_active,
       multiIf(vanished, 'crashed', stored_status = 'running' AND NOT recent, 'stale',
               stored_status) AS status
FROM
(
    SELECT if(r.run_id IS NULL, s.run_id, r.run_id) AS run_id,
           ifNull(r.project, '') AS project,
           ifNull(r.name, '') AS name,
           ifNull(r.config_json, '{}') AS config_json,
           ifNull(r.tags, []) AS tags,
           ifNull(r.host, '') AS run_host,
           ifNull(r.user, '') AS user,
           ifNull(r.git_commit, '') AS git_commit,
           ifNull(r.status, 'running') AS stored_status,
           toUnixTimestamp64Milli(r.heartbeat_at) AS heartbeat_ms,
           ifNull(r.failure_reason, '') AS failure_reason,
           ifNull(r.failure_type, '') AS failure_type,
           ifNull(r.failure_message, '') AS failure_message,
           coalesce(toUnixTimestamp64Milli(r.started_at),
                    toUnixTimestamp64Milli(s.first_event_time)) AS start_ms,
           toUnixTimestamp64Milli(s.last_event_time) AS last_event_ms,
           greatest(ifNull(toUnixTimestamp64Milli(s.last_ingested_at), 0),
                    ifNull(toUnixTimestamp64Milli(r.updated_at), 0)) AS activity_ms,
           s.max_step AS max_step,
           ifNull(s.point_count, 0) AS point_count,
           ifNull(s.hosts, []) AS hosts,
           toUnixTimestamp64Milli(now64(3)) AS now_ms
    FROM (
        SELECT run_id, project, name, config_json, tags, host, `user`, git_commit, status,
               started_at, updated_at, heartbeat_at, failure_reason, failure_type,
               failure_message
        FROM runs FINAL
        {runs_where}
    ) AS r
    FULL OUTER JOIN (
        SELECT run_id, min(first_event_time) AS first_event_time,
               max(last_event_time) AS last_event_time, max(last_ingested_at) AS last_ingested_at,
               max(max_step) AS max_step, sum(point_count) AS point_count,
               groupUniqArrayArray(hosts) AS hosts
        FROM run_stats
        {runs_where}
        GROUP BY run_id
    ) AS s ON r.run_id = s.run_id
    SETTINGS join_use_nulls = 1
)"""


def _runs_base(listed_only: bool) -> str:
    """_RUNS_BASE; `listed_only`: both sides read only the runs of `{run_ids}` (run_id is
    their sort key, so a few runs cost a few granules, not the whole join)."""
    where = "WHERE run_id IN {run_ids:Array(String)}" if listed_only else ""
    return _RUNS_BASE.replace("{runs_where}", where)


_RUNS_SELECT = ("run_id, project, name, config_json, tags, run_host, user, git_commit, status, "
                "is_active, recent, start_ms, last_event_ms, activity_ms, max_step, point_count, "
                "hosts, heartbeat_ms, failure_reason, failure_type, failure_message")


@dataclass(frozen=True)
class RunsFilter:
    project: str | None = None
    status: str | None = None
    run_ids: Sequence[str] | None = field(default=None)


def runs_page(flt: RunsFilter, limit: int, offset: int, active_ms: int,
              crash_ms: int = 45_000) -> Query:
    """One page of runs, most recently active first, with the total matching count."""
    where, params = _runs_where(flt)
    sql = f"""
SELECT {_RUNS_SELECT}, count() OVER () AS total
FROM ({_runs_base(flt.run_ids is not None)})
{where}
ORDER BY activity_ms DESC, run_id
LIMIT {{limit:UInt64}} OFFSET {{offset:UInt64}}"""
    return Query(sql, {**params, "limit": limit, "offset": offset, "active_ms": active_ms,
                       "crash_ms": crash_ms})


def runs_horizon(max_runs: int, horizon_ms: int, active_ms: int,
                 crash_ms: int = 45_000) -> Query:
    """The runs the live cache holds: the `max_runs` most recently active within the horizon,
    plus every run that stored data within the active window (never dropped while live)."""
    sql = f"""
SELECT {_RUNS_SELECT}, count() OVER () AS total
FROM
(
    SELECT *, row_number() OVER (ORDER BY activity_ms DESC, run_id) AS position
    FROM ({_runs_base(False)})
    WHERE activity_ms >= toUnixTimestamp64Milli(now64(3)) - {{horizon_ms:Int64}}
)
WHERE position <= {{max_runs:UInt64}} OR recent
ORDER BY activity_ms DESC, run_id"""
    return Query(sql, {"max_runs": max_runs, "horizon_ms": horizon_ms, "active_ms": active_ms,
                       "crash_ms": crash_ms})


def _runs_where(flt: RunsFilter) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if flt.project is not None:
        clauses.append("project = {project:String}")
        params["project"] = flt.project
    if flt.status is not None:
        clauses.append("status = {status:String}")
        params["status"] = flt.status
    if flt.run_ids is not None:
        clauses.append("run_id IN {run_ids:Array(String)}")
        params["run_ids"] = list(flt.run_ids)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def run_exists(run_id: str) -> Query:
    sql = """
SELECT count() FROM (
    SELECT run_id FROM runs WHERE run_id = {run_id:String} LIMIT 1
    UNION ALL
    SELECT run_id FROM run_stats WHERE run_id = {run_id:String} LIMIT 1
)"""
    return Query(sql, {"run_id": run_id})
