"""One cached series: frozen min/max buckets of history, then the newest points raw.

Layout of the arrays (sorted by (step, time)):

    [ history: frozen buckets, <= 3 points each | tail: newest raw points ]
      ids[i] = bucket of history point i           len(tail) in [tail_min, tail_max)

A bucket holds `width` consecutive points in arrival order ("virtual ordinals"); it keeps
its minimum, its maximum and its first NaN (runwatch.server.query.decimate.minmax_keep). When the tail
reaches `tail_max`, its oldest points (all but `tail_min`) become buckets. When history
outgrows its budget, `width` doubles and neighbouring buckets merge (id // 2).

Why this shape: a bucket's points depend on that bucket alone, so between two doublings
(log2(N / budget) of them in a series' life) history that is drawn never changes; min and
max are exact under merging, so the global extremes and at least one NaN per bucket survive
forever; and the newest `tail_min` points are always at full resolution. A late point
(old step) lands in its bucket or in the tail and the series is resent whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from runwatch.server.query.decimate import minmax_keep

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_EMPTY_I = np.empty(0, dtype=np.int64)
_EMPTY_F = np.empty(0, dtype=np.float64)
for _array in (_EMPTY_I, _EMPTY_F):
    _array.flags.writeable = False


class SeriesKey(NamedTuple):
    run_id: str
    metric: str
    host: str
    rank: int
    device: int


@dataclass(frozen=True, slots=True)
class Points:
    """Immutable columnar points (arrays are read-only)."""

    step: IntArray
    time: IntArray
    value: FloatArray

    @staticmethod
    def empty() -> Points:
        return Points(_EMPTY_I, _EMPTY_I, _EMPTY_F)

    @staticmethod
    def of(step: npt.ArrayLike, time: npt.ArrayLike, value: npt.ArrayLike) -> Points:
        arrays = (
            np.array(step, dtype=np.int64),
            np.array(time, dtype=np.int64),
            np.array(value, dtype=np.float64),
        )
        for array in arrays:
            array.flags.writeable = False
        return Points(*arrays)

    def __len__(self) -> int:
        return int(self.step.shape[0])

    def slice(self, start: int, stop: int | None = None) -> Points:
        return Points(self.step[start:stop], self.time[start:stop], self.value[start:stop])

    @property
    def nbytes(self) -> int:
        return int(self.step.nbytes + self.time.nbytes + self.value.nbytes)


@dataclass(frozen=True)
class Layout:
    """How many points a series may hold and how they are split."""

    max_points: int

    @property
    def tail_min(self) -> int:
        return max(1, self.max_points // 4)

    @property
    def tail_max(self) -> int:
        return max(self.tail_min + 1, self.max_points // 2)

    @property
    def history_budget(self) -> int:
        return self.max_points - self.tail_max

    @property
    def backfill_buckets(self) -> int:
        """Buckets a backfill aims for: two points each fill the history budget."""
        return max(1, self.history_budget // 2)


class Series:
    """Mutable state of one series; `points` is an immutable view for readers."""

    __slots__ = ("key", "unit", "points", "ids", "width", "next_ordinal", "_layout")

    def __init__(self, key: SeriesKey, unit: str, layout: Layout) -> None:
        self.key = key
        self.unit = unit
        self.points = Points.empty()
        self.ids: IntArray = _EMPTY_I  # bucket id of each history point
        self.width = 1  # virtual ordinals per bucket
        self.next_ordinal = 0  # virtual ordinal of the first tail point
        self._layout = layout

    @property
    def history_len(self) -> int:
        return int(self.ids.shape[0])

    @property
    def nbytes(self) -> int:
        return self.points.nbytes + int(self.ids.nbytes)

    def load(self, history: Points, ids: IntArray, width: int, next_ordinal: int,
             tail: Points) -> None:
        """Replace everything (a backfill): history buckets as the server computed them."""
        self.points = _concat(history, tail)
        self.ids = _frozen(np.asarray(ids, dtype=np.int64))
        self.width = max(1, int(width))
        self.next_ordinal = int(next_ordinal)
        self._fit_history()
        self._maybe_freeze_tail()

    def append(self, new: Points) -> bool:
        """Add points sorted by (step, time); True when only appended (else history moved)."""
        if len(new) == 0:
            return True
        old = self.points
        appended = len(old) == 0 or _key_gt(new.step[0], new.time[0], old.step[-1], old.time[-1])
        if appended:
            self.points = _concat(old, new)
        else:
            self._merge_late(new)
        froze = self._maybe_freeze_tail()
        return appended and not froze

    def _merge_late(self, new: Points) -> None:
        n_hist = self.history_len
        pts = self.points
        if n_hist and n_hist < len(pts):
            in_hist = ~_key_ge(new.step, new.time, pts.step[n_hist], pts.time[n_hist])
        else:
            in_hist = np.full(len(new), n_hist > 0 and n_hist == len(pts))
        history = pts.slice(0, n_hist)
        tail = pts.slice(n_hist)
        if in_hist.any():
            late = Points(new.step[in_hist], new.time[in_hist], new.value[in_hist])
            history, self.ids = _merge_into_buckets(history, self.ids, late)
        if (~in_hist).any():
            tail = _merge_sorted_unique(tail, Points(
                new.step[~in_hist], new.time[~in_hist], new.value[~in_hist]))
        self.points = _concat(history, tail)

    def _maybe_freeze_tail(self) -> bool:
        layout = self._layout
        n_hist = self.history_len
        tail_len = len(self.points) - n_hist
        if tail_len < layout.tail_max:
            return False
        k = tail_len - layout.tail_min
        new_ids = (self.next_ordinal + np.arange(k, dtype=np.int64)) // self.width
        self.next_ordinal += k
        # The last history bucket may be partial: it and the new points share an id.
        reopen = n_hist - int(np.searchsorted(self.ids, new_ids[0], side="left"))
        start = n_hist - reopen
        region = self.points.slice(start, n_hist + k)
        region_ids = np.concatenate((self.ids[start:], new_ids))
        keep = minmax_keep(region_ids, region.value)
        history = _concat(self.points.slice(0, start), _take(region, keep))
        self.ids = _frozen(np.concatenate((self.ids[:start], region_ids[keep])))
        self.points = _concat(history, self.points.slice(n_hist + k))
        self._fit_history()
        return True

    def _fit_history(self) -> None:
        """Double the bucket width until history fits its budget."""
        budget = self._layout.history_budget
        while self.history_len > budget:
            self.width *= 2
            ids = self.ids // 2
            n_hist = self.history_len
            history = self.points.slice(0, n_hist)
            keep = minmax_keep(ids, history.value)
            self.points = _concat(_take(history, keep), self.points.slice(n_hist))
            self.ids = _frozen(ids[keep])
            if ids.size and ids[0] == ids[-1]:
                break  # one bucket left: it holds at most three points


def _frozen(array: IntArray) -> IntArray:
    array.flags.writeable = False
    return array


def _concat(a: Points, b: Points) -> Points:
    if len(a) == 0:
        return b
    if len(b) == 0:
        return a
    return Points.of(
        np.concatenate((a.step, b.step)),
        np.concatenate((a.time, b.time)),
        np.concatenate((a.value, b.value)),
    )


def _take(points: Points, keep: npt.NDArray[np.bool_]) -> Points:
    return Points.of(points.step[keep], points.time[keep], points.value[keep])


def _key_gt(step_a: int, time_a: int, step_b: int, time_b: int) -> bool:
    return bool(step_a > step_b or (step_a == step_b and time_a > time_b))


def _key_ge(step: IntArray, time: IntArray, step0: int, time0: int) -> npt.NDArray[np.bool_]:
    ge: npt.NDArray[np.bool_] = (step > step0) | ((step == step0) & (time >= time0))
    return ge


def _merge_sorted_unique(a: Points, b: Points) -> Points:
    """Merge two key-sorted point sets; a point of `b` whose key is in `a` is dropped."""
    step = np.concatenate((a.step, b.step))
    time = np.concatenate((a.time, b.time))
    value = np.concatenate((a.value, b.value))
    order = np.lexsort((time, step))  # stable: `a` before `b` on equal keys
    step, time, value = step[order], time[order], value[order]
    dup = np.r_[False, (step[1:] == step[:-1]) & (time[1:] == time[:-1])]
    return Points.of(step[~dup], time[~dup], value[~dup])


def _merge_into_buckets(history: Points, ids: IntArray, late: Points) -> tuple[Points, IntArray]:
    """Late points joined to the bucket of the history point before them, then re-reduced."""
    step = np.concatenate((history.step, late.step))
    time = np.concatenate((history.time, late.time))
    value = np.concatenate((history.value, late.value))
    is_late = np.r_[np.zeros(len(history), dtype=np.int8), np.ones(len(late), dtype=np.int8)]
    order = np.lexsort((is_late, time, step))
    merged_ids = np.concatenate((ids, np.full(len(late), -1, dtype=np.int64)))[order]
    # Forward-fill: ids are non-decreasing along history, so a running max does it.
    np.maximum.accumulate(merged_ids, out=merged_ids)
    merged_ids[merged_ids < 0] = ids[0]
    step, time, value = step[order], time[order], value[order]
    keep = minmax_keep(merged_ids, value)
    return Points.of(step[keep], time[keep], value[keep]), _frozen(merged_ids[keep])
