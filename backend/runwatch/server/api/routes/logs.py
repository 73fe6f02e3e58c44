"""Console lines (run_logs): a run's tail, a follow cursor, the lines around a step or a time,
and a search across runs. All filters are server-side parameters.

GET /logs/{run_id}?rank=&stream=&grep=&limit=          the newest lines, oldest first
GET /logs/{run_id}?after=<cursor>                       lines after a cursor (follow: poll it)
GET /logs/{run_id}?around_step=S | around_time=<ms>     lines around a chart's step or time
GET /logs?q=&run_id=...&limit=                          search across runs, newest first

Every answer carries `cursor`, the position of its last line, to pass back as `after`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep
from runwatch.server.api.routes.errors import (
    NOT_FOUND,
    UNAVAILABLE,
    ensure_run_exists,
    invalid_parameters,
)
from runwatch.server.live.sse_encoding import dumps
from runwatch.server.query import rich_queries as queries
from runwatch.server.query.rich_queries import LogFilter

router = APIRouter(tags=["logs"])
STREAMS = ("stdout", "stderr", "runwatch", "log")


def encode_cursor(line: dict[str, Any]) -> str:
    return f"{line['time']}.{line['rank']}.{line['seq']}.{line['host']}"


def decode_cursor(text: str) -> tuple[int, str, int, int]:
    """(epoch ms, host, rank, seq); the host goes last because it may contain dots."""
    try:
        t, rank, seq, host = text.split(".", 3)
        return int(t), host, int(rank), int(seq)
    except ValueError:
        raise invalid_parameters("after", f"after: not a log cursor: {text[:80]!r}") from None


def _lines(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        item = dict(zip(queries.LOG_COLUMNS, row, strict=True))
        item["time"] = int(item.pop("t"))
        out.append(item)
    return out


def _answer(body: dict[str, Any], lines: list[dict[str, Any]], cursor: str | None) -> Response:
    body["lines"] = lines
    body["cursor"] = encode_cursor(lines[-1]) if lines else cursor
    return Response(dumps(body), media_type="application/json")


@router.get("/logs/{run_id}", responses={**NOT_FOUND, **UNAVAILABLE})
def run_logs(
    run_id: Annotated[str, Path(min_length=1, max_length=512)],
    ch: ClickHouseDep,
    rank: Annotated[int | None, Query(ge=0, le=2**32 - 1)] = None,
    stream: Annotated[str | None, Query(pattern="^(stdout|stderr|runwatch|log)$")] = None,
    grep: Annotated[str | None, Query(max_length=500)] = None,
    after: Annotated[str | None, Query(max_length=700)] = None,
    around_step: Annotated[int | None, Query(ge=0, le=2**64 - 1)] = None,
    around_time: Annotated[int | None, Query(ge=0, le=2**53)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> Response:
    if sum(x is not None for x in (after, around_step, around_time)) > 1:
        raise invalid_parameters("after", "give at most one of after, around_step, around_time")
    ensure_run_exists(ch, run_id)
    where = LogFilter(rank=rank, stream=stream, grep=grep or None)
    if after is not None:
        rows = ch.query(*queries.log_after(run_id, where, decode_cursor(after), limit)).result_rows
    elif around_step is not None or around_time is not None:
        rows = ch.query(*queries.log_around(run_id, where, step=around_step, time_ms=around_time,
                                            limit=limit)).result_rows
    else:
        rows = list(reversed(ch.query(*queries.log_tail(run_id, where, limit)).result_rows))
    return _answer({"run_id": run_id}, _lines(rows), after)


@router.get("/logs", responses=UNAVAILABLE)
def search_logs(
    ch: ClickHouseDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    run_id: Annotated[list[str] | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=5_000)] = 200,
) -> Response:
    rows = ch.query(*queries.log_search(q, run_id or [], limit)).result_rows
    return _answer({"q": q}, _lines(rows), None)
