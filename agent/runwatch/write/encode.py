"""Buffered chunks and run metadata as Native insert bodies for `metric_points` and `runs`.

Column names and types are the ones in sql/001_metric_points.sql and sql/002_runs.sql; the
insert names its columns explicitly, and `ingested_at` is left to the server's clock.
"""

from __future__ import annotations

import struct
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby, repeat
from operator import mul
from typing import Any

from runwatch.write import native
from runwatch.write.buffer import Chunk
from runwatch.write.registry import MetricRegistry

METRIC_POINTS = "metric_points"
RUNS = "runs"

METRIC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("event_time", "DateTime64(3)"),
    ("run_id", "LowCardinality(String)"),
    ("host", "LowCardinality(String)"),
    ("rank", "UInt32"),
    ("device", "UInt16"),
    ("step", "UInt64"),
    ("metric", "LowCardinality(String)"),
    ("value", "Float64"),
    ("unit", "LowCardinality(String)"),
    ("tags_json", "String"),
)

RUN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("run_id", "String"),
    ("project", "LowCardinality(String)"),
    ("name", "String"),
    ("config_json", "String"),
    ("tags", "Array(String)"),
    ("host", "String"),
    ("user", "String"),
    ("git_commit", "String"),
    ("git_dirty", "UInt8"),
    ("env_json", "String"),
    ("status", "LowCardinality(String)"),
    ("started_at", "DateTime64(3)"),
    ("finished_at", "Nullable(DateTime64(3))"),
    ("updated_at", "DateTime64(3)"),
    ("heartbeat_at", "Nullable(DateTime64(3))"),
    ("failure_reason", "LowCardinality(String)"),
    ("failure_type", "String"),
    ("failure_message", "String"),
)
# The column lists an INSERT names, in the order the encoders write them.
METRIC_COLUMN_NAMES = tuple(name for name, _ in METRIC_COLUMNS)
RUN_COLUMN_NAMES = tuple(name for name, _ in RUN_COLUMNS)

_PACK_U32 = struct.Struct("<I").pack
_PACK_U16 = struct.Struct("<H").pack


class PointEncoder:
    """Encodes chunks of one process's points as one metric_points block, close to the
    table's sort order: by metric name, then device, then step as logged (a metric logged in
    two different key sets comes as two runs of steps; ClickHouse finishes the sort).

    The buffer holds points step-major (one call's values side by side); the table is sorted
    metric-major. Sending the rows already in `ORDER BY` order lets ClickHouse skip most of
    its sort on insert and compress the step/time columns better. The transposition is a
    strided array slice per metric (C speed); calls are grouped by schema first when a chunk
    mixes key sets.
    """

    def __init__(self, registry: MetricRegistry, *, run_id: str, host: str, rank: int) -> None:
        self.registry = registry
        self.run_id = run_id
        self.host = host
        self.rank = rank

    def encode(self, chunks: Sequence[Chunk]) -> tuple[bytes, int]:
        """(Native block, rows). Call only after the chunks were taken from the buffer."""
        registry = self.registry
        names = registry.names[:]
        units = registry.units[: len(names)]
        segments: dict[int, list[_Segment]] = {}
        for chunk in chunks:
            if chunk.sids:
                self._split(chunk, segments)
        width = native.index_width(len(names))
        rows = 0
        values: list[Any] = []
        steps: list[bytes] = []
        times: list[bytes] = []
        metrics: list[bytes] = []
        devices: list[bytes] = []
        tags: list[tuple[int, str]] = []
        for metric in sorted(segments, key=names.__getitem__):
            parts = segments[metric]
            if len(parts) > 1:
                parts.sort(key=_device_of)  # stable: chunk order within a device
            index = metric.to_bytes(width, "little")
            for device, column, step_bytes, time_bytes, count, segment_tags in parts:
                values.append(column)
                steps.append(step_bytes)
                times.append(time_bytes)
                metrics.append(index * count)
                devices.append(_PACK_U16(device) * count)
                tags += ((rows + row, text) for row, text in segment_tags)
                rows += count
        metric_index = b"".join(metrics)
        body = native.block(
            rows,
            [
                ("event_time", "DateTime64(3)", b"".join(times)),
                ("run_id", "LowCardinality(String)", native.constant_low_cardinality(self.run_id, rows)),
                ("host", "LowCardinality(String)", native.constant_low_cardinality(self.host, rows)),
                ("rank", "UInt32", _PACK_U32(self.rank) * rows),
                ("device", "UInt16", b"".join(devices)),
                ("step", "UInt64", b"".join(steps)),
                ("metric", "LowCardinality(String)", native.low_cardinality_column(names, metric_index, width)),
                ("value", "Float64", b"".join(values)),
                # One unit per metric name: the unit dictionary is aligned with the names, so
                # the metric indexes serve as the unit indexes too.
                ("unit", "LowCardinality(String)", native.low_cardinality_column(units, metric_index, width)),
                ("tags_json", "String", sparse_string_column(rows, tags)),
            ],
        )
        return body, rows

    def _split(self, chunk: Chunk, segments: dict[int, list[_Segment]]) -> None:
        """Add one segment per (schema, metric) of `chunk` to `segments`."""
        schemas = self.registry.schemas
        sids = chunk.sids
        millis = array("q", map(int, map(mul, chunk.times, repeat(1000.0))))
        first = sids[0]
        if not chunk.tags and sids.count(first) == len(sids):  # the common case: one key set
            groups: list[tuple[int, array[float], array[int], array[int], list[int]]] = [
                (first, chunk.values, chunk.steps, millis, [])
            ]
        else:
            groups = self._group(chunk, millis)
        tags = dict(chunk.tags)
        for sid, values, steps, times, offsets in groups:
            schema = schemas[sid]
            size = schema.size
            step_bytes, time_bytes, count = steps.tobytes(), times.tobytes(), len(steps)
            for position, metric in enumerate(schema.ids):
                column = values if size == 1 else values[position::size]
                segment_tags = (
                    [(row, tags[o + position]) for row, o in enumerate(offsets) if o + position in tags]
                    if tags else []
                )
                segments.setdefault(metric, []).append(
                    (schema.device, column, step_bytes, time_bytes, count, segment_tags)
                )

    def _group(
        self, chunk: Chunk, millis: array[int]
    ) -> list[tuple[int, array[float], array[int], array[int], list[int]]]:
        """Calls of a mixed chunk, grouped by schema: (sid, values, steps, times, offsets of
        the calls' first values, the latter only when the chunk has tags). Consecutive calls
        of one schema are one slice, so the cost grows with the number of key-set changes."""
        sizes = self.registry.sizes
        want_offsets = bool(chunk.tags)
        parts: dict[int, tuple[list[Any], list[Any], list[Any], list[int]]] = {}
        call = point = 0
        for sid, run in groupby(chunk.sids):
            count = len(list(run))
            end = point + sizes[sid] * count
            group = parts.get(sid)
            if group is None:
                group = parts[sid] = ([], [], [], [])
            group[0].append(chunk.values[point:end])
            group[1].append(chunk.steps[call : call + count])
            group[2].append(millis[call : call + count])
            if want_offsets:
                group[3].extend(range(point, end, sizes[sid]))
            call += count
            point = end
        return [
            (sid, _joined("d", values), _joined("Q", steps), _joined("q", times), offsets)
            for sid, (values, steps, times, offsets) in parts.items()
        ]


