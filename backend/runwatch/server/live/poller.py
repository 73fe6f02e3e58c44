"""The poller: ClickHouse -> SeriesCache -> published events, in one named daemon thread.

Two schedules share the thread (so they never race over the cache):

- metrics, every `poll_interval_sec`: what was stored since the watermark (the newest
  `ingested_at` seen, server clock) minus `poll_overlap_sec`. First a count of points per
  ingested_at instant, compared with what was already read at each instant; then only the
  points of instants that changed. So a point whose insert became visible late (a long
  insert, a replayed spool, async inserts, a cluster node's clock) is still found, and a
  point read twice is dropped by (series, step, event_time) (backend/runwatch/server/live/ingest.py). A run the
  cache does not hold yet — a new run, or an old one whose spool was just replayed — first
  gets the runs list refreshed (so `runs_meta` precedes its series) and its history
  backfilled. When more than `poll_max_rows` points arrived at once, the runs concerned are
  reloaded from the server instead of streaming raw rows through Python.
- runs, every `runs_poll_interval_sec`: the runs in the cache horizon (`runs` FINAL joined to
  `run_stats`), published as `runs_meta` when it changed; runs that left the horizon are
  dropped from the cache, runs that entered it are queued for backfill.

The first successful cycle applies the schema (if asked) and queues the horizon for
backfill, most recently active runs first; each cycle then loads one batch (reduced on the
server: queries.backfill) before its metrics poll, so live points keep flowing while a large
history loads. Failures back off exponentially with jitter up to `poll_backoff_max_sec`; the
watermark stays where it was, so nothing stored meanwhile is missed.
"""

from __future__ import annotations

import functools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from runwatch.server.live.cache import Delta, RunsMeta, SeriesCache
from runwatch.server.live.events import StreamEvent
from runwatch.server.live.ingest import RecentKeys, bucketed_series, ingest_points, remember_stored
from runwatch.server.live.runinfo import rows_as_dicts, run_info
from runwatch.server.query import queries
from runwatch.server.query.clients import ClientPool, ensure_schema, is_connection_error
from runwatch.server.settings import Settings

log = logging.getLogger(__name__)

Publish = Callable[[StreamEvent], None]


class PollObserver(Protocol):
    """Sees what each cycle read (runwatch.server.alerts.engine.AlertEngine)."""

    def observe_points(self, rows: Any) -> None: ...

    def observe_runs(self, runs: list[dict[str, Any]]) -> None: ...

    def end_cycle(self) -> None: ...


@dataclass(frozen=True)
class PollerStatus:
    running: bool
    clickhouse_ok: bool | None  # None: not tried yet
    last_error: str | None
    last_poll: float | None  # wall-clock seconds of the last successful metrics poll
    last_runs_poll: float | None
    watermark_ms: int | None
    backfilled: bool
    consecutive_failures: int
    cycles: int
    cycle_ms_p50: float | None
    cycle_ms_p95: float | None
    metrics_ms_p50: float | None  # the metrics poll alone (no runs poll, no backfill)
    metrics_ms_p95: float | None
    recent_keys: int
    catch_ups: int  # polls that found too many points and reloaded runs instead


