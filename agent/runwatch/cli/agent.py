"""`runwatch agent` (sidecar, spool replay): the agent's CLI edge.

The ClickHouse target comes from the flags, else CH_HOST, CH_PORT, ... (read here, once).
Heavy modules are imported inside the handlers.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from typing import Any


def target_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("ClickHouse (default: CH_HOST, CH_PORT, ... or 127.0.0.1:8123)")
    group.add_argument("--host", help="ClickHouse host")
    group.add_argument("--port", type=int, help="ClickHouse HTTP port")
    group.add_argument("--protocol", choices=("http", "https"))
    group.add_argument("--database", help="database (default CH_DATABASE or training_observability)")
    group.add_argument("--user")
    group.add_argument("--password")


def target_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    return {key: getattr(args, key) for key in
            ("host", "port", "protocol", "database", "user", "password")}


def register(subparsers: Any) -> None:
    agent = subparsers.add_parser(
        "agent",
        help="sample system metrics for a run (sidecar), or replay a spool",
        description="Without touching training code: `--run-id ID` samples this host's CPU, "
        "memory, disk, network and GPUs into run ID every --interval seconds until Ctrl-C. "
        "`--replay DIR` sends batches spooled while ClickHouse was away (exactly once).",
    )
    mode = agent.add_mutually_exclusive_group(required=True)
    mode.add_argument("--run-id", help="the run to attach system metrics to")
    mode.add_argument("--replay", metavar="DIR", help="spool directory (or a parent of several)")
    agent.add_argument("--interval", type=float, default=2.0, help="seconds between samples")
    agent.add_argument("--rank", type=int, default=None, help="rank label (default RANK or 0)")
    agent.add_argument("--spool-dir", help="spool root (default RUNWATCH_SPOOL_DIR or ~/.cache)")
    agent.add_argument("--timeout", type=float, default=60.0,
                       help="--replay: give up after this many seconds of errors")
    target_arguments(agent)
    agent.set_defaults(handler=_agent)


def stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def _agent(args: argparse.Namespace) -> int:
    from pathlib import Path

    from runwatch.config import ConfigError, default_spool_dir, resolve_identity, resolve_target

    try:
        target = resolve_target(os.environ, **target_kwargs(args))
        if args.replay:
            return _replay(args, target)
        identity = resolve_identity(os.environ, run_id=args.run_id, rank=args.rank)
    except ConfigError as exc:
        print(f"runwatch agent: {exc}", file=sys.stderr)
        return 2
    from runwatch.cli.sidecar import run_sidecar
    from runwatch.system import default_collectors
    from runwatch.write.pipeline import Tunables

    spool_root = Path(args.spool_dir) if args.spool_dir else default_spool_dir(os.environ)
    stop = stop_on_signals()
    print(f"runwatch agent: system metrics of {identity.host} -> run {identity.run_id} at "
          f"{target.describe()} every {args.interval:g} s; Ctrl-C to stop", file=sys.stderr)
    stats = run_sidecar(identity, target, Tunables(spool_dir=spool_root),
                        default_collectors(pid=None), interval=args.interval, stop=stop)
    print(f"runwatch agent: stopped ({stats})", file=sys.stderr)
    return 0


def _replay(args: argparse.Namespace, target: Any) -> int:
    from pathlib import Path

    from runwatch.cli.progress import Progress
    from runwatch.write.replay import replay
    from runwatch.write.spool import SUFFIX
    from runwatch.write.transport import ClickHouseTransport

    root = Path(args.replay)
    if not root.is_dir():
        print(f"runwatch agent: no such directory: {root}", file=sys.stderr)
        return 2
    total = sum(1 for _ in root.rglob("*" + SUFFIX))
    with Progress("runwatch agent --replay", total=total, unit="batches") as progress:
        report = replay(root, ClickHouseTransport(target), timeout=args.timeout,
                        database=args.database,
                        on_batch=lambda points: progress.advance(1, f"{points:,} points"))
    print(f"runwatch agent: replayed {report.sent_batches} batches ({report.sent_points} points) "
          f"to {target.host}:{target.port}", file=sys.stderr)
    for directory in report.busy:
        print(f"runwatch agent: skipped {directory}: a live process still owns it",
              file=sys.stderr)
    for directory, left in report.left.items():
        if left:
            print(f"runwatch agent: {left} batches left in {directory}", file=sys.stderr)
    for directory, aside in report.corrupt.items():
        unknown = f", and {aside.unknown} whose count is unreadable" if aside.unknown else ""
        print(f"runwatch agent: {aside.points} points cannot be recovered: {aside.batches} corrupt "
              f"batches{unknown} set aside as *.corrupt in {directory}", file=sys.stderr)
    return 0 if report.complete else 1
