"""GET /alerts: firing alerts, or the history, newest first (the `alerts` table, and the
engine's alerts not written to it yet)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from runwatch.server.alerts.store import AlertsQuery, with_unwritten
from runwatch.server.api.deps import RuntimeDep
from runwatch.server.live.sse_encoding import dumps

router = APIRouter(tags=["alerts"])


@router.get("/alerts")
def list_alerts(
    runtime: RuntimeDep,
    state: Annotated[Literal["firing", "all"], Query()] = "firing",
    run_id: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    rule: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 500,
) -> Response:
    q = AlertsQuery(state=state, run_id=run_id, rule=rule, limit=limit)
    # the unwritten ones first: one written meanwhile is then in the table's answer
    unwritten = runtime.alerts.unwritten() if runtime.alerts is not None else ()
    alerts = with_unwritten(runtime.alerts_store.find(q), unwritten, q)
    rules = [{"name": r.name, "kind": r.kind, "severity": r.severity,
              "description": r.describe(), "project": r.project}
             for r in runtime.alerts_config.effective_rules() if r.enabled]
    body = {"alerts": [a.to_json() for a in alerts], "rules": rules}
    return Response(dumps(body), media_type="application/json")
