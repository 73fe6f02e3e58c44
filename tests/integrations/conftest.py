"""Integration tests drive the real frameworks on CPU with tiny models into the embedded ClickHouse."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.clickhouse import EmbeddedClickHouse

# Keras 3 picks its backend at import; this project tests it on torch (no TensorFlow here).
os.environ.setdefault("KERAS_BACKEND", "torch")


@pytest.fixture
def run_options(clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path) -> dict[str, Any]:
    return {"host": clickhouse_server.host, "port": clickhouse_server.port, "database": database,
            "spool_dir": tmp_path / "spool", "environ": {}, "system_metrics": False,
            "flush_interval": 0.05}


@pytest.fixture
def stored(clickhouse_server: EmbeddedClickHouse, database: str) -> Iterator[Any]:
    """stored(sql, **params) -> rows, against the test database."""
    client = clickhouse_server.client(database=database)

    def query(sql: str, **parameters: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in client.query(sql, parameters=parameters).result_rows]

    yield query
    client.close()


def points(stored: Any, run_id: str) -> dict[tuple[str, int], list[float]]:
    """(metric, step) -> values, of the run's training points (not the agent's own)."""
    out: dict[tuple[str, int], list[float]] = {}
    for metric, step, value in stored(
        "SELECT metric, step, value FROM metric_points WHERE run_id = {r:String} "
        "AND metric != 'checkpoint' AND NOT startsWith(metric, 'agent.') ORDER BY metric, step, value",
        r=run_id,
    ):
        out.setdefault((metric, int(step)), []).append(float(value))
    return out


def checkpoints(stored: Any, run_id: str) -> list[tuple[int, str, dict[str, Any]]]:
    import json

    rows = stored("SELECT step, tags_json FROM metric_points WHERE run_id = {r:String} "
                  "AND metric = 'checkpoint' ORDER BY step, tags_json", r=run_id)
    return [(int(step), json.loads(tags)["path"], json.loads(tags)["metrics"]) for step, tags in rows]


def run_row(stored: Any, run_id: str) -> tuple[str, dict[str, Any]]:
    import json

    ((status, config),) = stored(
        "SELECT argMax(status, updated_at), argMax(config_json, updated_at) FROM runs "
        "WHERE run_id = {r:String}", r=run_id)
    return str(status), json.loads(config)
