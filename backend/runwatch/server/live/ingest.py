"""From query results to cache changes: grouping rows by series, dropping points already
seen, and turning server-side buckets back into points.

De-duplication: the poller re-reads an overlap window of ingested_at on every poll, so that a
point whose insert became visible after a later one (a long insert, a replayed spool, async
inserts, clock skew between cluster nodes) is still found. A point read twice is recognised by
(series, step, event_time); `RecentKeys` remembers those keys for as long as they can come back,
i.e. while their ingested_at is inside the overlap window.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from runwatch.server.live.cache import SeriesCache
from runwatch.server.live.series import Points, SeriesKey

IntArray = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]

_KEY_FIELDS = ("run_id", "metric", "host", "rank", "device")


def _group_starts(rows: Any) -> IntArray:
    """Indices where a new series starts in rows sorted by series."""
    n = len(rows)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    change = np.zeros(n, dtype=np.bool_)
    change[0] = True
    for name in _KEY_FIELDS:
        column = rows[name]
        change[1:] |= column[1:] != column[:-1]
    return np.flatnonzero(change)


def _key_at(rows: Any, i: int) -> SeriesKey:
    return SeriesKey(str(rows["run_id"][i]), str(rows["metric"][i]), str(rows["host"][i]),
                     int(rows["rank"][i]), int(rows["device"][i]))


def iter_groups(rows: Any) -> Iterator[tuple[SeriesKey, int, int]]:
    """(key, start, stop) of each series in rows sorted by series."""
    if len(rows) == 0:
        return
    starts = _group_starts(rows)
    stops = np.r_[starts[1:], len(rows)]
    for start, stop in zip(starts.tolist(), stops.tolist(), strict=True):
        yield _key_at(rows, start), start, stop


def point_hashes(sid: U64 | int, step: Any, time: Any) -> U64:
    """64-bit identity of (series, step, event_time) (collisions: ~n²/2⁶⁴)."""
    with np.errstate(over="ignore"):
        h = np.asarray(sid, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        h = h ^ (np.asarray(step).astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
        h = h ^ (np.asarray(time).astype(np.uint64) * np.uint64(0x165667B19E3779F9))
        h = h ^ (h >> np.uint64(31))
        h = h * np.uint64(0xBF58476D1CE4E5B9)
        return np.asarray(h ^ (h >> np.uint64(29)), dtype=np.uint64)


class RecentKeys:
    """Identities of points seen recently, with their ingested_at, to drop re-reads."""

    def __init__(self) -> None:
        self._hashes: U64 = np.empty(0, dtype=np.uint64)
        self._ingested: IntArray = np.empty(0, dtype=np.int64)

    def __len__(self) -> int:
        return int(self._hashes.shape[0])

    def admit(self, hashes: U64, ingested: IntArray) -> npt.NDArray[np.bool_]:
        """Which of these points are new (also new within the batch); remember them."""
        fresh = ~np.isin(hashes, self._hashes) if len(self) else np.ones(len(hashes), np.bool_)
        _, first = np.unique(hashes, return_index=True)
        once = np.zeros(len(hashes), dtype=np.bool_)
        once[first] = True
        fresh &= once
        self.remember(hashes[fresh], ingested[fresh])
        return fresh

    def remember(self, hashes: U64, ingested: IntArray) -> None:
        if hashes.size:
            self._hashes = np.concatenate((self._hashes, hashes))
            self._ingested = np.concatenate((self._ingested, np.asarray(ingested, np.int64)))

    def forget_up_to(self, ingested_ms: int) -> None:
        """Drop keys that can no longer be read again (ingested_at <= the next poll's floor)."""
        keep = self._ingested > ingested_ms
        if not keep.all():
            self._hashes = self._hashes[keep]
            self._ingested = self._ingested[keep]


@dataclass(frozen=True)
class IngestResult:
    points: int  # new points staged
    duplicates: int
    runs: frozenset[str]


def ingest_points(cache: SeriesCache, recent: RecentKeys, rows: Any,
                  skip_runs: frozenset[str] = frozenset()) -> IngestResult:
    """Stage rows of `points_stored_at` (sorted by series, step, time) into the cache."""
    groups = [g for g in iter_groups(rows) if g[0].run_id not in skip_runs]
    if not groups:
        return IngestResult(0, 0, frozenset())
    take = np.concatenate([np.arange(start, stop) for _, start, stop in groups])
    lengths = [stop - start for _, start, stop in groups]
    sids = np.repeat(np.array([cache.series_id(key) for key, _, _ in groups], np.uint64), lengths)
    picked = rows[take]
    fresh = recent.admit(point_hashes(sids, picked["step"], picked["t"]),
                         picked["ing"].astype(np.int64))
    offset = 0
    for (key, _, _), length in zip(groups, lengths, strict=True):
        part = picked[offset:offset + length][fresh[offset:offset + length]]
        offset += length
        if len(part):
            cache.append(key, str(part["unit"][-1]),
                         Points.of(part["step"], part["t"], part["value"]))
    staged = int(fresh.sum())
    return IngestResult(staged, len(fresh) - staged, frozenset(key.run_id for key, _, _ in groups))


def remember_stored(cache: SeriesCache, recent: RecentKeys, rows: Any) -> None:
    """Seed `recent` with keys a backfill already holds (rows of `stored_between`)."""
    groups = list(iter_groups(rows))
    if groups:
        lengths = [stop - start for _, start, stop in groups]
        sids = np.repeat(np.array([cache.series_id(k) for k, _, _ in groups], np.uint64), lengths)
        recent.remember(point_hashes(sids, rows["step"], rows["t"]), rows["ing"].astype(np.int64))


@dataclass(frozen=True)
class BucketedSeries:
    key: SeriesKey
    unit: str
    history: Points
    ids: IntArray
    width: int
    next_ordinal: int
    tail: Points


def bucket_points(rows: Any) -> tuple[Points, IntArray]:
    """Points of bucket rows (one group's rows, in order): per row its min point, max point
    and first NaN point, in (step, time) order, each once."""
    n = len(rows)
    finite = rows["finite"] > 0
    has_nan = rows["nans"] > 0
    step = np.stack((rows["lo_step"], rows["hi_step"], rows["nan_step"]), axis=1).astype(np.int64)
    time = np.stack((rows["lo_t"], rows["hi_t"], rows["nan_t"]), axis=1).astype(np.int64)
    value = np.stack((rows["lo"], rows["hi"], np.full(n, np.nan)), axis=1).astype(np.float64)
    same_point = (step[:, 0] == step[:, 1]) & (time[:, 0] == time[:, 1])
    valid = np.stack((finite, finite & ~same_point, has_nan), axis=1)
    row = np.repeat(np.arange(n), 3).reshape(n, 3)
    ids = np.repeat(rows["b"].astype(np.int64), 3).reshape(n, 3)
    flat_valid = valid.ravel()
    s, t, v = step.ravel()[flat_valid], time.ravel()[flat_valid], value.ravel()[flat_valid]
    r, b = row.ravel()[flat_valid], ids.ravel()[flat_valid]
    order = np.lexsort((t, s, r))
    return Points.of(s[order], t[order], v[order]), b[order]


def bucketed_series(rows: Any, tail_keep: int) -> Iterator[BucketedSeries]:
    """Series of `backfill` rows: bucket rows (b >= 0) then raw tail rows (b < 0)."""
    for key, start, stop in iter_groups(rows):
        part = rows[start:stop]
        raw = part["b"] < 0
        history, ids = bucket_points(part[~raw])
        tail, _ = bucket_points(part[raw])
        n = int(part["n"][0])
        yield BucketedSeries(
            key=key, unit=str(part["unit"][0]), history=history, ids=ids,
            width=int(part["w"][0]), next_ordinal=max(0, n - tail_keep), tail=tail,
        )
