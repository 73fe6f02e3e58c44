"""SQL of the histogram, console-log and media resources (sql/007-009). Pure, like
queries.py: every user value is a server-side parameter, never spliced into the text."""

from __future__ import annotations

from dataclasses import dataclass

from runwatch.server.query.queries import MS, Query

HISTOGRAM_COLUMNS = ("step", "t", "host", "rank", "edges", "counts", "min", "max", "count", "sum",
                     "nonfinite")
LOG_COLUMNS = ("run_id", "t", "host", "rank", "stream", "seq", "step", "line")
_LOG_SELECT = ("run_id, toUnixTimestamp64Milli(event_time) AS t, host, rank, stream, seq, step, "
               "line")
MEDIA_COLUMNS = ("key", "step", "idx", "t", "host", "rank", "caption", "mime", "width", "height",
                 "bytes")


def histogram_metrics(run_id: str) -> Query:
    return Query("SELECT metric, count() AS n, max(step) AS last_step FROM histograms "
                 "WHERE run_id = {run_id:String} GROUP BY metric ORDER BY metric",
                 {"run_id": run_id})


def histogram_steps(run_id: str, metric: str) -> Query:
    return Query("SELECT DISTINCT step FROM histograms WHERE run_id = {run_id:String} "
                 "AND metric = {metric:String} ORDER BY step", {"run_id": run_id, "metric": metric})


def histograms_at(run_id: str, metric: str, steps: list[int]) -> Query:
    sql = """
SELECT step, toUnixTimestamp64Milli(event_time) AS t, host, rank, edges, counts, min, max, count,
       sum, nonfinite
FROM histograms
WHERE run_id = {run_id:String} AND metric = {metric:String} AND step IN {steps:Array(UInt64)}
ORDER BY step, host, rank, event_time
LIMIT 1 BY step, host, rank"""
    return Query(sql, {"run_id": run_id, "metric": metric, "steps": steps})


@dataclass(frozen=True)
class LogFilter:
    rank: int | None = None
    stream: str | None = None
    grep: str | None = None  # a substring, case-sensitive (the ngram index serves LIKE)


def like_pattern(text: str) -> str:
    """`text` as a LIKE pattern matching it anywhere, its own % _ and \\ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _log_where(run_id: str | None, where: LogFilter) -> tuple[list[str], dict[str, object]]:
    clauses: list[str] = []
    params: dict[str, object] = {}
    if run_id is not None:
        clauses.append("run_id = {run_id:String}")
        params["run_id"] = run_id
    if where.rank is not None:
        clauses.append("rank = {rank:UInt32}")
        params["rank"] = where.rank
    if where.stream is not None:
        clauses.append("stream = {stream:String}")
        params["stream"] = where.stream
    if where.grep:
        clauses.append("line LIKE {pattern:String}")
        params["pattern"] = like_pattern(where.grep)
    return clauses, params


def _sql(clauses: list[str]) -> str:
    return ("WHERE " + " AND ".join(clauses)) if clauses else ""


def log_tail(run_id: str, where: LogFilter, limit: int) -> Query:
    """The newest `limit` lines (returned newest first; the caller reverses)."""
    clauses, params = _log_where(run_id, where)
    sql = (f"SELECT {_LOG_SELECT} FROM run_logs {_sql(clauses)} "
           "ORDER BY event_time DESC, host DESC, rank DESC, seq DESC LIMIT {limit:UInt32}")
    return Query(sql, {**params, "limit": limit})


def log_after(run_id: str, where: LogFilter, cursor: tuple[int, str, int, int], limit: int) -> Query:
    """Lines after `cursor` = (epoch ms, host, rank, seq) of the last line a client holds: the
    follow endpoint. Keyset on the table's sort key, so each poll reads a small range."""
    clauses, params = _log_where(run_id, where)
    clauses.append(f"(event_time, host, rank, seq) > ({MS % 'c_t'}, {{c_host:String}}, "
                   "{c_rank:UInt32}, {c_seq:UInt64})")
    sql = (f"SELECT {_LOG_SELECT} FROM run_logs {_sql(clauses)} "
           "ORDER BY event_time, host, rank, seq LIMIT {limit:UInt32}")
    t, host, rank, seq = cursor
    return Query(sql, {**params, "c_t": t, "c_host": host, "c_rank": rank, "c_seq": seq,
                       "limit": limit})


def log_around(run_id: str, where: LogFilter, *, step: int | None, time_ms: int | None,
               limit: int) -> Query:
    """About `limit` lines around a step (or a time): half before or at it, half after."""
    clauses, params = _log_where(run_id, where)
    if step is not None:
        key, at = "step", "{at:UInt64}"
        params["at"] = step
    else:
        key, at = "event_time", MS % "at"
        params["at"] = time_ms
    base = _sql(clauses) or "WHERE 1"
    half = max(1, limit // 2)
    sql = f"""
SELECT * FROM (
    SELECT {_LOG_SELECT} FROM run_logs {base} AND {key} <= {at}
    ORDER BY event_time DESC, host DESC, rank DESC, seq DESC LIMIT {{before:UInt32}}
    UNION ALL
    SELECT {_LOG_SELECT} FROM run_logs {base} AND {key} > {at}
    ORDER BY event_time, host, rank, seq LIMIT {{after:UInt32}}
)
ORDER BY t, host, rank, seq"""
    return Query(sql, {**params, "before": half, "after": limit - half})


def log_search(grep: str, run_ids: list[str], limit: int) -> Query:
    """Lines containing `grep` across runs (all runs when `run_ids` is empty), newest first."""
    clauses, params = _log_where(None, LogFilter(grep=grep))
    if run_ids:
        clauses.append("run_id IN {run_ids:Array(String)}")
        params["run_ids"] = run_ids
    sql = (f"SELECT {_LOG_SELECT} FROM run_logs {_sql(clauses)} "
           "ORDER BY event_time DESC LIMIT {limit:UInt32}")
    return Query(sql, {**params, "limit": limit})


def media_list(run_id: str, key: str | None) -> Query:
    params: dict[str, object] = {"run_id": run_id}
    extra = ""
    if key is not None:
        extra = " AND key = {key:String}"
        params["key"] = key
    sql = f"""
SELECT key, step, idx, toUnixTimestamp64Milli(event_time) AS t, host, rank, caption, mime, width,
       height, length(data) AS bytes
FROM media WHERE run_id = {{run_id:String}}{extra}
ORDER BY key, step, idx, host, rank
LIMIT 1 BY key, step, idx, host, rank"""
    return Query(sql, params)


def media_item(run_id: str, key: str, step: int, idx: int, rank: int | None) -> Query:
    params: dict[str, object] = {"run_id": run_id, "key": key, "step": step, "idx": idx}
    extra = ""
    if rank is not None:
        extra = " AND rank = {rank:UInt32}"
        params["rank"] = rank
    sql = ("SELECT mime, hex(data) FROM media WHERE run_id = {run_id:String} AND key = {key:String} "
           f"AND step = {{step:UInt64}} AND idx = {{idx:UInt32}}{extra} ORDER BY rank LIMIT 1")
    return Query(sql, params)
