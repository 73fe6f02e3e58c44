"""Shared timing loop for the agent benchmark's per-peer workloads.

Each workload is a small script run by the interpreter of its own virtualenv, so this module
uses the standard library only. A workload supplies a ``Session`` (a ``log(metrics, step)``
callable and a ``finish()`` callable); the harness times every ``log()`` call with
``time.perf_counter_ns`` (GC left on, as in training), then times ``finish()``, and prints one
JSON line prefixed with ``RESULT_PREFIX`` on stdout, where the peer's own chatter cannot be
mistaken for it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

RESULT_PREFIX = "BENCH_RESULT "
METRIC_NAMES = (
    "train/loss",
    "train/lr",
    "train/grad_norm",
    "train/tokens_per_s",
    "train/step_time_s",
    "train/accuracy",
    "val/loss",
    "val/accuracy",
    "train/gpu_mem_frac",
    "train/epoch",
)
POINTS_PER_STEP = len(METRIC_NAMES)


@dataclass
class Session:
    log: Callable[[dict[str, float], int], Any]
    finish: Callable[[], Any]
    meta: dict[str, Any] = field(default_factory=dict)
    # Reads back how many points the tool stored, after finish() (not timed).
    count_stored: Callable[[], int] | None = None


def make_metrics(steps: int) -> list[dict[str, float]]:
    """One fresh dict of 10 distinct floats per step, built before timing starts."""
    out = []
    for i in range(steps):
        base = 1.0 / (1.0 + i)
        out.append({name: base + j * 0.125 for j, name in enumerate(METRIC_NAMES)})
    return out


def latency_summary(lat_ns: list[int]) -> dict[str, float]:
    """Nearest-rank percentiles, in microseconds."""
    s = sorted(lat_ns)
    n = len(s)

    def pct(q: float) -> float:
        return s[max(0, math.ceil(q * n) - 1)] / 1000.0

    return {
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "p999_us": pct(0.999),
        "max_us": s[-1] / 1000.0,
        "mean_us": sum(s) / n / 1000.0,
    }


def proc_status_kb(field_name: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def timed_loop(
    log: Callable[[dict[str, float], int], Any], metrics: list[dict[str, float]]
) -> tuple[list[int], int, int]:
    """Call ``log`` once per step; return (per-call ns, t_first_ns, t_last_ns)."""
    lat = [0] * len(metrics)
    clock = time.perf_counter_ns
    t_first = clock()
    for i, m in enumerate(metrics):
        t0 = clock()
        log(m, i)
        lat[i] = clock() - t0
    return lat, t_first, clock()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--workdir", required=True)
    p.add_argument("--option", action="append", default=[], help="key=value, peer-specific")
    return p.parse_args(argv)


def options(args: argparse.Namespace) -> dict[str, str]:
    return dict(o.split("=", 1) for o in args.option)


def emit(result: dict[str, Any]) -> None:
    sys.stdout.write(RESULT_PREFIX + json.dumps(result) + "\n")
    sys.stdout.flush()


def run_standard(
    setup: Callable[[str, dict[str, str]], Session], argv: list[str] | None = None
) -> None:
    """log() N steps, then finish(); end to end = first log() until finish() returns."""
    args = parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    metrics = make_metrics(args.steps)
    session = setup(args.workdir, options(args))
    rss_before = proc_status_kb("VmRSS")
    lat, t_first, t_loop_end = timed_loop(session.log, metrics)
    rss_after_loop = proc_status_kb("VmRSS")
    finish_error = None
    try:
        session.finish()
    except BaseException as exc:  # KohakuBoard's finish() calls sys.exit(1) on a drain timeout
        finish_error = repr(exc)
    t_end = time.perf_counter_ns()
    points = args.steps * POINTS_PER_STEP
    stored = session.count_stored() if session.count_stored else None
    emit(
        {
            "stored": stored,
            "complete": None if stored is None else stored == points,
            "steps": args.steps,
            "points": points,
            **latency_summary(lat),
            "loop_s": (t_loop_end - t_first) / 1e9,
            "finish_s": (t_end - t_loop_end) / 1e9,
            "e2e_s": (t_end - t_first) / 1e9,
            # Points read back, where the workload can read them back: a lost point is no throughput.
            "e2e_points_per_s": (points if stored is None else stored) / ((t_end - t_first) / 1e9),
            "rss_growth_mb": (rss_after_loop - rss_before) / 1024.0,
            "peak_rss_growth_mb": (proc_status_kb("VmHWM") - rss_before) / 1024.0,
            "finish_error": finish_error,
            **session.meta,
        }
    )
