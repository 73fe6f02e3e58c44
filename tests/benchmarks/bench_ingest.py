"""Benchmark: where the time of one process's 1 M-point burst goes, stage by stage (issue 14).

    .venv/bin/python tests/benchmarks/bench_ingest.py [--points 1000000] [--runs 3]

Each stage in isolation, against a fresh `python -m runwatch.server.embedded` (the server the
agent talks to) with the schema applied:

1. engine alone: `INSERT INTO t SELECT … FROM numbers(N)` (a tiny request: all engine time),
   into a copy of metric_points without views and into metric_points with its two views;
2. agent encode: PointBuffer → PointEncoder.encode, the agent's own CPU per batch;
3. HTTP + server parse + insert: the agent's pre-encoded Native body POSTed (http.client,
   one request, the agent's dedup settings) into the copy and into metric_points;
4. end to end: tests/benchmarks/bench_agent.py's runwatch workload (`--steps N/10`).

Stages 1–3 repeat `--runs` times interleaved and report medians, wall time and the server
process's CPU time (steadier than wall time on a shared machine; merges are stopped so that
it is the inserts' own). To compare server versions, run the script with PYTHONPATH pointing
at another checkout's agent/ and backend/ (the server subprocess inherits it).
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from runwatch.write.buffer import PointBuffer  # noqa: E402
from runwatch.write.encode import METRIC_COLUMNS, PointEncoder  # noqa: E402
from runwatch.write.registry import MetricRegistry  # noqa: E402
from tests.support.clickhouse import EmbeddedClickHouse  # noqa: E402

DATABASE = "bench"
METRICS = [f"train/m{i}" for i in range(10)]
COLUMNS = ", ".join(name for name, _ in METRIC_COLUMNS)
SELECT_ROWS = (
    "SELECT now64(3) + toIntervalMillisecond(number) AS event_time, 'run-x' AS run_id, 'h' AS host,"
    " 0 AS rank, 65535 AS device, intDiv(number, 10) AS step, concat('train/m', toString(number % 10)) AS metric,"
    " number / 7 AS value, '' AS unit, '' AS tags_json FROM numbers({n})"
)


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def agent_body(points: int) -> tuple[bytes, float]:
    """The agent's Native body for `points` (10 scalars per step) and the encode time."""
    registry = MetricRegistry(65535)
    buffer = PointBuffer(registry, capacity=points + 1)
    row = dict.fromkeys(METRICS, 0.5)
    for step in range(points // len(METRICS)):
        row["train/m0"] = step / 3
        try:
            buffer.append(row, step)
        except Exception:  # what Run.log() does: the first call of a key set takes the slow path
            buffer.append_slow(row, step)
    chunks = buffer.take()
    started = time.perf_counter()
    body, rows = PointEncoder(registry, run_id=uuid.uuid4().hex, host="h", rank=0).encode(chunks)
    elapsed = time.perf_counter() - started
    assert rows == points, rows
    return body, elapsed


def post(server: EmbeddedClickHouse, query: str, body: bytes, **settings: str) -> None:
    params = urllib.parse.urlencode({"database": DATABASE, "query": query, **settings})
    conn = http.client.HTTPConnection(server.host, server.port, timeout=300)
    conn.request("POST", "/?" + params, body=body)
    response = conn.getresponse()
    text = response.read()
    conn.close()
    assert response.status == 200, text[:500]


def count(server: EmbeddedClickHouse, table: str) -> int:
    client = server.client(DATABASE)
    try:
        return int(client.query(f"SELECT count() FROM {table}").result_rows[0][0])
    finally:
        client.close()


def timed(server: EmbeddedClickHouse, fn: Any) -> tuple[float, float]:
    assert server.pid is not None
    cpu0, t0 = cpu_s(server.pid), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu_s(server.pid) - cpu0


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--points", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--no-agent", action="store_true", help="skip stage 4 (bench_agent.py)")
    args = p.parse_args(argv)
    n = args.points
    print(f"load average at start: {os.getloadavg()}", flush=True)
    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, EmbeddedClickHouse(Path(tmp) / "data") as server:
        from runwatch.server.migrate import apply_schema

        client = server.client()
        apply_schema(client, DATABASE)
        client.command(f"CREATE TABLE {DATABASE}.points_noviews AS {DATABASE}.metric_points")
        # the server's CPU time is then the inserts' own, not background merges of earlier runs
        client.command("SYSTEM STOP MERGES")
        client.close()
        for run in range(args.runs):
            body, encode_s = agent_body(n)
            results.setdefault("agent encode", []).append((encode_s, 0.0))
            for table in ("points_noviews", "metric_points"):
                sql = f"INSERT INTO {table} ({COLUMNS}) {SELECT_ROWS.format(n=n)}"
                results.setdefault(f"engine alone → {table}", []).append(
                    timed(server, lambda sql=sql: post(server, sql, b"")))
                token = uuid.uuid4().hex
                insert = f"INSERT INTO {table} ({COLUMNS}) FORMAT Native"
                results.setdefault(f"Native body POST → {table}", []).append(timed(
                    server, lambda insert=insert, body=body, token=token: post(
                        server, insert, body, insert_deduplicate="1", insert_deduplication_token=token,
                        deduplicate_blocks_in_dependent_materialized_views="1")))
            print(f"run {run + 1}/{args.runs} done", flush=True)
        assert count(server, "points_noviews") == 2 * n * args.runs
        print(f"\n{n:,} rows, median of {args.runs} (load average now {os.getloadavg()}):\n")
        print("| stage | wall s | rows/s | server CPU s |\n|---|--:|--:|--:|")
        for name, values in results.items():
            wall = statistics.median(v[0] for v in values)
            cpu = statistics.median(v[1] for v in values)
            print(f"| {name} | {wall:.3f} | {n / wall:,.0f} | {cpu:.2f} |")
    if not args.no_agent:
        print("\nstage 4, end to end (bench_agent.py --only runwatch):", flush=True)
        subprocess.run([sys.executable, str(REPO / "tests/benchmarks/bench_agent.py"), "--only", "runwatch",
                        "--no-extras", "--runs", str(args.runs), "--steps", str(n // len(METRICS))],
                       check=True, cwd=REPO)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
