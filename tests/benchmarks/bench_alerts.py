"""Alerts benchmark: rule evaluation per poll cycle, and notification latency.

1. Evaluation: 100 runs x 50 series (10 training metrics, 40 system metrics of 8 GPUs) and
   20 rules (nonfinite, threshold with and without `for`, spike, stalled, run_failed,
   run_crashed, per-project overrides). Each cycle is one poll's rows: one new point per
   series (5,000 rows), as the poller hands them over; timed is Evaluator.points + .runs,
   p50/p95 over --cycles cycles, quiet (nothing fires) and with 5% of the GPUs over their
   threshold (alerts active, so the slow path runs).
2. Latency: the embedded ClickHouse, the dashboard server in-process (POLL_INTERVAL_SEC as
   given, default 1.0), a webhook receiver on 127.0.0.1; the real agent logs a NaN into a new
   series, and the time from `flush()` returning (the point is stored) to the webhook POST
   arriving is measured --samples times.

    .venv/bin/python tests/benchmarks/bench_alerts.py [--cycles 300] [--samples 20]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from runwatch.server.alerts.config import parse_alerts  # noqa: E402
from runwatch.server.alerts.evaluator import Evaluator  # noqa: E402

RULES = """
[settings]
defaults = false
""" + "".join(f"""
[[rule]]
name = "{name}"
kind = "{kind}"
{extra}
""" for name, kind, extra in [
    ("loss-nan", "nonfinite", 'metric = ["train/loss*", "*loss*"]'),
    ("acc-nan", "nonfinite", 'metric = "train/acc*"'),
    ("grad-nan", "nonfinite", 'metric = "train/grad_norm"'),
    ("gpu-hot", "threshold", 'metric = "sys.gpu.*.temperature_celsius"\nthreshold = 85\nfor = "60s"'),
    ("gpu-hot-now", "threshold", 'metric = "sys.gpu.*.temperature_celsius"\nthreshold = 95'),
    ("gpu-mem", "threshold", 'metric = "sys.gpu.*.mem_used_frac"\nthreshold = 0.97\nfor = "30s"'),
    ("gpu-util-low", "threshold", 'metric = "sys.gpu.*.util_percent"\nop = "<"\nthreshold = 5\nfor = "5m"'),
    ("gpu-power", "threshold", 'metric = "sys.gpu.*.power_watts"\nthreshold = 450'),
    ("lr-zero", "threshold", 'metric = "train/lr"\nop = "<="\nthreshold = 0'),
    ("grad-big", "threshold", 'metric = "train/grad_norm"\nthreshold = 1000'),
    ("loss-high", "threshold", 'metric = "train/loss"\nthreshold = 100\nfor = "2m"'),
    ("tput-low", "threshold", 'metric = "train/tokens_per_s"\nop = "<"\nthreshold = 10'),
    ("loss-spike", "spike", 'metric = "train/loss"'),
    ("val-spike", "spike", 'metric = "val/loss"'),
    ("grad-spike", "spike", 'metric = "train/grad_norm"\nk = 20'),
    ("stalled", "stalled", 'for = "5m"'),
    ("run-failed", "run_failed", ""),
    ("run-crashed", "run_crashed", ""),
    ("gpu-hot", "threshold", 'metric = "sys.gpu.*.temperature_celsius"\nthreshold = 90\nproject = "big*"'),
    ("stalled", "stalled", 'for = "1h"\nproject = "big*"'),
])

TRAINING = ["train/loss", "val/loss", "train/acc", "train/lr", "train/grad_norm",
            "train/tokens_per_s", "train/epoch", "model/weight_norm", "eval/bleu", "train/aux_loss"]
GPU = ["temperature_celsius", "mem_used_frac", "util_percent", "power_watts", "sm_clock_mhz"]
# healthy values, so the quiet case has nothing firing
BASE = {"temperature_celsius": 62.0, "mem_used_frac": 0.6, "util_percent": 85.0,
        "power_watts": 300.0, "sm_clock_mhz": 1410.0, "train/tokens_per_s": 5000.0,
        "train/lr": 3e-4}
DTYPE = [("run_id", object), ("metric", object), ("host", object), ("rank", np.uint32),
         ("device", np.uint16), ("unit", object), ("step", np.uint64), ("t", np.int64),
         ("value", np.float64), ("ing", np.int64)]


def series(runs: int) -> list[tuple[str, str, int]]:
    out = []
    for r in range(runs):
        run = f"run-{r:03d}"
        out += [(run, m, 65535) for m in TRAINING]
        out += [(run, f"sys.gpu.{g}.{name}", g) for g in range(8) for name in GPU]
    return sorted(out)


def cycle_rows(keys: list[tuple[str, str, int]], step: int, hot: set[int], rng: Any) -> Any:
    n = len(keys)
    rows = np.empty(n, dtype=DTYPE)
    rows["run_id"] = [k[0] for k in keys]
    rows["metric"] = [k[1] for k in keys]
    rows["host"] = "node0"
    rows["rank"] = 0
    rows["device"] = [k[2] for k in keys]
    rows["unit"] = ""
    rows["step"] = step
    now = 1_700_000_000_000 + step * 1000
    rows["t"] = now
    rows["ing"] = now
    values = np.array([BASE.get(k[1].rsplit(".", 1)[-1], 1.0) for k in keys])
    values = values * rng.normal(1.0, 0.02, n)
    for i in hot:
        values[i] = 99.0
    rows["value"] = values
    return rows


WARM = 110


def bench_evaluation(cycles: int, active: bool) -> tuple[float, float, float, float, int]:
    rules = parse_alerts(RULES).effective_rules()
    assert len(rules) == 20, len(rules)
    evaluator = Evaluator(rules)
    keys = series(100)
    assert len(keys) == 5000
    rng = np.random.default_rng(1)
    hot = {i for i, k in enumerate(keys) if k[1].endswith("temperature_celsius")}
    hot = set(sorted(hot)[:: 20]) if active else set()
    projects = {f"run-{r:03d}": ("big-lm" if r % 4 == 0 else "vision") for r in range(100)}
    runs = [{"run_id": r, "project": p, "status": "running", "name": r} for r, p in projects.items()]
    timings: list[float] = []
    cpu_ms: list[float] = []  # this thread's CPU time: what a loaded machine does not inflate
    for step in range(cycles + WARM):
        rows = cycle_rows(keys, step, hot, rng)  # made outside the timing, as the poller's query
        began, cpu = time.perf_counter(), time.thread_time()
        evaluator.points(rows, projects)
        evaluator.runs(runs, 1_700_000_000_000 + step * 1000)
        if step >= WARM:  # spike windows full, memos filled: the steady state
            timings.append((time.perf_counter() - began) * 1000)
            cpu_ms.append((time.thread_time() - cpu) * 1000)
    timings.sort()
    cpu_ms.sort()
    return (statistics.median(timings), timings[int(0.95 * len(timings)) - 1],
            statistics.median(cpu_ms), cpu_ms[int(0.95 * len(cpu_ms)) - 1],
            evaluator.active_count())


def bench_latency(samples: int, poll_interval: float) -> list[float]:
    from runwatch import Run
    from runwatch.server.migrate import apply_schema
    from tests.backend.helpers import LiveServer, settings_for
    from tests.support.clickhouse import EmbeddedClickHouse
    from tests.support.receiver import Receiver

    with tempfile.TemporaryDirectory() as tmp, Receiver() as receiver:
        server = EmbeddedClickHouse(Path(tmp) / "ch")
        server.start()
        try:
            database = "bench_alerts"
            client = server.client()
            apply_schema(client, database)
            alerts = Path(tmp) / "alerts.toml"
            alerts.write_text(f"""
