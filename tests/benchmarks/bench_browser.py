"""Browser benchmark: how fast the dashboard draws, measured in headless Chromium.

    .venv/bin/python -m tests.benchmarks.bench_browser [--deltas 60] [--interval 0.25]

Data source: a local stub SSE endpoint (tests/benchmarks/bench_browser_stub.py) that serves
the built frontend and a synthetic snapshot + deltas in the wire format of ARCHITECTURE.md,
so the page runs its real path (EventSource -> JSON.parse -> store -> uPlot) without the
backend or ClickHouse in the measurement. Timings come from the page itself
(window.__runwatch.perf, performance.now()).

1. 20 runs x 30 charts x 2000 points: first render after the snapshot (snapshot received ->
   every on-screen chart drawn); then one delta every --interval s appending a point to each
   of the 600 series: work per delta (parse + apply + redraw of on-screen charts) and latency
   to the next frame, p50/p95.
2. One series of 100,000 points: first render, then a pan of 120 frames at 25 % zoom:
   chart work per frame and frame interval, p50/p95/max.

Needs `npm run build` first (frontend/dist). Prints the figures; exits 1 if a target is missed.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from typing import Any

from playwright.sync_api import Page, sync_playwright

from tests.benchmarks.bench_browser_stub import StubServer
from tests.browser.chromium import DIST, launch

VIEWPORT = {"width": 1600, "height": 1000}
FIRST_RENDER_LOADS = 3
T0 = 1_700_000_000_000


def pct(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return ordered[k]


def grid_snapshot(runs: int, metrics: int, points: int) -> dict[str, Any]:
    rng = random.Random(1)
    run_infos = []
    series = []
    for r in range(runs):
        run_id = f"run-{r:02d}"
        run_infos.append(
            {
                "run_id": run_id,
                "project": "bench",
                "name": f"bench-{r:02d}",
                "status": "running",
                "is_active": True,
                "start_time": T0 + r,
                "last_event_time": T0 + points * 1000,
                "latest_step": points - 1,
                "config": {"total_steps": points * 2},
                "tags": [],
                "hosts": ["h"],
                "user": "bench",
                "git_commit": "",
                "point_count": metrics * points,
            }
        )
        for m in range(metrics):
            scale = 1 + rng.random()
            values = [
                round(scale * math.exp(-s / 700) + 0.05 * rng.random(), 6) for s in range(points)
            ]
            series.append(
                {
                    "run_id": run_id,
                    "metric": f"train/metric_{m:02d}",
                    "host": "h",
                    "rank": 0,
                    "device": 65535,
                    "unit": "",
                    "step": list(range(points)),
                    "time": [T0 + s * 1000 for s in range(points)],
                    "value": values,
                    "replace": False,
                }
            )
    return {"version": 1, "max_points": points, "runs": run_infos, "series": series}


def grid_delta(runs: int, metrics: int, points: int) -> Any:
    rng = random.Random(2)

    def make(i: int) -> list[dict[str, Any]]:
        step = points + i
        return [
            {
                "run_id": f"run-{r:02d}",
                "metric": f"train/metric_{m:02d}",
                "host": "h",
                "rank": 0,
                "device": 65535,
                "unit": "",
                "step": [step],
                "time": [T0 + step * 1000],
                "value": [round(math.exp(-step / 700) + 0.05 * rng.random(), 6)],
                "replace": False,
            }
            for r in range(runs)
            for m in range(metrics)
        ]

    return make


def big_snapshot(points: int) -> dict[str, Any]:
    rng = random.Random(3)
    value = 0.0
    values = []
    for _ in range(points):
        value += rng.gauss(0, 1)
        values.append(round(value, 4))
    return {
        "version": 1,
        "max_points": points,
        "runs": [
            {
                "run_id": "big",
                "project": "bench",
                "name": "big",
                "status": "running",
                "is_active": True,
                "start_time": T0,
                "last_event_time": T0 + points * 100,
                "latest_step": points - 1,
                "config": {},
                "tags": [],
                "hosts": ["h"],
                "user": "bench",
                "git_commit": "",
                "point_count": points,
            }
        ],
        "series": [
            {
                "run_id": "big",
                "metric": "train/loss",
                "host": "h",
                "rank": 0,
                "device": 65535,
                "unit": "",
                "step": list(range(points)),
                "time": [T0 + s * 100 for s in range(points)],
                "value": values,
                "replace": False,
            }
        ],
    }


# Resolves (with the page's performance.now()) once the snapshot is in and every card that
# intersects the viewport has drawn.
FIRST_RENDER_JS = """() => {
  const rw = window.__runwatch;
  if (!rw) return false;
  const snap = rw.perf.timings.find((t) => t.kind === "snapshot");
  if (!snap) return false;
  const cards = [...document.querySelectorAll("[data-testid=metric-card]")];
  if (cards.length === 0) return false;
  const onScreen = cards.filter((c) => { const r = c.getBoundingClientRect(); return r.bottom > 0 && r.top < innerHeight; });
  if (!onScreen.every((c) => c.dataset.drawn)) return false;
  return { at: performance.now(), received: snap.receivedAt, applied: snap.appliedAt, bytes: snap.bytes,
           cards: cards.length, onScreen: onScreen.length, nav: performance.timing.navigationStart };
}"""


def first_render(page: Page) -> dict[str, Any]:
    handle = page.wait_for_function(FIRST_RENDER_JS, polling="raf", timeout=60_000)
    result: dict[str, Any] = handle.json_value()
    return result


def bench_grid(
    browser: Any, runs: int, metrics: int, points: int, deltas: int, interval: float
) -> dict[str, float]:
    stub = StubServer(
        DIST,
        lambda: grid_snapshot(runs, metrics, points),
        grid_delta(runs, metrics, points),
        delta_interval=interval,
        max_deltas=deltas + 20,
    )
    t = time.perf_counter()
    stub.snapshot_bytes()
    build_s = time.perf_counter() - t
    stub.start()
    try:
        firsts: list[float] = []
        parses: list[float] = []
        for attempt in range(FIRST_RENDER_LOADS):
            page = browser.new_page(viewport=VIEWPORT)
            page.add_init_script("localStorage.clear()")
            page.goto(f"{stub.url}/?tab=training")
            fr = first_render(page)
            firsts.append(fr["at"] - fr["received"])
            parses.append(fr["applied"] - fr["received"])
            if attempt < FIRST_RENDER_LOADS - 1:
                page.close()
        first_ms = statistics.median(firsts)
        parse_apply_ms = statistics.median(parses)
        page.evaluate("() => window.__runwatch.perf.clear()")
        page.wait_for_function(
            f"() => window.__runwatch.perf.timings.filter((t) => t.kind === 'delta' && t.frameAt !== null).length >= {deltas}",
            timeout=int((deltas * interval + 60) * 1000),
        )
        timings: list[dict[str, Any]] = page.evaluate(
            "() => window.__runwatch.perf.timings.filter((t) => t.kind === 'delta' && t.frameAt !== null)"
        )
        work = [(t["appliedAt"] - t["receivedAt"]) + t["drawWork"] for t in timings]
        apply = [t["appliedAt"] - t["receivedAt"] for t in timings]
        draw = [t["drawWork"] for t in timings]
        frames: list[dict[str, Any]] = page.evaluate(
            "() => window.__runwatch.perf.frames.filter((f) => f.charts > 0)"
        )
        frame_ms = [f["ms"] for f in frames]
        latency = [t["frameAt"] - t["receivedAt"] for t in timings]
        charts = statistics.median(t["charts"] for t in timings)
        heap = page.evaluate("() => performance.memory ? performance.memory.usedJSHeapSize : 0")
        page.close()
    finally:
        stub.stop()
    print(
        f"\n[1] {runs} runs x {metrics} charts x {points} points  (source: local stub SSE endpoint)"
    )
    print(
        f"    snapshot: {fr['bytes'] / 2**20:.1f} MiB JSON (stub built it in {build_s:.1f} s, not counted)"
    )
    print(
        f"    cards: {fr['cards']} in the tab, {fr['onScreen']} on screen at {VIEWPORT['width']}x{VIEWPORT['height']}"
    )
    print(
        f"    first render after the snapshot, median of {len(firsts)} page loads: {first_ms:.0f} ms"
        f" ({', '.join(f'{v:.0f}' for v in firsts)}; of which JSON.parse + store {parse_apply_ms:.0f} ms)"
        "  target < 1000 ms"
    )
    print(
        f"    deltas measured: {len(timings)} (600 series, 1 point each, every {interval} s); charts redrawn per delta: {charts:.0f}"
    )
    print(
        f"    delta applied + drawn (work):   p50 {pct(work, 50):.1f} ms  p95 {pct(work, 95):.1f} ms  max {max(work):.1f} ms  target p95 < 16 ms"
    )
    print(
        f"      of which parse + apply:       p50 {pct(apply, 50):.1f} ms  p95 {pct(apply, 95):.1f} ms"
    )
    print(
        f"      of which chart redraw:        p50 {pct(draw, 50):.1f} ms  p95 {pct(draw, 95):.1f} ms"
    )
    print(
        f"    received -> painted frame (incl. waiting for vsync): p50 {pct(latency, 50):.1f} ms  p95 {pct(latency, 95):.1f} ms"
    )
    print(
        f"    chart work per animation frame (budget 10 ms, then the rest next frame): p50 {pct(frame_ms, 50):.1f} ms  p95 {pct(frame_ms, 95):.1f} ms"
    )
    if heap:
        print(f"    JS heap after the deltas: {heap / 2**20:.0f} MiB")
    return {"first_ms": first_ms, "delta_p95": pct(work, 95)}


PAN_JS = """async (frames) => {
  const rw = window.__runwatch;
  const s = rw.store.getState();
  const series = [...s.series.values()][0];
  const lo = series.step[0], hi = series.step[series.step.length - 1];
  const span = (hi - lo) * 0.25;
  rw.perf.clear();
  const intervals = [];
  let last = performance.now();
  let min = lo;
  for (let i = 0; i < frames; i++) {
    min = Math.min(hi - span, min + span * 0.02);
    rw.actions.setXRange(rw.store, { min, max: min + span });
    const t = await new Promise(requestAnimationFrame);
    intervals.push(t - last);
    last = t;
  }
  await new Promise(requestAnimationFrame);
  const work = rw.perf.frames.filter((f) => f.charts > 0).map((f) => f.ms);
  rw.actions.setXRange(rw.store, null);
  await new Promise(requestAnimationFrame);
  const t0 = performance.now();
  rw.scheduler.flush();
  const full = performance.now() - t0;
  return { work, intervals: intervals.slice(1), full };
}"""


def bench_big(browser: Any, points: int, frames: int) -> dict[str, float]:
    stub = StubServer(DIST, lambda: big_snapshot(points))
    stub.start()
    try:
        page = browser.new_page(viewport=VIEWPORT)
        page.add_init_script("localStorage.clear()")
        page.goto(f"{stub.url}/?tab=training")
        fr = first_render(page)
        first_ms = fr["at"] - fr["received"]
        result = page.evaluate(PAN_JS, frames)
        page.close()
    finally:
        stub.stop()
    work, intervals = result["work"], result["intervals"]
    print(f"\n[2] one series of {points:,} points  (source: local stub SSE endpoint)")
    print(
        f"    first render after the snapshot: {first_ms:.0f} ms  (JSON.parse + store {fr['applied'] - fr['received']:.0f} ms)"
    )
    print(f"    full-range redraw (setData not repeated, one chart): {result['full']:.1f} ms")
    print(
        f"    pan, {frames} frames at 25 % zoom: chart work per frame p50 {pct(work, 50):.1f} ms  p95 {pct(work, 95):.1f} ms  max {max(work):.1f} ms"
    )
    print(
        f"    frame interval p50 {pct(intervals, 50):.1f} ms  p95 {pct(intervals, 95):.1f} ms  max {max(intervals):.1f} ms  (16.7 ms = 60 fps)"
    )
    return {"pan_p95": pct(work, 95), "big_first_ms": first_ms}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=30)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--deltas", type=int, default=60)
    parser.add_argument("--interval", type=float, default=0.25)
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--pan-frames", type=int, default=120)
    args = parser.parse_args(argv)
    if not (DIST / "index.html").exists():
        print(
            "frontend/dist is missing: run `npm --prefix frontend run build` first", file=sys.stderr
        )
        return 2
    with sync_playwright() as p:
        browser = launch(p)
        print(f"Chromium {browser.version}, headless, software rendering (--disable-gpu)")
        try:
            grid = bench_grid(
                browser, args.runs, args.metrics, args.points, args.deltas, args.interval
            )
            big = bench_big(browser, args.big, args.pan_frames)
        finally:
            browser.close()
    ok = grid["first_ms"] < 1000 and grid["delta_p95"] < 16 and big["pan_p95"] < 16
    print(
        f"\ntargets: first render < 1 s: {'met' if grid['first_ms'] < 1000 else 'MISSED'}; "
        f"delta p95 < 16 ms: {'met' if grid['delta_p95'] < 16 else 'MISSED'}; "
        f"100k pan p95 < 16 ms: {'met' if big['pan_p95'] < 16 else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
