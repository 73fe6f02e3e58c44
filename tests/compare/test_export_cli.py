"""`runwatch export RUN` as a user types it, against the embedded ClickHouse."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.backend.helpers import insert_points
from tests.support.clickhouse import REPO_ROOT, EmbeddedClickHouse


@pytest.fixture
def env(clickhouse_server: EmbeddedClickHouse, database: str) -> dict[str, str]:
    db = clickhouse_server.client(database=database)
    insert_points(db, [dict(run_id="r1", metric=m, step=s, value=s / 4)
                       for m in ("loss", "acc") for s in range(5000)])
    db.close()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CH_")}
    return environ | {"CH_HOST": "127.0.0.1", "CH_PORT": str(clickhouse_server.port),
                      "CH_DATABASE": database}


def runwatch(*args: str, env: dict[str, str], cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runwatch", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def test_export_writes_every_point_and_reports_progress(env: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "r1.csv"
    result = runwatch("export", "r1", "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    assert "10,000/10,000 points (100.0%)" in result.stderr and f"wrote {out}" in result.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 10_000
    assert [(r["metric"], int(r["step"]), float(r["value"])) for r in rows[:2]] == [("acc", 0, 0.0), ("acc", 1, 0.25)]


def test_export_format_from_the_suffix_and_a_metric_filter(env: dict[str, str], tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "loss.parquet"
    result = runwatch("export", "r1", "--metric", "loss", "--from-step", "100", "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    table = pq.read_table(out)
    assert table.num_rows == 4900 and set(table.column("metric").to_pylist()) == {"loss"}


def test_export_of_an_unknown_run_says_so(env: dict[str, str], tmp_path: Path) -> None:
    result = runwatch("export", "nope", env=env, cwd=tmp_path)
    assert result.returncode == 1 and "run 'nope' has no points" in result.stderr
    assert not (tmp_path / "nope.csv").exists()
