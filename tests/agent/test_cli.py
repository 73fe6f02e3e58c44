"""`runwatch demo` and `runwatch agent --run-id` as a user runs them, against the real server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from runwatch.cli import agent as cli
from tests.agent.helpers import wait_until
from tests.support.clickhouse import EmbeddedClickHouse

REPO = Path(__file__).resolve().parents[2]


def runwatch(*args: str) -> list[str]:
    return [sys.executable, "-m", "runwatch", *args]


def target(server: EmbeddedClickHouse, database: str) -> list[str]:
    return ["--host", server.host, "--port", str(server.port), "--database", database]


def query(server: EmbeddedClickHouse, database: str, sql: str, **parameters: Any) -> list[Any]:
    client = server.client(database=database)
    try:
        return list(client.query(sql, parameters=parameters).result_rows)
    finally:
        client.close()


def test_register_when_added_to_a_parser_then_only_the_agent_subcommand_exists() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers(dest="command"))
    with pytest.raises(SystemExit):  # `runwatch demo` is a server command (it migrates)
        parser.parse_args(["demo"])
    args = parser.parse_args(["agent", "--replay", "/tmp/x"])
    assert args.handler is cli._agent and args.replay == "/tmp/x"
    with pytest.raises(SystemExit):
        parser.parse_args(["agent", "--run-id", "a", "--replay", "b"])


def test_demo_when_short_then_runs_with_progress_config_curves_checkpoints_and_one_failed(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    env = {**os.environ, "RUNWATCH_SPOOL_DIR": str(tmp_path)}
    result = subprocess.run(
        runwatch("demo", "--runs", "3", "--steps", "400", "--speed", "0", "--project", "demo-test",
                 *target(clickhouse_server, database)),
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    runs = query(clickhouse_server, database,
                 "SELECT run_id, status, config_json FROM runs FINAL WHERE project = 'demo-test'")
    assert sorted(status for _, status, _ in runs) == ["failed", "finished", "finished"]
    assert {json.loads(config)["total_steps"] for _, _, config in runs} == {400}
    metrics = {m for (m,) in query(clickhouse_server, database,
                                   "SELECT DISTINCT metric FROM metric_points")}
    assert {"train/loss", "train/lr", "train/samples_per_sec", "val/loss", "checkpoint",
            "sys.gpu.0.util_percent", "sys.cpu.util_percent"} <= metrics
    failed = next(run_id for run_id, status, _ in runs if status == "failed")
    assert query(clickhouse_server, database,
                 "SELECT countIf(isNaN(value)) FROM metric_points WHERE run_id = {r:String} "
                 "AND metric = 'train/loss'", r=failed) == [(1,)]


def test_demo_at_a_live_pace_when_runs_end_then_they_start_again_as_new_runs_until_stopped(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    env = {**os.environ, "RUNWATCH_SPOOL_DIR": str(tmp_path)}
    demo = subprocess.Popen(
        runwatch("demo", "--runs", "2", "--steps", "60", "--speed", "50", "--restart-after", "0.2",
                 "--no-system", "--project", "demo-restart", *target(clickhouse_server, database)),
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    ended = "SELECT count() FROM runs FINAL WHERE project = 'demo-restart' AND status != 'running'"
    try:
        # each 60-step run takes ~0.06 s: two slots give four ended runs within seconds
        assert wait_until(lambda: query(clickhouse_server, database, ended)[0][0] >= 4,
                          timeout=60, interval=0.3)
    finally:
        demo.send_signal(signal.SIGINT)
        _, stderr = demo.communicate(timeout=60)
    assert demo.returncode == 0, stderr
    runs = query(clickhouse_server, database,
                 "SELECT name, status FROM runs FINAL WHERE project = 'demo-restart'")
    names = [name for name, _ in runs]
    assert len(set(names)) == len(names) >= 4  # new runs, not the old ones reopened
    assert any(name.endswith("-r1") for name in names)
    assert {status for _, status in runs} <= {"finished", "failed"}  # none left running


def test_agent_sidecar_when_interrupted_then_system_metrics_stored_and_clean_exit(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    sidecar = subprocess.Popen(
        runwatch("agent", "--run-id", "sidecar-run", "--interval", "0.1", "--spool-dir",
                 str(tmp_path), *target(clickhouse_server, database)),
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert wait_until(
            lambda: query(clickhouse_server, database,
                          "SELECT count() FROM metric_points WHERE run_id = 'sidecar-run' "
                          "AND metric = 'sys.cpu.util_percent'")[0][0] >= 2,
            timeout=30, interval=0.2,
        )
    finally:
        sidecar.send_signal(signal.SIGINT)
        _, stderr = sidecar.communicate(timeout=30)
    assert sidecar.returncode == 0, stderr
    assert query(clickhouse_server, database,
                 "SELECT count() FROM runs WHERE run_id = 'sidecar-run'") == [(0,)]


def test_agent_replay_when_directory_missing_then_exit_2(tmp_path: Path) -> None:
    result = subprocess.run(runwatch("agent", "--replay", str(tmp_path / "nope")), cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no such directory" in result.stderr
