from __future__ import annotations

import math

import numpy as np

from runwatch.server.live.cache import SeriesCache
from runwatch.server.live.ingest import (
    RecentKeys,
    bucket_points,
    bucketed_series,
    ingest_points,
    iter_groups,
    point_hashes,
)
from runwatch.server.live.series import SeriesKey

POINT_DTYPE = [("run_id", "O"), ("metric", "O"), ("host", "O"), ("rank", "<u4"),
               ("device", "<u2"), ("unit", "O"), ("step", "<u8"), ("t", "<i8"),
               ("value", "<f8"), ("ing", "<i8"), ("now", "<i8")]
BUCKET_DTYPE = [("run_id", "O"), ("metric", "O"), ("host", "O"), ("rank", "<u4"),
                ("device", "<u2"), ("unit", "O"), ("n", "<u8"), ("w", "<i8"), ("b", "<i8"),
                ("finite", "<u8"), ("lo", "<f8"), ("lo_step", "<u8"), ("lo_t", "<i8"),
                ("hi", "<f8"), ("hi_step", "<u8"), ("hi_t", "<i8"), ("nans", "<u8"),
                ("nan_step", "<u8"), ("nan_t", "<i8")]


def points(*rows: tuple[str, str, int, int, float, int]) -> np.ndarray:
    """rows of (run_id, metric, step, t, value, ingested_at)."""
    return np.array([(r, m, "", 0, 65535, "u", s, t, v, ing, 10**13)
                     for r, m, s, t, v, ing in rows], dtype=POINT_DTYPE)


def test_rows_are_grouped_by_series() -> None:
    rows = points(("a", "m", 1, 1, 1.0, 1), ("a", "m", 2, 2, 1.0, 1), ("a", "n", 1, 1, 1.0, 1),
                  ("b", "m", 1, 1, 1.0, 1))
    groups = [(key.run_id, key.metric, start, stop) for key, start, stop in iter_groups(rows)]
    assert groups == [("a", "m", 0, 2), ("a", "n", 2, 3), ("b", "m", 3, 4)]


def test_a_point_read_twice_is_staged_once() -> None:
    cache, recent = SeriesCache(100), RecentKeys()
    batch = points(("a", "m", 1, 10, 1.0, 100), ("a", "m", 2, 20, 2.0, 101))
    first = ingest_points(cache, recent, batch)
    again = ingest_points(cache, recent, np.concatenate(
        (batch, points(("a", "m", 3, 30, 3.0, 102)))))
    assert (first.points, again.points, again.duplicates) == (2, 1, 2)
    cache.commit()
    assert cache.snapshot().series[0].points.step.tolist() == [1, 2, 3]


def test_same_step_other_event_time_is_a_different_point() -> None:
    cache, recent = SeriesCache(100), RecentKeys()
    result = ingest_points(cache, recent, points(("a", "m", 1, 10, 1.0, 1), ("a", "m", 1, 11, 2.0, 1)))
    assert result.points == 2


def test_recent_keys_forget_what_cannot_come_back() -> None:
    recent = RecentKeys()
    hashes = point_hashes(1, np.array([1, 2, 3]), np.array([1, 2, 3]))
    recent.admit(hashes, np.array([10, 20, 30]))
    recent.forget_up_to(20)
    assert len(recent) == 1
    assert recent.admit(hashes, np.array([10, 20, 30])).tolist() == [True, True, False]


def test_point_hashes_differ_by_series_step_and_time() -> None:
    base = point_hashes(1, np.array([5]), np.array([7]))
    assert base != point_hashes(2, np.array([5]), np.array([7]))
    assert base != point_hashes(1, np.array([6]), np.array([7]))
    assert base != point_hashes(1, np.array([5]), np.array([8]))


def test_skipped_runs_are_not_staged() -> None:
    cache, recent = SeriesCache(100), RecentKeys()
    result = ingest_points(cache, recent, points(("a", "m", 1, 1, 1.0, 1), ("b", "m", 1, 1, 1.0, 1)),
                           skip_runs=frozenset({"b"}))
    assert result.runs == frozenset({"a"}) and result.points == 1


def bucket_row(b: int, lo: tuple[float, int], hi: tuple[float, int],
               nan_step: int | None = None, n: int = 100) -> tuple[object, ...]:
    finite = 0 if math.isnan(lo[0]) else 2
    return ("r", "m", "", 0, 65535, "u", n, 4, b, finite, lo[0], lo[1], lo[1] * 10, hi[0],
            hi[1], hi[1] * 10, 1 if nan_step is not None else 0, nan_step or 0,
            (nan_step or 0) * 10)


def test_bucket_rows_become_min_max_and_first_nan_points_in_order() -> None:
    rows = np.array([
        bucket_row(0, lo=(-1.0, 3), hi=(5.0, 1)),
        bucket_row(1, lo=(2.0, 6), hi=(2.0, 6), nan_step=5),  # one finite point and a NaN
        bucket_row(-9, lo=(7.0, 9), hi=(7.0, 9)),  # a raw tail row
    ], dtype=BUCKET_DTYPE)
    pts, ids = bucket_points(rows)
    assert pts.step.tolist() == [1, 3, 5, 6, 9]
    assert pts.value[[0, 1, 3, 4]].tolist() == [5.0, -1.0, 2.0, 7.0]
    assert math.isnan(pts.value[2])
    assert ids.tolist() == [0, 0, 1, 1, -9]


def test_backfill_rows_split_into_history_and_raw_tail() -> None:
    rows = np.array([bucket_row(0, (-1.0, 3), (5.0, 1), n=600),
                     bucket_row(-599, (1.0, 599), (1.0, 599), n=600),
                     bucket_row(-600, (2.0, 600), (2.0, 600), n=600)], dtype=BUCKET_DTYPE)
    (series,) = list(bucketed_series(rows, tail_keep=2))
    assert series.key == SeriesKey("r", "m", "", 0, 65535)
    assert series.history.step.tolist() == [1, 3] and series.ids.tolist() == [0, 0]
    assert series.tail.step.tolist() == [599, 600]
    assert (series.width, series.next_ordinal) == (4, 598)
