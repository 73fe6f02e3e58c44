"""Benchmark: what does logging cost the training loop, and how fast does it land?

    .venv/bin/python tests/benchmarks/bench_agent.py [--quick] [--runs 3] [--only runwatch,floor]

Per-call latency of ``log()`` with 10 scalars (p50/p99/p99.9/max, ``perf_counter_ns`` around
each call, GC on) and sustained end-to-end throughput (points/s from the first ``log()`` until
the points are confirmed stored), for runwatch's agent against the embedded ClickHouse server,
side by side with KohakuBoard, wandb (offline), MLflow (sync and async) and tensorboardX on the
same workload, plus a floor: appending the same 10 values to a plain list. Each peer is pip
installed, pinned, into its own virtualenv under ``.bench-venvs/<peer>`` (created when missing)
and every workload runs as a fresh subprocess of its own interpreter (all on the same base
Python), so dependencies never mix. Repetitions are interleaved (run 1 of every tool, then
run 2, ...) so that load from other users of the machine falls on all tools alike; the
tables report the median of the runs. For runwatch only it also measures the agent's own CPU
at 1,000 points/s and RSS while ClickHouse is unreachable.

The workloads are small scripts under agent_peers/, one per tool, on a shared stdlib-only
harness (agent_peers/_harness.py). After each run the workload reads back what the tool stored
(ClickHouse count(), KohakuBoard's column files, the .wandb records, MLflow's sqlite metrics
table, the TFRecord events), so a tool that loses points does not get credit for them. The slow
tools log fewer steps (Workload.max_steps) to keep a full run near 15 minutes.

Prints the tables and writes them as markdown to test-artifacts/bench_agent.md (raw numbers
in test-artifacts/bench_agent.json, workload logs in test-artifacts/bench_agent/).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
PEERS_DIR = Path(__file__).resolve().parent / "agent_peers"
VENVS_DIR = REPO / ".bench-venvs"
ARTIFACTS = REPO / "test-artifacts"
RESULT_PREFIX = "BENCH_RESULT "
DATABASE = "bench"
WORKLOAD_TIMEOUT_S = 600.0
EXIT_GRACE_S = 30.0

# Peer virtualenvs: pinned requirement lines, and the distribution whose version is reported.
VENV_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "kohakuboard": ("kohakuboard==0.0.1",),
    "wandb": ("wandb==0.31.0",),
    "mlflow": ("mlflow==3.17.2",),
    "tensorboardx": ("tensorboardX==2.6.5",),
}


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    script: str
    venv: str | None = None  # None: the project's own interpreter (sys.executable)
    options: tuple[str, ...] = ()
    max_steps: int | None = None  # cap for tools too slow to log 200k steps three times
    needs_clickhouse: bool = False


WORKLOADS: tuple[Workload, ...] = (
    Workload("floor", "floor: list.append((step, name, value)) ×10", "floor.py"),
    Workload(
        "floor_values",
        "floor, values only: list.append(value) ×10",
        "floor.py",
        options=("kind=values",),
    ),
    Workload("runwatch", "runwatch agent", "runwatch_agent.py", needs_clickhouse=True),
    Workload(
        "runwatch_finish",
        "runwatch agent (finish() right after last log)",
        "runwatch_agent.py",
        options=("end=finish",),
        needs_clickhouse=True,
    ),
    Workload(
        "runwatch_finish_20k",
        "runwatch agent (finish() right after last log)",
        "runwatch_agent.py",
        options=("end=finish",),
        max_steps=20_000,
        needs_clickhouse=True,
    ),
    Workload("kohakuboard", "KohakuBoard 0.0.1", "kohaku_board.py", venv="kohakuboard"),
    Workload(
        "kohakuboard_20k",
        "KohakuBoard 0.0.1",
        "kohaku_board.py",
        venv="kohakuboard",
        max_steps=20_000,
    ),
    Workload("wandb", "wandb offline", "wandb_offline.py", venv="wandb"),
    Workload(
        "mlflow_sync",
        "MLflow sync",
        "mlflow_tracking.py",
        venv="mlflow",
        options=("mode=sync",),
        max_steps=5_000,
    ),
    Workload(
        "mlflow_async",
        "MLflow async",
        "mlflow_tracking.py",
        venv="mlflow",
        options=("mode=async",),
        max_steps=5_000,
    ),
    Workload(
        "tensorboardx",
        "tensorboardX",
        "tensorboardx_writer.py",
        venv="tensorboardx",
        max_steps=50_000,
    ),
)


@dataclass
class Config:
    steps: int
    runs: int
    cpu_seconds: float
    down_seconds: float
    only: set[str] | None
    setup_only: bool
    extras: bool
    logs_dir: Path = field(default_factory=lambda: ARTIFACTS / "bench_agent")


# ---------------------------------------------------------------- virtualenvs


def venv_python(name: str) -> Path:
    return VENVS_DIR / name / "bin" / "python"


def ensure_venv(name: str) -> Path:
    """Create .bench-venvs/<name> and pip install its pinned requirements, unless done before."""
    requirements = VENV_REQUIREMENTS[name]
    root = VENVS_DIR / name
    marker = root / "bench-requirements.txt"
    wanted = "\n".join(requirements) + "\n"
    python = venv_python(name)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    root.parent.mkdir(parents=True, exist_ok=True)
    log_path = root.parent / f"{name}.install.log"
    say(f"installing {' '.join(requirements)} into {root} (log: {log_path}) ...")
    with log_path.open("w") as log:
        if not python.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(root)],
                check=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        subprocess.run(
            [str(python), "-m", "pip", "install", "--upgrade", "pip"],
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        subprocess.run(
            [str(python), "-m", "pip", "install", *requirements],
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    marker.write_text(wanted)
    return python


def installed_versions(python: Path, names: list[str]) -> dict[str, str]:
    code = (
        "import importlib.metadata as m, json, sys\n"
        "out = {'python': sys.version.split()[0]}\n"
        f"for n in {names!r}:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = None\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


# ---------------------------------------------------------------- running workloads


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_workload(
    python: Path,
    script: str,
    *,
    steps: int,
    options: list[str],
    cfg: Config,
    tag: str,
    timeout: float = WORKLOAD_TIMEOUT_S,
) -> dict[str, Any]:
    """Run one workload in its own session; its result is the RESULT_PREFIX line it prints.

    A process still alive EXIT_GRACE_S after printing its result is hung at exit (KohakuBoard
    does this when its writer gives up draining): it is killed with its children and the
    result is kept, flagged ``hung_at_exit``.
    """
    cfg.logs_dir.mkdir(parents=True, exist_ok=True)
    log_path = cfg.logs_dir / f"{tag}.log"
    workdir = tempfile.mkdtemp(prefix=f"bench-{tag}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WANDB_", "MLFLOW_"))}
    # a PYTHONPATH already set (another checkout's agent/ and backend/) comes first
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), str(REPO)]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = [str(python), str(PEERS_DIR / script), "--steps", str(steps), "--workdir", workdir]
    for opt in options:
        argv += ["--option", opt]
    started = time.monotonic()
    lines: list[str] = []
    result_at: list[float] = []
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
            cwd=workdir,
            start_new_session=True,
        )

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.append(line)
                if line.startswith(RESULT_PREFIX):
                    result_at.append(time.monotonic())

        reader = threading.Thread(target=read, name=f"read-{tag}", daemon=True)
        reader.start()
        hung = timed_out = False
        while proc.poll() is None:
            now = time.monotonic()
            if result_at and now - result_at[0] > EXIT_GRACE_S:
                hung = True
            elif now - started > timeout:
                timed_out = True
            if hung or timed_out:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.1)
        reader.join(timeout=10)
        log.write("\n--- stdout ---\n" + "".join(lines))
    shutil.rmtree(workdir, ignore_errors=True)
    for line in lines:
        if line.startswith(RESULT_PREFIX):
            result: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            result["wall_s"] = time.monotonic() - started
            result["hung_at_exit"] = hung
            return result
    if timed_out:
        return {"error": f"timed out after {timeout:.0f} s (log: {log_path})"}
    return {"error": f"exit {proc.returncode}, no result (log: {log_path})"}


class ClickHouse:
    """The embedded server with the schema applied to DATABASE, for the runwatch workloads."""

    def __init__(self) -> None:
        from tests.support.clickhouse import EmbeddedClickHouse

        self.tmp = Path(tempfile.mkdtemp(prefix="bench-clickhouse-"))
        self.server = EmbeddedClickHouse(self.tmp / "data")

    def __enter__(self) -> ClickHouse:
        from runwatch.server.migrate import apply_schema

        self.server.start()
        client = self.server.client()
        try:
            apply_schema(client, DATABASE)
        finally:
            client.close()
        return self

    def options(self) -> list[str]:
        return [
            f"host={self.server.host}",
            f"port={self.server.port}",
            f"database={DATABASE}",
            f"server_pid={self.server.pid}",
        ]

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def closed_port_options() -> list[str]:
    from tests.support.clickhouse import free_port

    return ["host=127.0.0.1", f"port={free_port()}", f"database={DATABASE}"]


# ---------------------------------------------------------------- aggregation and report


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if isinstance(r.get(key), int | float)]
    return statistics.median(values) if values else None


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "—"
    if abs(value) >= 1e5:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summarize(results: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    keys = (
        "p50_us",
        "p99_us",
        "p999_us",
        "max_us",
        "mean_us",
        "e2e_points_per_s",
        "finish_s",
        "flush_s",
        "e2e_s",
        "loop_s",
        "rss_growth_mb",
        "peak_rss_growth_mb",
        "steps",
        "points",
        "main_thread_cpu_s",
        "agent_threads_cpu_s",
        "server_cpu_s",
    )
    out: dict[str, dict[str, Any]] = {}
    for key, runs in results.items():
        ok = [r for r in runs if "error" not in r]
        summary: dict[str, Any] = {k: median_of(ok, k) for k in keys}
        summary["runs_ok"] = len(ok)
        summary["errors"] = [r["error"] for r in runs if "error" in r]
        summary["incomplete"] = sum(1 for r in ok if r.get("complete") is False)
        summary["verified"] = sum(1 for r in ok if r.get("complete") is True)
        notes = []
        for i, r in enumerate(runs, 1):
            if "error" in r:
                notes.append(f"run {i}: {r['error']}")
                continue
            if r.get("complete") is False:
                notes.append(f"run {i}: stored {r['stored']:,} of {r['points']:,} points")
            if r.get("finish_error"):
                notes.append(f"run {i}: finish() raised {r['finish_error']}")
            if r.get("hung_at_exit"):
                notes.append(f"run {i}: process hung at exit, killed after {EXIT_GRACE_S:.0f} s")
            if r.get("flush_ok") is False:
                notes.append(f"run {i}: flush() returned False")
        summary["notes"] = notes
        out[key] = summary
    return out


def stored_mark(s: dict[str, Any]) -> str:
    """Whether a read-back after the run found every point logged, in every run."""
    if s["incomplete"]:
        return f"no ({s['incomplete']}/{s['runs_ok']} runs short)"
    return "yes" if s["verified"] == s["runs_ok"] else "not checked"


def latency_table(summary: dict[str, dict[str, Any]]) -> list[str]:
    floor = summary.get("floor", {})
    lines = [
        "| tool | steps | log() p50 µs | p99 µs | p99.9 µs | max µs | p50 ÷ floor "
        "| p99.9 ÷ floor | end-to-end points/s | finish() s | RSS growth MB | all stored |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for w in WORKLOADS:
        s = summary.get(w.key)
        if s is None:
            continue
        if not s["runs_ok"]:
            lines.append(f"| {w.label} | failed (see below) |")
            continue
        lines.append(
            f"| {w.label} | {fmt(s['steps'], 0)} | {fmt(s['p50_us'])} | {fmt(s['p99_us'])} "
            f"| {fmt(s['p999_us'])} | {fmt(s['max_us'], 0)} "
            f"| {fmt(ratio(s['p50_us'], floor.get('p50_us')), 2)} "
            f"| {fmt(ratio(s['p999_us'], floor.get('p999_us')), 2)} "
            f"| {fmt(s['e2e_points_per_s'], 0) if not w.key.startswith('floor') else '—'} "
            f"| {fmt(s['finish_s'], 3) if not w.key.startswith('floor') else '—'} "
            f"| {fmt(s['rss_growth_mb'])} | {stored_mark(s)} |"
        )
    notes = [
        f"- {w.label}: " + "; ".join(summary[w.key]["notes"]) + "."
        for w in WORKLOADS
        if w.key in summary and summary[w.key]["notes"]
    ]
    return lines + ([""] + notes if notes else [])


def cpu_lines(cpu_runs: list[dict[str, Any]]) -> list[str]:
    ok = [r for r in cpu_runs if "error" not in r]
    if not ok:
        return [f"- agent CPU at 1,000 points/s: failed ({[r.get('error') for r in cpu_runs]})"]
    pct = statistics.median(r["agent_cpu_percent_of_core"] for r in ok)
    each = ", ".join(f"{r['agent_cpu_percent_of_core']:.2f}" for r in ok)
    threads: dict[str, list[float]] = {}
    for r in ok:
        for name, cpu in r["background_threads_cpu_s"].items():
            threads.setdefault(name, []).append(100.0 * cpu / r["agent_wall_s"])
    per_thread = ", ".join(
        f"`{name}` {statistics.median(v):.2f}%" for name, v in sorted(threads.items())
    )
    complete = all(r["stored"] == r["expected"] for r in ok)
    return [
        f"- Agent's own CPU at {ok[0]['points_per_s']:,.0f} points/s "
        f"({ok[0]['rate_steps_per_s']:.0f} steps/s × 10 scalars, {ok[0]['seconds']:.0f} s, "
        f"process CPU minus the same paced loop without logging): **{pct:.2f}% of one core** "
        f"(median; runs: {each}). Of which background threads: {per_thread or 'none'}. "
        f"All points stored: {complete}."
    ]


def down_lines(down_runs: list[dict[str, Any]]) -> list[str]:
    ok = [r for r in down_runs if "error" not in r]
    if not ok:
        return [f"- RSS with ClickHouse down: failed ({[r.get('error') for r in down_runs]})"]
    lines = []
    for r in ok:
        samples = r["rss_samples_mb"]
        start = samples[0][1]
        step = 5 if r["seconds"] <= 120 else 10
        series = ", ".join(f"{rss - start:+.0f}" for t, rss in samples if round(t) % step == 0)
        stats = r.get("agent_stats_before_finish", {})
        lines.append(
            f"- RSS while ClickHouse is down ({r['seconds']:.0f} s of unpaced logging to a port "
            f"where nothing listens, {r['points_logged']:,} points): MB above the start, every "
            f"{step} s: {series}; peak {max(s[1] for s in samples) - start:+.0f} MB. Agent "
            f"counters at the end: {stats.get('spooled_points', 0):,} points spooled "
            f"({r['spool_bytes'] / 2**20:,.0f} MB on disk), "
            f"{stats.get('dropped_points', 0):,} dropped and counted; finish() "
            f"{r['finish_s']:.2f} s."
        )
    return lines


def targets_lines(
    summary: dict[str, dict[str, Any]],
    cpu_runs: list[dict[str, Any]],
    down_runs: list[dict[str, Any]],
) -> list[str]:
    rw, floor, kb = summary.get("runwatch"), summary.get("floor"), summary.get("kohakuboard")
    rwf = summary.get("runwatch_finish")
    if not rw or not floor or not rw["runs_ok"]:
        return []

    def verdict(ok: bool | None) -> str:
        return "—" if ok is None else ("**met**" if ok else "**missed**")

    p50r = ratio(rw["p50_us"], floor["p50_us"])
    p999r = ratio(rw["p999_us"], floor["p999_us"])
    fv = summary.get("floor_values") or {}
    fv_ok = bool(fv.get("runs_ok"))
    p50_fv = (
        f"; {fmt(ratio(rw['p50_us'], fv['p50_us']), 2)}x the values-only floor" if fv_ok else ""
    )
    p999_fv = (
        f"; {fmt(ratio(rw['p999_us'], fv['p999_us']), 2)}x the values-only floor" if fv_ok else ""
    )
    e2e = rw["e2e_points_per_s"]
    vs_kb = ratio(e2e, kb["e2e_points_per_s"]) if kb and kb["runs_ok"] else None
    finish_cold = rwf["finish_s"] if rwf and rwf["runs_ok"] else None
    small = summary.get("runwatch_finish_20k")
    finish_small = small["finish_s"] if small and small["runs_ok"] else None
    kb_small = summary.get("kohakuboard_20k")
    kb_finish_small = kb_small["finish_s"] if kb_small and kb_small["runs_ok"] else None
    finish_verdicts = [verdict(f < 1) for f in (finish_small, finish_cold) if f is not None]
    ok_cpu = [r for r in cpu_runs if "error" not in r]
    cpu = statistics.median(r["agent_cpu_percent_of_core"] for r in ok_cpu) if ok_cpu else None
    lines = [
        "| target | measured | |",
        "|---|---|---|",
        f"| log() p50 within 2x of the floor | {fmt(p50r, 2)}x "
        f"({fmt(rw['p50_us'], 2)} vs {fmt(floor['p50_us'], 2)} µs{p50_fv}) "
        f"| {verdict(p50r <= 2 if p50r else None)} |",
        f"| log() p99.9 within 2x of the floor's | {fmt(p999r, 2)}x "
        f"({fmt(rw['p999_us'])} vs {fmt(floor['p999_us'])} µs{p999_fv}) "
        f"| {verdict(p999r <= 2 if p999r else None)} |",
        f"| ≥ 1,000,000 points/s end to end | {fmt(e2e, 0)} points/s "
        f"({fmt(vs_kb, 1)}x KohakuBoard) | {verdict(e2e >= 1e6 if e2e else None)} |",
        f"| finish() under 1 s | straight after the last log(): {fmt(finish_small, 3)} s with "
        f"200,000 points pending (KohakuBoard: {fmt(kb_finish_small, 3)} s), "
        f"{fmt(finish_cold, 3)} s with {fmt(rw['points'], 0)} pending; "
        f"{fmt(rw['finish_s'], 3)} s after flush() "
        f"| {' / '.join(finish_verdicts) or '—'} |",
        f"| agent CPU < 2% of one core at 1,000 points/s | {fmt(cpu, 2)}% "
        f"| {verdict(cpu < 2 if cpu is not None else None)} |",
    ]
    ok_down = [r for r in down_runs if "error" not in r]
    if ok_down:
        r = ok_down[0]
        half = [s[1] for s in r["rss_samples_mb"] if s[0] >= r["seconds"] / 2]
        first = [s[1] for s in r["rss_samples_mb"] if s[0] < r["seconds"] / 2]
        bounded = bool(half and first) and max(half) - max(first) < 16
        lines.append(
            f"| RSS bounded while ClickHouse is down | peak in 2nd half − peak in 1st half "
            f"= {max(half) - max(first):+.1f} MB | {verdict(bounded)} |"
        )
    if rw["incomplete"] or (rwf and rwf["incomplete"]):
        lines.append(
            "| every point stored | some runs stored fewer points than logged | **missed** |"
        )
    return lines


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"load average at start {load}"
    )


def render(
    cfg: Config,
    machine: str,
    summary: dict[str, dict[str, Any]],
    cpu_runs: list[dict[str, Any]],
    down_runs: list[dict[str, Any]],
    versions: dict[str, dict[str, str]],
    argv: list[str],
) -> str:
    ver = "; ".join(
        f"{name}: " + ", ".join(f"{k} {v}" for k, v in vs.items() if v)
        for name, vs in versions.items()
    )
    caps = ", ".join(
        f"{w.label} {w.max_steps:,}"
        for w in WORKLOADS
        if w.max_steps
        and w.max_steps < cfg.steps
        and w.key in summary
        and not w.key.endswith("_20k")
    )
    out = [
        "### Agent: log() latency and end-to-end throughput",
        "",
        f"`{' '.join(argv)}` — {machine}. Median of {cfg.runs} interleaved run(s) per tool; "
        f"{cfg.steps:,} steps × 10 scalars each"
        + (f" (capped for the slow tools: {caps} steps)" if caps else "")
        + ". Latency is per log() call of one step (10 scalars), GC on. End to end = first "
        "log() until the points are confirmed stored: runwatch until flush() returns True and "
        "a count() query on the embedded ClickHouse sees all of them; the others until "
        "finish()/close()/end_run() returns. RSS growth: during the logging loop. All stored: "
        "the points read back after the run (ClickHouse count(), KohakuBoard's column files, the "
        ".wandb records, MLflow's sqlite metrics table, the TFRecord events) equal those logged.",
        "",
        *latency_table(summary),
        "",
    ]
    rw = summary.get("runwatch")
    if rw and rw["runs_ok"] and rw["server_cpu_s"] is not None:
        out += [
            f"Where runwatch's end-to-end time goes (median of the runs): {fmt(rw['e2e_s'], 2)} s "
            f"wall for {fmt(rw['steps'], 0)} steps = the log() loop {fmt(rw['loop_s'], 2)} s + "
            f"flush() {fmt(rw['flush_s'], 2)} s. CPU over the same span: the training thread "
            f"{fmt(rw['main_thread_cpu_s'], 2)} s, the agent's writer thread "
            f"{fmt(rw['agent_threads_cpu_s'], 2)} s (encoding, HTTP), the embedded ClickHouse "
            f"server process {fmt(rw['server_cpu_s'], 2)} s (HTTP parsing, the chDB insert).",
            "",
        ]
    tl = targets_lines(summary, cpu_runs, down_runs)
    if tl:
        out += ["Targets (issue 4), from the same run:", "", *tl, ""]
    if cpu_runs:
        out += cpu_lines(cpu_runs)
    if down_runs:
        out += down_lines(down_runs)
    out += ["", f"Versions: {ver}."]
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- main


def parse_args(argv: list[str]) -> Config:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--quick",
        action="store_true",
        help="20,000 steps, 1 run, short CPU/RSS tests: a smoke run, not numbers",
    )
    p.add_argument("--steps", type=int, help="steps per run (default 200,000; quick 20,000)")
    p.add_argument("--runs", type=int, help="interleaved runs per tool (default 3; quick 1)")
    p.add_argument(
        "--only", help="comma-separated workload keys: " + ",".join(w.key for w in WORKLOADS)
    )
    p.add_argument(
        "--no-extras",
        action="store_true",
        help="skip runwatch's CPU and ClickHouse-down measurements",
    )
    p.add_argument("--setup-only", action="store_true", help="create the peer venvs and exit")
    a = p.parse_args(argv)
    return Config(
        steps=a.steps or (20_000 if a.quick else 200_000),
        runs=a.runs or (1 if a.quick else 3),
        cpu_seconds=8.0 if a.quick else 25.0,
        down_seconds=15.0 if a.quick else 60.0,
        only=set(a.only.split(",")) if a.only else None,
        setup_only=a.setup_only,
        extras=not a.no_extras,
    )


def main(argv: list[str]) -> int:
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    cfg = parse_args(argv)
    machine = machine_line()
    workloads = [w for w in WORKLOADS if cfg.only is None or w.key in cfg.only]
    pythons: dict[str | None, Path] = {None: Path(sys.executable)}
    versions: dict[str, dict[str, str]] = {
        "runwatch": installed_versions(Path(sys.executable), ["chdb-core", "clickhouse-connect"]),
    }
    for name in sorted({w.venv for w in workloads if w.venv}):
        try:
            pythons[name] = ensure_venv(name)
        except subprocess.CalledProcessError as exc:
            say(f"could not set up {name}: {exc}; see .bench-venvs/{name}.install.log")
            continue
        dist = VENV_REQUIREMENTS[name][0].split("==")[0]
        versions[name] = installed_versions(pythons[name], [dist, "torch"])
    if cfg.setup_only:
        print(json.dumps(versions, indent=2))
        return 0
    workloads = [w for w in workloads if w.venv in pythons]

    runwatch_wanted = any(w.needs_clickhouse for w in workloads)
    results: dict[str, list[dict[str, Any]]] = {w.key: [] for w in workloads}
    cpu_runs: list[dict[str, Any]] = []
    down_runs: list[dict[str, Any]] = []
    ch: ClickHouse | None = ClickHouse().__enter__() if runwatch_wanted else None
    try:
        for rep in range(cfg.runs):
            for w in workloads:
                steps = min(cfg.steps, w.max_steps or cfg.steps)
                opts = list(w.options) + (ch.options() if ch and w.needs_clickhouse else [])
                say(f"[run {rep + 1}/{cfg.runs}] {w.label}: {steps:,} steps ...")
                r = run_workload(
                    pythons[w.venv],
                    w.script,
                    steps=steps,
                    options=opts,
                    cfg=cfg,
                    tag=f"{w.key}-{rep + 1}",
                )
                results[w.key].append(r)
                say(
                    "    "
                    + (
                        r["error"]
                        if "error" in r
                        else f"p50 {r['p50_us']:.2f} µs, p99.9 {r['p999_us']:.1f} µs, "
                        f"{r['e2e_points_per_s']:,.0f} points/s, "
                        f"finish {r['finish_s']:.3f} s"
                    )
                )
            if ch and cfg.extras and "runwatch" in results:
                say(
                    f"[run {rep + 1}/{cfg.runs}] runwatch CPU at 1,000 points/s "
                    f"({cfg.cpu_seconds:.0f} s + baseline) ..."
                )
                r = run_workload(
                    Path(sys.executable),
                    "runwatch_agent.py",
                    steps=0,
                    options=["mode=cpu", f"seconds={cfg.cpu_seconds}", *ch.options()],
                    cfg=cfg,
                    tag=f"runwatch_cpu-{rep + 1}",
                )
                cpu_runs.append(r)
                say("    " + (r.get("error") or f"{r['agent_cpu_percent_of_core']:.2f}% of a core"))
        if ch and cfg.extras and "runwatch" in results:
            say(f"runwatch RSS with ClickHouse down ({cfg.down_seconds:.0f} s) ...")
            r = run_workload(
                Path(sys.executable),
                "runwatch_agent.py",
                steps=0,
                options=["mode=down", f"seconds={cfg.down_seconds}", *closed_port_options()],
                cfg=cfg,
                tag="runwatch_down",
            )
            down_runs.append(r)
    finally:
        if ch:
            ch.__exit__(None, None, None)

    summary = summarize(results)
    cmd = [".venv/bin/python", "tests/benchmarks/bench_agent.py", *argv]
    markdown = render(cfg, machine, summary, cpu_runs, down_runs, versions, cmd)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench_agent.md").write_text(markdown)
    (ARTIFACTS / "bench_agent.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "config": {"steps": cfg.steps, "runs": cfg.runs},
                "versions": versions,
                "summary": summary,
                "runs": results,
                "cpu": cpu_runs,
                "clickhouse_down": down_runs,
            },
            indent=1,
        )
    )
    print(markdown)
    say(f"wrote {ARTIFACTS / 'bench_agent.md'} and {ARTIFACTS / 'bench_agent.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
