"""GET /runs/{run_id}: one run in full — config (nested and flattened), tags, env, hosts,
git, status and, for a failed run, the reason when the agent recorded one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import Response

from runwatch.server.api.deps import ClickHouseDep, SettingsDep
from runwatch.server.api.routes.errors import NOT_FOUND, UNAVAILABLE
from runwatch.server.compare import queries as cq
from runwatch.server.compare.table import load_config
from runwatch.server.live.runinfo import rows_as_dicts, run_info
from runwatch.server.live.sse_encoding import dumps
from runwatch.server.query import queries

router = APIRouter(tags=["runs"])


def run_details(ch: Any, run_ids: list[str], active_ms: int) -> dict[str, dict[str, Any]]:
    """run_id -> RunInfo + env, git_dirty, finished_time, failure; only runs that exist."""
    result = ch.query(*queries.runs_page(queries.RunsFilter(run_ids=run_ids), len(run_ids), 0,
                                         active_ms))
    out: dict[str, dict[str, Any]] = {}
    for row in rows_as_dicts(result.column_names, result.result_rows):
        info = run_info(row)
        info["config"] = load_config(str(row["config_json"]))
        out[info["run_id"]] = info
    extras = ch.query(*cq.run_extras(list(out)))
    for run_id, env_json, dirty, finished_ms in extras.result_rows:
        env = load_config(str(env_json))
        out[run_id] |= {"env": env, "git_dirty": bool(dirty),
                        "finished_time": None if finished_ms is None else int(finished_ms),
                        "failure": env.get("error") or env.get("failure")}
    for info in out.values():
        info.setdefault("env", {})
        info.setdefault("git_dirty", False)
        info.setdefault("finished_time", None)
        info.setdefault("failure", None)
    return out


@router.get("/runs/{run_id}", responses={**NOT_FOUND, **UNAVAILABLE})
def run_detail(
    run_id: Annotated[str, Path(min_length=1, max_length=512)],
    ch: ClickHouseDep,
    settings: SettingsDep,
) -> Response:
    found = run_details(ch, [run_id], int(settings.active_window_sec * 1000))
    if run_id not in found:
        raise HTTPException(404, detail=f"unknown run: {run_id}")
    return Response(dumps(found[run_id]), media_type="application/json")
