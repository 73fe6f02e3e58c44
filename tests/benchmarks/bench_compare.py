"""Compare-runs benchmark: runs table, grouped chart, smoothing, export — each beside the
naive approach (all points to Python, or to the browser).

Against the embedded ClickHouse (a subprocess) and a `runwatch serve` subprocess:

1. Runs table of 10,000 runs with nested configs and 2 metrics x 50 steps each (1 M points):
   GET /runs/table with a summary column (server time over HTTP, median of 10), and the first
   render in Chromium (response received → first rows in the DOM). Naive: every point to
   Python (query_np) and min/max/last per run in numpy.
2. Grouped chart, 20 runs x 50,000 steps in 4 groups: GET /groups (median of 10). Naive: the
   1 M points to Python and the per-step mean/min/max/std in numpy.
3. Smoothing 1 M points: each filter alone (median of 10) and GET /metrics?smoothing=ema end to
   end on a 1 M-point run. Naive: the 1 M raw points shipped as JSON (what a browser-side
   smoothing at full resolution would have to download).
4. Export of 20 M points (--export-rows) as Parquet and CSV: the server's RSS sampled every
   0.1 s while the body streams to /dev/null.

    .venv/bin/python tests/benchmarks/bench_compare.py [--export-rows 20000000] [--only table groups smoothing export]
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from runwatch.server.compare.smoothing import Smoothing, smooth  # noqa: E402
from runwatch.server.migrate import apply_schema  # noqa: E402
from tests.benchmarks.bench_backend import server_process  # noqa: E402
from tests.support.clickhouse import EmbeddedClickHouse  # noqa: E402

RESULTS: list[tuple[str, str, str]] = []
PHASES = ["table", "groups", "smoothing", "export", "profile"]


def report(name: str, value: str, target: str = "") -> None:
    RESULTS.append((name, value, target))
    print(f"{name}: {value}" + (f"  (target {target})" if target else ""), flush=True)


def median_ms(fn: Any, n: int = 10) -> float:
    fn()
    times = []
    for _ in range(n):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


PROCESSES: list[Any] = []  # (name, psutil.Process) whose CPU time a request costs


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def cpu_ms(fn: Any, n: int = 10, before_each: Any = None, warm_up: bool = True) -> tuple[float, str]:
    """Median wall ms and the median CPU ms each process spent per call (and the 1-minute
    load average when done). On a shared machine (load average far above the core count)
    wall time mostly measures waiting; CPU time is the work. `before_each` runs untimed
    before every call (e.g. a change that invalidates a cache)."""
    if warm_up:
        fn()
    walls, cpus = [], []
    for _ in range(n):
        if before_each is not None:
            before_each()
        before = [sum(p.cpu_times()[:2]) for _, p in PROCESSES] + [time.process_time()]
        began = time.perf_counter()
        fn()
        walls.append((time.perf_counter() - began) * 1000)
        after = [sum(p.cpu_times()[:2]) for _, p in PROCESSES] + [time.process_time()]
        cpus.append([(a - b) * 1000 for a, b in zip(after, before, strict=True)])
    names = [name for name, _ in PROCESSES] + ["this process"]
    per = [statistics.median(c[i] for c in cpus) for i in range(len(names))]
    cpu = ", ".join(f"{n} {v:.0f}" for n, v in zip(names, per, strict=True) if v >= 0.5)
    return statistics.median(walls), f"{cpu}; {load_average()}"


def load(ch: EmbeddedClickHouse, database: str) -> None:
    admin = ch.client()
    apply_schema(admin, database)
    admin.close()
    db = ch.client(database=database)
    began = time.perf_counter()
    db.command("""
        INSERT INTO runs (run_id, project, name, config_json, tags, status, started_at, updated_at)
        SELECT concat('run-', toString(number)), concat('proj-', toString(number % 10)),
               concat('name-', toString(number)),
               concat('{"optimizer": {"lr": ', toString(pow(10, -(number % 5) - 1)),
                      ', "name": "adam"}, "model": {"depth": ', toString(number % 4 * 4 + 2),
                      ', "width": ', toString(64 * (number % 3 + 1)), '}, "seed": ', toString(number),
                      ', "data": {"augment": [{"kind": "flip", "p": 0.5}]}}'),
               if(number % 10 = 0, ['ablation'], []), if(number % 7 = 0, 'failed', 'finished'),
               now64(3) - toIntervalSecond(number), now64(3) - toIntervalSecond(number)
        FROM numbers(10000)""")
    db.command("""
        INSERT INTO metric_points (run_id, metric, step, value, event_time)
        SELECT concat('run-', toString(intDiv(number, 100))), if(number % 2 = 0, 'val/loss', 'train/loss'),
               intDiv(number % 100, 2), 1 / (1 + intDiv(number % 100, 2)) + (number % 13) / 100,
               now64(3) - toIntervalSecond(intDiv(number, 100))
        FROM numbers(1000000)""")
    db.command("""
        INSERT INTO runs (run_id, project, name, config_json, status)
        SELECT concat('g-', toString(number)), 'grouped', concat('g-', toString(number)),
               concat('{"model": {"depth": ', toString(number % 4), '}}'), 'finished'
        FROM numbers(20)""")
    db.command("""
        INSERT INTO metric_points (run_id, metric, step, value)
        SELECT concat('g-', toString(number % 20)), 'train/loss', intDiv(number, 20),
               1 / (1 + intDiv(number, 20) / 1000) + sin(number) / 10
        FROM numbers(1000000)""")
    db.command("""
        INSERT INTO metric_points (run_id, metric, step, value)
        SELECT 'smooth-1m', 'train/loss', number, exp(-number / 300000) + sin(number * 7.1) / 5
        FROM numbers(1000000)""")
    db.command("INSERT INTO runs (run_id, project, status) VALUES ('smooth-1m', 'smooth', 'finished')")
    settle_merges(db)
    db.close()
    print(f"loaded in {time.perf_counter() - began:.1f} s", flush=True)


def settle_merges(db: Any) -> None:
    """Merge the loaded parts now: ClickHouse's CPU is read per process, and background merges
    right after a load would be counted against the first requests."""
    for table in ("metric_points", "runs", "run_stats", "metric_rollup_1m"):
        db.command(f"OPTIMIZE TABLE {table} FINAL")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and int(db.command("SELECT count() FROM system.merges")):
        time.sleep(0.5)


def touch_run(db: Any, run_id: str) -> Any:
    """A new runs row for one run (a heartbeat, say): every kept runs table is out of date."""
    def touch() -> None:
        db.command(f"INSERT INTO runs (run_id, project, name, config_json, status) SELECT run_id, project, "
                   f"name, config_json, status FROM runs FINAL WHERE run_id = '{run_id}'")
    return touch


def bench_table(ch: EmbeddedClickHouse, database: str, url: str) -> None:
    params = {"summary": "val/loss:min", "sort": "-config.optimizer.lr"}
    first_page = {**params, "limit": "100"}
    db = ch.client(database=database)
    with httpx.Client(timeout=60) as client:
        body: dict[str, Any] = {}

        def get() -> None:
            body.update(client.get(f"{url}/runs/table", params=params).json())

        def get_page() -> None:
            client.get(f"{url}/runs/table", params=first_page).raise_for_status()

        cold, cpu = cpu_ms(get, 1, warm_up=False)
        report("GET /runs/table, first request after the server started (nothing cached)",
               f"{cold:.0f} ms wall; CPU ms: {cpu}", "")
        server, cpu = cpu_ms(get, before_each=touch_run(db, "run-5"))
        report(f"GET /runs/table, {body['total']:,} runs, {len(body['columns'])} columns, a summary, "
               "after a runs row changed (patched: the changed run re-read)",
               f"{server:.0f} ms median wall; CPU ms: {cpu}", "")
        # Ten summary choices, more than the server keeps rows for: each call a full rebuild.
        choices = itertools.cycle(f"{m}:{a}" for m in ("val/loss", "train/loss")
                                  for a in ("min", "max", "last", "min_step", "max_step"))

        def get_rebuilt() -> None:
            client.get(f"{url}/runs/table", params={**first_page, "summary": next(choices)}
                       ).raise_for_status()

        server, cpu = cpu_ms(get_rebuilt, before_each=touch_run(db, "run-5"))
        report("GET /runs/table?limit=100 after a runs row changed, full rebuild (rows not kept)",
               f"{server:.0f} ms median wall; CPU ms: {cpu}", "")
        server, cpu = cpu_ms(get)
        report("GET /runs/table, the same, nothing changed (table kept)",
               f"{server:.0f} ms median wall; CPU ms: {cpu}", "")
        server, cpu = cpu_ms(get_page, before_each=touch_run(db, "run-5"))
        report("GET /runs/table?limit=100 (the page's first screen), after a runs row changed (patched)",
               f"{server:.0f} ms median wall; CPU ms: {cpu}", "")
        server, cpu = cpu_ms(get_page)
        report("GET /runs/table?limit=100, nothing changed",
               f"{server:.0f} ms median wall; CPU ms: {cpu}", "< 300 ms with the first render")

    def naive() -> None:
        rows = db.query_np("SELECT toString(run_id) AS run_id, step, value FROM metric_points WHERE metric = 'val/loss'")
        order = np.lexsort((rows["step"], rows["run_id"]))
        runs = rows["run_id"][order]
        starts = np.flatnonzero(np.r_[True, runs[1:] != runs[:-1]])
        values = rows["value"][order].astype(np.float64)
        np.fmin.reduceat(values, starts)
        np.fmax.reduceat(values, starts)

    naive_ms, cpu = cpu_ms(naive, 5)
    db.close()
    report("naive: every val/loss point to Python, min per run in numpy", f"{naive_ms:.0f} ms median wall; CPU ms: {cpu}")
    render = first_render(url)
    if render is not None:
        report("first render in Chromium (runs/table response → rows in the DOM), 10,000 runs",
               f"{render[1]:.0f} ms (response {render[0]:.0f} ms after the request)", "")


def first_render(url: str) -> tuple[float, float] | None:
    try:
        from playwright.sync_api import sync_playwright

        from tests.browser.chromium import launch
    except ImportError:
        print("playwright missing: no first-render figure", flush=True)
        return None
    observer = """
        new MutationObserver((_, obs) => {
          if (document.querySelector('[data-testid=runs-table] [data-run-id]')) {
            window.__firstRow = performance.now(); obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });"""
    renders, responses = [], []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for _ in range(5):
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.add_init_script(observer)
            page.goto(f"{url}/?view=runs&sum=val/loss:min&sort=-config.optimizer.lr")
            page.wait_for_function("window.__firstRow !== undefined", timeout=60_000)
            timing = page.evaluate("""() => {
                const e = performance.getEntriesByType('resource').find(r => r.name.includes('runs/table'));
                return [e.responseEnd - e.requestStart, window.__firstRow - e.responseEnd];
            }""")
            responses.append(timing[0])
            renders.append(timing[1])
            page.close()
        browser.close()
    return statistics.median(responses), statistics.median(renders)


def bench_groups(ch: EmbeddedClickHouse, database: str, url: str) -> None:
    # as the page asks: the checked runs by id
    params = {"metric": "train/loss", "group_by": "model.depth", "run_id": [f"g-{i}" for i in range(20)]}
    db = ch.client(database=database)
    stored = iter(range(10**6, 10**7))

    def new_point() -> None:
        # one more point of one member: the kept answer is out of date
        db.command(f"INSERT INTO metric_points (run_id, metric, step, value) VALUES ('g-3', 'train/loss', {next(stored)}, 0.5)")

    with httpx.Client(timeout=60) as client:
        body: dict[str, Any] = {}

        def get() -> None:
            body.update(client.get(f"{url}/groups", params=params).json())

        points = iter(range(1000, 2000))

        def computed() -> None:
            # another max_points is another answer: computed in full, with no insert (whose
            # merges would count as ClickHouse's CPU) in the way
            body.update(client.get(f"{url}/groups", params={**params, "max_points": next(points)}).json())

        server, cpu = cpu_ms(computed)
        sizes = [g["size"] for g in body["groups"]]
        report(f"GET /groups: 20 runs x 50,000 steps (1 M points), {len(sizes)} groups, mean + band "
               "(computed: nothing kept for these parameters)",
               f"{server:.0f} ms median wall; CPU ms: {cpu}", "< 500 ms")
        server, cpu = cpu_ms(get, before_each=new_point)
        report("GET /groups, after a member stored a point (runs table for the 20 runs and the "
               "answer recomputed; ClickHouse's CPU includes merging that insert)",
               f"{server:.0f} ms median wall; CPU ms: {cpu}", "")
        server, cpu = cpu_ms(get)
        report("GET /groups, the same, nothing stored since (answer kept)",
               f"{server:.0f} ms median wall; CPU ms: {cpu}", "")

    def naive() -> None:
        import pandas as pd

        rows = db.query_df("SELECT run_id, step, value FROM metric_points WHERE run_id LIKE 'g-%' "
                           "AND metric = 'train/loss'")
        rows["g"] = rows["run_id"].str.slice(2).astype(int) % 4
        rows.groupby(["g", "step"])["value"].agg(["mean", "min", "max", "std"])
        del pd

    naive_ms, cpu = cpu_ms(naive, 5)
    db.close()
    report("naive: the 1 M points to Python (pandas), groupby step", f"{naive_ms:.0f} ms median wall; CPU ms: {cpu}")


def bench_smoothing(url: str) -> None:
    y = np.cumsum(np.random.default_rng(0).normal(size=1_000_000))
    for s in (Smoothing("ema", weight=0.9), Smoothing("sma", window=101),
              Smoothing("gaussian", sigma=20), Smoothing("savgol", window=101, order=3)):
        ms, cpu = cpu_ms(lambda s=s: smooth(y, s))
        report(f"smoothing 1 M points: {s.describe()}", f"{ms:.1f} ms median wall; CPU ms: {cpu}", "< 100 ms")
    with httpx.Client(timeout=120) as client:
        size = 0

        def smoothed() -> None:
            nonlocal size
            size = len(client.get(f"{url}/metrics/smooth-1m",
                                  params={"metric": "train/loss", "smoothing": "ema", "weight": 0.9}).content)

        e2e, cpu = cpu_ms(smoothed, 5)
        report("GET /metrics?smoothing=ema over a 1 M-point run (ClickHouse read + filter + LTTB)",
               f"{e2e:.0f} ms median wall, {size / 1e3:.0f} kB; CPU ms: {cpu}", "")

        def naive() -> None:
            nonlocal size
            size = len(client.get(f"{url}/export/smooth-1m", params={"format": "jsonl"}).content)

        naive_ms, cpu = cpu_ms(naive, 3)
        report("naive: the 1 M raw points to the browser as JSON for client-side smoothing",
               f"{naive_ms:.0f} ms wall, {size / 1e6:.0f} MB; CPU ms: {cpu}", "")


def bench_profile(ch: EmbeddedClickHouse, database: str) -> None:
    """Where a request's time goes, stage by stage, in this process (no HTTP, no cache): the
    SQL (ClickHouse's CPU), decoding, Python, JSON — and /groups' SQL before and after."""
    from runwatch.server.api.routes.runs_table import _json
    from runwatch.server.compare import grouping
    from runwatch.server.compare import queries as cq
    from runwatch.server.compare import table as tbl
    from runwatch.server.compare.cache import CompareCache, ConfigCache
    from runwatch.server.query import queries
    from runwatch.server.query.clients import ClientPool
    from runwatch.server.query.metric_queries import Window
    from runwatch.server.settings import ClickHouseSettings

    pool = ClientPool(ClickHouseSettings(ch_host=ch.host, ch_port=ch.port, ch_database=database))
    saved = PROCESSES[:]
    PROCESSES[:] = [p for p in saved if p[0] == "clickhouse"]
    try:
        runs_q = queries.runs_page(queries.RunsFilter(), tbl.ALL_RUNS, 0, 300_000)
        stages = [
            ("runs query (join of runs FINAL and run_stats), rows decoded", lambda: pool.query(*runs_q).result_rows),
            ("the same, decoded column by column", lambda: pool.get().query(runs_q.sql, parameters=runs_q.params, column_oriented=True).result_columns),
            ("summary val/loss:min from the rollup", lambda: pool.query(*cq.summaries(["val/loss"], ["min"])).result_rows),
            ("data_version probe (what a kept table costs)", lambda: pool.query(*cq.data_version()).result_rows),
        ]
        for name, fn in stages:
            ms, cpu = cpu_ms(fn, 5)
            report(f"profile, runs table: {name}", f"{ms:.0f} ms; CPU ms: {cpu}")
        wanted = tbl.parse_summaries(["val/loss:min"])
        configs = ConfigCache()
        build = lambda flat=None: tbl.build_table(pool, 300_000, sort=["-config.optimizer.lr"],  # noqa: E731
                                                  wanted=wanted, flatten_config=flat)
        ms, cpu = cpu_ms(build, 5)
        report("profile, runs table: whole build, configs flattened each time", f"{ms:.0f} ms; CPU ms: {cpu}")
        ms, cpu = cpu_ms(lambda: build(configs), 5)
        report("profile, runs table: whole build, flattened configs kept", f"{ms:.0f} ms; CPU ms: {cpu}")
        cache = CompareCache()
        patched = lambda: cache.table(pool, 300_000, 45_000, sort=["-config.optimizer.lr"],  # noqa: E731
                                      wanted=wanted)
        touch = touch_run(ch.client(database=database), "run-5")
        ms, cpu = cpu_ms(patched, 5, before_each=touch)
        report("profile, runs table: after a runs row changed, patched (CompareCache.table)",
               f"{ms:.0f} ms; CPU ms: {cpu}")
        ms, cpu = cpu_ms(lambda: pool.query(*cq.row_versions()).result_rows, 5)
        report("profile, runs table: per-run versions (what a patch asks first)", f"{ms:.0f} ms; CPU ms: {cpu}")
        table = build(configs)
        ms, cpu = cpu_ms(lambda: _json(table, table.columns, table.rows), 5)
        report("profile, runs table: JSON of 10,000 rows x 21 columns", f"{ms:.0f} ms; CPU ms: {cpu}")
        ms, cpu = cpu_ms(lambda: _json(table, table.columns, table.rows[:100]), 5)
        report("profile, runs table: JSON of the first 100 rows", f"{ms:.1f} ms; CPU ms: {cpu}")
        runs = [f"g-{i}" for i in range(20)]
        numbers = [i % 4 + 1 for i in range(20)]
        new = cq.grouped("train/loss", runs, numbers, Window())
        old = new.sql.replace("transform(run_id,", "transform(toString(run_id),").replace(
            "SETTINGS max_threads = 1", "ORDER BY g, step")
        ms, cpu = cpu_ms(lambda: pool.query_np(old, new.params), 5)
        report("profile, /groups SQL before (toString(run_id), ORDER BY g, step, both threads)", f"{ms:.0f} ms; CPU ms: {cpu}")
        ms, cpu = cpu_ms(lambda: pool.query_np(*new), 5)
        report("profile, /groups SQL now (LowCardinality run_id, unordered, one thread)", f"{ms:.0f} ms; CPU ms: {cpu}")
        groups = [grouping.Group({"config.model.depth": d}, [r for r, n in zip(runs, numbers, strict=True) if n == d + 1]) for d in range(4)]
        ms, cpu = cpu_ms(lambda: grouping.read_groups(pool, "train/loss", groups, Window(), 1000), 5)
        report("profile, /groups: SQL + decode + sort per group + LTTB + JSON", f"{ms:.0f} ms; CPU ms: {cpu}")
    finally:
        PROCESSES[:] = saved


def load_export(ch: EmbeddedClickHouse, database: str, rows: int) -> None:
    db = ch.client(database=database)
    began = time.perf_counter()
    db.command(f"""
        INSERT INTO metric_points (run_id, metric, host, rank, step, value, event_time)
        SELECT 'huge', concat('m', toString(number % 4)), 'h', 0, intDiv(number, 4),
               if(number % 1000003 = 0, nan, sin(number) * 3.7),
               toDateTime64('2026-01-01 00:00:00', 3) + toIntervalMillisecond(number)
        FROM numbers({int(rows)})""")
    db.close()
    print(f"{rows:,} export rows in {time.perf_counter() - began:.1f} s", flush=True)


def bench_export(url: str, process: Any, rows: int) -> None:
    for fmt in ("parquet", "csv"):
        samples: list[int] = []
        stop = threading.Event()

        def sample(samples: list[int] = samples, stop: threading.Event = stop) -> None:
            while not stop.is_set():
                samples.append(process.memory_info().rss)
                stop.wait(0.1)

        before = process.memory_info().rss
        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        began = time.perf_counter()
        total = 0
        with httpx.stream("GET", f"{url}/export/huge", params={"format": fmt}, timeout=1800) as r:
            for chunk in r.iter_bytes(1 << 20):
                total += len(chunk)
        elapsed = time.perf_counter() - began
        stop.set()
        thread.join()
        after = process.memory_info().rss
        report(f"export {rows:,} points as {fmt}: server RSS before / peak / after",
               f"{before / 2**20:.0f} / {max(samples) / 2**20:.0f} / {after / 2**20:.0f} MiB "
               f"({total / 1e6:,.0f} MB in {elapsed:.1f} s)", "flat")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--export-rows", type=int, default=20_000_000)
    parser.add_argument("--only", nargs="+", choices=PHASES, default=PHASES)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runwatch-bench-compare-"))
    only = set(args.only)
    try:
        with EmbeddedClickHouse(work / "clickhouse") as ch:
            load(ch, "bench_compare")
            if "export" in only:
                load_export(ch, "bench_compare", args.export_rows)
            with server_process(ch, "bench_compare", work / "server.log",
                                RUNWATCH_CACHE_HORIZON_DAYS="0.00001") as (url, process):
                import psutil

                PROCESSES[:] = [("server", process), ("clickhouse", psutil.Process(ch.pid))]
                if "table" in only:
                    bench_table(ch, "bench_compare", url)
                if "groups" in only:
                    bench_groups(ch, "bench_compare", url)
                if "smoothing" in only:
                    bench_smoothing(url)
                if "export" in only:
                    bench_export(url, process, args.export_rows)
                if "profile" in only:
                    bench_profile(ch, "bench_compare")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| measurement | result | target |\n| --- | --- | --- |")
    for name, value, target in RESULTS:
        print(f"| {name} | {value} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