class Poller:
    def __init__(self, settings: Settings, cache: SeriesCache, publish: Publish,
                 pool: ClientPool | None = None, observer: PollObserver | None = None) -> None:
        self._settings = settings
        self._observer = observer
        self._observer_failures = 0
        self._cache = cache
        self._publish_event = publish
        self._pool = pool or ClientPool(settings)
        self._recent = RecentKeys()
        self._read_counts: dict[int, int] = {}  # ingested_at (ms) -> points read at it
        self._catch_ups = 0
        self._loaded: set[str] = set()
        self._evicted_for_memory: set[str] = set()
        self._pending: list[str] = []  # runs of the horizon waiting for their backfill
        self._watermark: int | None = None
        self._schema_done = not settings.apply_schema
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._cycle = threading.Condition()
        self._started_cycles = 0
        self._completed_cycles = 0
        self._last_ok_cycle = 0
        self._ok: bool | None = None
        self._last_error: str | None = None
        self._failures = 0
        self._last_poll: float | None = None
        self._last_runs_poll: float | None = None
        self._next_runs_poll = 0.0
        self._durations: deque[float] = deque(maxlen=300)
        self._metrics_durations: deque[float] = deque(maxlen=300)

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="runwatch-poller", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the thread to stop and wait; True when it did within `timeout`."""
        self._stop.set()
        self._wake.set()
        with self._cycle:
            self._cycle.notify_all()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def flush(self, timeout: float = 10.0) -> bool:
        """Run a cycle now and wait for it; True when it succeeded within `timeout`."""
        deadline = time.monotonic() + timeout
        with self._cycle:
            target = self._started_cycles + 1
            self._wake.set()
            while self._completed_cycles < target:
                left = deadline - time.monotonic()
                if left <= 0 or self._stop.is_set():
                    return False
                self._cycle.wait(left)
            return self._last_ok_cycle >= target

    def status(self) -> PollerStatus:
        cycles, metrics = _percentiles(self._durations), _percentiles(self._metrics_durations)
        return PollerStatus(
            running=self._thread is not None and self._thread.is_alive(),
            clickhouse_ok=self._ok, last_error=self._last_error, last_poll=self._last_poll,
            last_runs_poll=self._last_runs_poll, watermark_ms=self._watermark,
            backfilled=self._watermark is not None and not self._pending,
            consecutive_failures=self._failures,
            cycles=self._completed_cycles, cycle_ms_p50=cycles[0], cycle_ms_p95=cycles[1],
            metrics_ms_p50=metrics[0], metrics_ms_p95=metrics[1], recent_keys=len(self._recent),
            catch_ups=self._catch_ups,
        )

    # --- the loop ---------------------------------------------------------------------------

    def _run(self) -> None:
        interval = self._settings.poll_interval_sec
        while not self._stop.is_set():
            began = time.monotonic()
            with self._cycle:
                self._started_cycles += 1
                cycle = self._started_cycles
            self._wake.clear()
            try:
                self.run_cycle()
                self._ok, self._last_error, self._failures = True, None, 0
                self._last_ok_cycle = cycle
                self._durations.append((time.monotonic() - began) * 1000)
                wait = interval - (time.monotonic() - began)
            except Exception as exc:  # keep polling whatever went wrong; say what it was
                self._failures += 1
                self._last_error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}" \
                    if str(exc) else type(exc).__name__
                if is_connection_error(exc):
                    self._ok = False
                level = logging.WARNING if self._failures == 1 else logging.DEBUG
                log.log(level, "poll failed (%d in a row): %s", self._failures, self._last_error,
                        exc_info=not is_connection_error(exc))
                backoff = min(self._settings.poll_backoff_max_sec,
                              interval * 2 ** min(self._failures - 1, 16))
                wait = backoff * random.uniform(0.8, 1.2)
            finally:
                with self._cycle:
                    self._completed_cycles += 1
                    self._cycle.notify_all()
            if wait > 0:
                self._wake.wait(wait)

    def run_cycle(self) -> None:
        """One metrics poll, preceded when due by the runs poll or by one backfill batch."""
        if not self._schema_done:
            ensure_schema(self._settings)
            self._schema_done = True
        if self._watermark is None:
            self._start()
        assert self._watermark is not None
        if self._pending:  # _backfill takes the batch off the queue once it is loaded
            self._backfill(self._pending[:self._settings.backfill_batch_runs], self._watermark)
        elif time.monotonic() >= self._next_runs_poll:
            self._refresh_runs()
        began = time.monotonic()
        self._poll_metrics()
        self._metrics_durations.append((time.monotonic() - began) * 1000)
        self._last_poll = time.time()
        if self._observer is not None:
            self._observe(self._observer.end_cycle)

    # --- steps ------------------------------------------------------------------------------

    def _start(self) -> None:
        """Queue the horizon for backfill, most recently active runs first, one batch per
        cycle: live points of loaded runs keep flowing while a large history loads."""
        cutoff = int(self._pool.query(*queries.server_now()).result_rows[0][0])
        self._refresh_runs()
        self._watermark = cutoff

    def _refresh_runs(self) -> list[dict[str, Any]]:
        s = self._settings
        result = self._pool.query(*queries.runs_horizon(
            s.cache_horizon_runs, int(s.cache_horizon_days * 86_400_000),
            int(s.active_window_sec * 1000), int(s.crash_after_sec * 1000)))
        runs = [run_info(row) for row in rows_as_dicts(result.column_names, result.result_rows)]
        self._publish(self._cache.set_runs(runs))
        if self._observer is not None:
            observer = self._observer
            self._observe(lambda: observer.observe_runs(runs))
        horizon = {r["run_id"] for r in runs}
        gone = self._loaded - horizon
        if gone:
            self._cache.remove_runs(gone)
            self._loaded -= gone
            self._publish(self._cache.commit())
        self._evicted_for_memory &= horizon
        queued = set(self._pending)
        self._pending = [run_id for run_id in self._pending if run_id in horizon] + [
            r["run_id"] for r in runs if r["point_count"] > 0 and r["run_id"] not in self._loaded
            and r["run_id"] not in queued and r["run_id"] not in self._evicted_for_memory]
        self._last_runs_poll = time.time()
        self._next_runs_poll = time.monotonic() + s.runs_poll_interval_sec
        return runs

    def _backfill(self, run_ids: Iterable[str], cutoff_ms: int) -> None:
        """Load whole runs (history reduced on the server), in batches, each published."""
        layout = self._cache.layout
        overlap = int(self._settings.poll_overlap_sec * 1000)
        ordered = list(dict.fromkeys(run_ids))
        size = self._settings.backfill_batch_runs
        for i in range(0, len(ordered), size):
            if self._stop.is_set():
                return
            batch = ordered[i:i + size]
            rows = self._pool.query_np(*queries.backfill(
                batch, cutoff_ms, layout.tail_min, layout.backfill_buckets))
            for s in bucketed_series(rows, layout.tail_min):
                self._cache.load(s.key, s.unit, s.history, s.ids, s.width, s.next_ordinal, s.tail)
            seen = self._pool.query_np(*queries.stored_between(batch, cutoff_ms - overlap, cutoff_ms))
            remember_stored(self._cache, self._recent, seen)
            self._loaded.update(batch)
            self._evicted_for_memory.difference_update(batch)
            pending = set(batch)
            self._pending = [run_id for run_id in self._pending if run_id not in pending]
            self._publish(self._cache.commit())

    def _poll_metrics(self) -> None:
        assert self._watermark is not None
        s = self._settings
        overlap = int(s.poll_overlap_sec * 1000)
        since = self._watermark - overlap
        counts = self._pool.query(*queries.stored_counts_since(since)).result_rows
        if not counts:
            return
        server_now = int(counts[0][2])
        stored = {int(ing): int(n) for ing, n, _ in counts}
        unread = sorted(ing for ing, n in stored.items() if self._read_counts.get(ing) != n)
        if sum(stored[ing] for ing in unread) > s.poll_max_rows:
            self._catch_up(since, stored)
            return
        newest = max(stored)
        if unread:
            rows = self._pool.query_np(*queries.points_stored_at(since, unread, s.poll_max_rows))
            seen_runs = {str(r) for r in np.unique(rows["run_id"])} if len(rows) else set()
            # points of runs not loaded yet come with their backfill, not from these rows
            not_loaded = frozenset(seen_runs - self._loaded)
            new_runs = not_loaded - set(self._pending)
            if new_runs:  # a run that started (or woke up) just now: load it at once
                self._refresh_runs()
                self._backfill(new_runs, max(unread))
            ingest_points(self._cache, self._recent, rows, skip_runs=not_loaded)
            if self._observer is not None:
                observer = self._observer
                self._observe(lambda: observer.observe_points(rows))
            self._read_counts.update((ing, stored[ing]) for ing in unread)
            self._publish(self._cache.commit())
            self._enforce_memory_budget(protect=seen_runs)
        self._watermark = max(self._watermark, min(newest, server_now))
        floor = self._watermark - overlap
        self._recent.forget_up_to(floor)
        if len(self._read_counts) > len(stored):
            self._read_counts = {ing: n for ing, n in self._read_counts.items() if ing > floor}

    def _catch_up(self, since: int, stored: dict[int, int]) -> None:
        """Too many new points for one poll: reload the runs concerned from the server."""
        self._catch_ups += 1
        runs = [str(row[0]) for row in self._pool.query(*queries.runs_stored_since(since)).result_rows]
        cutoff = int(self._pool.query(*queries.server_now()).result_rows[0][0])
        log.info("%d runs stored more than %d points since the last poll; reloading them",
                 len(runs), self._settings.poll_max_rows)
        if set(runs) - self._loaded:
            self._refresh_runs()
        self._backfill([r for r in runs if r not in self._pending or r in self._loaded], cutoff)
        if self._observer is not None:
            self._observe_stored(since, stored, cutoff)
        if not self._stop.is_set():
            assert self._watermark is not None
            self._watermark = max(self._watermark, cutoff)
            # the backfill holds everything stored up to the cutoff
            self._read_counts.update((ing, n) for ing, n in stored.items() if ing <= cutoff)

    def _observe_stored(self, since: int, stored: dict[int, int], cutoff: int) -> None:
        """The alert rules see every point, also those a catch-up loads into the cache as
        reduced backfills: the unread instants up to the cutoff are read again in pages of
        about poll_max_rows points (one instant may hold more: it is read whole)."""
        observer = self._observer
        assert observer is not None
        unread = sorted(ing for ing, n in stored.items()
                        if ing <= cutoff and self._read_counts.get(ing) != n)
        page: list[int] = []
        size = 0
        for position, ing in enumerate(unread):
            page.append(ing)
            size += stored[ing]
            if size < self._settings.poll_max_rows and position < len(unread) - 1:
                continue
            if self._stop.is_set():
                return
            rows = self._pool.query_np(*queries.points_stored_at(since, page, size))
            self._observe(functools.partial(observer.observe_points, rows))
            page, size = [], 0

    def _enforce_memory_budget(self, protect: Iterable[str]) -> None:
        removed = self._cache.evict_over_budget(protect)
        if removed:
            log.warning("cache over its memory budget: dropped %d runs (%s)", len(removed),
                        ", ".join(removed[:5]))
            self._loaded.difference_update(removed)
            self._evicted_for_memory.update(removed)
            self._publish(self._cache.commit())

    def _observe(self, call: Callable[[], None]) -> None:
        """An observer's failure is logged (once per streak), never the poller's."""
        try:
            call()
            self._observer_failures = 0
        except Exception:
            self._observer_failures += 1
            if self._observer_failures == 1:
                log.warning("alert evaluation failed; retried next cycle", exc_info=True)

    def _publish(self, event: Delta | RunsMeta | None) -> None:
        if event is not None:
            self._publish_event(StreamEvent.of(event))


def _percentiles(samples: Iterable[float]) -> tuple[float | None, float | None]:
    ordered = sorted(samples)
    if not ordered:
        return None, None
    return (round(ordered[len(ordered) // 2], 2),
            round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2))
