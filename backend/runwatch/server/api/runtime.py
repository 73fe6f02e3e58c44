"""Everything one dashboard server process owns, created and torn down by the app's lifespan.

    ClickHouse ──poller thread──▶ SeriesCache ──StreamEvent──▶ Broadcaster ──▶ /stream clients
                    │                  ▲                                        /runs /metrics
                    └─ ClientPool ◀────┴──────────── REST handlers (threadpool) ─┘

Shutdown: the broadcaster closes first (every stream ends), then the poller thread stops.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field

from runwatch.server.console.runner import SqlConsole
from runwatch.server.live.broadcaster import Broadcaster
from runwatch.server.live.cache import SeriesCache
from runwatch.server.live.events import EVERYTHING, StreamFilter, snapshot_frame
from runwatch.server.live.poller import Poller
from runwatch.server.query.clients import ClientPool
from runwatch.server.settings import Settings
from runwatch.server.tabs import TabsConfig, load_tabs

log = logging.getLogger(__name__)

_MB = 2**20


@dataclass
class _SnapshotMemo:
    """The last unfiltered snapshot frame: many clients connecting at once share it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    version: int | None = None
    frame: bytes = b""


class Runtime:
    def __init__(self, settings: Settings, *, start_version: int | None = None) -> None:
        s = settings
        self.settings = settings
        self.started_at = time.time()
        self.instance = s.instance_token or secrets.token_hex(8)
        self.tabs: TabsConfig = load_tabs(s.tabs_file)
        self.cache = SeriesCache(s.max_points, int(s.cache_memory_mb * _MB),
                                 initial_version=start_version)
        self.broadcaster = Broadcaster(
            start_version=self.cache.version,
            ring_size=s.sse_ring_size, ring_bytes=int(s.sse_ring_mb * _MB),
            client_queue=s.sse_client_queue, client_queue_bytes=int(s.sse_client_queue_mb * _MB),
        )
        self.pool = ClientPool(s)
        self.poller = Poller(s, self.cache, self.broadcaster.publish_threadsafe, ClientPool(s))
        self._snapshot = _SnapshotMemo()
        self.sql: SqlConsole | None = SqlConsole(s) if s.sql_console else None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.broadcaster.bind(loop)
        self.poller.start()

    def close_streams(self) -> None:
        """End every SSE stream. On the event loop."""
        self.broadcaster.close()

    async def close_sql(self) -> None:
        if self.sql is not None:
            await self.sql.aclose()

    def stop_poller(self, timeout: float = 10.0) -> None:
        """Stop the poller thread. Blocking: run it in a thread from async code."""
        if not self.poller.stop(timeout):
            log.warning("the poller did not stop within %.0f s", timeout)

    def snapshot_frame(self, flt: StreamFilter = EVERYTHING) -> tuple[int, bytes]:
        """(version, frame) of a snapshot for a client with `flt`. Blocking: run in a thread."""
        retry = self.settings.sse_retry_ms
        if not flt.is_everything:
            snapshot = self.cache.snapshot()
            return snapshot.version, snapshot_frame(snapshot, flt, retry)
        memo = self._snapshot
        with memo.lock:
            version = self.cache.version
            if memo.version != version:
                snapshot = self.cache.snapshot()
                memo.frame = snapshot_frame(snapshot, flt, retry)
                memo.version = snapshot.version
            return memo.version, memo.frame
