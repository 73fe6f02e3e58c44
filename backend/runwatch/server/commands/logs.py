"""`runwatch logs RUN [--follow] [--grep TEXT] [--rank N] [-n LINES]`: a run's console from a
terminal, read straight from ClickHouse (CH_* settings), with the queries of GET /logs."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from runwatch.server.query import rich_queries as queries
from runwatch.server.query.queries import Query, run_exists
from runwatch.server.query.rich_queries import LogFilter


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("logs", help="print a run's captured stdout/stderr")
    parser.add_argument("run_id", metavar="RUN")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    parser.add_argument("--grep", help="only lines containing this text (case-sensitive)")
    parser.add_argument("--rank", type=int, help="only this rank")
    parser.add_argument("-n", "--lines", type=int, default=100, help="lines of the tail (100)")
    parser.add_argument("--interval", type=float, default=0.5, help="follow poll interval (s)")
    parser.set_defaults(handler=run_logs)


def format_line(row: tuple[Any, ...], ranks: bool) -> str:
    item = dict(zip(queries.LOG_COLUMNS, row, strict=True))
    prefix = f"[{item['host']}:{item['rank']}] " if ranks else ""
    return f"{prefix}{item['line']}"


def run_logs(args: argparse.Namespace) -> int:
    from runwatch.server.commands.admin import _connect

    _, client = _connect(None)
    where = LogFilter(rank=args.rank, grep=args.grep or None)
    tail = queries.log_tail(args.run_id, where, max(1, args.lines))
    rows = list(reversed(_query(client, tail).result_rows))
    if not rows and not _query(client, run_exists(args.run_id)).result_rows[0][0]:
        print(f"runwatch logs: no run {args.run_id!r} in this database", file=sys.stderr)
        return 1
    ranks = args.rank is None and len({(r[2], r[3]) for r in rows}) > 1
    for row in rows:
        print(format_line(row, ranks))
    if not args.follow:
        return 0
    cursor = (int(rows[-1][1]), rows[-1][2], int(rows[-1][3]), int(rows[-1][5])) if rows else (0, "", 0, 0)
    while True:
        sys.stdout.flush()
        time.sleep(args.interval)
        new = _query(client, queries.log_after(args.run_id, where, cursor, 5000)).result_rows
        for row in new:
            print(format_line(row, ranks))
        if new:
            last = new[-1]
            cursor = (int(last[1]), last[2], int(last[3]), int(last[5]))


def _query(client: Any, query: Query) -> Any:
    return client.query(query.sql, parameters=query.params)
