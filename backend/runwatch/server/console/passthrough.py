"""The console's response body: ClickHouse's bytes passed through, plus one trailer line (pure).

The body is `JSONCompactEachRowWithNamesAndTypes` exactly as ClickHouse wrote it (line 1 the
column names, line 2 their types, one JSON array per row), cut after `max_rows` rows, and then
one JSON *object* line the page tells apart from rows:

    {"summary": {...X-ClickHouse-Summary..., "result_rows", "elapsed_ms", "truncated"}}
    {"error": "Code: 159. DB::Exception: ...", "code": 159}   (ClickHouse failed mid-stream)

Why a trailer: a response header is written before the body, so on a streaming ClickHouse it
can only carry what was known when the first block was sent. The header X-ClickHouse-Summary
is forwarded as ClickHouse sent it; the trailer adds what only the end knows (rows passed,
wall time, whether the cap cut the result). Rows are counted by counting newlines per chunk
— no row is parsed in Python.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

HEADER_LINES = 2
_EXCEPTION_LINE = re.compile(rb"^(?:Code: (\d+)\. DB::Exception|\{\"exception\")")


@dataclass
class Tally:
    rows: int = 0
    truncated: bool = False
    error: dict[str, Any] | None = None
    body_bytes: int = 0
    summary: dict[str, Any] = field(default_factory=dict)


def _mid_stream_error(chunk: bytes) -> tuple[int, dict[str, Any]] | None:
    """(offset, {"error", "code"}) of an exception ClickHouse appended after a 200."""
    offset = 0
    for line in chunk.split(b"\n"):
        match = _EXCEPTION_LINE.match(line)
        if match:
            text = line.decode("utf-8", errors="replace")
            if line.startswith(b"{"):
                with contextlib.suppress(ValueError, KeyError):
                    text = str(json.loads(line)["exception"])
            code = int(match.group(1)) if match.group(1) else _code_of(text)
            return offset, {"error": text, "code": code}
        offset += len(line) + 1
    return None


def _code_of(text: str) -> int:
    match = re.search(r"Code: (\d+)", text)
    return int(match.group(1)) if match else 0


async def passthrough(chunks: AsyncIterator[bytes], max_rows: int, tally: Tally) -> AsyncIterator[bytes]:
    """Yield `chunks` up to the end of row `max_rows`; count rows and flag truncation in `tally`."""
    limit = max_rows + HEADER_LINES
    newlines = 0
    async for chunk in chunks:
        if not chunk:
            continue
        if newlines >= limit:  # the cap was reached exactly at a chunk boundary, and more came
            tally.truncated = True
            break
        if b"DB::Exception" in chunk or b'{"exception"' in chunk:
            found = _mid_stream_error(chunk)
            if found is not None:
                offset, tally.error = found
                head = chunk[:offset]
                newlines += head.count(b"\n")
                tally.body_bytes += len(head)
                yield head
                break
        count = chunk.count(b"\n")
        if newlines + count < limit:
            newlines += count
            tally.body_bytes += len(chunk)
            yield chunk
            continue
        cut = -1
        for _ in range(limit - newlines):
            cut = chunk.index(b"\n", cut + 1)
        head = chunk[:cut + 1]
        newlines = limit
        tally.body_bytes += len(head)
        yield head
        if cut + 1 < len(chunk):
            tally.truncated = True
            break
    tally.rows = max(0, newlines - HEADER_LINES)


def trailer(tally: Tally, elapsed_ms: float) -> bytes:
    if tally.error is not None:
        body: dict[str, Any] = tally.error
    else:
        body = {"summary": {**tally.summary, "result_rows": tally.rows, "result_bytes": tally.body_bytes,
                            "elapsed_ms": round(elapsed_ms, 1), "truncated": tally.truncated}}
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"
