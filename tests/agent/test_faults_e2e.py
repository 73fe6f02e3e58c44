"""Fault tests against the real embedded ClickHouse: outages, kill -9, fork."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import lz4.frame
import pytest

from runwatch import Run
from runwatch.server.migrate import apply_schema
from runwatch.write.spool import SUFFIX, decode_file
from tests.agent.helpers import decode_native, wait_until
from tests.support.clickhouse import EmbeddedClickHouse

REPO = Path(__file__).resolve().parents[2]
DATABASE = "agent_faults"

pytestmark = pytest.mark.slow


def with_schema(server: EmbeddedClickHouse) -> EmbeddedClickHouse:
    client = server.client()
    try:
        apply_schema(client, DATABASE)
    finally:
        client.close()
    return server


def per_metric(server: EmbeddedClickHouse, run_id: str) -> dict[str, tuple[int, float]]:
    client = server.client(database=DATABASE)
    try:
        result = client.query(
            "SELECT metric, count(), sum(value) FROM metric_points WHERE run_id = {r:String} "
            "AND NOT startsWith(metric, 'agent.') GROUP BY metric", parameters={"r": run_id})
        return {metric: (count, total) for metric, count, total in result.result_rows}
    finally:
        client.close()


def scalar(server: EmbeddedClickHouse, sql: str, run_id: str) -> Any:
    client = server.client(database=DATABASE)
    try:
        return client.query(sql, parameters={"r": run_id}).result_rows[0][0]
    finally:
        client.close()


class Producer(threading.Thread):
    """Logs {"a": step, "b": step / 2, "c": 1} as fast as it can, in bursts, until stopped."""

    def __init__(self, run: Run) -> None:
        super().__init__(name="producer", daemon=True)
        self.run_ = run
        self.steps = 0
        self.halt = threading.Event()

    def run(self) -> None:
        step = 0
        while not self.halt.is_set():
            for _ in range(500):
                self.run_.log({"a": float(step), "b": step * 0.5, "c": 1.0}, step=step)
                step += 1
            self.steps = step
            time.sleep(0.002)

    def expected(self) -> dict[str, tuple[int, float]]:
        n = self.steps
        total = n * (n - 1) / 2
        return {"a": (n, total), "b": (n, total / 2), "c": (n, float(n))}


def test_outage_when_server_stopped_and_restarted_while_logging_then_every_point_once(
    isolated_clickhouse_server: EmbeddedClickHouse, tmp_path: Path
) -> None:
    server = with_schema(isolated_clickhouse_server)
    run = Run(project="faults", host=server.host, port=server.port, database=DATABASE,
              spool_dir=tmp_path / "spool", environ={}, system_metrics=False,
              flush_interval=0.05, batch_size=20_000, spool_after=0.5, retry_max=0.2)
    producer = Producer(run)
    producer.start()
    assert wait_until(lambda: run.stats["stored_points"] > 50_000, timeout=30)
    server.stop()
    assert wait_until(lambda: run.stats["spooled_points"] > 50_000, timeout=30)
    logged_while_down = producer.steps
    server.start()
    assert wait_until(lambda: run.stats["replayed_points"] > 0, timeout=60)
    producer.halt.set()
    producer.join(10)
    assert producer.steps > logged_while_down
    assert run.flush(60)
    run.finish()
    assert per_metric(server, run.run_id) == producer.expected()
    stored = scalar(server, "SELECT count() FROM metric_points WHERE run_id = {r:String}", run.run_id)
    # the materialized views saw each stored row once too (retries were deduplicated there)
    assert scalar(server, "SELECT sum(point_count) FROM run_stats WHERE run_id = {r:String}",
                  run.run_id) == stored
    assert scalar(server, "SELECT sum(count) FROM metric_rollup_1m WHERE run_id = {r:String} "
                  "AND metric = 'a'", run.run_id) == producer.steps
    assert scalar(server, "SELECT max(value) FROM metric_points WHERE run_id = {r:String} "
                  "AND metric = 'agent.points_spooled'", run.run_id) > 0
    assert scalar(server, "SELECT status FROM runs FINAL WHERE run_id = {r:String}",
                  run.run_id) == "finished"
    assert not list((tmp_path / "spool").rglob("*" + SUFFIX))


def _spooled_rows(root: Path) -> tuple[Counter[str], dict[str, float]]:
    counts: Counter[str] = Counter()
    sums: dict[str, float] = {}
    for path in sorted(root.rglob("*" + SUFFIX)):
        batch = decode_file(path.read_bytes())
        if batch.table != "metric_points":
            continue
        assert batch.encoding == "lz4"
        names, rows = decode_native(lz4.frame.decompress(batch.body))
        metric, value = names.index("metric"), names.index("value")
        for row in rows:
            if row[metric].startswith("agent."):
                continue
            counts[row[metric]] += 1
            sums[row[metric]] = sums.get(row[metric], 0.0) + row[value]
    return counts, sums


def test_kill9_when_server_down_then_replay_from_new_process_stores_spool_once(
    isolated_clickhouse_server: EmbeddedClickHouse, tmp_path: Path
) -> None:
    server = with_schema(isolated_clickhouse_server)
    server.stop()
    spool = tmp_path / "spool"
    script = textwrap.dedent(f"""
        import sys, time
        from runwatch import Run
        run = Run(project="faults", run_id="killed-run", host={server.host!r}, port={server.port},
                  database={DATABASE!r}, spool_dir={str(spool)!r}, system_metrics=False,
                  flush_interval=0.02, spool_after=0.1, retry_max=0.1, environ={{}})
        for step in range(20_000):
            run.log({{"a": float(step), "b": 1.0}}, step=step)
        print("flushed", run.flush(30), flush=True)
        step = 20_000
        while True:  # keeps logging (and spooling) until killed
            run.log({{"a": float(step), "b": 1.0}}, step=step)
            step += 1
            if step % 100 == 0:
                time.sleep(0.001)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "flushed True"
        first = len(list(spool.rglob("*" + SUFFIX)))
        assert wait_until(lambda: len(list(spool.rglob("*" + SUFFIX))) > first + 3, timeout=30)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    counts, sums = _spooled_rows(spool)
    assert counts["a"] >= 20_000 and counts["a"] == counts["b"]

    server.start()
    replay = [sys.executable, "-m", "runwatch", "agent", "--replay", str(spool),
              "--host", server.host, "--port", str(server.port), "--timeout", "60"]
    first_replay = subprocess.run(replay, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert first_replay.returncode == 0, first_replay.stderr
    assert per_metric(server, "killed-run") == {m: (counts[m], sums[m]) for m in counts}
    # the steps before the flush are all there, once
    assert scalar(server, "SELECT uniqExact(step) FROM metric_points WHERE run_id = {r:String} "
                  "AND metric = 'a' AND step < 20000", "killed-run") == 20_000
    # a killed process leaves its run 'running'; the dashboard shows it as stale
    assert scalar(server, "SELECT status FROM runs FINAL WHERE run_id = {r:String}",
                  "killed-run") == "running"
    second_replay = subprocess.run(replay, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert second_replay.returncode == 0 and "replayed 0 batches" in second_replay.stderr
    assert per_metric(server, "killed-run") == {m: (counts[m], sums[m]) for m in counts}


def _child_logs_and_exits(run: Run, results: Any) -> None:
    """In a forked child (like a DataLoader worker): logging is a no-op, nothing hangs."""
    started = time.monotonic()
    run.log({"a": -1.0, "b": -1.0, "c": -1.0}, step=10**9)
    flushed = run.flush(5)
    run.finish()
    results.put((os.getpid(), flushed, time.monotonic() - started))


def test_fork_when_logging_then_children_exit_and_parent_data_complete_once(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    run = Run(project="faults", host=clickhouse_server.host, port=clickhouse_server.port,
              database=database, spool_dir=tmp_path / "spool", environ={},
              system_metrics=True, system_interval=0.05, flush_interval=0.02, batch_size=5_000)
    producer = Producer(run)
    producer.start()
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    children = []
    for _ in range(4):
        assert wait_until(lambda: run.stats["stored_points"] > 0, timeout=20)
        child = context.Process(target=_child_logs_and_exits, args=(run, results))
        child.start()
        children.append(child)
    for child in children:
        child.join(20)
        assert child.exitcode == 0, "a forked child hung or failed"
    outcomes = [results.get(timeout=5) for _ in children]
    assert all(flushed and seconds < 5 for _, flushed, seconds in outcomes)
    producer.halt.set()
    producer.join(10)
    assert run.flush(60)
    run.finish()
    client = clickhouse_server.client(database=database)
    try:
        got = {m: (c, s) for m, c, s in client.query(
            "SELECT metric, count(), sum(value) FROM metric_points WHERE run_id = {r:String} "
            "AND metric IN ('a', 'b', 'c') GROUP BY metric", parameters={"r": run.run_id}
        ).result_rows}
        negative = client.query("SELECT count() FROM metric_points WHERE run_id = {r:String} "
                                "AND value < 0", parameters={"r": run.run_id}).result_rows[0][0]
        runs = client.query("SELECT count(), any(status) FROM runs FINAL WHERE run_id = {r:String}",
                            parameters={"r": run.run_id}).result_rows[0]
    finally:
        client.close()
    assert got == producer.expected()
    assert negative == 0
    assert runs == (1, "finished")


def test_spool_when_replayed_by_cli_then_report_names_busy_directories(
    tmp_path: Path, clickhouse_server: EmbeddedClickHouse
) -> None:
    from runwatch.write.spool import Spool
    from tests.agent.test_spool import batch

    holder = Spool(tmp_path / "run" / "live", max_bytes=1 << 20)
    holder.put(batch(1))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "runwatch", "agent", "--replay", str(tmp_path),
             "--host", clickhouse_server.host, "--port", str(clickhouse_server.port),
             "--timeout", "5"], cwd=REPO, capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert result.returncode == 1
    assert "a live process still owns it" in result.stderr
    assert json.dumps(str(tmp_path / "run" / "live"))[1:-1] in result.stderr


def test_replay_when_spool_has_corrupt_batches_then_exit_1_with_unrecoverable_points(
    tmp_path: Path, clickhouse_server: EmbeddedClickHouse
) -> None:
    from runwatch.write.spool import Spool
    from tests.agent.test_spool import batch

    spool = Spool(tmp_path / "run" / "dead", max_bytes=1 << 20)
    spool.put(batch(3))
    spool.put(batch(4))
    spool.close()
    files = sorted((tmp_path / "run" / "dead").glob("*.rwb"))
    for path in files:  # a flipped byte in each body: the checksum no longer matches
        data = bytearray(path.read_bytes())
        data[-1] ^= 0xFF
        path.write_bytes(bytes(data))
    replay = [sys.executable, "-m", "runwatch", "agent", "--replay", str(tmp_path),
              "--host", clickhouse_server.host, "--port", str(clickhouse_server.port),
              "--timeout", "5"]
    for _ in range(2):  # the second run still reports what the first set aside
        result = subprocess.run(replay, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert result.returncode == 1, result.stderr
        assert "7 points cannot be recovered: 2 corrupt batches" in result.stderr
    assert len(list((tmp_path / "run" / "dead").glob("*.corrupt"))) == 2
