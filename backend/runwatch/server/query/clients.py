"""ClickHouse clients for the server: one per thread, opened lazily.

Opening a clickhouse-connect client asks the server for its version, so it fails while
ClickHouse is down; the server must start (and stay up) anyway. Clients are therefore made on
first use in each thread (the poller's, the request threadpool's) and remade after a
connection failure. Sessions are off (runwatch.server.query.clickhouse.make_client), so nothing depends on
which client ran a query.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from runwatch.server.settings import ClickHouseSettings

log = logging.getLogger(__name__)


def is_connection_error(exc: BaseException) -> bool:
    """ClickHouse unreachable (as opposed to a query it refused)."""
    from clickhouse_connect.driver.exceptions import OperationalError

    return isinstance(exc, (OperationalError, ConnectionError, TimeoutError))


class ClientPool:
    """Thread-local clients from `factory` (default: runwatch.server.query.clickhouse.make_client)."""

    def __init__(self, settings: ClickHouseSettings,
                 factory: Callable[[ClickHouseSettings], Any] | None = None) -> None:
        self._settings = settings
        self._factory = factory or _default_factory
        self._local = threading.local()

    def get(self) -> Any:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._factory(self._settings)
        return client

    def discard(self) -> None:
        """Forget this thread's client (after a connection failure)."""
        client = getattr(self._local, "client", None)
        self._local.client = None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing a broken client must not hide the original error
                log.debug("closing a ClickHouse client failed", exc_info=True)

    def query(self, sql: str, params: dict[str, Any]) -> Any:
        """`client.query` on this thread's client; a connection failure discards it."""
        try:
            return self.get().query(sql, parameters=params)
        except Exception as exc:
            if is_connection_error(exc):
                self.discard()
            raise

    def query_np(self, sql: str, params: dict[str, Any]) -> Any:
        try:
            return self.get().query_np(sql, parameters=params)
        except Exception as exc:
            if is_connection_error(exc):
                self.discard()
            raise


def _default_factory(settings: ClickHouseSettings) -> Any:
    from runwatch.server.query.clickhouse import make_client

    return make_client(settings, connect_timeout=5, send_receive_timeout=60)


def ensure_schema(settings: ClickHouseSettings) -> list[str]:
    """Create the database and apply sql/ (idempotent). Raises while ClickHouse is down."""
    from runwatch.server.migrate import apply_schema
    from runwatch.server.query.clickhouse import make_client

    client = make_client(settings, database="default", connect_timeout=5)
    try:
        return apply_schema(client, settings.ch_database)
    finally:
        client.close()
