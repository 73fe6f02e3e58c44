"""Run bar over many live runs: the main thread's long tasks while the dashboard loads.

10,000 runs that all count as live (a sweep, or an import of old runs: each is live until the
active window passes) are written into the embedded ClickHouse; a `runwatch serve` subprocess
serves each given frontend build (`--dist`, default frontend/dist) and Chromium opens the
dashboard (1920x1080) five times per build. For each load: the longest main-thread task
(PerformanceObserver "longtask": over 50 ms, the page cannot answer a click meanwhile), the
sum of all long tasks in the first 8 s, and when the first badge appeared. Medians of 5.

    .venv/bin/python tests/benchmarks/bench_run_bar.py [--runs 10000] [--dist frontend/dist OTHER_DIST]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from runwatch.server.migrate import apply_schema  # noqa: E402
from tests.benchmarks.bench_backend import server_process  # noqa: E402
from tests.support.clickhouse import EmbeddedClickHouse  # noqa: E402

OBSERVER = """
window.__long = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__long.push(e.duration);
}).observe({ type: "longtask", buffered: true });
new MutationObserver((_, obs) => {
  if (document.querySelector("[data-testid=run-badge]")) { window.__firstBadge = performance.now(); obs.disconnect(); }
}).observe(document, { childList: true, subtree: true });
"""


def load(ch: EmbeddedClickHouse, database: str, runs: int) -> None:
    admin = ch.client()
    apply_schema(admin, database)
    admin.close()
    db = ch.client(database=database)
    db.command(f"""
        INSERT INTO runs (run_id, project, name, status, started_at, updated_at, heartbeat_at)
        SELECT concat('sweep-', toString(number)), concat('proj-', toString(number % 10)),
               concat('sweep-', toString(number)), 'running', now64(3), now64(3), now64(3)
        FROM numbers({int(runs)})""")
    db.close()


def measure(url: str, loads: int = 5) -> tuple[float, float, float]:
    from playwright.sync_api import sync_playwright

    from tests.browser.chromium import launch

    longest, total, first = [], [], []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            page.add_init_script(OBSERVER)
            page.goto(f"{url}/?tab=training")
            page.wait_for_function("window.__firstBadge !== undefined", timeout=120_000)
            page.wait_for_timeout(8_000)
            tasks, badge = page.evaluate("[window.__long, window.__firstBadge]")
            longest.append(max(tasks, default=0.0))
            total.append(sum(tasks))
            first.append(badge)
            page.close()
        browser.close()
    return statistics.median(longest), statistics.median(total), statistics.median(first)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--dist", nargs="+", type=Path, default=[REPO / "frontend" / "dist"])
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="runwatch-bench-run-bar-"))
    rows = []
    try:
        with EmbeddedClickHouse(work / "clickhouse") as ch:
            load(ch, "bench_run_bar", args.runs)
            for dist in args.dist:
                with server_process(ch, "bench_run_bar", work / "server.log",
                                    RUNWATCH_FRONTEND_DIST=str(dist.resolve())) as (url, _):
                    longest, total, first = measure(url)
                row = (f"| {dist} | {longest:,.0f} ms | {total:,.0f} ms | {first:,.0f} ms | "
                       f"load {os.getloadavg()[0]:.1f} |")
                print(row, flush=True)
                rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{args.runs:,} live runs, medians of 5 loads\n")
    print("| build | longest main-thread task | long tasks in the first 8 s | first badge | |")
    print("| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
