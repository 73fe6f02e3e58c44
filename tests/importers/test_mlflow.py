"""`runwatch import mlflow` against an mlruns/ file store written by MLflow's own API."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.importers.helpers import (
    assert_same,
    expected_stats,
    query,
    run_import,
    run_rows,
    stored_stats,
    total_points,
)
from tests.support.clickhouse import EmbeddedClickHouse

mlflow = pytest.importorskip("mlflow", reason="the 'dev' extra brings mlflow-skinny")

START_MS = 1_700_000_000_000


def write_store(root: Path) -> dict[str, dict[str, list[tuple[int, float]]]]:
    mlflow.set_tracking_uri(root.resolve().as_uri())
    written: dict[str, dict[str, list[tuple[int, float]]]] = {}
    mlflow.set_experiment("vision")
    with mlflow.start_run(run_name="resnet") as run:
        mlflow.log_params({"lr": 0.01, "optimizer": "sgd", "epochs": 3})
        mlflow.set_tags({"team": "vision", "stage": "baseline"})
        points = written[run.info.run_id] = {"train_loss": [], "val/acc": []}
        for i in range(120):
            value = math.exp(-i / 40)
            mlflow.log_metric("train_loss", value, step=i, timestamp=START_MS + i * 1000)
            points["train_loss"].append((i, value))
        # a step logged twice (a resumed run) is two points, as MLflow keeps both
        for step, value in ((0, 0.5), (50, 0.7), (50, 0.71), (99, 0.9)):
            mlflow.log_metric("val/acc", value, step=step, timestamp=START_MS + len(points["val/acc"]))
            points["val/acc"].append((step, value))
    mlflow.set_experiment("nlp")
    with mlflow.start_run(run_name="bert") as run:
        mlflow.log_param("layers", 12)
        mlflow.log_metric("loss", 2.0, step=7, timestamp=START_MS)
        written[run.info.run_id] = {"loss": [(7, 2.0)]}
        mlflow.end_run(status="FAILED")
    return written


def test_import_when_rerun_then_metric_histories_params_tags_status_once(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    written = write_store(tmp_path / "mlruns")
    code, err = run_import(capsys, clickhouse_server, database, "mlflow", str(tmp_path / "mlruns"))
    assert code == 0, err
    rows = {row[0]: row[1:] for row in query(
        clickhouse_server, database,
        "SELECT run_id, project, name, config_json, tags, status, "
        "toUnixTimestamp64Milli(started_at) FROM runs FINAL")}
    assert set(rows) == {f"mlflow-{run_id}" for run_id in written}
    for run_id, points in written.items():
        assert_same(stored_stats(clickhouse_server, database, f"mlflow-{run_id}"), expected_stats(points))
    by_name = {name: (project, json.loads(config), tags, status, started)
               for project, name, config, tags, status, started in rows.values()}
    project, config, tags, status, started = by_name["resnet"]
    assert (project, status) == ("vision", "finished")
    assert config == {"lr": "0.01", "optimizer": "sgd", "epochs": "3"}  # MLflow params are text
    assert tags == ["stage=baseline", "team=vision"]
    assert started > START_MS
    assert by_name["bert"][0] == "nlp" and by_name["bert"][3] == "failed"
    times = query(clickhouse_server, database,
                  "SELECT toUnixTimestamp64Milli(event_time) FROM metric_points WHERE metric = "
                  "'train_loss' ORDER BY step LIMIT 2")
    assert [t for (t,) in times] == [START_MS, START_MS + 1000]  # MLflow's own timestamps, exact

    points, runs = total_points(clickhouse_server, database), run_rows(clickhouse_server, database)
    assert points == 125
    code, err = run_import(capsys, clickhouse_server, database, "mlflow", str(tmp_path / "mlruns"))
    assert code == 0, err
    assert "2 runs, 0 points stored, 125 already there, 0 skipped" in err
    assert (total_points(clickhouse_server, database), run_rows(clickhouse_server, database)) == (points, runs)


def test_import_when_not_a_store_then_a_clear_error(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = run_import(capsys, clickhouse_server, database, "mlflow", str(tmp_path / "missing"))
    assert code == 2 and "not a directory or tracking URI" in err
