"""Decimation that never hides what matters: extremes, NaN and Inf survive.

Two tools, for two jobs:

- `lttb_indices`: one-shot reduction of a series to at most `n_out` points (REST reads of raw
  rows). MinMaxLTTB from tsdownsample picks the visually important points; on top of that the
  global minimum and maximum, the first and last point, and the first non-finite point of each
  kind (NaN, +Inf, -Inf) per bin are always kept. LTTB alone would draw a NaN as nothing and
  may skip a one-step spike whose neighbours make a small triangle.
- `minmax_keep`: the rule of the live cache's frozen buckets (see backend/runwatch/server/live/cache.py). A bucket
  keeps its minimum, its maximum and its first NaN. Unlike LTTB, whose choice in one bucket
  depends on the next, a bucket's points depend on the bucket alone, so history that is already
  drawn stays put; and min/max of merged buckets are the min/max of their points, so a global
  extreme survives any number of merges.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_MIN_LTTB_OUT = 3


def lttb_indices(y: FloatArray, n_out: int, x: npt.NDArray[np.generic] | None = None) -> IntArray:
    """Sorted indices of at most `n_out` points of `y` to draw (all of them if there are few).

    `x`, when given, must be non-decreasing (steps or times); without it points are assumed
    evenly spaced. Non-finite values are kept as points of their own, never interpolated.
    """
    n = int(y.shape[0])
    if n <= n_out:
        return np.arange(n, dtype=np.int64)
    if n_out < 2:
        raise ValueError(f"n_out must be >= 2, got {n_out}")
    y = np.ascontiguousarray(y, dtype=np.float64)
    finite = np.isfinite(y)
    bad = np.empty(0, dtype=np.int64) if finite.all() else np.flatnonzero(~finite)
    clean = _fill(y, bad) if bad.size else y
    forced = _forced_indices(y, clean, bad, n_out)
    budget = n_out - forced.size
    if budget < _MIN_LTTB_OUT:
        return forced[:n_out]
    picked = _lttb(clean, budget, x)
    keep = np.union1d(picked.astype(np.int64, copy=False), forced)
    if keep.size > n_out:  # forced points not among the LTTB picks: drop surplus picks
        drop = np.setdiff1d(keep, forced)[: keep.size - n_out]
        keep = np.setdiff1d(keep, drop)
    return keep


def _lttb(y: FloatArray, n_out: int, x: npt.NDArray[np.generic] | None) -> npt.NDArray[np.integer]:
    from tsdownsample import LTTBDownsampler, MinMaxLTTBDownsampler

    args = (y,) if x is None else (np.ascontiguousarray(x), y)
    # MinMaxLTTB preselects min/max points 4 per output bin: it needs enough input to do so.
    if y.shape[0] > 8 * n_out:
        result: npt.NDArray[np.integer] = MinMaxLTTBDownsampler().downsample(  # type: ignore[no-untyped-call]
            *args, n_out=n_out)
    else:
        result = LTTBDownsampler().downsample(*args, n_out=n_out)  # type: ignore[no-untyped-call]
    return result


def _fill(y: FloatArray, bad: IntArray) -> FloatArray:
    """`y` with the non-finite points at `bad` set to the previous finite value (or the next
    one, before the first finite value; zeros when there is none): LTTB needs finite input."""
    if bad.size == y.shape[0]:
        return np.zeros_like(y)
    run_start = np.r_[True, np.diff(bad) != 1]
    source = np.maximum.accumulate(np.where(run_start, bad, 0)) - 1
    if source[0] < 0:  # a leading run: take the first finite value after it
        leading = source < 0
        first_finite = int(bad[leading][-1]) + 1
        source[leading] = first_finite
    clean = y.copy()
    clean[bad] = y[source]
    return clean


def _forced_indices(y: FloatArray, clean: FloatArray, bad: IntArray, n_out: int) -> IntArray:
    """First, last, the finite argmin/argmax, and per bin the first NaN, +Inf and -Inf."""
    n = y.shape[0]
    extremes = [int(np.argmin(clean)), int(np.argmax(clean))]
    if bad.size:
        # A filled point ties with the finite point it copies, which comes first, except in
        # a leading run of non-finite values: step over it to the finite point itself.
        is_bad = np.zeros(n, dtype=np.bool_)
        is_bad[bad] = True
        extremes = [i if not is_bad[i] else int(np.argmax(~is_bad)) for i in extremes]
    forced = [np.array([0, n - 1, *extremes], dtype=np.int64)]
    if bad.size:
        bins = max(1, n_out // 8)
        values = y[bad]
        for kind in (np.isnan(values), values == np.inf, values == -np.inf):
            where = bad[kind]
            if where.size:
                _, first = np.unique(where * bins // n, return_index=True)
                forced.append(where[first].astype(np.int64))
    return np.unique(np.concatenate(forced))


def minmax_keep(bucket_ids: IntArray, values: FloatArray) -> npt.NDArray[np.bool_]:
    """Which points a frozen bucket keeps: its min, its max and its first NaN.

    `bucket_ids` is non-decreasing (points are in series order). ±Inf take part in min/max
    (they are the extremes); NaN does not, and the first NaN of each bucket is kept instead.
    Ties go to the earliest point, so the result depends only on the bucket's own points.
    """
    n = values.shape[0]
    keep = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return keep
    starts = np.flatnonzero(np.r_[True, bucket_ids[1:] != bucket_ids[:-1]])
    position = np.arange(n)
    nan = np.isnan(values)
    lo = np.lexsort((position, np.where(nan, np.inf, values), bucket_ids))[starts]
    hi = np.lexsort((position, -np.where(nan, -np.inf, values), bucket_ids))[starts]
    keep[lo[~nan[lo]]] = True
    keep[hi[~nan[hi]]] = True
    nan_at = np.flatnonzero(nan)
    if nan_at.size:
        _, first = np.unique(bucket_ids[nan_at], return_index=True)
        keep[nan_at[first]] = True
    return keep
