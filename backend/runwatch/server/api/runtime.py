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

from runwatch.server.alerts.config import AlertsConfig, load_alerts
from runwatch.server.alerts.engine import AlertEngine
from runwatch.server.alerts.model import Alert
from runwatch.server.alerts.notifier import Notifier
from runwatch.server.alerts.store import AlertStore
from runwatch.server.compare.cache import CompareCache
from runwatch.server.console.runner import SqlConsole
from runwatch.server.live import sse_encoding
from runwatch.server.live.broadcaster import Broadcaster
from runwatch.server.live.cache import SeriesCache
from runwatch.server.live.events import EVERYTHING, StreamEvent, StreamFilter, snapshot_frame
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
        self.compare = CompareCache()
        self.alerts_config: AlertsConfig = load_alerts(s.alerts_file)
        self.alerts_store = AlertStore(self.pool)
        self.alerts: AlertEngine | None = None
        self.notifier = Notifier(self.alerts_config.channels, self._delivered,
                                 dashboard_url=s.dashboard_url)
        if s.alerts_enabled:
            self.alerts = AlertEngine(self.alerts_config, AlertStore(ClientPool(s)),
                                      self.notifier, self._publish_alert,
                                      horizon_days=s.cache_horizon_days)
        self.poller = Poller(s, self.cache, self.broadcaster.publish_threadsafe, ClientPool(s),
                             observer=self.alerts)
        self._snapshot = _SnapshotMemo()
        self.sql: SqlConsole | None = SqlConsole(s) if s.sql_console else None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.broadcaster.bind(loop)
        self.notifier.start()
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
        if not self.notifier.flush(2.0):
            log.warning("alert notifications still pending at shutdown were dropped")
        self.notifier.stop(2.0)

    def _delivered(self, alert_id: str, channel: str, state: str) -> None:
        if self.alerts is not None:
            self.alerts.delivered(alert_id, channel, state)

    def _publish_alert(self, alert: Alert) -> None:
        body = sse_encoding.dumps(alert.to_json())
        self.broadcaster.publish_threadsafe(StreamEvent.notice("alert", body))

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
