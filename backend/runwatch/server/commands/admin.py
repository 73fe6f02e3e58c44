"""`runwatch migrate` and `runwatch sql`: the schema and ad-hoc queries from a terminal."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from typing import Any

_DEFAULT_SQL_FORMAT = "PrettyCompactMonoBlock"
# Statements that answer with rows; anything else (INSERT ... VALUES, CREATE, ALTER, SYSTEM,
# OPTIMIZE ...) is sent as written: a FORMAT clause appended to it would be a syntax error, or
# for an INSERT, would be read as the format of its data.
_ROWS_FIRST_WORDS = frozenset({"SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXPLAIN", "EXISTS",
                               "CHECK", "VALUES"})
_LEADING = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/|\()*", re.S)
_HAS_FORMAT = re.compile(r"\bFORMAT\s+\w+\s*;?\s*$", re.I)


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser(
        "migrate", help="create the database and apply sql/ (idempotent)"
    )
    migrate.add_argument(
        "--cluster", metavar="NAME",
        help="apply sql/cluster/ (ReplicatedMergeTree + Distributed) ON CLUSTER NAME",
    )
    migrate.set_defaults(handler=run_migrate)

    sql = subparsers.add_parser("sql", help="run a SQL statement and print the result")
    sql.add_argument("query", help='the statement, e.g. "SELECT count() FROM metric_points"; - reads stdin')
    sql.add_argument(
        "-f", "--format", default=_DEFAULT_SQL_FORMAT,
        help=f"any ClickHouse output format (default {_DEFAULT_SQL_FORMAT}; e.g. TSV, CSV, JSONEachRow)",
    )
    sql.set_defaults(handler=run_sql)


def _connect(database: str | None) -> tuple[Any, Any]:
    """Settings and a client, or a one-line error and exit code 2 when ClickHouse is unreachable."""
    from clickhouse_connect.driver.exceptions import DatabaseError, OperationalError

    from runwatch.server.query.clickhouse import describe, make_client
    from runwatch.server.settings import ClickHouseSettings, load_settings

    # The driver and urllib3 log each failed attempt as a warning; the one line below says it.
    for name in ("urllib3", "clickhouse_connect"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    settings = load_settings(ClickHouseSettings)
    try:
        return settings, make_client(settings, database=database)
    except OperationalError as exc:
        print(f"runwatch: cannot reach ClickHouse at {describe(settings)}: {_reason(exc)} "
              "(set CH_HOST / CH_PORT, or start one with `runwatch up`)", file=sys.stderr)
    except DatabaseError as exc:
        hint = " (`runwatch migrate` creates it)" if "UNKNOWN_DATABASE" in str(exc) else ""
        print(f"runwatch: ClickHouse at {describe(settings)} refused: {_error_message(exc)}{hint}",
              file=sys.stderr)
    raise SystemExit(2)


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for needle, reason in (("Connection refused", "connection refused"),
                           ("timed out", "timed out"),
                           ("Name or service not known", "unknown host"),
                           ("nodename nor servname", "unknown host")):
        if needle in text:
            return reason
    return _first_line(exc)[:200]


def returns_rows(query: str) -> bool:
    """Whether `query` answers with a result set to print in the asked format."""
    body = _LEADING.sub("", query, count=1)
    first = body.split(None, 1)[0].upper() if body.split() else ""
    return first in _ROWS_FIRST_WORDS and not _HAS_FORMAT.search(query)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def run_migrate(args: argparse.Namespace) -> int:
    from runwatch.cli.progress import Progress
    from runwatch.server.migrate import SchemaError, apply_schema, default_sql_dir, load_migrations

    settings, client = _connect(database="")
    files = load_migrations(default_sql_dir() / "cluster" if args.cluster else None)
    try:
        with Progress("runwatch migrate", total=len(files), unit="files") as progress:
            applied = apply_schema(client, settings.ch_database, cluster=args.cluster,
                                   on_file=lambda name: progress.advance(1, name))
    except SchemaError as exc:
        print(f"runwatch migrate: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        print(f"runwatch migrate: ClickHouse refused the schema: {_first_line(exc)}", file=sys.stderr)
        return 1
    if applied:
        print(f"applied to {settings.ch_database}: {', '.join(applied)}")
    else:
        print(f"{settings.ch_database}: schema is up to date")
    return 0


def run_sql(args: argparse.Namespace) -> int:
    query = sys.stdin.read() if args.query == "-" else args.query
    _, client = _connect(database=None)
    try:
        result = client.raw_query(query, fmt=args.format if returns_rows(query) else None)
    except Exception as exc:
        print(f"runwatch sql: {_error_message(exc)}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(result)
    sys.stdout.flush()
    return 0


def _error_message(exc: BaseException) -> str:
    """The server's own message ("Code: 62. DB::Exception: ...") without the driver's preamble."""
    text = str(exc)
    start = text.find("Code:")
    message = text[start:] if start >= 0 else text
    return message.strip().splitlines()[0]
