"""runwatch's agent against the embedded ClickHouse server. Three modes:

- ``latency`` (default): log() N steps, then flush() until it returns True and a count() query
  sees every point (that is the end-to-end time), then finish() (timed). Option
  ``end=finish`` calls finish() straight after the last log() instead, and then checks count().
- ``cpu``: the agent's own CPU at ``rate`` steps/s × 10 scalars: process CPU time of a paced
  loop that logs, minus the same paced loop without logging, per thread where Linux says.
- ``down``: ClickHouse unreachable (a port where nothing listens): log as fast as possible
  for ``seconds``, sampling RSS once a second, then finish() (timed).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from typing import Any

from _harness import (
    METRIC_NAMES,
    POINTS_PER_STEP,
    emit,
    latency_summary,
    make_metrics,
    options,
    parse_args,
    proc_status_kb,
    timed_loop,
)

import runwatch
from runwatch import Run


def make_run(opts: dict[str, str], workdir: str, **extra: Any) -> Run:
    return Run(
        project="bench",
        name=extra.pop("name", "bench"),
        run_id=extra.pop("run_id", uuid.uuid4().hex),
        config={"lr": 3e-4, "batch_size": 256},
        host=opts["host"],
        port=int(opts["port"]),
        database=opts["database"],
        system_metrics=False,
        spool_dir=os.path.join(workdir, "spool"),
        **extra,
    )


def stored_count(opts: dict[str, str], run_id: str) -> int:
    import clickhouse_connect

    client = clickhouse_connect.get_client(
        host=opts["host"], port=int(opts["port"]), database=opts["database"]
    )
    try:
        return int(
            client.query(
                "SELECT count() FROM metric_points"
                " WHERE run_id = {r:String} AND metric IN {m:Array(String)}",
                parameters={"r": run_id, "m": list(METRIC_NAMES)},
            ).result_rows[0][0]
        )
    finally:
        client.close()


def _process_cpu_s(pid: int) -> float:
    """utime + stime of a whole process (all its threads), from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latency_mode(steps: int, workdir: str, opts: dict[str, str]) -> dict[str, Any]:
    end = opts.get("end", "flush")
    server_pid = int(opts.get("server_pid", "0"))
    metrics = make_metrics(steps)
    run_id = uuid.uuid4().hex
    run = make_run(opts, workdir, run_id=run_id)
    rss_before = proc_status_kb("VmRSS")
    threads0 = _thread_cpu_s()
    server0 = _process_cpu_s(server_pid) if server_pid else float("nan")
    lat, t_first, t_loop_end = timed_loop(run.log, metrics)
    rss_after_loop = proc_status_kb("VmRSS")
    points = steps * POINTS_PER_STEP
    result: dict[str, Any] = {}
    if end == "flush":
        flushed = run.flush(timeout=120.0)
        t_flushed = time.perf_counter_ns()
        threads1 = _thread_cpu_s()
        result["server_cpu_s"] = _process_cpu_s(server_pid) - server0 if server_pid else None
        result["main_thread_cpu_s"] = threads1["MainThread"] - threads0["MainThread"]
        result["agent_threads_cpu_s"] = sum(
            cpu - threads0.get(name, 0.0) for name, cpu in threads1.items() if name != "MainThread"
        )
        stored = stored_count(opts, run_id)
        t_end = time.perf_counter_ns()
        run.finish()
        result["finish_s"] = (time.perf_counter_ns() - t_end) / 1e9
        result["flush_s"] = (t_flushed - t_loop_end) / 1e9
        result["flush_ok"] = bool(flushed)
    else:
        run.finish()
        t_end = time.perf_counter_ns()
        result["finish_s"] = (t_end - t_loop_end) / 1e9
        stored = stored_count(opts, run_id)
    complete = stored == points
    return {
        "agent_code": os.path.dirname(runwatch.__file__),  # which checkout's agent ran
        "steps": steps,
        "points": points,
        **latency_summary(lat),
        "loop_s": (t_loop_end - t_first) / 1e9,
        "e2e_s": (t_end - t_first) / 1e9,
        "e2e_points_per_s": points / ((t_end - t_first) / 1e9) if complete else 0.0,
        "stored": stored,
        "complete": complete,
        "rss_growth_mb": (rss_after_loop - rss_before) / 1024.0,
        "peak_rss_growth_mb": (proc_status_kb("VmHWM") - rss_before) / 1024.0,
        **result,
    }


