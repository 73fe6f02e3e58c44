"""Sending one batch to ClickHouse: the writer thread's only I/O besides the spool.

`Transport` is the seam the writer is written against (tests inject a recording or failing
one). `ClickHouseTransport` owns one clickhouse-connect client, created lazily in the thread
that sends (clickhouse-connect's sync client must not be shared between threads) and thrown
away after a failure, so a restarted server gets a fresh connection.

Every insert carries `insert_deduplication_token` = the batch's token. With `async_insert`
(for a real server, where many agents inserting every half second is what it is for) it also
sets `wait_for_async_insert=1`, so an insert returns only once stored, and
`async_insert_deduplicate=1`, without which async inserts ignore the token. The default
(`async_insert=None`) uses async inserts for small batches only: a batch of a hundred thousand
points is already the large insert ClickHouse wants, and gains nothing from the server-side
buffering.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import threading
from collections.abc import Callable
from typing import Any, Protocol

from runwatch.config import ClickHouseTarget
from runwatch.write.batch import Batch


class TransportError(RuntimeError):
    """The batch may not be stored; send it again (with the same token) later."""


class Transport(Protocol):
    def insert(self, batch: Batch) -> None: ...

    def close(self) -> None: ...


def _compressor(name: str | None) -> Callable[[bytes], bytes] | None:
    if name is None:
        return None
    if name == "lz4":
        import lz4.frame

        return lambda data: bytes(lz4.frame.compress(data))
    if name == "zstd":
        import importlib

        try:
            zstd = importlib.import_module("compression.zstd")  # Python 3.14+
        except ImportError:
            zstd = importlib.import_module("backports.zstd")
        return lambda data: bytes(zstd.compress(data))
    if name == "gzip":
        import gzip

        return lambda data: gzip.compress(data, compresslevel=1)
    raise ValueError(f"compression must be None, 'lz4', 'zstd' or 'gzip', got {name!r}")


class _FromOtherThreads(logging.Filter):
    """Drops clickhouse-connect's own log lines about failed requests made by runwatch's
    threads: the writer reports an outage once, not once per retry."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.threadName or "").startswith("runwatch-")


_DRIVER_LOGGERS = ("clickhouse_connect.driver._backend.http_sync", "clickhouse_connect.driver.httpclient")
_quiet_lock = threading.Lock()
_quieted = False


def _quiet_driver_logs() -> None:
    global _quieted
    with _quiet_lock:
        if not _quieted:
            for name in _DRIVER_LOGGERS:
                logging.getLogger(name).addFilter(_FromOtherThreads())
            _quieted = True


_URL = re.compile(r"(?:with )?url: \S+|/\?\S*")
_ERRNO = re.compile(r"\[Errno -?\d+\][^'\")]*")


def failure_reason(exc: BaseException, limit: int = 200) -> str:
    """Why an insert failed, for a training log: the driver's message without the request URL.

    The driver's text carries the whole URL, the INSERT and every setting (deduplication token
    included), which buries the reason; the socket error, when there is one, is the reason."""
    text = " ".join(_URL.sub("", str(exc)).split())
    errno = _ERRNO.search(text)
    reason = errno.group(0).strip() if errno else text
    reason = f"{type(exc).__name__}: {reason}"
    return reason if len(reason) <= limit else reason[: limit - 1] + "…"


class ClickHouseTransport:
    def __init__(
        self,
        target: ClickHouseTarget,
        *,
        async_insert: bool | None = None,
        async_max_points: int = 100_000,
        compression: str | None = None,
        timeout: float = 30.0,
        connect_timeout: float = 3.0,
    ) -> None:
        self.target = target
        self.async_insert = async_insert
        self.async_max_points = async_max_points
        self.compression = compression
        self._compress = _compressor(compression)
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self._client: Any = None
        # Imported here, in Run(), not on the first insert: an import in the writer thread
        # holds the GIL for ~0.1 s while training is already calling log().
        import clickhouse_connect  # noqa: F401

    def _connect(self) -> Any:
        import clickhouse_connect

        _quiet_driver_logs()

        self._client = clickhouse_connect.get_client(
            host=self.target.host,
            port=self.target.port,
            interface=self.target.protocol,
            username=self.target.user,
            password=self.target.password,
            compress=False,
            autogenerate_session_id=False,
            connect_timeout=self.connect_timeout,
            send_receive_timeout=self.timeout,
            query_retries=0,
        )
        return self._client

    def settings(self, batch: Batch) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "insert_deduplicate": 1,
            "insert_deduplication_token": batch.token,
            # Retries must not reach the materialized views twice either (their target tables
            # need non_replicated_deduplication_window too, see sql/).
            "deduplicate_blocks_in_dependent_materialized_views": 1,
        }
        use_async = self.async_insert
        if use_async is None:
            use_async = batch.points < self.async_max_points
        if use_async:
            settings.update(async_insert=1, wait_for_async_insert=1, async_insert_deduplicate=1)
        return settings

    def insert(self, batch: Batch) -> None:
        try:
            client = self._client or self._connect()
            encoding: str | None
            if batch.encoding is not None:  # e.g. from the spool, already lz4
                body, encoding = batch.body, batch.encoding
            elif self._compress is not None:
                body, encoding = self._compress(batch.body), self.compression
            else:
                body, encoding = batch.body, None
            client.raw_insert(
                f"`{batch.database}`.`{batch.table}`",
                batch.columns,
                # A file-like block is streamed as the body with the INSERT in the URL;
                # plain bytes would be copied whole to prepend the statement.
                insert_block=io.BytesIO(body),
                settings=self.settings(batch),
                fmt="Native",
                compression=encoding,
            )
        except Exception as exc:
            self.close()
            raise TransportError(
                f"insert into {batch.database}.{batch.table} at {self.target.host}:"
                f"{self.target.port}: {failure_reason(exc)}") from exc

    def ping(self) -> bool:
        try:
            client = self._client or self._connect()
            return bool(client.ping())
        except Exception:
            self.close()
            return False

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # a broken connection may fail to close
                client.close()
