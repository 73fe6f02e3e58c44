"""Run against the real embedded ClickHouse server (tests/conftest.py fixtures)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from runwatch import MetricWarning, Run
from tests.agent.helpers import wait_until
from tests.support.clickhouse import EmbeddedClickHouse

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def client(clickhouse_server: EmbeddedClickHouse, database: str) -> Iterator[Any]:
    made = clickhouse_server.client(database=database)
    yield made
    made.close()


@pytest.fixture
def make_run(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> Iterator[Any]:
    runs: list[Run] = []

    def factory(**kwargs: Any) -> Run:
        kwargs.setdefault("system_metrics", False)
        kwargs.setdefault("flush_interval", 0.05)
        run = Run(
            project=kwargs.pop("project", "vision"),
            host=clickhouse_server.host, port=clickhouse_server.port, database=database,
            spool_dir=tmp_path / "spool", environ={}, **kwargs,
        )
        runs.append(run)
        return run

    yield factory
    for run in runs:
        run.finish()


def rows(client: Any, sql: str, **parameters: Any) -> list[tuple[Any, ...]]:
    return list(client.query(sql, parameters=parameters).result_rows)


def test_log_when_flushed_then_points_queryable_with_run_step_and_value_types(
    make_run: Any, client: Any
) -> None:
    run = make_run(name="resnet50-lr3e-4", config={"lr": 3e-4, "batch_size": 256}, tags=["baseline"],
                   hostname="node7")
    for step in range(100):
        run.log({"train/loss": 1.0 / (step + 1), "train/lr": 3e-4}, step=step)
    run.log({"train/loss": np.float32(0.5), "train/acc": True})  # implicit step: 100
    assert run.flush(30)
    got = rows(client, "SELECT run_id, host, rank, device, step, metric, value, unit, "
               "toTypeName(step), toTypeName(value) FROM metric_points "
               "WHERE run_id = {r:String} ORDER BY metric, step", r=run.run_id)
    assert len(got) == 202
    assert {row[:4] for row in got} == {(run.run_id, "node7", 0, 65535)}
    assert {row[8:] for row in got} == {("UInt64", "Float64")}
    loss = [(row[4], row[6]) for row in got if row[5] == "train/loss"]
    assert loss[:3] == [(0, 1.0), (1, 0.5), (2, 1.0 / 3)] and loss[-1] == (100, 0.5)
    assert [(row[4], row[6]) for row in got if row[5] == "train/acc"] == [(100, 1.0)]


def test_log_when_nan_and_infinities_then_stored_as_they_are(make_run: Any, client: Any) -> None:
    run = make_run()
    run.log({"a": math.nan, "b": math.inf, "c": -math.inf, "d": np.float64("nan")}, step=3)
    assert run.flush(30)
    got = dict(rows(client, "SELECT metric, value FROM metric_points WHERE run_id = {r:String}",
                    r=run.run_id))
    assert math.isnan(got["a"]) and math.isnan(got["d"])
    assert got["b"] == math.inf and got["c"] == -math.inf


def test_log_when_values_not_numbers_then_warned_once_per_key_and_skipped(
    make_run: Any, client: Any
) -> None:
    run = make_run()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(3):
            run.log({"loss": 0.1, "note": "text", "obj": object(), "bad name,": 1.0}, step=step)
    ours = [w for w in caught if w.category is MetricWarning]
    assert len(ours) == 3
    assert all(w.filename == __file__ for w in ours)  # points at the caller's line
    assert run.flush(30)
    assert rows(client, "SELECT metric, count() FROM metric_points WHERE run_id = {r:String} "
                "GROUP BY metric", r=run.run_id) == [("loss", 3)]


def test_flush_when_it_returns_true_then_data_already_visible_to_a_query(
    make_run: Any, client: Any
) -> None:
    run = make_run(flush_interval=10.0)  # only flush() makes the writer send
    total = 0
    for size in (1, 10, 5_000):
        for _ in range(size):
            run.log({"x": 1.0, "y": 2.0})
        total += 2 * size
        assert run.flush(30)
        assert rows(client, "SELECT count() FROM metric_points WHERE run_id = {r:String}",
                    r=run.run_id) == [(total,)]


def test_log_checkpoint_when_logged_then_checkpoint_row_and_metrics_at_its_step(
    make_run: Any, client: Any, tmp_path: Path
) -> None:
    run = make_run()
    weights = tmp_path / "5000.pt"
    weights.write_bytes(b"\0" * 1234)
    run.log_checkpoint(step=5000, path=weights, metrics={"val/loss": 0.4})
    run.log_checkpoint(step=6000, path="s3://bucket/6000.pt", metrics={"val/loss": math.nan})
    assert run.flush(30)
    got = rows(client, "SELECT step, value, unit, tags_json FROM metric_points "
               "WHERE run_id = {r:String} AND metric = 'checkpoint' ORDER BY step", r=run.run_id)
    assert [(r[0], r[2]) for r in got] == [(5000, "bytes"), (6000, "bytes")]
    assert got[0][1] == 1234.0 and math.isnan(got[1][1])
    assert json.loads(got[0][3]) == {"path": str(weights), "size_bytes": 1234,
                                     "metrics": {"val/loss": 0.4}}
    assert json.loads(got[1][3]) == {"path": "s3://bucket/6000.pt", "size_bytes": None,
                                     "metrics": {"val/loss": "NaN"}}
    attached = rows(client, "SELECT step, value FROM metric_points WHERE run_id = {r:String} "
                    "AND metric = 'val/loss' ORDER BY step", r=run.run_id)
    assert attached[0] == (5000, 0.4) and attached[1][0] == 6000


def test_run_when_finished_then_runs_row_has_metadata_and_status(make_run: Any, client: Any) -> None:
    run = make_run(name="resnet50", config={"lr": 3e-4, "total_steps": 100}, tags=["a", "b"])
    run.update_config({"seed": 7})
    started = time.monotonic()
    run.finish()
    assert time.monotonic() - started < 1.0
    row = rows(client, "SELECT project, name, config_json, tags, host, user, status, "
               "finished_at IS NOT NULL, env_json FROM runs FINAL WHERE run_id = {r:String}",
               r=run.run_id)
    assert len(row) == 1
    project, name, config, tags, host, user, status, finished, env = row[0]
    assert (project, name, tags, status, finished) == ("vision", "resnet50", ["a", "b"], "finished", 1)
    assert json.loads(config) == {"lr": 3e-4, "total_steps": 100, "seed": 7}
    assert host and user
    assert json.loads(env)["pid"] == os.getpid()


def test_context_manager_when_exception_inside_then_run_failed(make_run: Any, client: Any) -> None:
    with pytest.raises(ZeroDivisionError), make_run() as run:
        run.log({"x": 1.0})
        1 / 0  # noqa: B018
    with make_run() as ok:
        ok.log({"x": 1.0})
    statuses = dict(rows(client, "SELECT run_id, status FROM runs FINAL"))
    assert statuses == {run.run_id: "failed", ok.run_id: "finished"}


def test_log_when_run_finished_then_ignored_with_one_warning(make_run: Any) -> None:
    run = make_run()
    run.finish()
    with pytest.warns(MetricWarning, match="run is finished"):
        run.log({"x": 1.0})
    run.log({"x": 2.0})
    assert run.flush(1)


def test_system_metrics_when_sampled_on_this_machine_then_cpu_present_and_gpu_absent(
    make_run: Any, client: Any
) -> None:
    run = make_run(system_metrics=True, system_interval=0.1)
    run.log({"loss": 1.0}, step=7)

    def sampled() -> bool:
        run.flush(10)
        return bool(rows(client, "SELECT count() FROM metric_points WHERE run_id = {r:String} "
                         "AND metric = 'sys.mem.used_bytes'", r=run.run_id)[0][0])

    assert wait_until(sampled, timeout=20, interval=0.1)
    units = dict(rows(client, "SELECT metric, any(unit) FROM metric_points WHERE run_id = "
                      "{r:String} AND metric LIKE 'sys.%' GROUP BY metric", r=run.run_id))
    assert units["sys.cpu.util_percent"] == "percent"
    assert units["sys.mem.used_bytes"] == "bytes"
    assert units["sys.proc.rss_bytes"] == "bytes"
    assert not any(name.startswith("sys.gpu.") for name in units)
    steps = rows(client, "SELECT DISTINCT step FROM metric_points WHERE run_id = {r:String} "
                 "AND metric LIKE 'sys.%'", r=run.run_id)
    assert steps == [(7,)]  # system samples sit at the step training has reached


@pytest.mark.parametrize(
    ("ending", "status"),
    [("pass", "finished"), ("del run; import gc; gc.collect()", "finished"), ("1 / 0", "failed"),
     ("raise KeyboardInterrupt", "failed")],
)
def test_process_exit_when_run_not_finished_then_atexit_stores_points_and_status(
    clickhouse_server: EmbeddedClickHouse, database: str, client: Any, tmp_path: Path,
    ending: str, status: str,
) -> None:
    script = textwrap.dedent(f"""
        from runwatch import Run
        run = Run(project="p", run_id="atexit-run", host={clickhouse_server.host!r},
                  port={clickhouse_server.port}, database={database!r}, system_metrics=False,
                  spool_dir={str(tmp_path)!r}, flush_interval=60)
        for step in range(1000):
            run.log({{"loss": 1.0}}, step=step)
        {ending}
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 or status == "finished", result.stderr
    assert rows(client, "SELECT count() FROM metric_points WHERE run_id = 'atexit-run'") == [(1000,)]
    assert rows(client, "SELECT status FROM runs FINAL WHERE run_id = 'atexit-run'") == [(status,)]
