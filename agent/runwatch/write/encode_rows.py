"""Histogram, console-line and image rows as Native insert bodies (sql/007-009).

Pure functions, like encode.py: the columns are named explicitly in the insert and
`ingested_at` is left to the server's clock. Rows are sent in the table's sort order.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Iterable, Sequence

from runwatch.write import native
from runwatch.write.rows import HistogramRow, LogRow, MediaRow

HISTOGRAMS = "histograms"
RUN_LOGS = "run_logs"
MEDIA = "media"

HISTOGRAM_COLUMNS = ("event_time", "run_id", "host", "rank", "step", "metric", "edges",
                     "counts", "min", "max", "count", "sum", "nonfinite")
LOG_COLUMNS = ("event_time", "run_id", "host", "rank", "stream", "seq", "step", "line")
MEDIA_COLUMNS = ("event_time", "run_id", "host", "rank", "step", "key", "idx", "caption",
                 "mime", "width", "height", "data")

_U64 = struct.Struct("<Q")


def _millis(times: Iterable[float]) -> bytes:
    return array("q", (int(t * 1000.0) for t in times)).tobytes()


def _u64(values: Iterable[int]) -> bytes:
    return array("Q", values).tobytes()


def _u32(values: Iterable[int]) -> bytes:
    return array("I", values).tobytes()


def _f64(values: Iterable[float]) -> bytes:
    return array("d", values).tobytes()


def _lc(values: Sequence[str]) -> bytes:
    """A LowCardinality(String) column from per-row values (dictionary built here)."""
    dictionary: dict[str, int] = {}
    indexes = [dictionary.setdefault(v, len(dictionary)) for v in values]
    width = native.index_width(len(dictionary))
    code = {1: "B", 2: "H", 4: "I", 8: "Q"}[width]
    return native.low_cardinality_column(list(dictionary), array(code, indexes).tobytes(), width)


def _float_arrays(rows: Sequence[Sequence[float]]) -> bytes:
    """Array(Float64): the cumulative end offsets, then every element."""
    offsets = array("Q")
    flat = array("d")
    end = 0
    for values in rows:
        end += len(values)
        offsets.append(end)
        flat.extend(values)
    return offsets.tobytes() + flat.tobytes()


def _bytes_column(values: Iterable[bytes]) -> bytes:
    return b"".join(native.varint(len(v)) + v for v in values)


def _identity(run_id: str, host: str, rank: int, rows: int) -> list[tuple[str, str, bytes]]:
    return [
        ("run_id", "LowCardinality(String)", native.constant_low_cardinality(run_id, rows)),
        ("host", "LowCardinality(String)", native.constant_low_cardinality(host, rows)),
        ("rank", "UInt32", struct.pack("<I", rank) * rows),
    ]


def encode_histograms(rows: Sequence[HistogramRow], *, run_id: str, host: str, rank: int) -> bytes:
    rows = sorted(rows, key=lambda r: (r.metric, r.step))
    n = len(rows)
    hs = [r.histogram for r in rows]
    return native.block(n, [
        ("event_time", "DateTime64(3)", _millis(r.time for r in rows)),
        *_identity(run_id, host, rank, n),
        ("step", "UInt64", _u64(r.step for r in rows)),
        ("metric", "LowCardinality(String)", _lc([r.metric for r in rows])),
        ("edges", "Array(Float64)", _float_arrays([h.edges for h in hs])),
        ("counts", "Array(Float64)", _float_arrays([h.counts for h in hs])),
        ("min", "Float64", _f64(h.min for h in hs)),
        ("max", "Float64", _f64(h.max for h in hs)),
        ("count", "UInt64", _u64(h.count for h in hs)),
        ("sum", "Float64", _f64(h.sum for h in hs)),
        ("nonfinite", "UInt64", _u64(h.nonfinite for h in hs)),
    ])


def encode_logs(rows: Sequence[LogRow], *, run_id: str, host: str, rank: int) -> bytes:
    n = len(rows)
    return native.block(n, [
        ("event_time", "DateTime64(3)", _millis(r.time for r in rows)),
        *_identity(run_id, host, rank, n),
        ("stream", "LowCardinality(String)", _lc([r.stream for r in rows])),
        ("seq", "UInt64", _u64(r.seq for r in rows)),
        ("step", "UInt64", _u64(r.step for r in rows)),
        ("line", "String", native.string_column(r.line for r in rows)),
    ])


def encode_media(rows: Sequence[MediaRow], *, run_id: str, host: str, rank: int) -> bytes:
    n = len(rows)
    images = [r.image for r in rows]
    return native.block(n, [
        ("event_time", "DateTime64(3)", _millis(r.time for r in rows)),
        *_identity(run_id, host, rank, n),
        ("step", "UInt64", _u64(r.step for r in rows)),
        ("key", "LowCardinality(String)", _lc([r.key for r in rows])),
        ("idx", "UInt32", _u32(r.idx for r in rows)),
        ("caption", "String", native.string_column(i.caption for i in images)),
        ("mime", "LowCardinality(String)", _lc([i.mime for i in images])),
        ("width", "UInt32", _u32(i.width for i in images)),
        ("height", "UInt32", _u32(i.height for i in images)),
        ("data", "String", _bytes_column(i.data for i in images)),
    ])
