"""Wire encoding: JSON bodies and Server-Sent Events frames, as bytes. Pure, no I/O.

JSON has no NaN or Infinity. A NaN loss is news, so non-finite numbers travel as the strings
"NaN", "Infinity" and "-Infinity" — on purpose, here, never left to a JSON library (the
standard library writes the invalid token `NaN`, orjson writes `null`, which would draw a NaN
as a gap). Finite float arrays go through orjson's numpy path, the fast case that snapshots of
millions of points depend on.

A frame is `id: <version>`, `event: <name>`, one `data:` line and a blank line; orjson never
writes a raw newline, so the body always fits on one `data:` line.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

NAN = "NaN"
POS_INF = "Infinity"
NEG_INF = "-Infinity"

_NUMPY = orjson.OPT_SERIALIZE_NUMPY


def float_label(value: float) -> float | str:
    """A float as JSON can carry it: itself when finite, else its string name."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return NAN
    return POS_INF if value > 0 else NEG_INF


def values_json(values: npt.NDArray[np.float64]) -> bytes:
    """A JSON array of numbers, with the non-finite ones as strings."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    finite = np.isfinite(values)
    if finite.all():
        return orjson.dumps(values, option=_NUMPY)
    items: list[float | str] = values.tolist()
    for i in np.flatnonzero(~finite).tolist():
        items[i] = float_label(values[i])
    return orjson.dumps(items)


def sanitize(value: Any) -> Any:
    """`value` with every non-finite float (at any depth) replaced by its string name."""
    if isinstance(value, float):
        return float_label(value)
    if isinstance(value, Mapping):
        return {str(k): sanitize(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [sanitize(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """JSON for plain Python data (dicts, lists, str, numbers) with non-finite floats named."""
    return orjson.dumps(sanitize(value))


def series_json(
    *,
    run_id: str,
    metric: str,
    host: str,
    rank: int,
    device: int,
    unit: str,
    step: npt.NDArray[np.int64],
    time: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
    replace: bool,
    extra: Mapping[str, npt.NDArray[np.float64]] | None = None,
) -> bytes:
    """One Series object: `{"run_id", ..., "step", "time", "value", "replace"}`.

    `extra` adds more float arrays (the rollup's "min" and "max") after "value".
    """
    head = orjson.dumps(
        {"run_id": run_id, "metric": metric, "host": host, "rank": int(rank),
         "device": int(device), "unit": unit}
    )
    parts = [
        head[:-1],
        b',"step":', orjson.dumps(np.ascontiguousarray(step, dtype=np.int64), option=_NUMPY),
        b',"time":', orjson.dumps(np.ascontiguousarray(time, dtype=np.int64), option=_NUMPY),
        b',"value":', values_json(value),
    ]
    for name, array in (extra or {}).items():
        parts += [b',', orjson.dumps(name), b':', values_json(array)]
    parts.append(b',"replace":true}' if replace else b',"replace":false}')
    return b"".join(parts)


def json_array(items: Iterable[bytes]) -> bytes:
    """Already-encoded JSON values joined into one array."""
    return b"[" + b",".join(items) + b"]"


def snapshot_json(version: int, max_points: int, runs: bytes, series: Iterable[bytes]) -> bytes:
    """`{"version", "max_points", "runs", "series"}` from an encoded runs array and series."""
    return b"".join((
        b'{"version":', str(int(version)).encode(),
        b',"max_points":', str(int(max_points)).encode(),
        b',"runs":', runs,
        b',"series":', json_array(series), b"}",
    ))


def delta_json(version: int, prev_version: int, series: Iterable[bytes]) -> bytes:
    """`{"version", "prev_version", "series"}`."""
    return b"".join((
        b'{"version":', str(int(version)).encode(),
        b',"prev_version":', str(int(prev_version)).encode(),
        b',"series":', json_array(series), b"}",
    ))


def runs_meta_json(version: int, runs: bytes) -> bytes:
    """`{"version", "runs"}` from an encoded runs array."""
    return b'{"version":' + str(int(version)).encode() + b',"runs":' + runs + b"}"


def frame(event: str, data: bytes, *, id: int | None = None, retry_ms: int | None = None) -> bytes:
    """One SSE frame. `data` must be a single line (all JSON made here is)."""
    if b"\n" in data or b"\r" in data:
        raise ValueError("SSE data must be a single line")
    if "\n" in event or "\r" in event:
        raise ValueError("SSE event name must be a single line")
    lines = []
    if retry_ms is not None:
        lines.append(b"retry: %d\n" % retry_ms)
    if id is not None:
        lines.append(b"id: %d\n" % id)
    lines.append(b"event: " + event.encode() + b"\n")
    lines.append(b"data: " + data + b"\n\n")
    return b"".join(lines)


def comment(text: str) -> bytes:
    """An SSE comment (ignored by EventSource; keeps proxies from closing an idle stream)."""
    return b"".join(b": " + line.encode() + b"\n" for line in text.splitlines() or [""]) + b"\n"