def _thread_cpu_s() -> dict[str, float]:
    """CPU seconds per live Python thread, from /proc/self/task/<tid>/stat."""
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for t in threading.enumerate():
        tid = t.native_id
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = re.sub(r"-[0-9a-f]{8,}$", "", t.name)  # thread names end in the run id
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _paced(seconds: float, rate: float, log: Any) -> tuple[float, float, int]:
    """Call log(metrics, step) `rate` times a second; return (cpu_s, wall_s, steps)."""
    period = 1.0 / rate
    steps = int(seconds * rate)
    metrics = {name: 0.0 for name in METRIC_NAMES}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    deadline = wall0
    for i in range(steps):
        for j, name in enumerate(METRIC_NAMES):
            metrics[name] = 1.0 / (1.0 + i) + j
        log(dict(metrics), i)
        deadline += period
        delay = deadline - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
    return time.process_time() - cpu0, time.perf_counter() - wall0, steps


def cpu_mode(workdir: str, opts: dict[str, str]) -> dict[str, Any]:
    seconds = float(opts.get("seconds", "25"))
    rate = float(opts.get("rate", "100"))
    # Baseline first, in this same process, before any agent thread exists.
    base_cpu, base_wall, _ = _paced(seconds, rate, lambda m, i: None)
    run_id = uuid.uuid4().hex
    run = make_run(opts, workdir, run_id=run_id)
    threads0 = _thread_cpu_s()
    agent_cpu, agent_wall, steps = _paced(seconds, rate, run.log)
    threads1 = _thread_cpu_s()
    flushed = run.flush(timeout=60.0)
    run.finish()
    per_thread = {
        name: threads1[name] - threads0.get(name, 0.0) for name in threads1 if name != "MainThread"
    }
    extra = agent_cpu - base_cpu
    return {
        "rate_steps_per_s": rate,
        "points_per_s": rate * POINTS_PER_STEP,
        "seconds": seconds,
        "baseline_cpu_s": base_cpu,
        "agent_cpu_s": agent_cpu,
        "baseline_wall_s": base_wall,
        "agent_wall_s": agent_wall,
        "agent_cpu_percent_of_core": 100.0 * extra / agent_wall,
        "background_threads_cpu_s": per_thread,
        "flush_ok": bool(flushed),
        "stored": stored_count(opts, run_id),
        "expected": steps * POINTS_PER_STEP,
    }


def down_mode(workdir: str, opts: dict[str, str]) -> dict[str, Any]:
    seconds = float(opts.get("seconds", "60"))
    run = make_run(opts, workdir)
    samples: list[tuple[float, float]] = []
    metrics = {name: 0.0 for name in METRIC_NAMES}
    t0 = time.perf_counter()
    next_sample = t0
    i = 0
    while True:
        now = time.perf_counter()
        if now >= next_sample:
            samples.append((now - t0, proc_status_kb("VmRSS") / 1024.0))
            next_sample += 1.0
            if now - t0 >= seconds:
                break
        for j, name in enumerate(METRIC_NAMES):
            metrics[name] = 1.0 / (1.0 + i) + j
        run.log(dict(metrics), i)
        i += 1
    stats = run.stats
    t_finish = time.perf_counter()
    run.finish()
    finish_s = time.perf_counter() - t_finish
    spool = os.path.join(workdir, "spool")
    spool_bytes = sum(
        os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(spool) for f in fs
    )
    return {
        "seconds": seconds,
        "steps_logged": i,
        "points_logged": i * POINTS_PER_STEP,
        "rss_samples_mb": samples,
        "finish_s": finish_s,
        "spool_bytes": spool_bytes,
        "agent_stats_before_finish": stats,
    }


def main() -> None:
    args = parse_args()
    opts = options(args)
    mode = opts.get("mode", "latency")
    os.makedirs(args.workdir, exist_ok=True)
    workdir = tempfile.mkdtemp(dir=args.workdir)
    try:
        if mode == "cpu":
            result = cpu_mode(workdir, opts)
        elif mode == "down":
            result = down_mode(workdir, opts)
        else:
            result = latency_mode(args.steps, workdir, opts)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    emit(result)


if __name__ == "__main__":
    main()
