"""`runwatch import wandb` against run directories written by wandb itself in offline mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
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

pytest.importorskip("wandb", reason="the 'dev' extra brings wandb")

# In a child process: wandb.init starts its service and atexit hooks, which stay out of pytest.
WRITER = """
import math, sys, wandb
run = wandb.init(project="imports", name="good", id="goodrun1", mode="offline",
                 config={"lr": 0.003, "layers": [64, 64], "model": {"depth": 4}}, tags=["a", "b"])
for i in range(200):
    row = {"train/loss": math.exp(-i / 50), "sample": wandb.Histogram([1, 2, 3])}
    if i % 10 == 0:
        row["val/acc"] = i / 200
    run.log(row, step=i * 5)
run.summary["best_acc"] = 0.99
run.finish()
run = wandb.init(project="imports", name="crashed", id="badrun22", mode="offline")
for i in range(30):
    run.log({"loss": float(i)})
run.finish(exit_code=3)
"""


def write_runs(root: Path) -> dict[str, dict[str, list[tuple[int, float]]]]:
    import math

    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "WANDB_DIR": str(root),
           "WANDB_DISABLE_GIT": "true", "WANDB_CONSOLE": "off"}
    subprocess.run([sys.executable, "-c", WRITER], env=env, cwd=root, check=True, timeout=180,
                   capture_output=True)
    return {
        "wandb-goodrun1": {
            "train/loss": [(i * 5, math.exp(-i / 50)) for i in range(200)],
            "val/acc": [(i * 5, i / 200) for i in range(0, 200, 10)],
        },
        "wandb-badrun22": {"loss": [(i, float(i)) for i in range(30)]},
    }


def test_import_when_rerun_then_history_config_summary_and_exit_status_once(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    written = write_runs(tmp_path)
    code, err = run_import(capsys, clickhouse_server, database, "wandb", str(tmp_path / "wandb"))
    assert code == 0, err
    for run_id, points in written.items():
        assert_same(stored_stats(clickhouse_server, database, run_id), expected_stats(points))
    rows = {run_id: (project, name, json.loads(config), tags, status) for run_id, project, name, config, tags, status
            in query(clickhouse_server, database,
                     "SELECT run_id, project, name, config_json, tags, status FROM runs FINAL")}
    project, name, config, tags, status = rows["wandb-goodrun1"]
    assert (project, name, tags, status) == ("imports", "good", ["a", "b"], "finished")
    assert config["lr"] == 0.003 and config["layers"] == [64, 64] and config["model"] == {"depth": 4}
    assert config["wandb_summary"]["best_acc"] == 0.99
    assert rows["wandb-badrun22"][4] == "failed"

    points, runs = total_points(clickhouse_server, database), run_rows(clickhouse_server, database)
    assert points == 250
    code, err = run_import(capsys, clickhouse_server, database, "wandb", str(tmp_path / "wandb"))
    assert code == 0, err
    assert "2 runs, 0 points stored, 250 already there, 0 skipped" in err
    assert (total_points(clickhouse_server, database), run_rows(clickhouse_server, database)) == (points, runs)


def test_import_when_a_run_file_is_corrupt_then_it_is_named_and_the_rest_imported(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    written = write_runs(tmp_path)
    broken = next((tmp_path / "wandb").rglob("run-badrun22.wandb"))
    data = bytearray(broken.read_bytes())
    data[len(data) // 2] ^= 0xFF
    broken.write_bytes(bytes(data))
    code, err = run_import(capsys, clickhouse_server, database, "wandb", str(tmp_path / "wandb"))
    assert code == 1
    assert f"skipped {broken}: bad checksum or length at byte" in err
    assert_same(stored_stats(clickhouse_server, database, "wandb-goodrun1"),
                expected_stats(written["wandb-goodrun1"]))
    assert stored_stats(clickhouse_server, database, "wandb-badrun22")["loss"][0] < 30
