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
from runwatch.server.compare.metric_view import read_view
from runwatch.server.compare.smoothing import Kind, Smoothing, validate
from runwatch.server.live.sse_encoding import json_array
from runwatch.server.query import metric_queries as queries

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
    smoothing: Annotated[Kind | None, Query(description="computed on the raw points")] = None,
    weight: Annotated[float, Query(description="ema: TensorBoard's weight, 0..1")] = 0.6,
    window: Annotated[int, Query(description="sma, savgol: points, centred")] = 21,
    sigma: Annotated[float, Query(description="gaussian: points")] = 5.0,
    order: Annotated[int, Query(description="savgol: polynomial order")] = 3,
    x: Annotated[str | None, Query(min_length=1, max_length=512,
                                   description="another metric as x, joined on step")] = None,
    tail_after_step: Annotated[int | None, Query(ge=0, le=_MAX_STEP, description="with smoothing: only the points from each series' from_step on (a live chart's continuation)")] = None,
) -> Response:
    if from_step is not None and to_step is not None and from_step > to_step:
        raise invalid_parameters("from_step", "from_step must not be greater than to_step")
    if from_time is not None and to_time is not None and from_time > to_time:
        raise invalid_parameters("from_time", "from_time must not be greater than to_time")
    if tail_after_step is not None and smoothing is None:
        raise invalid_parameters("tail_after_step", "tail_after_step needs smoothing")
    smoother = None
    if smoothing is not None:
        smoother = Smoothing(smoothing, weight=weight, window=window, sigma=sigma, order=order)
        problem = validate(smoother)
        if problem is not None:
            raise invalid_parameters("smoothing", f"smoothing={smoothing}: {problem}")
    ensure_run_exists(ch, run_id)
    span = queries.Window(from_step, to_step, from_time, to_time)
    view = read_view(ch, run_id, metric, span, max_points or settings.max_points,
                     settings.metrics_raw_max_rows, smoother, settings.smoothing_max_rows, x,
                     tail_after_step)
    read = view.read
    extra = b""
    if smoother is not None:
        extra = b',"smoothing":' + orjson.dumps(smoother.describe()) + (
            b',"smoothed":true' if view.smoothed else b',"smoothed":false')
    if x is not None:
        extra += b',"x":' + orjson.dumps(x)
    body = b"".join((
        b'{"run_id":', orjson.dumps(run_id), b',"metric":', orjson.dumps(metric),
        b',"source":"', read.source.encode(), b'"', extra, b',"series":', json_array(read.series),
        b"}",
    ))
    return Response(body, media_type="application/json")

