"""Dashboard server benchmark: poller, runs listing, snapshots, LTTB and SSE fan-out.

Everything runs on this machine against the embedded ClickHouse (a subprocess on a free port):

1. LTTB of 1,000,000 points to 2,000 (backend.decimate.lttb_indices), median of 20.
2. Snapshot build + serialization of 20 runs x 30 series x 2,000 points, median of 10.
3. 100 runs x 20 metrics x 50,000 steps (100 M rows at --scale 1) generated in the engine with
   INSERT ... SELECT FROM numbers(); then the poller: the initial backfill of the horizon, and
   metrics poll cycles (p50/p95) while 20 runs keep logging 20 metrics at 10 steps/s.
4. GET /runs over HTTP against that database (a server subprocess), p50/p95.
5. SSE fan-out: a server subprocess (POLL_INTERVAL_SEC=1) over a dashboard of 20 runs x 30
   series; a writer logs one step of every series each second plus a marker; latency from the
   insert to the marker's arrival at each client, for 1 client and for --clients clients
   ("added" = the difference of the p95s), and the server's CPU (cores) meanwhile.
6. The reference design's settings for comparison: the same with POLL_INTERVAL_SEC=3, and a
   client that was away for 10 s reconnecting with Last-Event-ID (missed deltas) against a
   full snapshot (what the reference sends on every reconnect).

    .venv/bin/python tests/benchmarks/bench_backend.py [--scale 1.0] [--clients 200]
    .venv/bin/python tests/benchmarks/bench_backend.py --scale 0.02 --clients 50   # quick
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from runwatch.server.live.cache import SeriesCache  # noqa: E402
from runwatch.server.live.events import EVERYTHING, snapshot_frame  # noqa: E402
from runwatch.server.live.poller import Poller  # noqa: E402
from runwatch.server.live.series import Points, SeriesKey  # noqa: E402
from runwatch.server.migrate import apply_schema  # noqa: E402
from runwatch.server.query.decimate import lttb_indices  # noqa: E402
from runwatch.server.settings import Settings  # noqa: E402
from tests.support.clickhouse import EmbeddedClickHouse, free_port  # noqa: E402

RESULTS: list[tuple[str, str, str]] = []
PHASES = ["lttb", "snapshot", "poller", "runs", "sse"]


def report(name: str, value: str, target: str = "") -> None:
    RESULTS.append((name, value, target))
    print(f"  {name}: {value}" + (f"   (target {target})" if target else ""), flush=True)


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


# --- 1, 2: pure -------------------------------------------------------------------------------


def bench_lttb() -> None:
    y = np.random.default_rng(0).normal(size=1_000_000)
    y[123_456], y[654_321] = 1e6, np.nan
    lttb_indices(y, 2000)
    times = []
    for _ in range(20):
        began = time.perf_counter()
        keep = lttb_indices(y, 2000)
        times.append((time.perf_counter() - began) * 1000)
    assert 123_456 in keep and 654_321 in keep
    report(
        "LTTB 1M -> 2000 points (spike + NaN kept)",
        f"{statistics.median(times):.2f} ms median",
        "< 10 ms",
    )


def bench_snapshot() -> None:
    cache = SeriesCache(2000)
    rng = np.random.default_rng(1)
    steps = np.arange(2000)
    for run in range(20):
        for metric in range(30):
            cache.append(
                SeriesKey(f"run-{run}", f"train/m{metric}", "node-0", 0, 65535),
                "",
                Points.of(steps, 1_760_000_000_000 + steps * 1000, rng.normal(size=2000)),
            )
    cache.commit()
    times, size = [], 0
    for _ in range(10):
        began = time.perf_counter()
        frame = snapshot_frame(cache.snapshot(), EVERYTHING, 3000)
        times.append((time.perf_counter() - began) * 1000)
        size = len(frame)
    points = cache.stats().points
    report(
        f"snapshot build+serialize, 600 series x 2000 pts ({points:,} points, {size / 2**20:.1f} MiB)",
        f"{statistics.median(times):.0f} ms median",
        "< 300 ms",
    )


# --- 3: big database, poller -----------------------------------------------------------------


def load_big(ch: EmbeddedClickHouse, database: str, runs: int, metrics: int, steps: int) -> None:
    client = ch.client()
    apply_schema(client, database)
    db = ch.client(database=database)
    base_ms = int(time.time() * 1000) - 3 * 86_400_000 - steps * 1000
    began = time.perf_counter()
    per_run = metrics * steps
    for first in range(0, runs, 10):
        count = min(10, runs - first) * per_run
        db.command(
            f"""
            INSERT INTO metric_points (event_time, ingested_at, run_id, host, step, metric, value)
            SELECT fromUnixTimestamp64Milli(toInt64({base_ms} + s * 1000)) AS et, et,
                   concat('run-', toString(r)), 'node-0', s, concat('train/m', toString(m)),
                   exp(-s / {steps / 4}) + 0.05 * sin(s / 7 + m) + if(s % 9973 = 0, 1, 0)
            FROM (SELECT number, {first} + intDiv(number, {per_run}) AS r,
                         intDiv(number % {per_run}, {steps}) AS m, number % {steps} AS s
                  FROM numbers({count}))""",
            settings={"max_insert_threads": 2},
        )
    db.insert(
        "runs",
        [[f"run-{r}", "bench", f"run {r}", "finished"] for r in range(runs)],
        column_names=["run_id", "project", "name", "status"],
    )
    seconds = time.perf_counter() - began
    rows = int(db.query("SELECT count() FROM metric_points").result_rows[0][0])
    report(
        "generated rows",
        f"{rows:,} in {seconds:.0f} s ({runs} runs x {metrics} metrics x {steps:,} steps)",
    )
    db.close()
    client.close()


class LiveLoad:
    """`runs` runs logging `metrics` metrics at `rate` steps/s, in batches every 0.5 s."""

    def __init__(
        self,
        ch: EmbeddedClickHouse,
        database: str,
        runs: int,
        metrics: int,
        rate: int,
        first_step: int,
        metric_name: str = "train/m{m}",
        marker: bool = False,
    ) -> None:
        self.client = ch.client(database=database)
        self.runs, self.metrics, self.rate = runs, metrics, rate
        self.step = first_step
        self.metric_name = metric_name
        self.marker = marker
        self.inserted_at: dict[int, float] = {}
        self._rng = np.random.default_rng(first_step)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> LiveLoad:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)
        self.client.close()

    def _run(self) -> None:
        period = 0.5 if self.rate > 1 else 1.0
        per_batch = max(1, int(self.rate * period))
        next_at = time.monotonic()
        while not self._stop.is_set():
            steps = range(self.step, self.step + per_batch)
            rows = [
                [f"run-{r}", "node-0", s, self.metric_name.format(m=m), float(np.sin(s / 9 + m))]
                for r in range(self.runs)
                for m in range(self.metrics)
                for s in steps
            ]
            if self.marker:
                rows += [["run-0", "node-0", s, "bench/marker", float(s)] for s in steps]
            wall = time.time()
            self.client.insert(
                "metric_points", rows, column_names=["run_id", "host", "step", "metric", "value"]
            )
            for s in steps:
                self.inserted_at[s] = wall
            self.step += per_batch
            # agents are not in phase with the poller: jitter, same mean rate
            next_at += period * float(self._rng.uniform(0.5, 1.5))
            self._stop.wait(max(0.0, next_at - time.monotonic()))


def bench_poller(ch: EmbeddedClickHouse, database: str, steps: int, seconds: float) -> None:
    settings = Settings(
        ch_host=ch.host,
        ch_port=ch.port,
        ch_database=database,
        poll_interval_sec=1.0,
        apply_schema=False,
    )
    cache = SeriesCache(settings.max_points)
    published: list[int] = []
    poller = Poller(settings, cache, lambda event: published.append(event.nbytes))
    began = time.perf_counter()
    poller.start()
    try:
        while not poller.status().backfilled:  # one batch of runs per cycle
            if not poller.flush(timeout=600):
                raise RuntimeError(f"backfill failed: {poller.status().last_error}")
        backfill = time.perf_counter() - began
        stats = cache.stats()
        report(
            "initial backfill of the horizon (server-side buckets)",
            f"{backfill:.1f} s for {stats.runs} runs, {stats.series} series, "
            f"{stats.points:,} cached points, {stats.nbytes / 2**20:.0f} MiB",
        )
        poller._metrics_durations.clear()  # measure the steady state only
        with LiveLoad(ch, database, runs=20, metrics=20, rate=10, first_step=steps):
            time.sleep(seconds)
        status = poller.status()
        report(
            "metrics poll cycle under 4,000 points/s (20 runs x 20 metrics x 10 steps/s)",
            f"p50 {status.metrics_ms_p50} ms, p95 {status.metrics_ms_p95} ms",
            "p95 < 100 ms",
        )
    finally:
        poller.stop()


# --- 4, 5, 6: server subprocesses -------------------------------------------------------------


@contextlib.contextmanager
def server_process(
    ch: EmbeddedClickHouse, database: str, log: Path, **env: str
) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    environ = dict(
        os.environ,
        CH_HOST=ch.host,
        CH_PORT=str(ch.port),
        CH_DATABASE=database,
        RUNWATCH_PORT=str(port),
        **env,
    )
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "runwatch", "serve"], cwd=REPO, env=environ, stdout=out, stderr=out
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/health", timeout=2).json()["backfilled"]:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not come up; see {log}")
            time.sleep(0.2)
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def bench_runs_listing(ch: EmbeddedClickHouse, database: str, log: Path) -> None:
    # horizon of ~1 s: the server caches nothing, so the listing is measured alone
    with (
        server_process(ch, database, log, RUNWATCH_CACHE_HORIZON_DAYS="0.00001") as (url, _),
        httpx.Client(timeout=30) as client,
    ):
        for _ in range(3):
            client.get(url + "/runs", params={"limit": 100})
        times = []
        for _ in range(40):
            began = time.perf_counter()
            body = client.get(url + "/runs", params={"limit": 100}).json()
            times.append((time.perf_counter() - began) * 1000)
    report(
        f"GET /runs?limit=100 over HTTP ({body['total']} runs)",
        f"p50 {pct(times, 0.5):.1f} ms, p95 {pct(times, 0.95):.1f} ms",
        "< 100 ms",
    )


MARKER = re.compile(
    rb'"metric":"bench/marker","host":"node-0","rank":0,"device":65535,'
    rb'"unit":"","step":\[([0-9,]*)\]'
)
EVENT_ID = re.compile(rb"\nid: (\d+)\n")


class SSEClient:
    def __init__(self) -> None:
        self.arrived: dict[int, float] = {}
        self.bytes = 0
        self.last_id: bytes | None = None
        self.connected = asyncio.Event()

    async def run(
        self,
        port: int,
        stop: asyncio.Event,
        last_event_id: bytes | None = None,
        until_step: int | None = None,
    ) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**22)
        header = b"Last-Event-ID: " + last_event_id + b"\r\n" if last_event_id else b""
        writer.write(b"GET /stream HTTP/1.1\r\nHost: bench\r\n" + header + b"\r\n")
        tail = b""
        try:
            while not stop.is_set():
                try:
                    chunk = await asyncio.wait_for(reader.read(1 << 20), 1.0)
                except TimeoutError:
                    continue
                if not chunk:
                    return
                now = time.time()
                self.bytes += len(chunk)
                self.connected.set()
                data = tail + chunk
                for match in MARKER.finditer(data):
                    for step in match.group(1).split(b","):
                        if step:
                            self.arrived.setdefault(int(step), now)
                ids = EVENT_ID.findall(data)
                if ids:
                    self.last_id = ids[-1]
                tail = data[-300:]
                # done once the frame that carried the step is complete
                if (
                    until_step is not None
                    and until_step in self.arrived
                    and data.endswith(b"\n\n\r\n")
                ):
                    return
        finally:
            writer.close()


async def fan_out(
    port: int, clients: int, seconds: float, load: LiveLoad, server: psutil.Process
) -> tuple[list[float], list[float], float, int]:
    stop = asyncio.Event()
    sse = [SSEClient() for _ in range(clients)]
    tasks = []
    for client in sse:  # connect in waves, as browsers would
        tasks.append(asyncio.create_task(client.run(port, stop)))
        await asyncio.sleep(0.01)
    await asyncio.wait_for(asyncio.gather(*(c.connected.wait() for c in sse)), 120)
    await asyncio.sleep(3)  # everyone past the snapshot
    first_step = load.step
    cpu0, wall0 = server.cpu_times(), time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, wall1 = server.cpu_times(), time.monotonic()
    last_step = load.step
    await asyncio.sleep(2)  # let the last markers arrive
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    steps = [s for s in range(first_step, last_step) if s in load.inserted_at]
    latencies = [
        client.arrived[s] - load.inserted_at[s]
        for client in sse
        for s in steps
        if s in client.arrived
    ]
    # fan-out spread: how much later than the first client each client got the same delta
    spread = []
    for s in steps:
        times = [client.arrived[s] for client in sse if s in client.arrived]
        spread += [t - min(times) for t in times]
    missing = sum(1 for client in sse for s in steps[:-1] if s not in client.arrived)
    cores = ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / (wall1 - wall0)
    return latencies, spread, cores, missing


async def reconnect_cost(port: int, load: LiveLoad, away: float) -> tuple[int, float, int, float]:
    """Bytes and seconds to catch up after `away` s: Last-Event-ID resume vs a new snapshot."""
    stop = asyncio.Event()
    client = SSEClient()
    task = asyncio.create_task(client.run(port, stop))
    await asyncio.wait_for(client.connected.wait(), 30)
    await asyncio.sleep(2)
    stop.set()
    await task
    last_id = client.last_id
    await asyncio.sleep(away)
    target = load.step - 1
    resume, fresh = SSEClient(), SSEClient()
    began = time.perf_counter()
    await asyncio.wait_for(resume.run(port, asyncio.Event(), last_id, until_step=target), 60)
    resume_s = time.perf_counter() - began
    began = time.perf_counter()
    await asyncio.wait_for(fresh.run(port, asyncio.Event(), None, until_step=target), 60)
    fresh_s = time.perf_counter() - began
    return resume.bytes, resume_s, fresh.bytes, fresh_s


def bench_sse(ch: EmbeddedClickHouse, log: Path, clients: int, seconds: float) -> None:
    database = "bench_sse"
    apply_schema(ch.client(), database)
    history = 300
    with LiveLoad(ch, database, runs=20, metrics=30, rate=history, first_step=0) as seed:
        time.sleep(0.9)
    del seed
    ns: dict[str, Any] = {}
    for poll, label in (("1", "runwatch (1 s poll)"), ("3", "reference settings (3 s poll)")):
        env = {"POLL_INTERVAL_SEC": poll, "RUNWATCH_SSE_CLIENT_QUEUE": "256"}
        with (
            server_process(ch, database, log, **env) as (url, proc),
            LiveLoad(
                ch,
                database,
                runs=20,
                metrics=30,
                rate=1,
                first_step=history + 10_000 * int(poll),
                marker=True,
            ) as load,
        ):
            port = int(url.rsplit(":", 1)[1])
            one, _, _, _ = asyncio.run(fan_out(port, 1, seconds, load, proc))
            ns[poll] = one
            report(
                f"{label}: insert -> SSE client, 1 client",
                f"p50 {pct(one, 0.5) * 1000:.0f} ms, p95 {pct(one, 0.95) * 1000:.0f} ms",
            )
            if poll != "1":
                continue
            many, spread, cores, missing = asyncio.run(fan_out(port, clients, seconds, load, proc))
            added = pct(many, 0.95) - pct(one, 0.95)
            report(
                f"{clients} SSE clients, deltas at 1 Hz (600 series/delta): insert -> client",
                f"p50 {pct(many, 0.5) * 1000:.0f} ms, p95 {pct(many, 0.95) * 1000:.0f} ms "
                f"(p95 {added * 1000:+.0f} ms vs 1 client), {missing} deltas missed",
            )
            report(
                f"{clients} SSE clients: added latency (after the first client got the delta)",
                f"p50 {pct(spread, 0.5) * 1000:.0f} ms, p95 {pct(spread, 0.95) * 1000:.0f} ms",
                "p95 < 100 ms",
            )
            report(f"server CPU with {clients} clients", f"{cores:.2f} cores", "< 1 core")
            resume_b, resume_s, fresh_b, fresh_s = asyncio.run(reconnect_cost(port, load, 10.0))
            report(
                "reconnect after 10 s away: Last-Event-ID resume vs full snapshot",
                f"{resume_b / 1024:.0f} KiB in {resume_s * 1000:.0f} ms vs "
                f"{fresh_b / 1024:.0f} KiB in {fresh_s * 1000:.0f} ms "
                f"({fresh_b / max(1, resume_b):.0f}x fewer bytes)",
            )
    ratio_p50 = pct(ns["3"], 0.5) / pct(ns["1"], 0.5)
    ratio_p95 = pct(ns["3"], 0.95) / pct(ns["1"], 0.95)
    report(
        "freshness vs reference (3 s poll / 1 s poll latency)",
        f"{ratio_p50:.1f}x at p50, {ratio_p95:.1f}x at p95",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of the 50,000 steps per series (1.0 = 100 M rows)",
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument(
        "--seconds", type=float, default=20.0, help="measuring time of each live phase"
    )
    parser.add_argument("--keep", type=Path, default=None, help="data dir to keep (default: temp)")
    parser.add_argument("--only", nargs="+", choices=PHASES, default=PHASES,
                        help="run only these parts")
    args = parser.parse_args()
    steps = max(100, int(50_000 * args.scale))
    work = args.keep or Path(tempfile.mkdtemp(prefix="runwatch-bench-"))
    log = work / "servers.log"
    work.mkdir(parents=True, exist_ok=True)
    print(f"runwatch backend benchmark ({os.cpu_count()} cores, scale {args.scale}); logs: {log}")
    only = set(args.only)
    try:
        if "lttb" in only:
            bench_lttb()
        if "snapshot" in only:
            bench_snapshot()
        with EmbeddedClickHouse(work / "clickhouse") as ch:
            if only & {"poller", "runs"}:
                load_big(ch, "bench_big", runs=100, metrics=20, steps=steps)
            if "poller" in only:
                bench_poller(ch, "bench_big", steps, args.seconds)
            if "runs" in only:
                bench_runs_listing(ch, "bench_big", log)
            if "sse" in only:
                bench_sse(ch, log, args.clients, args.seconds)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print("\n| measurement | result | target |\n| --- | --- | --- |")
    for name, value, target in RESULTS:
        print(f"| {name} | {value} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
