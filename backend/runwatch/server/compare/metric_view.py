"""GET /metrics/{run_id} with smoothing and/or another metric as x.

Smoothing runs on every raw point of the requested window, then the raw series is decimated
(LTTB, extremes and non-finite points kept) and `smoothed` is read at the kept indices: a
long run's smoothed curve is the smoothed signal, not a smoothed min/max envelope. Above
`smoothing_max_rows` points in the window the plain read is returned with `smoothed: false`
and the page smooths what it has (zooming in brings the window under the cap).

The x metric is looked up in ClickHouse at the returned steps of each series (a join on
(run, step)); steps where it was not logged get NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import orjson

from runwatch.server.compare import queries as cq
from runwatch.server.compare.smoothing import Smoothing, smooth
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
              x_metric: str | None) -> ViewRead:
    view = None
    if smoothing is not None:
        n = int(pool.query(*mq.metric_extent(run_id, metric, window)).result_rows[0][0])
        if n <= smoothing_max_rows:
            view = ViewRead(MetricRead("raw", _smoothed(pool, run_id, metric, window, max_points,
                                                        n, smoothing)), True)
    if view is None:
        view = ViewRead(read_metric(pool, run_id, metric, window, max_points, raw_max_rows), False)
    if x_metric is not None:
        series = [_with_x(pool, run_id, x_metric, s) for s in view.read.series]
        view = ViewRead(MetricRead(view.read.source, series), view.smoothed)
    return view


def _smoothed(pool: ClientPool, run_id: str, metric: str, window: mq.Window, max_points: int,
              n: int, smoothing: Smoothing) -> list[bytes]:
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
        keep = lttb_indices(value, max_points)
        out.append(series_json(
            run_id=run_id, metric=metric, host=str(host), rank=int(rank), device=int(device),
            unit=str(unit), step=part["step"][keep].astype(np.int64),
            time=part["t"][keep].astype(np.int64), value=value[keep], replace=True,
            extra={"smoothed": smoothed[keep]},
        ))
    return out


def _with_x(pool: ClientPool, run_id: str, x_metric: str, encoded: bytes) -> bytes:
    series = orjson.loads(encoded)
    steps = [int(s) for s in series["step"]]
    found = dict(pool.query(*cq.x_values(run_id, x_metric, sorted(set(steps)))).result_rows) if steps else {}
    x = np.array([found.get(s, np.nan) for s in steps], dtype=np.float64)
    head = encoded[: encoded.rindex(b',"replace":')]
    return head + b',"x":' + values_json(x) + encoded[len(head):]
