"""One metric of one run at the resolution a chart can show (GET /metrics/{run_id}).

Which source, decided by how many raw points the window holds (one count() with the same
WHERE, cheap: the primary key starts with run_id, metric):

- up to `raw_max_rows`: the raw points, LTTB'd per series to `max_points` (extremes, NaN and
  Inf kept: runwatch.server.query.decimate) — a zoomed chart shows real points;
- more, over a window of many minutes: the per-minute rollup (`metric_rollup_1m`), whose cost
  grows with minutes, not points; value = the minute's last value, plus "min" and "max" arrays
  so a band keeps every spike;
- more, over few minutes (a fast run): raw points reduced on the server to min/max per step
  bucket, so the rows never cross the wire.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from runwatch.server.live.events import series_change_json
from runwatch.server.live.ingest import bucket_points, iter_groups
from runwatch.server.live.series import Points, SeriesKey
from runwatch.server.live.sse_encoding import series_json
from runwatch.server.query import metric_queries as queries
from runwatch.server.query.clients import ClientPool
from runwatch.server.query.decimate import lttb_indices

Source = Literal["raw", "rollup_1m"]


@dataclass(frozen=True)
class MetricRead:
    source: Source
    series: list[bytes]  # encoded Series objects


def read_metric(pool: ClientPool, run_id: str, metric: str, window: queries.Window,
                max_points: int, raw_max_rows: int) -> MetricRead:
    extent = pool.query(*queries.metric_extent(run_id, metric, window))
    n, lo_step, hi_step, minutes, _unit = extent.result_rows[0]
    if n == 0:
        return MetricRead("raw", [])
    if n <= raw_max_rows:
        return MetricRead("raw", _raw(pool, run_id, metric, window, max_points, raw_max_rows))
    if minutes >= max_points // 4:
        return MetricRead("rollup_1m", _rollup(pool, run_id, metric, window, max_points))
    width = max(1, math.ceil((int(hi_step) - int(lo_step) + 1) / max(1, max_points // 2)))
    return MetricRead("raw", _server_buckets(pool, run_id, metric, window, max_points,
                                             int(lo_step), width))


def _decimated(key: SeriesKey, unit: str, points: Points, max_points: int) -> bytes:
    keep = lttb_indices(points.value, max_points)
    if keep.size < len(points):
        points = Points.of(points.step[keep], points.time[keep], points.value[keep])
    return series_change_json(key, unit, points, replace=True)


def _raw(pool: ClientPool, run_id: str, metric: str, window: queries.Window, max_points: int,
         limit: int) -> list[bytes]:
    rows = pool.query_np(*queries.metric_raw(run_id, metric, window, limit))
    out = []
    for key, start, stop in iter_groups(rows):
        part = rows[start:stop]
        points = Points.of(part["step"], part["t"], part["value"])
        out.append(_decimated(key, str(part["unit"][-1]), points, max_points))
    return out


def _server_buckets(pool: ClientPool, run_id: str, metric: str, window: queries.Window,
                    max_points: int, lo_step: int, width: int) -> list[bytes]:
    rows = pool.query_np(*queries.metric_buckets(run_id, metric, window, lo_step, width))
    out = []
    for key, start, stop in iter_groups(rows):
        part = rows[start:stop]
        points, _ = bucket_points(part)
        out.append(_decimated(key, str(part["unit"][0]), points, max_points))
    return out


def _rollup(pool: ClientPool, run_id: str, metric: str, window: queries.Window,
            max_points: int) -> list[bytes]:
    rows = pool.query_np(*queries.metric_rollup(run_id, metric, window))
    unit_rows = pool.query(*queries.metric_unit(run_id, metric)).result_rows
    unit = str(unit_rows[0][0]) if unit_rows else ""
    out = []
    for key, start, stop in iter_groups(rows):
        part = rows[start:stop]
        out.append(_rollup_series(key, unit, part, max_points))
    return out


def _rollup_series(key: SeriesKey, unit: str, part: Any, max_points: int) -> bytes:
    """Minutes merged k at a time when there are more than `max_points` of them."""
    n = len(part)
    k = max(1, math.ceil(n / max_points))
    starts = np.arange(0, n, k)
    stops = np.r_[starts[1:], n] - 1
    lo = np.fmin.reduceat(part["lo"].astype(np.float64), starts)
    hi = np.fmax.reduceat(part["hi"].astype(np.float64), starts)
    return series_json(
        run_id=key.run_id, metric=key.metric, host=key.host, rank=key.rank, device=key.device,
        unit=unit,
        step=part["max_step"][stops].astype(np.int64),
        time=part["t"][starts].astype(np.int64),
        value=part["last"][stops].astype(np.float64),
        replace=True,
        extra={"min": lo, "max": hi},
    )
