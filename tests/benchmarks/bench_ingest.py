"""Benchmark: one process's burst of points, end to end and stage by stage (issue 14).

    .venv/bin/python tests/benchmarks/bench_ingest.py                      # ~5 min
    .venv/bin/python tests/benchmarks/bench_ingest.py --baseline OLD_CHECKOUT   # + the old code, interleaved
    .venv/bin/python tests/benchmarks/bench_ingest.py --e2e 1000000 --runs 1    # a quick look

Part 1, the server's stages, against one fresh `python -m runwatch.server.embedded` with
merges stopped (so that its CPU time is the inserts' own), `--points` rows per insert:

- agent encode: PointBuffer → PointEncoder.encode, the agent's own CPU for one insert body;
- engine alone: `INSERT … SELECT FROM numbers()` (a tiny request: all engine time);
- Native body POST: the agent's body through HTTP, parse and insert (http.client, one request,
  the agent's dedup settings).

Each into three targets in the same server: a copy of metric_points without views, the
schema before sql/011 (the rollup view of 004: "views before") and the whole schema ("views
after"). The views' share is (views − no views) ÷ views, from the server's CPU seconds.

Part 2, end to end: tests/benchmarks/bench_agent.py's runwatch workload (10 scalars per
log() call, then flush() until stored and a count() sees every point) for each `--e2e` size,
one server per side for all sizes (warmed by a 100,000-point burst). With `--baseline DIR` (e.g. `git archive main | tar -x -C DIR`),
DIR's agent, server and sql/ run the same workload, interleaved with this checkout's.

Everything repeats `--runs` times, interleaved, and reports medians. The load average is
printed at the start and the end: on a shared machine wall times swing with it, the CPU
seconds much less.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "benchmarks"))

import bench_agent  # noqa: E402

from runwatch.write.buffer import PointBuffer  # noqa: E402
from runwatch.write.encode import METRIC_COLUMNS, PointEncoder  # noqa: E402
from runwatch.write.registry import MetricRegistry  # noqa: E402
from tests.support.clickhouse import EmbeddedClickHouse  # noqa: E402

METRICS = [f"train/m{i}" for i in range(10)]
COLUMNS = ", ".join(name for name, _ in METRIC_COLUMNS)
SELECT_ROWS = (
    "SELECT now64(3) + toIntervalMillisecond(number) AS event_time, 'run-x' AS run_id, 'h' AS host,"
    " 0 AS rank, 65535 AS device, intDiv(number, 10) AS step, concat('train/m', toString(number % 10)) AS metric,"
    " number / 7 AS value, '' AS unit, '' AS tags_json FROM numbers({n})"
)
BEFORE_011 = "010_saved_queries"  # the last migration of the schema with 004's rollup view
# database → (what it holds, where its insert goes)
TARGETS = {
    "no views": ("bench_after", "points_noviews"),
    "views before": ("bench_before", "metric_points"),
    "views after": ("bench_after", "metric_points"),
}
DATABASE = bench_agent.DATABASE


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def agent_body(points: int) -> tuple[bytes, float]:
    """The agent's Native body for `points` (10 scalars per step) and the encode time."""
    registry = MetricRegistry(65535)
    buffer = PointBuffer(registry, capacity=points + 1, chunk_points=points + 1)
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


def post(server: EmbeddedClickHouse, database: str, query: str, body: bytes, **settings: str) -> None:
    params = urllib.parse.urlencode({"database": database, "query": query, **settings})
    conn = http.client.HTTPConnection(server.host, server.port, timeout=300)
    conn.request("POST", "/?" + params, body=body)
    response = conn.getresponse()
    text = response.read()
    conn.close()
    assert response.status == 200, text[:500]


def timed(server: EmbeddedClickHouse, fn: Any) -> tuple[float, float]:
    assert server.pid is not None
    cpu0, t0 = cpu_s(server.pid), time.perf_counter()
    fn()
    return time.perf_counter() - t0, cpu_s(server.pid) - cpu0