[[channel]]
name = "ops"
type = "webhook"
url = "{receiver.url('/hook')}"

[[rule]]
name = "nan"
kind = "nonfinite"
metric = "bench/*"
throttle_sec = 0
""")
            settings = settings_for(server, database, alerts_file=alerts,
                                    poll_interval_sec=poll_interval)
            with LiveServer(settings) as live:
                live.wait_backfilled()
                run = Run(project="bench", host=server.host, port=server.port, database=database,
                          run_id=f"bench-{uuid.uuid4().hex[:6]}", system_metrics=False,
                          flush_interval=0.05, spool=False, environ={})
                latencies = []
                for i in range(samples):
                    run.log({f"bench/loss_{i}": math.nan}, step=i)
                    assert run.flush(30)
                    stored = time.monotonic()
                    deadline = stored + 15
                    while not receiver.posts("/hook", metric=f"bench/loss_{i}"):
                        if time.monotonic() > deadline:
                            raise RuntimeError(f"no webhook for sample {i}")
                        time.sleep(0.002)
                    got = receiver.posts("/hook", metric=f"bench/loss_{i}")[0]
                    latencies.append((got.at - stored) * 1000)
                    time.sleep(0.137 * (i % 7))  # spread the samples over the poll phase
                run.finish()
            client.close()
        finally:
            server.stop()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=300)
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    args = parser.parse_args()
    for active in (False, True):
        p50, p95, cpu50, cpu95, firing = bench_evaluation(args.cycles, active)
        label = "with alerts active" if active else "quiet"
        print(f"evaluation, 100 runs x 50 series x 20 rules, {label}: wall p50 {p50:.2f} ms, "
              f"p95 {p95:.2f} ms; CPU p50 {cpu50:.2f} ms, p95 {cpu95:.2f} ms per poll cycle "
              f"(firing: {firing})")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    latencies = sorted(bench_latency(args.samples, args.poll_interval))
    p50 = statistics.median(latencies)
    p95 = latencies[max(0, int(math.ceil(0.95 * len(latencies))) - 1)]
    print(f"notification latency (stored -> webhook received), POLL_INTERVAL_SEC="
          f"{args.poll_interval}: p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {latencies[-1]:.0f} ms "
          f"(n={len(latencies)})")


if __name__ == "__main__":
    main()
