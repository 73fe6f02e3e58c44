"""RunInfo: what the dashboard says about a run, from a row of `queries.runs_page/horizon`."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

STATUSES = ("running", "finished", "failed", "crashed", "stale")


def _config(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _ms(value: Any) -> int | None:
    return None if value is None else int(value)


def run_info(row: Mapping[str, Any]) -> dict[str, Any]:
    """The wire RunInfo of one runs row (see ARCHITECTURE.md)."""
    hosts = sorted({str(h) for h in (row["hosts"] or []) if h} | (
        {str(row["run_host"])} if row["run_host"] else set()))
    return {
        "run_id": str(row["run_id"]),
        "project": str(row["project"]),
        "name": str(row["name"]) or str(row["run_id"]),
        "status": str(row["status"]),
        "is_active": bool(row["is_active"]),
        "start_time": _ms(row["start_ms"]),
        "last_event_time": _ms(row["last_event_ms"]),
        "latest_step": _ms(row["max_step"]),
        "config": _config(str(row["config_json"])),
        "tags": [str(t) for t in row["tags"] or []],
        "hosts": hosts,
        "user": str(row["user"]),
        "git_commit": str(row["git_commit"]),
        "point_count": int(row["point_count"] or 0),
        "heartbeat_time": _ms(row.get("heartbeat_ms")),
        "failure": _failure(row),
    }


def _failure(row: Mapping[str, Any]) -> dict[str, str] | None:
    """Why the run failed, as the agent recorded it (sql/006_run_health.sql), or None."""
    reason = str(row.get("failure_reason") or "")
    if not reason:
        return None
    return {"reason": reason, "type": str(row.get("failure_type") or ""),
            "message": str(row.get("failure_message") or "")}


def rows_as_dicts(column_names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    return [dict(zip(column_names, row, strict=True)) for row in rows]
