"""The `alerts` table (sql/005_alerts.sql): rows written by the engine's thread only, read by
the engine at start (what is still firing) and by GET /alerts. Queries are parameterised."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from runwatch.server.alerts.model import Alert
from runwatch.server.query.clients import ClientPool

COLUMNS = ("alert_id", "rule", "kind", "severity", "run_id", "project", "series", "metric", "host", "rank",
           "device", "step", "value", "message", "state", "fired_at", "resolved_at", "notified",
           "updated_at")

_SELECT = """
SELECT alert_id, rule, kind, severity, run_id, project, series, metric, host, rank, device, step, value,
       message, state, toUnixTimestamp64Milli(fired_at) AS fired_ms,
       toUnixTimestamp64Milli(resolved_at) AS resolved_ms, notified
FROM alerts FINAL"""


@dataclass(frozen=True)
class AlertsQuery:
    state: str = "all"  # firing | all
    run_id: str | None = None
    rule: str | None = None
    limit: int = 500


def list_sql(q: AlertsQuery) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {"limit": q.limit}
    if q.state == "firing":
        clauses.append("state = 'firing'")
    if q.run_id is not None:
        clauses.append("run_id = {run_id:String}")
        params["run_id"] = q.run_id
    if q.rule is not None:
        clauses.append("rule = {rule:String}")
        params["rule"] = q.rule
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return f"{_SELECT}{where} ORDER BY fired_at DESC, alert_id LIMIT {{limit:UInt64}}", params


def with_unwritten(stored: Sequence[Alert], unwritten: Sequence[Alert], q: AlertsQuery) -> list[Alert]:
    """`stored` (the table's answer to `q`) with the engine's unwritten alerts in their newest
    state: an unwritten one replaces its row, or is added when it matches `q` (a firing row
    whose alert resolved since is dropped for state=firing). Same order and limit as list_sql."""
    if not unwritten:
        return list(stored)
    newer = {a.alert_id for a in unwritten}
    merged = [a for a in stored if a.alert_id not in newer] + [
        a for a in unwritten
        if (q.state != "firing" or a.state == "firing") and q.run_id in (None, a.run_id)
        and q.rule in (None, a.rule)]
    merged.sort(key=lambda a: (-a.fired_at_ms, a.alert_id))
    return merged[:q.limit]


def _ms_to_datetime(ms: int | None) -> Any:
    import datetime as dt

    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC).replace(tzinfo=None)


def alert_of_row(row: Sequence[Any]) -> Alert:
    (alert_id, rule, kind, severity, run_id, project, series, metric, host, rank, device, step, value,
     message, state, fired_ms, resolved_ms, notified) = row
    return Alert(
        alert_id=str(alert_id), rule=str(rule), kind=str(kind), severity=str(severity),
        run_id=str(run_id),
        project=str(project), series=str(series), metric=str(metric), host=str(host),
        rank=int(rank), device=int(device), step=None if step is None else int(step),
        value=float(value), message=str(message), state=str(state), fired_at_ms=int(fired_ms),
        resolved_at_ms=None if resolved_ms is None else int(resolved_ms),
        notified=tuple(str(n) for n in notified or ()),
    )


class AlertStore:
    def __init__(self, pool: ClientPool) -> None:
        self._pool = pool
        self._clock_ms = 0

    def find(self, q: AlertsQuery) -> list[Alert]:
        return [alert_of_row(row) for row in self._pool.query(*list_sql(q)).result_rows]

    def recent(self, days: float) -> list[Alert]:
        """Alerts fired within `days`: the firing ones resume, the run rules stay done."""
        sql = f"{_SELECT} WHERE fired_at >= now64(3) - toIntervalSecond({{sec:UInt64}})"
        rows = self._pool.query(sql, {"sec": int(days * 86_400)}).result_rows
        return [alert_of_row(row) for row in rows]

    def write(self, alerts: Sequence[Alert], now_ms: int) -> None:
        if not alerts:
            return
        # updated_at must grow per alert even within one millisecond: FINAL keeps the newest
        self._clock_ms = max(self._clock_ms + 1, now_ms)
        base = self._clock_ms
        self._clock_ms += len(alerts)
        data = [[
            a.alert_id, a.rule, a.kind, a.severity, a.run_id, a.project, a.series, a.metric, a.host, a.rank,
            a.device, a.step, a.value if not math.isnan(a.value) else math.nan, a.message,
            a.state, _ms_to_datetime(a.fired_at_ms), _ms_to_datetime(a.resolved_at_ms),
            list(a.notified), _ms_to_datetime(base + i),
        ] for i, a in enumerate(alerts)]
        self._pool.get().insert("alerts", data, column_names=list(COLUMNS))
