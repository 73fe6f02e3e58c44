"""GET /groups: one metric of many runs, grouped by one or two columns, aggregated per step
in ClickHouse (runwatch.server.compare.grouping)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep, CompareCacheDep, SettingsDep
from runwatch.server.api.routes.errors import UNAVAILABLE, invalid_parameters
from runwatch.server.compare import grouping
from runwatch.server.compare import table as tbl
from runwatch.server.compare.filters import FilterError
from runwatch.server.live.sse_encoding import json_array
from runwatch.server.query.metric_queries import Window

router = APIRouter(tags=["groups"])

_MAX_STEP = 2**63 - 1


@router.get("/groups", responses=UNAVAILABLE)
def groups(
    ch: ClickHouseDep,
    settings: SettingsDep,
    cache: CompareCacheDep,
    metric: Annotated[str, Query(min_length=1, max_length=512)],
    group_by: Annotated[list[str], Query(min_length=1, max_length=2, description="a column: config.lr, project, tags, host...")],
    run_id: Annotated[list[str] | None, Query(max_length=10_000, description="only these runs")] = None,
    filter: Annotated[str, Query(max_length=4000)] = "",
    from_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP)] = None,
    to_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP)] = None,
    max_points: Annotated[int | None, Query(ge=16, le=100_000)] = None,
) -> Response:
    if from_step is not None and to_step is not None and from_step > to_step:
        raise invalid_parameters("from_step", "from_step must not be greater than to_step")
    try:
        table = cache.table(ch, int(settings.active_window_sec * 1000),
                            int(settings.crash_after_sec * 1000), filter_text=filter,
                            run_ids=run_id)
    except FilterError as exc:
        raise invalid_parameters("filter", f"filter: {exc}") from None
    resolve = tbl.resolver(table.columns)
    columns = []
    for name in group_by:
        column = resolve(name)
        if column is None:
            raise invalid_parameters("group_by", f"unknown group_by column {name!r}")
        columns.append(column)
    found = grouping.assign(table.rows, columns)
    window, points = Window(from_step, to_step), max_points or settings.max_points
    key = (metric, tuple((tuple(g.runs), repr(sorted(g.key.items()))) for g in found), window, points)
    series = cache.groups(ch, key, [r for g in found for r in g.runs],
                          lambda: grouping.read_groups(ch, metric, found, window, points))
    body = b"".join((b'{"metric":', orjson.dumps(metric), b',"group_by":', orjson.dumps(columns),
                     b',"groups":', json_array(series), b"}"))
    return Response(body, media_type="application/json")
