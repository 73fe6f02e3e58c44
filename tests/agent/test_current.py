"""runwatch.init / log / finish: one current run per process, against the embedded ClickHouse."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import runwatch
from tests.support.clickhouse import EmbeddedClickHouse


@pytest.fixture
def target(clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path) -> Iterator[dict[str, Any]]:
    yield {"host": clickhouse_server.host, "port": clickhouse_server.port, "database": database,
           "spool_dir": tmp_path / "spool", "environ": {}, "system_metrics": False,
           "flush_interval": 0.05}
    runwatch.finish()


def _stored(server: EmbeddedClickHouse, database: str, run_id: str) -> list[tuple[Any, ...]]:
    client = server.client(database=database)
    try:
        return list(client.query(
            "SELECT metric, step, value FROM metric_points WHERE run_id = {r:String} "
            "AND NOT startsWith(metric, 'agent.') ORDER BY metric, step", parameters={"r": run_id},
        ).result_rows)
    finally:
        client.close()


def _status(server: EmbeddedClickHouse, database: str, run_id: str) -> str:
    client = server.client(database=database)
    try:
        return str(client.query("SELECT argMax(status, updated_at) FROM runs WHERE run_id = {r:String}",
                                parameters={"r": run_id}).result_rows[0][0])
    finally:
        client.close()


def test_init_log_finish_store_the_points_and_finish_the_run(
    target: dict[str, Any], clickhouse_server: EmbeddedClickHouse, database: str
) -> None:
    run = runwatch.init(project="vision", config={"lr": 0.1}, **target)
    for step in range(3):
        runwatch.log({"train/loss": 1.0 / (step + 1)}, step=step)
    runwatch.finish()
    assert runwatch.current() is None
    assert _stored(clickhouse_server, database, run.run_id) == [
        ("train/loss", 0, 1.0), ("train/loss", 1, 0.5), ("train/loss", 2, 1 / 3)]
    assert _status(clickhouse_server, database, run.run_id) == "finished"


def test_init_without_arguments_returns_the_current_run(target: dict[str, Any]) -> None:
    first = runwatch.init(project="vision", **target)
    assert runwatch.init() is first
    assert runwatch.init(project="other", reinit=False) is first
    assert runwatch.current() is first


def test_init_asking_for_another_run_finishes_the_current_one(
    target: dict[str, Any], clickhouse_server: EmbeddedClickHouse, database: str
) -> None:
    first = runwatch.init(project="sweep", name="lr-0.1", **target)
    second = runwatch.init(project="sweep", name="lr-0.01", **target)
    assert second is not first and first.finished and not second.finished
    assert _status(clickhouse_server, database, first.run_id) == "finished"


def test_log_before_init_warns_and_records_nothing() -> None:
    runwatch.finish()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runwatch.log({"train/loss": 1.0}, step=0)
    assert [str(w.message) for w in caught] == [
        "runwatch.log() before runwatch.init(): nothing is recorded"]


def test_finish_without_a_run_is_a_no_op() -> None:
    runwatch.finish()
    runwatch.finish()
    assert runwatch.current() is None
