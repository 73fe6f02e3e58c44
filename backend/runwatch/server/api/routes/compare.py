"""GET /compare?run_id=a&run_id=b[...]: what differs between runs — config, tags, git commit,
the agent's env — and, folded, what they share."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep, SettingsDep
from runwatch.server.api.routes.errors import NOT_FOUND, UNAVAILABLE, invalid_parameters
from runwatch.server.api.routes.run_detail import run_details
from runwatch.server.compare.diff import diff
from runwatch.server.compare.flatten import flatten
from runwatch.server.live.sse_encoding import dumps

router = APIRouter(tags=["compare"])

MAX_RUNS = 100


def comparable(info: dict[str, Any]) -> dict[str, Any]:
    """The flattened properties a diff looks at, with their namespaces."""
    flat = flatten(info["config"], "config")
    flat["tags"] = sorted(info["tags"])
    flat["git_commit"] = info["git_commit"]
    flat["git_dirty"] = info["git_dirty"]
    flat |= flatten(info["env"], "env")
    return flat


@router.get("/compare", responses={**NOT_FOUND, **UNAVAILABLE})
def compare_runs(
    ch: ClickHouseDep,
    settings: SettingsDep,
    run_id: Annotated[list[str], Query(min_length=1, max_length=MAX_RUNS)],
) -> Response:
    order = list(dict.fromkeys(run_id))
    if len(order) < 2:
        raise invalid_parameters("run_id", "give at least two different run_id values")
    found = run_details(ch, order, int(settings.active_window_sec * 1000))
    unknown = [r for r in order if r not in found]
    if unknown:
        raise HTTPException(404, detail=f"unknown run: {', '.join(unknown)}")
    result = diff({r: comparable(found[r]) for r in order}, order)
    runs = [{k: found[r][k] for k in ("run_id", "name", "project", "status", "start_time")}
            for r in order]
    return Response(dumps({"runs": runs, "differ": result.differ, "same": result.same}),
                    media_type="application/json")
