"""Histogram binning: every input path gives numpy.histogram's counts and edges exactly."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch

from runwatch.histogram import Histogram, HistogramError, _bin_torch

RNG = np.random.default_rng(11)
CASES = {
    "normal": RNG.normal(size=20_001),
    "integers": np.arange(-50, 50, dtype=np.float64),
    "constant": np.full(10, 3.0),
    "with NaN and Inf": np.array([1.0, np.nan, 2.0, np.inf, -np.inf, 4.0]),
    "all NaN": np.array([np.nan, np.nan]),
    "empty": np.array([], dtype=np.float64),
}


def reference(values: np.ndarray, bins: int) -> tuple[list[float], list[float], int]:
    finite = values[np.isfinite(values)]
    counts, edges = np.histogram(finite, bins=bins)
    return counts.astype(float).tolist(), edges.tolist(), int(values.size - finite.size)


def as_tuple(binned: Any) -> tuple[list[float], list[float], int]:
    if isinstance(binned, Histogram):
        return binned.counts, binned.edges, binned.nonfinite
    return binned[0], binned[1], binned[6]


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("form", ["numpy", "list", "torch cpu", "torch device path"])
def test_binning_matches_numpy_histogram_exactly(name: str, form: str) -> None:
    values = CASES[name]
    expected = reference(values, 16)
    if form == "numpy":
        got = as_tuple(Histogram(values, bins=16))
    elif form == "list":
        got = as_tuple(Histogram(values.tolist(), bins=16))
    elif form == "torch cpu":
        got = as_tuple(Histogram(torch.from_numpy(values), bins=16))
    else:  # the path CUDA tensors take, run on the CPU here
        got = as_tuple(_bin_torch(torch.from_numpy(values), 16))
    assert got == expected


def test_summary_values() -> None:
    h = Histogram([1, 2, 3, float("nan")], bins=2)
    assert (h.min, h.max, h.count, h.sum, h.nonfinite) == (1.0, 3.0, 3, 6.0, 1)
    t = _bin_torch(torch.tensor([1.0, 2.0, 3.0, math.nan]), 2)
    assert t[2:] == (1.0, 3.0, 3, 6.0, 1)


def test_from_counts_keeps_the_bins_and_estimates_the_sum() -> None:
    h = Histogram.from_counts(np.array([1, 3]), torch.tensor([0.0, 1.0, 2.0]))
    assert (h.counts, h.edges, h.min, h.max, h.count, h.sum) == ([1.0, 3.0], [0.0, 1.0, 2.0], 0.0, 2.0, 4, 5.0)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: Histogram([1, 2], bins=0), "bins must be"),
    (lambda: Histogram("abc"), "takes a list"),
    (lambda: Histogram(["a"]), "must be numbers"),
    (lambda: Histogram(np.array(["x"])), "must be numbers"),
    (lambda: Histogram.from_counts([1, 2], [0, 1]), "len\\(edges\\)"),
    (lambda: Histogram.from_counts([1], [1, 0]), "non-decreasing"),
    (lambda: Histogram.from_counts([-1], [0, 1]), ">= 0"),
])
def test_bad_input_raises_a_clear_error(call: Any, message: str) -> None:
    with pytest.raises(HistogramError, match=message):
        call()
