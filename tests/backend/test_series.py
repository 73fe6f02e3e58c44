from __future__ import annotations

import math

import numpy as np
import pytest

from runwatch.server.live.series import Layout, Points, Series, SeriesKey

KEY = SeriesKey("r", "train/loss", "", 0, 65535)


def feed(series: Series, values: np.ndarray, chunk: int, start: int = 0) -> int:
    """Append values at steps start.. in chunks; returns how often history moved."""
    moved = 0
    for i in range(0, len(values), chunk):
        part = values[i:i + chunk]
        steps = np.arange(start + i, start + i + len(part))
        moved += not series.append(Points.of(steps, steps * 10, part))
    return moved


def test_a_series_never_holds_more_than_max_points() -> None:
    series = Series(KEY, "", Layout(100))
    for i in range(5000):
        series.append(Points.of([i], [i], [float(i % 17)]))
        assert len(series.points) <= 100


def test_the_newest_points_stay_at_full_resolution() -> None:
    layout = Layout(2000)
    series = Series(KEY, "", layout)
    values = np.random.default_rng(0).random(50_000)
    feed(series, values, chunk=37)
    tail = series.points.slice(len(series.points) - layout.tail_min)
    assert tail.step.tolist() == list(range(50_000 - layout.tail_min, 50_000))
    assert np.array_equal(tail.value, values[-layout.tail_min:])


def test_a_spike_a_dip_and_a_nan_survive_a_million_points() -> None:
    values = np.random.default_rng(1).normal(size=1_000_000)
    values[1234] = 1e9
    values[500_000] = -1e9
    values[777_777] = math.nan
    series = Series(KEY, "", Layout(2000))
    feed(series, values, chunk=1000)
    points = series.points
    assert len(points) <= 2000
    assert 1e9 in points.value and -1e9 in points.value
    assert np.isnan(points.value).sum() == 1
    nan_step = int(points.step[np.isnan(points.value)][0])
    assert nan_step == 777_777
    assert np.all(np.diff(points.step) > 0)


def test_history_moves_only_when_the_tail_is_frozen() -> None:
    layout = Layout(2000)
    series = Series(KEY, "", layout)
    moved = feed(series, np.random.default_rng(2).random(100_000), chunk=1)
    # one freeze per (tail_max - tail_min) appended points, not one per point
    assert moved <= 100_000 // (layout.tail_max - layout.tail_min) + 1


def test_history_between_doublings_keeps_its_points() -> None:
    layout = Layout(200)
    series = Series(KEY, "", layout)
    rng = np.random.default_rng(3)
    feed(series, rng.random(20_000), chunk=1)
    width = series.width
    history = series.points.slice(0, series.history_len)
    feed(series, rng.random(layout.tail_max - layout.tail_min), chunk=1, start=20_000)
    if series.width == width:  # no doubling: old complete buckets are untouched
        new_history = series.points.slice(0, series.history_len)
        last_id = series.ids[: len(history)][-1]
        stable = int(np.searchsorted(series.ids, last_id))
        assert np.array_equal(new_history.step[:stable], history.step[:stable])


def test_a_late_point_with_an_old_step_lands_in_its_bucket() -> None:
    series = Series(KEY, "", Layout(100))
    feed(series, np.zeros(10_000), chunk=100)
    assert series.append(Points.of([5], [51], [42.0])) is False
    assert 42.0 in series.points.value
    assert np.all(np.diff(series.points.step) >= 0)


def test_a_late_point_inside_the_tail_is_merged_in_order() -> None:
    series = Series(KEY, "", Layout(100))
    series.append(Points.of([1, 3], [10, 30], [1.0, 3.0]))
    assert series.append(Points.of([2], [20], [2.0])) is False
    assert series.points.step.tolist() == [1, 2, 3]


def test_a_point_already_in_the_tail_is_not_added_twice() -> None:
    series = Series(KEY, "", Layout(100))
    series.append(Points.of([1, 2], [10, 20], [1.0, 2.0]))
    series.append(Points.of([1], [10], [1.0]))
    assert series.points.step.tolist() == [1, 2]


def test_load_then_append_continues_the_buckets() -> None:
    layout = Layout(100)
    series = Series(KEY, "", layout)
    history = Points.of([0, 7, 8, 15], [0, 70, 80, 150], [1.0, -5.0, 9.0, 2.0])
    ids = np.array([0, 0, 1, 1])
    tail = Points.of(np.arange(16, 16 + layout.tail_min), np.arange(16, 16 + layout.tail_min) * 10,
                     np.ones(layout.tail_min))
    series.load(history, ids, width=8, next_ordinal=16, tail=tail)
    assert len(series.points) == 4 + layout.tail_min
    feed(series, np.ones(200), chunk=1, start=16 + layout.tail_min)
    assert -5.0 in series.points.value and 9.0 in series.points.value
    assert len(series.points) <= 100


@pytest.mark.parametrize("max_points", [16, 17, 100, 2000])
def test_layout_splits_the_budget(max_points: int) -> None:
    layout = Layout(max_points)
    assert 1 <= layout.tail_min < layout.tail_max
    assert layout.history_budget + layout.tail_max == max_points
