"""`runwatch demo`: simulated training runs through the real agent.

A server-side command: before the runs start it applies the schema (runwatch.server.migrate),
which a training box with only the agent installed has no use for.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from runwatch.cli.agent import stop_on_signals, target_arguments, target_kwargs

# Ended runs stay 24 h on Progress: restarting faster buries a wall in them (server/demo.py).
DEFAULT_RESTART_AFTER_SEC = 300.0


def register(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo",
        help="send simulated training runs through the agent",
        description="Simulated runs (loss with warm-up, noise and a spike, lr schedule, "
        "throughput, evals, checkpoints, system stats), concurrently, until done or Ctrl-C.",
    )
    demo.add_argument("--runs", type=int, default=3, help="concurrent runs (default 3)")
    demo.add_argument("--steps", type=int, default=50_000, help="steps per run (default 50000)")
    demo.add_argument("--speed", type=float, default=1.0,
                      help="x20 steps per second per run (default 1; 0 = as fast as possible)")
    demo.add_argument("--restart-after", type=float, default=DEFAULT_RESTART_AFTER_SEC,
                      help="seconds after a run ends before it starts again as a new run, at "
                      "speed > 0 (default 300; 0 = each run once, then the demo ends)")
    demo.add_argument("--project", default="demo")
    demo.add_argument("--no-system", action="store_true", help="skip real system metrics")
    demo.add_argument("--no-migrate", action="store_true",
                      help="do not create the database/tables if they are missing")
    target_arguments(demo)
    demo.set_defaults(handler=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    from runwatch.config import ConfigError, resolve_target
    from runwatch.server.demo import run_demo

    try:
        target = resolve_target(os.environ, **target_kwargs(args))
    except ConfigError as exc:
        print(f"runwatch demo: {exc}", file=sys.stderr)
        return 2
    if not args.no_migrate:
        try:
            _ensure_schema(target)
        except Exception as exc:  # ClickHouse away: the agent spools, the demo still runs
            print(f"runwatch demo: could not check the schema ({exc}); continuing",
                  file=sys.stderr)
    stop = stop_on_signals()
    print(f"runwatch demo: {args.runs} runs x {args.steps} steps into {target.describe()}; "
          "Ctrl-C to stop", file=sys.stderr)
    run_ids = run_demo(
        runs=args.runs, steps=args.steps, speed=args.speed, project=args.project, stop=stop,
        system_metrics=not args.no_system, restart_after=args.restart_after,
        run_options={"host": target.host, "port": target.port, "protocol": target.protocol,
                     "database": target.database, "user": target.user,
                     "password": target.password, "system_interval": 2.0},
    )
    print(f"runwatch demo: done: {', '.join(run_ids)}", file=sys.stderr)
    return 0


def _ensure_schema(target: Any) -> None:
    import clickhouse_connect

    from runwatch.server.migrate import apply_schema

    client = clickhouse_connect.get_client(
        host=target.host, port=target.port, interface=target.protocol,
        username=target.user, password=target.password, connect_timeout=3,
    )
    try:
        apply_schema(client, target.database)
    finally:
        client.close()
