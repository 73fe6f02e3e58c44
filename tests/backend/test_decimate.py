from __future__ import annotations

import math
import time

import numpy as np
import pytest

from runwatch.server.query.decimate import lttb_indices, minmax_keep


@pytest.mark.parametrize(
    ("ids", "values", "kept"),
    [
        ([], [], []),
        ([0], [1.0], [True]),
        # min and max of each bucket; the middle point of bucket 0 goes
        ([0, 0, 0, 1, 1], [3.0, 1.0, 2.0, 5.0, 4.0], [True, True, False, True, True]),
        # NaN is not a min or max, but the first NaN of a bucket is kept
        ([0, 0, 0, 0], [2.0, math.nan, math.nan, 1.0], [True, True, False, True]),
        # +-Inf are the extremes
        ([0, 0, 0], [math.inf, 0.0, -math.inf], [True, False, True]),
        # ties go to the earliest point
        ([0, 0, 0], [1.0, 1.0, 1.0], [True, False, False]),
        # a bucket of only NaN keeps its first
        ([3, 3, 4], [math.nan, math.nan, 7.0], [True, False, True]),
    ],
)
def test_minmax_keep_table(ids: list[int], values: list[float], kept: list[bool]) -> None:
    out = minmax_keep(np.array(ids, dtype=np.int64), np.array(values, dtype=np.float64))
    assert out.tolist() == kept


@pytest.mark.parametrize("n", [0, 1, 5, 2000])
def test_lttb_when_few_points_then_keeps_all(n: int) -> None:
    assert lttb_indices(np.arange(n, dtype=np.float64), 2000).tolist() == list(range(n))


def test_lttb_of_a_million_points_keeps_a_spike_a_dip_a_nan_and_infinities() -> None:
    rng = np.random.default_rng(7)
    y = rng.normal(size=1_000_000)
    y[123_456] = 1e6
    y[234_567] = -1e6
    y[654_321] = math.nan
    y[876_543] = math.inf
    y[900_000] = -math.inf
    keep = lttb_indices(y, 2000)
    assert keep.size <= 2000
    assert np.all(np.diff(keep) > 0)
    for index in (0, 123_456, 234_567, 654_321, 876_543, 900_000, 999_999):
        assert index in keep


def test_lttb_of_a_million_points_is_fast() -> None:
    y = np.random.default_rng(1).random(1_000_000)
    y[500] = math.nan
    lttb_indices(y, 2000)  # warm up
    timings = []
    for _ in range(5):
        began = time.perf_counter()
        lttb_indices(y, 2000)
        timings.append(time.perf_counter() - began)
    assert sorted(timings)[2] < 0.05  # 10 ms target on an idle core; shared CI is noisy


def test_lttb_is_deterministic() -> None:
    y = np.random.default_rng(3).random(100_000)
    assert lttb_indices(y, 500).tolist() == lttb_indices(y.copy(), 500).tolist()


def test_lttb_with_only_nan_keeps_at_most_n_out() -> None:
    keep = lttb_indices(np.full(10_000, math.nan), 100)
    assert 0 < keep.size <= 100
    assert keep[0] == 0


def test_lttb_with_x_keeps_extremes() -> None:
    x = np.arange(0, 300_000, 3, dtype=np.int64)
    y = np.sin(x / 1000.0)
    y[5000] = 50.0
    keep = lttb_indices(y, 1000, x)
    assert 5000 in keep and keep.size <= 1000


def test_lttb_rejects_n_out_below_two() -> None:
    with pytest.raises(ValueError):
        lttb_indices(np.arange(10, dtype=np.float64), 1)
