"""GET /checkpoints/{run_id}: the checkpoints a run logged, with their attached metrics."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep
from runwatch.server.api.routes.errors import NOT_FOUND, UNAVAILABLE, ensure_run_exists
from runwatch.server.live.sse_encoding import dumps
from runwatch.server.query import metric_queries as queries

router = APIRouter(tags=["checkpoints"])


def checkpoint_entry(step: int, time_ms: int, value: float, tags_json: str) -> dict[str, Any]:
    try:
        tags = json.loads(tags_json) if tags_json else {}
    except ValueError:
        tags = {}
    if not isinstance(tags, dict):
        tags = {}
    size = tags.get("size_bytes")
    if not isinstance(size, int) or isinstance(size, bool):
        size = int(value) if math.isfinite(value) else None
    metrics = tags.get("metrics")
    return {
        "step": int(step),
        "time": int(time_ms),
        "path": str(tags.get("path", "")),
        "size_bytes": size,
        "metrics": metrics if isinstance(metrics, dict) else {},
    }


@router.get("/checkpoints/{run_id}", operation_id="list_checkpoints", responses={**NOT_FOUND, **UNAVAILABLE})
def list_checkpoints(
    run_id: Annotated[str, Path(min_length=1, max_length=512)],
    ch: ClickHouseDep,
) -> Response:
    ensure_run_exists(ch, run_id)
    rows = ch.query(*queries.checkpoints(run_id)).result_rows
    body = {"run_id": run_id, "checkpoints": [checkpoint_entry(*row) for row in rows]}
    return Response(dumps(body), media_type="application/json")
