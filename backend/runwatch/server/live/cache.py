"""The versioned in-memory cache the live dashboard is drawn from.

One writer (the poller thread) stages changes — points appended, series loaded by a backfill,
runs removed, a new runs list — and `commit()`s them: the global version goes up by one and
the change comes back as a `Delta` (or `RunsMeta`) event. Readers (`snapshot()`) take
immutable references under the lock, so a snapshot at version v plus every event after v is
exactly a snapshot at the later version: a series is sent appended-to (`replace=False`) only
when its earlier points did not move, otherwise whole (`replace=True`); a removed series is
sent as `replace=True` with empty arrays, which a client treats as "drop it".

Versions start at the server's start time in microseconds, so a client that reconnects to a
restarted server with an old Last-Event-ID can never be mistaken for one that is up to date.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from runwatch.server.live.series import Layout, Points, Series, SeriesKey

RunInfo = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SeriesState:
    """A series as it is drawn at some version (immutable)."""

    key: SeriesKey
    unit: str
    points: Points


@dataclass(frozen=True, slots=True)
class SeriesChange:
    key: SeriesKey
    unit: str
    points: Points
    replace: bool


@dataclass(frozen=True)
class Delta:
    version: int
    prev_version: int
    changes: tuple[SeriesChange, ...]


@dataclass(frozen=True)
class RunsMeta:
    version: int
    prev_version: int
    runs: tuple[RunInfo, ...]


@dataclass(frozen=True)
class Snapshot:
    version: int
    max_points: int
    runs: tuple[RunInfo, ...]
    series: tuple[SeriesState, ...]


@dataclass(frozen=True)
class CacheStats:
    version: int
    series: int
    points: int
    runs: int
    nbytes: int
    evicted_runs: int


class SeriesCache:
    """Series of the runs in the cache horizon, capped at `max_points` each."""

    def __init__(
        self,
        max_points: int = 2000,
        memory_budget_bytes: int = 512 * 2**20,
        *,
        initial_version: int | None = None,
    ) -> None:
        self.layout = Layout(max_points)
        self.memory_budget_bytes = memory_budget_bytes
        self._lock = threading.Lock()
        self._version = initial_version if initial_version is not None else time.time_ns() // 1000
        self._series: dict[SeriesKey, Series] = {}
        self._views: dict[SeriesKey, SeriesState] = {}
        self._sids: dict[SeriesKey, int] = {}
        self._runs: tuple[RunInfo, ...] = ()
        # staged since the last commit: key -> length already sent, or None (send whole)
        self._staged: dict[SeriesKey, int | None] = {}
        self._run_touched: dict[str, float] = {}
        self._nbytes = 0
        self._evicted_runs = 0

    @property
    def max_points(self) -> int:
        return self.layout.max_points

    @property
    def version(self) -> int:
        with self._lock:
            return self._version

    def series_id(self, key: SeriesKey) -> int:
        """A small integer naming `key` for the lifetime of this cache (never reused)."""
        with self._lock:
            sid = self._sids.get(key)
            if sid is None:
                sid = self._sids[key] = len(self._sids)
            return sid

    def run_ids(self) -> set[str]:
        with self._lock:
            return {key.run_id for key in self._series}

    # --- staging (the writer) ---------------------------------------------------------------

    def append(self, key: SeriesKey, unit: str, points: Points) -> None:
        """Stage points of one series, sorted by (step, time) and already de-duplicated."""
        if len(points) == 0:
            return
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = Series(key, unit, self.layout)
                self._staged[key] = None
            elif key not in self._staged:
                self._staged[key] = len(series.points)
            before = series.nbytes
            if unit:
                series.unit = unit
            if not series.append(points):
                self._staged[key] = None
            self._after_change(series, before)

    def load(self, key: SeriesKey, unit: str, history: Points, ids: Any, width: int,
             next_ordinal: int, tail: Points) -> None:
        """Stage a whole series as a backfill computed it (replaces what was cached)."""
        with self._lock:
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = Series(key, unit, self.layout)
            before = series.nbytes
            series.unit = unit
            series.load(history, ids, width, next_ordinal, tail)
            self._staged[key] = None
            self._after_change(series, before)

    def remove_runs(self, run_ids: Iterable[str]) -> int:
        """Stage the removal of every series of these runs; returns how many series."""
        drop = set(run_ids)
        with self._lock:
            keys = [key for key in self._series if key.run_id in drop]
            for key in keys:
                self._nbytes -= self._series.pop(key).nbytes
                self._staged[key] = None
            for run_id in drop:
                self._run_touched.pop(run_id, None)
            return len(keys)

    def _after_change(self, series: Series, before: int) -> None:
        self._nbytes += series.nbytes - before
        self._run_touched[series.key.run_id] = time.monotonic()

    def evict_over_budget(self, protect: Iterable[str] = ()) -> list[str]:
        """Remove whole runs, least recently updated first, until under the memory budget.

        The most recently updated run and the runs in `protect` stay. Returns the runs removed.
        """
        protected = set(protect)
        with self._lock:
            if self._nbytes <= self.memory_budget_bytes:
                return []
            by_age = sorted(self._run_touched.items(), key=lambda item: item[1])
            candidates = [run for run, _ in by_age[:-1] if run not in protected]
        removed = []
        for run_id in candidates:
            with self._lock:
                if self._nbytes <= self.memory_budget_bytes:
                    break
            self.remove_runs([run_id])
            removed.append(run_id)
        with self._lock:
            self._evicted_runs += len(removed)
        return removed

    # --- committing -------------------------------------------------------------------------

    def commit(self) -> Delta | None:
        """Publish staged series changes as one new version (None when nothing changed)."""
        with self._lock:
            if not self._staged:
                return None
            changes = []
            for key, sent in sorted(self._staged.items()):
                series = self._series.get(key)
                if series is None:
                    self._views.pop(key, None)
                    changes.append(SeriesChange(key, "", Points.empty(), replace=True))
                    continue
                points = series.points
                self._views[key] = SeriesState(key, series.unit, points)
                if sent is None:
                    changes.append(SeriesChange(key, series.unit, points, replace=True))
                elif len(points) > sent:
                    changes.append(SeriesChange(key, series.unit, points.slice(sent), replace=False))
            self._staged.clear()
            if not changes:
                return None
            prev = self._version
            self._version += 1
            return Delta(self._version, prev, tuple(changes))

    def set_runs(self, runs: Sequence[RunInfo]) -> RunsMeta | None:
        """Replace the runs list; a new version only when it differs from the current one."""
        new = tuple(runs)
        with self._lock:
            if new == self._runs:
                return None
            self._runs = new
            prev = self._version
            self._version += 1
            return RunsMeta(self._version, prev, new)

    # --- reading ----------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Everything as of the last commit (staged changes are not visible)."""
        with self._lock:
            return Snapshot(
                self._version, self.layout.max_points, self._runs,
                tuple(self._views[key] for key in sorted(self._views)),
            )

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                version=self._version,
                series=len(self._views),
                points=sum(len(view.points) for view in self._views.values()),
                runs=len({key.run_id for key in self._views}),
                nbytes=self._nbytes,
                evicted_runs=self._evicted_runs,
            )