def schema_dir(root: Path, last: str, into: Path) -> Path:
    into.mkdir(parents=True, exist_ok=True)
    for path in sorted((root / "sql").glob("[0-9]*.sql")):
        if path.stem <= last:
            shutil.copy(path, into)
    return into


def server_stages(points: int, runs: int) -> list[str]:
    from runwatch.server.migrate import apply_schema

    results: dict[str, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp, EmbeddedClickHouse(Path(tmp) / "data") as server:
        client = server.client()
        apply_schema(client, "bench_before", sql_dir=schema_dir(REPO, BEFORE_011, Path(tmp) / "sql-before"))
        apply_schema(client, "bench_after")
        client.command("CREATE TABLE bench_after.points_noviews AS bench_after.metric_points")
        client.command("SYSTEM STOP MERGES")
        client.close()
        for run in range(runs):
            body, encode_s = agent_body(points)
            results.setdefault("agent encode (in the agent)", []).append((encode_s, float("nan")))
            for target, (database, table) in TARGETS.items():
                sql = f"INSERT INTO {table} ({COLUMNS}) {SELECT_ROWS.format(n=points)}"
                results.setdefault(f"engine alone → {target}", []).append(
                    timed(server, lambda d=database, q=sql: post(server, d, q, b"")))
            for target, (database, table) in TARGETS.items():
                insert = f"INSERT INTO {table} ({COLUMNS}) FORMAT Native"
                results.setdefault(f"Native body POST → {target}", []).append(timed(
                    server, lambda d=database, q=insert, b=body: post(
                        server, d, q, b, insert_deduplicate="1", insert_deduplication_token=uuid.uuid4().hex,
                        deduplicate_blocks_in_dependent_materialized_views="1")))
            print(f"  server stages: run {run + 1}/{runs} done", file=sys.stderr, flush=True)
    medians = {name: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
               for name, values in results.items()}
    lines = [f"Part 1: the server's stages, {points:,} rows per insert, median of {runs}",
             "", "| stage | wall s | rows/s | server CPU s |", "|---|--:|--:|--:|"]
    for name, (wall, cpu) in medians.items():
        lines.append(f"| {name} | {wall:.3f} | {points / wall:,.0f} | {'—' if cpu != cpu else f'{cpu:.3f}'} |")
    lines.append("")
    for how in ("engine alone", "Native body POST"):
        none = medians[f"{how} → no views"][1]
        before, after = medians[f"{how} → views before"][1], medians[f"{how} → views after"][1]
        lines.append(
            f"- {how}: the views' share of the server CPU, before {(before - none) / before:.0%} "
            f"({before - none:.3f} s), after {(after - none) / after:.0%} ({after - none:.3f} s); "
            f"after ÷ before, whole insert: {after / before:.2f}")
    return lines


@contextlib.contextmanager
def code_of(checkout: Path | None) -> Iterator[None]:
    """Subprocesses started inside run `checkout`'s agent and server (PYTHONPATH first)."""
    if checkout is None:
        yield
        return
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([str(checkout / "agent"), str(checkout / "backend")])
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


@contextlib.contextmanager
def e2e_server(checkout: Path | None) -> Iterator[EmbeddedClickHouse]:
    from runwatch.server.migrate import apply_schema

    with tempfile.TemporaryDirectory() as tmp:
        with code_of(checkout):  # the server process only: this generator stays open meanwhile
            server = EmbeddedClickHouse(Path(tmp) / "data").start()
        try:
            client = server.client()
            apply_schema(client, DATABASE, sql_dir=(checkout or REPO) / "sql")
            client.close()
            yield server
        finally:
            server.stop()


def end_to_end(sizes: list[int], runs: int, baseline: Path | None) -> list[str]:
    sides: dict[str, Path | None] = {"this checkout": None}
    if baseline is not None:
        sides = {f"baseline {baseline}": baseline, **sides}
    cfg = bench_agent.parse_args(["--only", "runwatch", "--no-extras"])
    results: dict[tuple[int, str], list[dict[str, Any]]] = {}
    with contextlib.ExitStack() as stack:
        # one server per side for every run, as bench_agent does, warmed by a small burst first
        servers = {side: stack.enter_context(e2e_server(checkout)) for side, checkout in sides.items()}

        def workload(side: str, points: int, tag: str) -> dict[str, Any]:
            server = servers[side]
            options = [f"host={server.host}", f"port={server.port}", f"database={DATABASE}",
                       f"server_pid={server.pid}"]
            with code_of(sides[side]):
                return bench_agent.run_workload(Path(sys.executable), "runwatch_agent.py",
                                                steps=points // len(METRICS), options=options, cfg=cfg, tag=tag)

        for i, side in enumerate(sides):
            workload(side, 100_000, f"ingest-warmup-{i}")
        for points in sizes:
            for run in range(runs):
                for i, side in enumerate(sides):
                    r = workload(side, points, f"ingest-{points}-{run}-{i}")
                    results.setdefault((points, side), []).append(r)
                    print(f"  end to end {points:,} points, {side}, run {run + 1}/{runs}: "
                          + (r.get("error") or f"{r['e2e_points_per_s']:,.0f} points/s "
                             f"(loop {r['loop_s']:.2f} s + flush {r['flush_s']:.2f} s, "
                             f"{'all stored' if r['complete'] else 'NOT ALL STORED'}; agent {r['agent_code']})"),
                          file=sys.stderr, flush=True)
    lines = [f"Part 2: end to end (bench_agent.py's runwatch workload), median of {runs}", "",
             "| points | code | points/s | log() loop s | flush() s | training thread CPU s "
             "| writer thread CPU s | server CPU s | all stored |",
             "|--:|---|--:|--:|--:|--:|--:|--:|:-:|"]
    for (points, side), rs in results.items():
        ok = [r for r in rs if "error" not in r]

        def med(key: str, ok: list[dict[str, Any]] = ok) -> str:
            values = [r[key] for r in ok if isinstance(r.get(key), int | float)]
            return f"{statistics.median(values):,.2f}" if values else "—"

        rate = statistics.median(r["e2e_points_per_s"] for r in ok) if ok else 0.0
        stored = "yes" if ok and all(r["complete"] for r in ok) and len(ok) == len(rs) else "no"
        lines.append(f"| {points:,} | {side} | **{rate:,.0f}** | {med('loop_s')} | {med('flush_s')} "
                     f"| {med('main_thread_cpu_s')} | {med('agent_threads_cpu_s')} | {med('server_cpu_s')} | {stored} |")
    lines.append("")
    lines.append("points/s = points ÷ (first log() → flush() returned True and count() saw them all); "
                 "0 when any point was missing (dropped).")
    return lines


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--points", type=int, default=1_000_000, help="rows per insert in part 1")
    p.add_argument("--e2e", default="1000000,10000000", help="comma-separated burst sizes for part 2")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--baseline", type=Path, help="another checkout to run part 2 with, interleaved")
    p.add_argument("--no-stages", action="store_true", help="skip part 1")
    p.add_argument("--no-agent", action="store_true", help="skip part 2")
    args = p.parse_args(argv)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"bench_ingest {' '.join(argv)} — {started}, {os.cpu_count()} cores, load average at start {load()}",
          flush=True)
    out: list[str] = []
    if not args.no_stages:
        out += server_stages(args.points, args.runs) + [""]
    if not args.no_agent:
        sizes = [int(x) for x in args.e2e.split(",") if x]
        out += end_to_end(sizes, args.runs, args.baseline.resolve() if args.baseline else None)
    print("\n".join(out))
    print(f"\nload average at the end {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
