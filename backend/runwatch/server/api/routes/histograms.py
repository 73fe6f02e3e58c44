"""GET /histograms/{run_id}: the histogram metrics of a run; GET /histograms/{run_id}/data:
one metric's distributions over steps, thinned to at most `max_steps` evenly spaced steps
(the newest always included) so a card over a long run stays small."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep
from runwatch.server.api.routes.errors import NOT_FOUND, UNAVAILABLE, ensure_run_exists
from runwatch.server.live.sse_encoding import dumps
from runwatch.server.query import rich_queries as queries

router = APIRouter(tags=["histograms"])
RunId = Annotated[str, Path(min_length=1, max_length=512)]


def thin_steps(steps: list[int], max_steps: int) -> list[int]:
    """At most `max_steps` of `steps` (sorted), evenly spaced, first and last included."""
    if len(steps) <= max_steps:
        return steps
    if max_steps == 1:
        return [steps[-1]]
    last = len(steps) - 1
    picked = sorted({round(i * last / (max_steps - 1)) for i in range(max_steps)})
    return [steps[i] for i in picked]


@router.get("/histograms/{run_id}", responses={**NOT_FOUND, **UNAVAILABLE})
def histogram_metrics(run_id: RunId, ch: ClickHouseDep) -> Response:
    ensure_run_exists(ch, run_id)
    rows = ch.query(*queries.histogram_metrics(run_id)).result_rows
    metrics = [{"metric": m, "count": int(n), "last_step": int(s)} for m, n, s in rows]
    return Response(dumps({"run_id": run_id, "metrics": metrics}), media_type="application/json")


@router.get("/histograms/{run_id}/data", responses={**NOT_FOUND, **UNAVAILABLE})
def histogram_data(
    run_id: RunId,
    ch: ClickHouseDep,
    metric: Annotated[str, Query(min_length=1, max_length=200)],
    max_steps: Annotated[int, Query(ge=1, le=2000)] = 200,
) -> Response:
    ensure_run_exists(ch, run_id)
    steps = [int(s) for (s,) in ch.query(*queries.histogram_steps(run_id, metric)).result_rows]
    picked = thin_steps(steps, max_steps)
    items: list[dict[str, Any]] = []
    if picked:
        for row in ch.query(*queries.histograms_at(run_id, metric, picked)).result_rows:
            item = dict(zip(queries.HISTOGRAM_COLUMNS, row, strict=True))
            item["time"] = int(item.pop("t"))
            item["edges"], item["counts"] = list(item["edges"]), list(item["counts"])
            items.append(item)
    body = {"run_id": run_id, "metric": metric, "total_steps": len(steps), "histograms": items}
    return Response(dumps(body), media_type="application/json")
