"""The background writer: drains the buffer into batches and gets each one stored once.

One named daemon thread per run. Each cycle it wakes (a sealed chunk, a flush, a stop, or
`flush_interval` elapsed), takes what is buffered, encodes it into batches of at most
`max_batch_points`, and delivers them oldest first:

    spool (older batches, on disk) ─▶ pending (in memory) ─▶ ClickHouse
                  ▲                        │ ClickHouse down for longer than `spool_after`,
                  └────────────────────────┘ pending over `max_pending_bytes`, or stopping

A failed insert is retried with exponential backoff and full jitter; every attempt reuses the
batch's deduplication token, so a batch that was stored but whose answer was lost is not
stored twice. Once the outage has lasted `spool_after` seconds, pending batches go to the spool
(and so do new ones while the spool is not empty, to keep the order); when ClickHouse answers
again the spool is replayed first. Without a spool, the oldest pending batches are dropped
past `max_pending_bytes`, and counted.

`flush(timeout)` returns True once everything logged before the call is stored or spooled.

With a `backlog` (the point buffer), the source hands over one insert's worth per call and
the rest waits in the buffer, compact: the writer takes the next batch once the last one is
stored or spooled, coming straight back for it, and a flush's barrier is set only once the
buffer says everything sealed before the flush was taken. Stopping takes everything.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from runwatch.write.batch import Batch
from runwatch.write.spool import Spool, SpoolError
from runwatch.write.transport import Transport

log = logging.getLogger(__name__)

BatchSource = Callable[[], list[Batch]]


class Backlog(Protocol):
    def has_backlog(self) -> bool: ...

    def flush_mark(self) -> int: ...

    def taken_mark(self) -> int: ...


@dataclass(slots=True)
class WriterStats:
    stored_points: int = 0
    stored_batches: int = 0
    spooled_points: int = 0  # points that went to the spool, ever
    replayed_points: int = 0  # points sent from the spool, ever
    dropped_points: int = 0  # pending or spooled points thrown away to stay bounded
    failures: int = 0
    last_error: str = ""


class Writer:
    def __init__(
        self,
        source: BatchSource,
        transport_factory: Callable[[], Transport],
        *,
        spool: Spool | None,
        flush_interval: float = 0.5,
        spool_after: float = 3.0,
        retry_initial: float = 0.05,
        retry_max: float = 2.0,
        max_pending_bytes: int = 64 << 20,
        on_cycle: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        name: str = "runwatch-writer",
        backlog: Backlog | None = None,
    ) -> None:
        self._source = source
        self._backlog = backlog
        self._transport_factory = transport_factory
        self._transport: Transport | None = None
        self.spool = spool
        self.flush_interval = flush_interval
        self.spool_after = spool_after
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.max_pending_bytes = max_pending_bytes
        self._on_cycle = on_cycle
        self._clock = clock
        self._name = name
        self.stats = WriterStats()

        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._abandoned = False  # stop() gave up on the thread and spooled its batches
        self._deadline = float("inf")

        self._submitted: deque[Batch] = deque()
        self._pending: deque[tuple[int, Batch]] = deque()
        self._pending_bytes = 0
        self._last_id = 0  # id of the newest batch taken in
        self._resolved_id = 0  # every batch up to this id is stored, spooled or dropped
        self._flush_requests = 0
        self._flushed = 0
        self._barriers: deque[tuple[int, int]] = deque()
        self._marked_ticket = 0
        self._marks: deque[tuple[int, int]] = deque()  # (flush ticket, buffer mark to reach)
        self._outage_since: float | None = None
        self._retry_at = 0.0
        self._failures_in_row = 0

    # -- the owner's side -----------------------------------------------------------------

    def start(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def submit(self, batch: Batch) -> None:
        """Queue a batch built elsewhere (a runs row); it is delivered like the others."""
        self._submitted.append(batch)
        self._wake.set()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything submitted or buffered before this call is stored or spooled."""
        if not self.running:
            return False
        with self._cond:
            self._flush_requests += 1
            ticket = self._flush_requests
        self._wake.set()
        with self._cond:
            return self._cond.wait_for(
                lambda: self._flushed >= ticket or not self.running, timeout
            ) and self._flushed >= ticket

    def stop(self, timeout: float | None = None) -> bool:
        """Deliver what is left (spooling what ClickHouse does not take before `timeout`), then
        end the thread. Returns True when nothing is left only in memory."""
        thread = self._thread
        if thread is None:
            return True
        budget = 30.0 if timeout is None else timeout
        self._deadline = self._clock() + max(0.0, budget * 0.8)
        self._stopping = True
        self._wake.set()
        thread.join(budget)
        if thread.is_alive():  # stuck in an insert that does not return: take over
            self._abandon()
            return False
        return True

    def pending_points(self) -> int:
        return sum(batch.points for _, batch in list(self._pending))

    def forget_after_fork(self) -> None:
        """In a forked child: no thread, nothing pending, a fresh lock and conditions."""
        self._thread = None
        self._transport = None
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._cond = threading.Condition()
        self._submitted = deque()
        self._pending = deque()
        self._pending_bytes = 0
        self._barriers = deque()
        self._marks = deque()
        self._marked_ticket = 0
        if self.spool is not None:
            self.spool.forget_after_fork()
            self.spool = None

    # -- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                timeout = self.flush_interval
                if self._outage_since is not None:
                    timeout = max(0.0, min(timeout, self._retry_at - self._clock()))
                self._wake.wait(timeout)
                self._wake.clear()
                stopping = self._stopping
                self._cycle(final=stopping)
                if not self._pending and self._backlog is not None and self._backlog.has_backlog():
                    self._wake.set()
                if self._abandoned or (stopping and not self._pending and not self._submitted):
                    break
        except Exception:  # a bug here must not kill training; say it loudly once
            log.exception("runwatch writer thread failed; points logged from now on are lost")
        finally:
            self._close()

    def _cycle(self, *, final: bool) -> None:
        with self._cond:
            ticket = self._flush_requests
        if ticket > self._marked_ticket:
            self._marked_ticket = ticket
            self._marks.append((ticket, self._backlog.flush_mark() if self._backlog else 0))
        self._on_cycle()  # may log the agent's own counters: taken in right below
        self._take_in(final=final)
        taken = self._backlog.taken_mark() if self._backlog else 0
        while self._marks and self._marks[0][1] <= taken:
            self._barriers.append((self._marks.popleft()[0], self._last_id))
        self._deliver(final=final)
        if self._abandoned:
            return
        self._settle_barriers()

    def _take_in(self, *, final: bool = False) -> None:
        batches: list[Batch] = []
        while self._submitted:
            batches.append(self._submitted.popleft())
        # With a backlog, the next batch is taken once the last one is stored or spooled:
        # during an outage the points wait in the buffer, not encoded in memory.
        if self._backlog is None or final or not self._pending:
            batches += self._source()
        while final and self._backlog is not None and self._backlog.has_backlog():
            batches += self._source()
        for batch in batches:
            self._last_id += 1
            self._pending.append((self._last_id, batch))
            self._pending_bytes += batch.size

    def _deliver(self, *, final: bool) -> None:
        now = self._clock()
        if now >= self._retry_at or final:
            self._send_in_order(final=final)
        if self._abandoned:
            return
        if final:  # stopping: what ClickHouse did not take by the deadline goes to disk
            self._spool_pending(keep_bytes=0)
            return
        if self._outage_since is None:
            return
        if self._clock() - self._outage_since >= self.spool_after:
            self._spool_pending(keep_bytes=0)
        elif self._pending_bytes > self.max_pending_bytes:
            self._spool_pending(keep_bytes=self.max_pending_bytes)

    def _send_in_order(self, *, final: bool) -> None:
        budget_end = self._clock() + max(self.flush_interval, 0.05) * 4
        while True:
            if final and self._clock() > self._deadline:
                return
            if not final and self._clock() > budget_end:
                self._wake.set()  # more to do: come straight back after taking in new points
                return
            spooled = self._spool_head()
            if spooled is not None:
                if not self._send(spooled) or self._abandoned:
                    return
                assert self.spool is not None
                self.spool.pop()
                self.stats.replayed_points += spooled.points
                continue
            if not self._pending:
                return
            batch_id, batch = self._pending[0]
            if not self._send(batch) or self._abandoned:
                return
            self._pending.popleft()
            self._pending_bytes -= batch.size
            self._resolved_id = batch_id

    def _spool_head(self) -> Batch | None:
        if self.spool is None or not len(self.spool):
            return None
        return self.spool.oldest()

    def _send(self, batch: Batch) -> bool:
        try:
            if self._transport is None:
                self._transport = self._transport_factory()
            self._transport.insert(batch)
        except Exception as exc:
            self._failed(exc)
            return False
        self.stats.stored_points += batch.points
        self.stats.stored_batches += 1
        if self._outage_since is not None:
            log.warning(
                "runwatch: ClickHouse answers again after %.1f s", self._clock() - self._outage_since
            )
        self._outage_since = None
        self._failures_in_row = 0
        self._retry_at = 0.0
        return True

    def _failed(self, exc: Exception) -> None:
        now = self._clock()
        self.stats.failures += 1
        self.stats.last_error = str(exc)
        if self._outage_since is None:
            self._outage_since = now
            log.warning("runwatch: %s; retrying (attempt %d), spooling after %.0f s",
                        exc, self._failures_in_row + 1, self.spool_after)
        delay = min(self.retry_max, self.retry_initial * (2 ** min(self._failures_in_row, 30)))
        self._failures_in_row += 1
        self._retry_at = now + random.uniform(delay / 2, delay)

    def _spool_pending(self, *, keep_bytes: int) -> None:
        while self._pending and self._pending_bytes > keep_bytes:
            batch_id, batch = self._pending.popleft()
            self._pending_bytes -= batch.size
            self._resolved_id = batch_id
            if self.spool is None:
                self.stats.dropped_points += batch.points
                log.warning("runwatch: no spool, dropped %d points", batch.points)
                continue
            try:
                self.stats.dropped_points += self.spool.put(batch)
                self.stats.spooled_points += batch.points
            except (OSError, SpoolError) as exc:
                self.stats.dropped_points += batch.points
                log.error("runwatch: cannot spool to %s (%s); dropped %d points",
                          self.spool.directory, exc, batch.points)

    def _settle_barriers(self) -> None:
        settled = 0
        while self._barriers and self._barriers[0][1] <= self._resolved_id:
            settled = self._barriers.popleft()[0]
        if settled:
            with self._cond:
                self._flushed = max(self._flushed, settled)
                self._cond.notify_all()

    def _abandon(self) -> None:
        """From stop(), when the thread is stuck in an insert past the deadline: spool what it
        holds and what is still buffered. The stuck insert may still land; the batch's token
        makes the later replay of its spooled copy a no-op then."""
        self._abandoned = True
        batches = [batch for _, batch in list(self._pending)] + list(self._submitted)
        try:
            batches += self._source()
            while self._backlog is not None and self._backlog.has_backlog():
                batches += self._source()
        except Exception:
            log.exception("runwatch: could not take the last buffered points")
        points = sum(batch.points for batch in batches)
        if self.spool is None:
            self.stats.dropped_points += points
        else:
            for batch in batches:
                try:
                    self.stats.dropped_points += self.spool.put(batch)
                    self.stats.spooled_points += batch.points
                except (OSError, SpoolError):
                    self.stats.dropped_points += batch.points
            self.spool.close()
        self._pending.clear()
        self._submitted.clear()
        self._pending_bytes = 0
        log.warning("runwatch: ClickHouse did not answer before the deadline; %d points %s",
                    points, "spooled" if self.spool is not None else "dropped")
        with self._cond:
            self._cond.notify_all()

    def _close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        if self.spool is not None and not self._abandoned:
            self.spool.close()
        with self._cond:
            self._cond.notify_all()
