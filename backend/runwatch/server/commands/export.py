"""`runwatch export RUN`: every raw point of a run to a file (or stdout), streamed from
ClickHouse as it encodes it (CSVWithNames / Parquet / JSONEachRow), with a progress line."""

from __future__ import annotations

import argparse
import sys
import time
from typing import IO, Any

from runwatch.server.commands.admin import _connect, _error_message

_PROGRESS_EVERY_SEC = 0.2


def register(subparsers: Any) -> None:
    export = subparsers.add_parser("export", help="export every raw point of a run (CSV, Parquet, JSON lines)")
    export.add_argument("run_id", metavar="RUN")
    export.add_argument("--format", choices=("csv", "parquet", "jsonl"), default=None,
                        help="default: from the -o suffix, else csv")
    export.add_argument("-o", "--output", metavar="FILE", help="default: RUN.FORMAT; - for stdout")
    export.add_argument("--metric", action="append", default=None, help="only this metric (repeatable)")
    export.add_argument("--from-step", type=int, default=None)
    export.add_argument("--to-step", type=int, default=None)
    export.set_defaults(handler=run_export)


def _format_of(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = (args.output or "").rpartition(".")[2].lower()
    return {"parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}.get(suffix, "csv")


class Progress:
    """`rows/total (pct) bytes` on stderr, redrawn in place at most 5 times a second."""

    def __init__(self, total_rows: int, counts_rows: bool, out: IO[str]) -> None:
        self.total, self.counts_rows, self.out = total_rows, counts_rows, out
        self.rows = self.bytes = 0
        self.started = self.drawn = time.monotonic()

    def add(self, chunk: bytes) -> None:
        self.bytes += len(chunk)
        if self.counts_rows:
            self.rows += chunk.count(b"\n")
        now = time.monotonic()
        if now - self.drawn >= _PROGRESS_EVERY_SEC:
            self.drawn = now
            self.draw(end="\r")

    def draw(self, end: str) -> None:
        mb = self.bytes / 1e6
        rate = mb / max(time.monotonic() - self.started, 1e-6)
        if self.counts_rows:
            rows = min(max(self.rows - 1, 0), self.total) if end == "\r" else self.total
            pct = 100.0 * rows / self.total if self.total else 100.0
            text = f"{rows:,}/{self.total:,} points ({pct:5.1f}%)  {mb:,.1f} MB  {rate:,.1f} MB/s"
        else:
            text = f"{self.total:,} points  {mb:,.1f} MB  {rate:,.1f} MB/s"
        print(f"\r{text}", end=end, file=self.out, flush=True)


def run_export(args: argparse.Namespace) -> int:
    from runwatch.server.api.routes.export import CHUNK_BYTES, open_export
    from runwatch.server.compare import queries as cq
    from runwatch.server.query.metric_queries import Window

    fmt = _format_of(args)
    _, client = _connect(database=None)
    window = Window(args.from_step, args.to_step)
    metrics = list(args.metric or [])
    try:
        total = int(client.query(*cq.export_count(args.run_id, metrics, window)).result_rows[0][0])
    except Exception as exc:
        print(f"runwatch export: {_error_message(exc)}", file=sys.stderr)
        return 1
    if total == 0:
        print(f"runwatch export: run {args.run_id!r} has no points"
              f"{' in that selection' if metrics or args.from_step or args.to_step else ''}",
              file=sys.stderr)
        return 1
    path = args.output or f"{args.run_id}.{fmt}"
    progress = Progress(total, fmt != "parquet", sys.stderr)
    stream = open_export(client, args.run_id, fmt, metrics, window)
    sink = sys.stdout.buffer if path == "-" else open(path, "wb")  # noqa: SIM115
    try:
        while chunk := stream.read(CHUNK_BYTES):
            sink.write(chunk)
            progress.add(chunk)
    finally:
        stream.close()
        if sink is not sys.stdout.buffer:
            sink.close()
    progress.draw(end="\n")
    if path != "-":
        print(f"wrote {path}", file=sys.stderr)
    return 0
