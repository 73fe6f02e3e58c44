"""`runwatch clickhouse` (and `python -m backend.embedded`): the embedded server's CLI."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger("backend.embedded")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=Path(".runwatch/data"),
                        help="where the data lives (default .runwatch/data)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1; 0.0.0.0 exposes it)")
    parser.add_argument("--port", type=int, default=8123, help="HTTP port (default 8123)")
    parser.add_argument("--user", default=None,
                        help="require this user name on every request but /ping")
    parser.add_argument("--password", default=None, help="the password for --user")
    parser.add_argument("--max-workers", type=int, default=32,
                        help="engine calls served at once (default 32)")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "clickhouse", help="serve an embedded ClickHouse (chDB) on the ClickHouse HTTP interface"
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.password is not None and args.user is None:
        args.user = "default"
    from backend.embedded.errors import EngineError
    from backend.embedded.server import serve

    try:
        serve(args.data_dir, args.host, args.port, args.user, args.password,
              max_workers=args.max_workers)
    except EngineError as exc:
        log.error("cannot open the data directory %s: %s", args.data_dir, exc.message)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backend.embedded",
        description="Serve an embedded ClickHouse (chDB) on the ClickHouse HTTP interface.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
