"""Smoothing filters over the raw points of a series, computed before decimation. Pure.

Every filter runs over the finite points only, in index order (points, not steps, as
TensorBoard and W&B do): a NaN or Inf is drawn as a marker by the chart and must not poison
the line. At a non-finite point `smoothed` carries the line on (the last smoothed value,
the first one before any), so the smoothed array has the raw array's length.

- ema: TensorBoard's de-biased exponential moving average, `weight` in [0, 1): last =
  last * w + (1 - w) * y, smoothed = last / (1 - w^k) at the k-th finite point.
- sma: centred mean of `window` points (at the edges, of those that exist).
- gaussian: `sigma` points, kernel truncated at 4 sigma, edges padded with the edge value
  (scipy.ndimage.gaussian_filter1d, mode="nearest").
- savgol: Savitzky–Golay of `window` points and polynomial `order`; the edges fit the
  polynomial to the first/last window (scipy.signal.savgol_filter, mode="interp").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Kind = Literal["ema", "sma", "gaussian", "savgol"]
KINDS: tuple[Kind, ...] = ("ema", "sma", "gaussian", "savgol")


@dataclass(frozen=True)
class Smoothing:
    kind: Kind
    weight: float = 0.6
    window: int = 21
    sigma: float = 5.0
    order: int = 3

    def describe(self) -> dict[str, float | int | str]:
        params: dict[str, float | int | str] = {"kind": self.kind}
        if self.kind == "ema":
            params["weight"] = self.weight
        elif self.kind == "sma":
            params["window"] = self.window
        elif self.kind == "gaussian":
            params["sigma"] = self.sigma
        else:
            params |= {"window": self.window, "order": self.order}
        return params


def validate(s: Smoothing) -> str | None:
    """Why these parameters are unusable, or None."""
    if s.kind == "ema" and not 0.0 <= s.weight < 1.0:
        return "weight must be in [0, 1)"
    if s.kind in ("sma", "savgol") and not 1 <= s.window <= 100_001:
        return "window must be in 1..100001 points"
    if s.kind == "gaussian" and not 0.0 < s.sigma <= 10_000:
        return "sigma must be in (0, 10000] points"
    if s.kind == "savgol" and not 0 <= s.order < s.window:
        return "order must be in 0..window-1"
    if s.kind == "savgol" and s.window % 2 == 0:
        return "window must be odd for savgol"
    return None


def smooth(values: FloatArray, s: Smoothing) -> FloatArray:
    y = np.ascontiguousarray(values, dtype=np.float64)
    finite = np.isfinite(y)
    if finite.all():
        return _apply(y, s)
    out = np.full(y.shape, np.nan)
    idx = np.flatnonzero(finite)
    if idx.size == 0:
        return out
    out[idx] = _apply(y[idx], s)
    # Carry the line over the non-finite points: the index of the last finite point at or
    # before each position (the first finite one before any).
    carry = np.maximum.accumulate(np.where(finite, np.arange(y.size), -1))
    carry[carry < 0] = idx[0]
    return out[carry]


def _apply(y: FloatArray, s: Smoothing) -> FloatArray:
    if y.size == 0:
        return y.copy()
    if s.kind == "ema":
        return ema(y, s.weight)
    if s.kind == "sma":
        return sma(y, s.window)
    if s.kind == "gaussian":
        from scipy.ndimage import gaussian_filter1d

        return np.asarray(gaussian_filter1d(y, s.sigma, mode="nearest", truncate=4.0))
    return savgol(y, s.window, s.order)


def ema(y: FloatArray, weight: float) -> FloatArray:
    from scipy.signal import lfilter

    if weight == 0.0:
        return y.copy()
    last = lfilter([1.0 - weight], [1.0, -weight], y)
    debias = -np.expm1(np.arange(1, y.size + 1) * np.log(weight))  # 1 - w^k, exact near 0
    return np.asarray(last / debias)


def sma(y: FloatArray, window: int) -> FloatArray:
    n = y.size
    left, right = (window - 1) // 2, window // 2
    # Sums of a shifted series: cumulative sums of values near zero lose less precision.
    shift = float(np.median(y))
    c = np.concatenate(([0.0], np.cumsum(y - shift)))
    i = np.arange(n)
    lo = np.maximum(i - left, 0)
    hi = np.minimum(i + right + 1, n)
    return np.asarray((c[hi] - c[lo]) / (hi - lo) + shift)


def savgol(y: FloatArray, window: int, order: int) -> FloatArray:
    from scipy.signal import savgol_filter

    n = y.size
    if window > n:  # a short window of the chart: the widest odd window that fits
        window = n if n % 2 else n - 1
    if window <= order:
        return y.copy()
    return np.asarray(savgol_filter(y, window, order, mode="interp"))
