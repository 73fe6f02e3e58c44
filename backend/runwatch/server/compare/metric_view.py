"""GET /metrics/{run_id} with smoothing and/or another metric as x.

Smoothing runs on every raw point of the requested window, then the raw series is decimated
(LTTB, extremes and non-finite points kept) and `smoothed` is read at the kept indices: a
long run's smoothed curve is the smoothed signal, not a smoothed min/max envelope. Above
`smoothing_max_rows` points in the window the plain read is returned with `smoothed: false`
and the page smooths what it has (zooming in brings the window under the cap).

A live chart continues the filter with `tail_after` (the last step it holds): the filter
still runs over every raw point, and each series returns only its points from `from_step` on
(`replace: false`) — the new points and, before them, the ones whose smoothed value the new
points changed (a centred filter reaches `reach()` points to the right). The page drops what
it holds from `from_step` and appends: the line equals a full read, with no jump at the join.

The x metric is looked up in ClickHouse at the returned steps of each series (a join on
(run, step)); steps where it was not logged get NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from runwatch.server.compare import queries as cq
from runwatch.server.compare.smoothing import FloatArray, Smoothing, smooth
from runwatch.server.live.sse_encoding import series_json, values_json
from runwatch.server.query import metric_queries as mq
from runwatch.server.query.clients import ClientPool
from runwatch.server.query.decimate import lttb_indices
from runwatch.server.query.metric_reader import MetricRead, read_metric


@dataclass(frozen=True)
class ViewRead:
    read: MetricRead
    smoothed: bool


def read_view(pool: ClientPool, run_id: str, metric: str, window: mq.Window, max_points: int,
              raw_max_rows: int, smoothing: Smoothing | None, smoothing_max_rows: int,
              x_metric: str | None, tail_after: int | None = None) -> ViewRead:
    view = None
    if smoothing is not None:
        n = int(pool.query(*mq.metric_extent(run_id, metric, window)).result_rows[0][0])
        if n <= smoothing_max_rows:
            view = ViewRead(MetricRead("raw", _smoothed(pool, run_id, metric, window, max_points,
                                                        n, smoothing, tail_after)), True)
    if view is None:
        view = ViewRead(read_metric(pool, run_id, metric, window, max_points, raw_max_rows), False)
    if x_metric is not None:
        series = [_with_x(pool, run_id, x_metric, s) for s in view.read.series]
        view = ViewRead(MetricRead(view.read.source, series), view.smoothed)
    return view


def reach(s: Smoothing) -> int:
    """How many points before a series' end an appended point can change: 0 for the causal
    EMA; the right half-window of SMA and Savitzky–Golay; the Gaussian's truncated radius."""
    if s.kind == "ema":
        return 0
    if s.kind == "gaussian":
        return int(4.0 * s.sigma + 0.5)
    return s.window // 2


def _first_changed(held: FloatArray, reach: int) -> int:
    """The index of the first held point whose smoothed value new points can change: the
    filters count finite points only, so `reach` finite points back (a NaN between them is
    carried from one of those)."""
    finite = np.flatnonzero(np.isfinite(held))
    k = finite.size - reach
    if k >= finite.size:
        return held.size
    return int(finite[k]) if k > 0 else 0


def _smoothed(pool: ClientPool, run_id: str, metric: str, window: mq.Window, max_points: int,
              n: int, smoothing: Smoothing, tail_after: int | None = None) -> list[bytes]:
    if n == 0:
        return []
    points_q, keys_q = cq.raw_numeric(run_id, metric, window)
    rows = pool.query_np(*points_q)
    keys = {int(k[0]): k[1:] for k in pool.query(*keys_q).result_rows}
    sid = rows["sid"]
    starts = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]]) if len(rows) else np.empty(0, np.int64)
    stops = np.r_[starts[1:], len(rows)]
    out = []
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        host, rank, device, unit = keys[int(sid[start])]
        part = rows[start:stop]
        value = np.ascontiguousarray(part["value"], dtype=np.float64)
        smoothed = smooth(value, smoothing)
        first = 0
        if tail_after is not None:
            held = int(np.searchsorted(part["step"], tail_after, side="right"))
            first = _first_changed(value[:held], reach(smoothing))
        keep = first + lttb_indices(value[first:], max_points)
        encoded = series_json(
            run_id=run_id, metric=metric, host=str(host), rank=int(rank), device=int(device),
            unit=str(unit), step=part["step"][keep].astype(np.int64),
            time=part["t"][keep].astype(np.int64), value=value[keep], replace=tail_after is None,
            extra={"smoothed": smoothed[keep]},
        )
        if tail_after is not None:
            head = encoded[: encoded.rindex(b',"replace":')]
            from_step = int(part["step"][first]) if first < len(part) else tail_after + 1
            encoded = head + b',"from_step":' + str(from_step).encode() + encoded[len(head):]
        out.append(encoded)
    return out


def _with_x(pool: ClientPool, run_id: str, x_metric: str, encoded: bytes) -> bytes:
    series = orjson.loads(encoded)
    steps = [int(s) for s in series["step"]]
    found = dict(pool.query(*cq.x_values(run_id, x_metric, sorted(set(steps)))).result_rows) if steps else {}
    x = np.array([found.get(s, np.nan) for s in steps], dtype=np.float64)
    head = encoded[: encoded.rindex(b',"replace":')]
    return head + b',"x":' + values_json(x) + encoded[len(head):]
