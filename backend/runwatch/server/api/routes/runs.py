"""GET /runs: every run ClickHouse knows, most recently active first."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep, SettingsDep
from runwatch.server.live.runinfo import rows_as_dicts, run_info
from runwatch.server.live.sse_encoding import dumps
from runwatch.server.query import queries

router = APIRouter(tags=["runs"])

Status = Literal["running", "finished", "failed", "crashed", "stale"]


@router.get("/runs")
def list_runs(
    ch: ClickHouseDep,
    settings: SettingsDep,
    project: Annotated[str | None, Query(max_length=256)] = None,
    status: Annotated[Status | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> Response:
    query = queries.runs_page(queries.RunsFilter(project=project, status=status), limit, offset,
                              int(settings.active_window_sec * 1000),
                              int(settings.crash_after_sec * 1000))
    result = ch.query(*query)
    rows = rows_as_dicts(result.column_names, result.result_rows)
    total = int(rows[0]["total"]) if rows else 0
    if not rows and offset > 0:  # past the end: still say how many there are
        count = ch.query(*queries.runs_page(queries.RunsFilter(project=project, status=status),
                                            1, 0, int(settings.active_window_sec * 1000),
                                            int(settings.crash_after_sec * 1000)))
        total = int(count.result_rows[0][-1]) if count.result_rows else 0
    body = {"runs": [run_info(row) for row in rows], "total": total}
    return Response(dumps(body), media_type="application/json")