def _joined(code: str, pieces: list[Any]) -> Any:
    if len(pieces) == 1:
        return pieces[0]
    joined = array(code)
    joined.frombytes(b"".join(pieces))
    return joined


_Segment = tuple[int, Any, bytes, bytes, int, list[tuple[int, str]]]


def _device_of(segment: _Segment) -> int:
    return segment[0]


def sparse_string_column(rows: int, values: list[tuple[int, str]]) -> bytes:
    """A String column of `rows` empty strings except at the given row indexes."""
    if not values:
        return bytes(rows)  # an empty String is its zero length byte
    parts: list[bytes] = []
    position = 0
    for row, text in sorted(values):
        parts += (bytes(row - position), native.string(text))
        position = row + 1
    parts.append(bytes(rows - position))
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class RunRow:
    run_id: str
    project: str
    name: str
    config_json: str
    tags: tuple[str, ...]
    host: str
    user: str
    git_commit: str
    git_dirty: bool
    env_json: str
    status: str
    started_at_ms: int
    finished_at_ms: int | None
    updated_at_ms: int
    heartbeat_at_ms: int | None = None
    failure_reason: str = ""  # '' | exception | oom | keyboard_interrupt | signal | exit_code
    failure_type: str = ""
    failure_message: str = ""


def encode_run_rows(rows: Sequence[RunRow]) -> bytes:
    def strings(attr: str) -> bytes:
        return native.string_column(getattr(row, attr) for row in rows)

    def low_cardinality(attr: str) -> bytes:
        values = [getattr(row, attr) for row in rows]
        return native.low_cardinality_column(values, bytes(range(len(values))), 1)

    assert len(rows) <= 256
    data = {
        "run_id": strings("run_id"),
        "project": low_cardinality("project"),
        "name": strings("name"),
        "config_json": strings("config_json"),
        "tags": native.array_of_strings_column([row.tags for row in rows]),
        "host": strings("host"),
        "user": strings("user"),
        "git_commit": strings("git_commit"),
        "git_dirty": bytes(int(row.git_dirty) for row in rows),
        "env_json": strings("env_json"),
        "status": low_cardinality("status"),
        "started_at": native.datetime64_ms_column([row.started_at_ms for row in rows]),
        "finished_at": native.nullable_datetime64_ms_column([row.finished_at_ms for row in rows]),
        "updated_at": native.datetime64_ms_column([row.updated_at_ms for row in rows]),
        "heartbeat_at": native.nullable_datetime64_ms_column([row.heartbeat_at_ms for row in rows]),
        "failure_reason": low_cardinality("failure_reason"),
        "failure_type": strings("failure_type"),
        "failure_message": strings("failure_message"),
    }
    return native.block(len(rows), [(name, kind, data[name]) for name, kind in RUN_COLUMNS])
