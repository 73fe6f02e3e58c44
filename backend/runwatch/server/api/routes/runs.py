"""GET /runs: every run ClickHouse knows, most recently active first."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep, SettingsDep
from runwatch.server.api.routes.errors import UNAVAILABLE
from runwatch.server.live.runinfo import rows_as_dicts, run_info
from runwatch.server.live.sse_encoding import dumps
from runwatch.server.query import queries

router = APIRouter(tags=["runs"])

Status = Literal["running", "finished", "failed", "crashed", "stale"]


# Links tell API tools (schemathesis' stateful phase) where a run id for the per-run routes
# comes from.
_RUN_LINKS = {name: {"operationId": op, "parameters": {"run_id": "$response.body#/runs/0/run_id"}}
              for name, op in (("GetMetric", "get_metric"), ("ListCheckpoints", "list_checkpoints"))}


@router.get("/runs", operation_id="list_runs",
            responses={200: {"description": "A page of runs", "links": _RUN_LINKS}, **UNAVAILABLE})
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
