"""Fan-out of cache events to SSE clients, with a ring of recent events for resuming.

Runs on the event loop. The poller thread hands events over with `publish_threadsafe`;
`publish` appends to the ring and offers the event to every subscription, never waiting:

- each subscription has a bounded queue (events and bytes); when a client falls that far
  behind its queue is dropped and it is told to resync (a fresh snapshot), and after
  `max_resyncs` of those its stream ends — a slow client never slows the others or grows
  memory (events are shared, so a queue holds references, not copies);
- the ring keeps the last `ring_size` events (and at most `ring_bytes`), so a client that
  reconnects with Last-Event-ID gets exactly what it missed when the ring still reaches back
  that far, else a snapshot;
- `close()` wakes every subscription so streams end at shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from dataclasses import dataclass

from runwatch.server.live.events import StreamEvent

log = logging.getLogger(__name__)


class Resync:
    """Returned by `Subscription.next()` when the client fell behind: send a snapshot."""


RESYNC = Resync()


class Subscription:
    def __init__(self, max_events: int, max_bytes: int) -> None:
        self._max_events = max_events
        self._max_bytes = max_bytes
        self._queue: deque[StreamEvent] = deque()
        self._bytes = 0
        self._wakeup = asyncio.Event()
        self._resync = False
        self._closed = False
        self.resyncs = 0

    def offer(self, event: StreamEvent) -> None:
        if self._closed:
            return
        if len(self._queue) >= self._max_events or self._bytes + event.nbytes > self._max_bytes:
            self._queue.clear()
            self._bytes = 0
            if not self._resync:
                self._resync = True
                self.resyncs += 1
        else:
            self._queue.append(event)
            self._bytes += event.nbytes
        self._wakeup.set()

    def close(self) -> None:
        self._closed = True
        self._wakeup.set()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def queued(self) -> int:
        return len(self._queue)

    async def next(self) -> StreamEvent | Resync | None:
        """The next event, RESYNC after an overflow, or None once closed."""
        while True:
            if self._closed:
                return None
            if self._resync:
                self._resync = False
                return RESYNC
            if self._queue:
                event = self._queue.popleft()
                self._bytes -= event.nbytes
                return event
            self._wakeup.clear()
            await self._wakeup.wait()


@dataclass(frozen=True)
class BroadcasterStats:
    clients: int
    ring_events: int
    ring_bytes: int
    latest_version: int
    published: int
    resyncs: int
    max_queued: int  # the longest client queue now


class Broadcaster:
    def __init__(
        self,
        *,
        start_version: int,
        ring_size: int = 512,
        ring_bytes: int = 128 * 2**20,
        client_queue: int = 64,
        client_queue_bytes: int = 64 * 2**20,
    ) -> None:
        self._ring: deque[StreamEvent] = deque()
        self._ring_size = ring_size
        self._ring_bytes_max = ring_bytes
        self._ring_bytes = 0
        self._client_queue = client_queue
        self._client_queue_bytes = client_queue_bytes
        self._subs: set[Subscription] = set()
        self._latest = start_version
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._published = 0
        self._resyncs_total = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """The loop `publish_threadsafe` hands events to."""
        self._loop = loop

    @property
    def latest_version(self) -> int:
        return self._latest

    def publish_threadsafe(self, event: StreamEvent) -> None:
        loop = self._loop
        if loop is None or self._closed:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed during shutdown
            loop.call_soon_threadsafe(self.publish, event)

    def publish(self, event: StreamEvent) -> None:
        if self._closed:
            return
        if not event.versioned:  # a notice: live clients only (resuming ones reload them)
            for sub in self._subs:
                sub.offer(event)
            return
        self._ring.append(event)
        self._ring_bytes += event.nbytes
        while len(self._ring) > self._ring_size or (
            self._ring_bytes > self._ring_bytes_max and len(self._ring) > 1
        ):
            self._ring_bytes -= self._ring.popleft().nbytes
        self._latest = max(self._latest, event.version)
        self._published += 1
        for sub in self._subs:
            before = sub.resyncs
            sub.offer(event)
            self._resyncs_total += sub.resyncs - before

    def replay_since(self, version: int) -> list[StreamEvent] | None:
        """Events after `version`, or None when the ring no longer reaches back to it."""
        if version == self._latest:
            return []
        for i, event in enumerate(self._ring):
            if event.prev_version == version:
                return list(self._ring)[i:]
        return None

    def subscribe(self) -> Subscription:
        sub = Subscription(self._client_queue, self._client_queue_bytes)
        if self._closed:
            sub.close()
        else:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self._subs.discard(sub)
        sub.close()

    def close(self) -> None:
        self._closed = True
        for sub in list(self._subs):
            sub.close()
        self._subs.clear()

    def stats(self) -> BroadcasterStats:
        return BroadcasterStats(
            clients=len(self._subs),
            ring_events=len(self._ring),
            ring_bytes=self._ring_bytes,
            latest_version=self._latest,
            published=self._published,
            resyncs=self._resyncs_total,
            max_queued=max((sub.queued for sub in self._subs), default=0),
        )
