"""GET /metrics/{run_id}: one metric of one run, read from ClickHouse for a zoomed chart."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep, SettingsDep
from runwatch.server.api.routes.errors import (
    NOT_FOUND,
    UNAVAILABLE,
    ensure_run_exists,
    invalid_parameters,
)
from runwatch.server.live.sse_encoding import json_array
from runwatch.server.query import metric_queries as queries
from runwatch.server.query.metric_reader import read_metric

router = APIRouter(tags=["metrics"])

_MAX_STEP = 2**63 - 1
_MAX_TIME_MS = 253_402_300_799_999  # 9999-12-31


@router.get("/metrics/{run_id}", operation_id="get_metric", responses={**NOT_FOUND, **UNAVAILABLE})
def get_metric(
    run_id: Annotated[str, Path(min_length=1, max_length=512)],
    ch: ClickHouseDep,
    settings: SettingsDep,
    metric: Annotated[str, Query(min_length=1, max_length=512)],
    from_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP)] = None,
    to_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP)] = None,
    from_time: Annotated[int | None, Query(ge=0, le=_MAX_TIME_MS, description="epoch ms")] = None,
    to_time: Annotated[int | None, Query(ge=0, le=_MAX_TIME_MS, description="epoch ms")] = None,
    max_points: Annotated[int | None, Query(ge=16, le=100_000)] = None,
) -> Response:
    if from_step is not None and to_step is not None and from_step > to_step:
        raise invalid_parameters("from_step", "from_step must not be greater than to_step")
    if from_time is not None and to_time is not None and from_time > to_time:
        raise invalid_parameters("from_time", "from_time must not be greater than to_time")
    ensure_run_exists(ch, run_id)
    window = queries.Window(from_step, to_step, from_time, to_time)
    read = read_metric(ch, run_id, metric, window, max_points or settings.max_points,
                       settings.metrics_raw_max_rows)
    body = b"".join((
        b'{"run_id":', orjson.dumps(run_id), b',"metric":', orjson.dumps(metric),
        b',"source":"', read.source.encode(), b'","series":', json_array(read.series), b"}",
    ))
    return Response(body, media_type="application/json")

