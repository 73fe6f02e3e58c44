"""`Histogram`: a distribution to log, binned where it is made (in the training process).

    run.log({"grad/layer1": runwatch.Histogram(param.grad, bins=64)}, step=step)

The values are binned when the Histogram is constructed, so what crosses the agent's buffer is
~64 counts, not the tensor. Binning follows `numpy.histogram` exactly: `bins` equal bins over
[min, max] of the finite values (edges `lo + i * (hi - lo) / bins`, the last edge `hi`; a
constant input gets [v - 0.5, v + 0.5]; an empty one [0, 1]), each bin half-open but the last.
NaN and ±Inf are left out of the bins and counted in `nonfinite`.

- numpy arrays go through `numpy.histogram` (numpy is imported only when one is passed: it is
  not an agent dependency);
- torch CPU tensors are viewed as numpy arrays (no copy) and binned by numpy;
- other torch tensors (CUDA, MPS...) are binned on their own device in float64 (`bucketize` against the same edges
  numpy would use, `index_add_` into the counts) and come to the host as one small tensor: the
  single device sync the call needs, however many elements the tensor has;
- lists and tuples are binned in Python (`bisect` on the edges).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

MAX_BINS = 10_000


class HistogramError(ValueError):
    """The values or counts cannot make a histogram."""


class Histogram:
    __slots__ = ("count", "counts", "edges", "max", "min", "nonfinite", "sum")

    def __init__(self, values: Any, bins: int = 64) -> None:
        if isinstance(bins, bool) or not isinstance(bins, int) or not 1 <= bins <= MAX_BINS:
            raise HistogramError(f"bins must be an integer in [1, {MAX_BINS}], got {bins!r}")
        binned = _bin(values, bins)
        self.counts: list[float] = binned[0]
        self.edges: list[float] = binned[1]
        self.min: float = binned[2]
        self.max: float = binned[3]
        self.count: int = binned[4]
        self.sum: float = binned[5]
        self.nonfinite: int = binned[6]

    @classmethod
    def from_counts(cls, counts: Any, edges: Any) -> Histogram:
        """A histogram binned elsewhere: len(edges) == len(counts) + 1, edges finite and
        non-decreasing, counts finite and >= 0. min/max are the outer edges; sum is estimated
        from the bin centres."""
        counts_list = [float(c) for c in _as_list(counts)]
        edges_list = [float(e) for e in _as_list(edges)]
        if not counts_list or len(counts_list) > MAX_BINS:
            raise HistogramError(f"a histogram has 1-{MAX_BINS} bins, got {len(counts_list)}")
        if len(edges_list) != len(counts_list) + 1:
            raise HistogramError(
                f"len(edges) must be len(counts) + 1, got {len(edges_list)} and {len(counts_list)}"
            )
        if not all(map(math.isfinite, edges_list)) or any(
            b < a for a, b in zip(edges_list, edges_list[1:], strict=False)
        ):
            raise HistogramError("edges must be finite and non-decreasing")
        if not all(math.isfinite(c) and c >= 0 for c in counts_list):
            raise HistogramError("counts must be finite and >= 0")
        self = cls.__new__(cls)
        self.counts = counts_list
        self.edges = edges_list
        self.min = edges_list[0]
        self.max = edges_list[-1]
        self.count = round(sum(counts_list))
        self.sum = math.fsum(
            c * (a + b) / 2 for c, a, b in zip(counts_list, edges_list, edges_list[1:], strict=False)
        )
        self.nonfinite = 0
        return self

    def __repr__(self) -> str:
        return (f"Histogram(bins={len(self.counts)}, count={self.count}, min={self.min!r}, "
                f"max={self.max!r}, nonfinite={self.nonfinite})")


_Binned = tuple[list[float], list[float], float, float, int, float, int]


def _as_list(values: Any) -> list[Any]:
    if hasattr(values, "tolist"):  # numpy arrays, torch tensors
        if hasattr(values, "detach"):
            values = values.detach().cpu()
        result = values.tolist()
        return result if isinstance(result, list) else [result]
    return list(values)


def _bin(values: Any, bins: int) -> _Binned:
    module = type(values).__module__
    if module.startswith("torch") and hasattr(values, "detach"):
        if values.device.type == "cpu" and not values.requires_grad and not values.is_complex():
            return _bin_numpy(values.numpy(), bins)  # zero-copy; numpy's binning is faster on CPU
        return _bin_torch(values, bins)
    if module.startswith("numpy"):
        return _bin_numpy(values, bins)
    if isinstance(values, Sequence) and not isinstance(values, str | bytes | bytearray):
        return _bin_python(values, bins)
    if hasattr(values, "__array__"):  # pandas, jax, cupy... through numpy
        return _bin_numpy(values, bins)
    raise HistogramError(
        f"Histogram takes a list, a numpy array or a torch tensor, got {type(values).__name__}"
    )


def _edges(lo: float, hi: float, bins: int) -> list[float]:
    """numpy.linspace(lo, hi, bins + 1), value for value."""
    if hi == lo:
        lo, hi = lo - 0.5, hi + 0.5
    step = (hi - lo) / bins
    return [i * step + lo for i in range(bins)] + [hi]


def _bin_python(values: Sequence[Any], bins: int) -> _Binned:
    try:
        floats = [float(v) for v in values]
    except (TypeError, ValueError) as exc:
        raise HistogramError(f"histogram values must be numbers: {exc}") from None
    finite = [v for v in floats if math.isfinite(v)]
    nonfinite = len(floats) - len(finite)
    if not finite:
        return [0.0] * bins, _edges(0.0, 1.0, bins), 0.0, 0.0, 0, 0.0, nonfinite
    lo, hi = min(finite), max(finite)
    edges = _edges(lo, hi, bins)
    counts = [0] * bins
    last = bins - 1
    for v in finite:
        counts[min(bisect_right(edges, v) - 1, last)] += 1
    return [float(c) for c in counts], edges, lo, hi, len(finite), math.fsum(finite), nonfinite


def _bin_numpy(values: Any, bins: int) -> _Binned:
    import numpy as np

    a = np.asarray(values)
    if a.dtype.kind not in "biuf":
        raise HistogramError(f"histogram values must be numbers, got an array of {a.dtype}")
    a = a.ravel()
    nonfinite = 0
    if a.dtype.kind == "f":
        finite = np.isfinite(a)
        if not finite.all():
            nonfinite = int(a.size - np.count_nonzero(finite))
            a = a[finite]
    if a.size == 0:
        return [0.0] * bins, _edges(0.0, 1.0, bins), 0.0, 0.0, 0, 0.0, nonfinite
    lo, hi = a.min(), a.max()
    counts, edges = np.histogram(a, bins=bins, range=(lo, hi))
    total = float(a.sum(dtype=np.float64))
    return (counts.astype(np.float64).tolist(), edges.astype(np.float64).tolist(), float(lo),
            float(hi), int(a.size), total, nonfinite)


def _bin_torch(tensor: Any, bins: int) -> _Binned:
    import torch

    t = tensor.detach().reshape(-1)
    if t.dtype.is_complex or t.dtype == torch.bool:
        raise HistogramError(f"histogram values must be real numbers, got a tensor of {t.dtype}")
    t = t.to(torch.float64)
    finite = torch.isfinite(t)
    count = finite.sum()
    inf = torch.tensor(math.inf, dtype=torch.float64, device=t.device)
    lo = torch.where(finite, t, inf).min() if t.numel() else inf
    hi = torch.where(finite, t, -inf).max() if t.numel() else -inf
    total = torch.where(finite, t, 0.0).sum()
    empty = count == 0
    lo_edge = torch.where(empty, 0.0, lo)
    hi_edge = torch.where(empty, 1.0, hi)
    same = hi_edge == lo_edge
    lo_edge, hi_edge = torch.where(same, lo_edge - 0.5, lo_edge), torch.where(same, hi_edge + 0.5, hi_edge)
    step = (hi_edge - lo_edge) / bins
    edges = torch.arange(bins + 1, dtype=torch.float64, device=t.device) * step + lo_edge
    edges[bins] = hi_edge
    index = (torch.bucketize(t, edges, right=True) - 1).clamp_(0, bins - 1)
    index = torch.where(finite, index, bins)  # the extra slot collects NaN/±Inf
    counts = torch.zeros(bins + 1, dtype=torch.float64, device=t.device)
    counts.index_add_(0, index, torch.ones_like(t))
    summary = torch.stack([lo, hi, total, count.to(torch.float64)])
    host = torch.cat([counts[:bins], edges, summary]).cpu().tolist()  # the one sync
    lo_v, hi_v, sum_v, count_v = host[-4:]
    n = int(count_v)
    if n == 0:
        lo_v = hi_v = sum_v = 0.0
    return host[:bins], host[bins : 2 * bins + 1], lo_v, hi_v, n, sum_v, int(t.numel()) - n
