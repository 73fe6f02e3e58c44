"""Shared factories for the agent tests: a recording transport, a Native decoder, polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from runwatch.write.batch import Batch
from runwatch.write.transport import TransportError


def decode_native(body: bytes) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """(column names, rows) of a Native block, read by clickhouse-connect's own parser."""
    from clickhouse_connect.driver.ctypes import RespBuffCls
    from clickhouse_connect.driver.transform import NativeTransform

    class _Source:
        def __init__(self, data: bytes) -> None:
            self.gen = iter([data])
            self.last_message = None

        def close(self) -> None:
            pass

    result: Any = NativeTransform.parse_response(RespBuffCls(_Source(body)))  # type: ignore[no-untyped-call]
    return tuple(result.column_names), [tuple(row) for row in result.result_rows]


class RecordingTransport:
    """Stores batches by token like a deduplicating ClickHouse; can be switched down."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.down = False
        self.attempts: list[str] = []  # tokens, in the order they were sent
        self.stored: dict[str, Batch] = {}
        self.order: list[str] = []  # tokens in the order they were first stored
        self.closed = 0

    def insert(self, batch: Batch) -> None:
        with self.lock:
            self.attempts.append(batch.token)
            if self.down:
                raise TransportError("connection refused")
            if batch.token not in self.stored:
                self.stored[batch.token] = batch
                self.order.append(batch.token)

    def close(self) -> None:
        self.closed += 1

    def points(self) -> int:
        with self.lock:
            return sum(b.points for b in self.stored.values())


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
