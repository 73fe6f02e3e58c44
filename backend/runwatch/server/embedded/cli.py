"""`runwatch clickhouse` (and `python -m runwatch.server.embedded`): the embedded server's CLI."""

from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("runwatch.server.embedded")


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
    parser.add_argument("--header-timeout", type=float, default=10.0,
                        help="close a connection whose request headers take longer (default 10 s)")
    parser.add_argument("--max-connections", type=int, default=256,
                        help="open connections at once; beyond them requests get 503 (default 256)")
    parser.add_argument("--allowed-hosts", default=os.environ.get("RUNWATCH_ALLOWED_HOSTS"),
                        help="Host-header names answered besides loopback names, comma-separated "
                             "('*' = any), e.g. for a reverse proxy (default RUNWATCH_ALLOWED_HOSTS, "
                             "else the --host address)")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "clickhouse", help="serve an embedded ClickHouse (chDB) on the ClickHouse HTTP interface"
    )
    add_arguments(parser)
    parser.add_argument("--database", default=None,
                        help="apply runwatch's schema to this database once listening "
                             "(default CH_DATABASE or training_observability)")
    parser.add_argument("--no-migrate", action="store_true",
                        help="serve only; leave the schema alone")
    parser.set_defaults(handler=run)


def _schema_applier(args: argparse.Namespace) -> Callable[[], None] | None:
    """What `runwatch clickhouse` does once listening: make the database ready for agents,
    which insert into metric_points and runs and never create tables themselves."""
    if getattr(args, "no_migrate", True):  # `python -m runwatch.server.embedded`: a bare server
        return None
    from runwatch.server.settings import ClickHouseSettings, load_settings

    database = load_settings(ClickHouseSettings, ch_database=args.database).ch_database

    def apply() -> None:
        import clickhouse_connect

        from runwatch.server.migrate import apply_schema

        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        try:
            client = clickhouse_connect.get_client(
                host=host, port=args.port, username=args.user or "default",
                password=args.password or "", autogenerate_session_id=False)
            applied = apply_schema(client, database)
            client.close()
        except Exception as exc:
            log.error("could not apply the schema to %s: %s", database, exc)
            return
        log.info("schema of %s: %s", database,
                 f"applied {', '.join(applied)}" if applied else "up to date")

    return apply


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.password is not None and args.user is None:
        args.user = "default"
    from runwatch.server.embedded.errors import EngineError
    from runwatch.server.embedded.server import serve

    try:
        serve(args.data_dir, args.host, args.port, args.user, args.password,
              max_workers=args.max_workers, on_ready=_schema_applier(args),
              header_timeout=args.header_timeout, max_connections=args.max_connections,
              allowed_hosts=args.allowed_hosts)
    except EngineError as exc:
        log.error("cannot open the data directory %s: %s", args.data_dir, exc.message)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m runwatch.server.embedded",
        description="Serve an embedded ClickHouse (chDB) on the ClickHouse HTTP interface.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))
