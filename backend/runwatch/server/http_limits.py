"""HTTP/1.1 connection limits for both uvicorn servers (dashboard and embedded ClickHouse).

uvicorn's h11 protocol answers a request line longer than h11's 16 KiB buffer with a
400 and an abrupt close (the client, still sending, sees a connection reset), and it
waits forever for a request whose headers trickle in (slowloris). `limited_protocol()`
returns an H11Protocol subclass that:
- answers a request line (method + URL) over `max_uri_bytes` with 414, reading and
  discarding what the client still sends for a moment so the answer is not lost to a reset
  (clickhouse-server's http_max_uri_size is 1 MiB too);
- closes a connection whose request headers are not complete `header_timeout` seconds
  after they started (or after the connection opened).
The connection count is capped by uvicorn's own `limit_concurrency` (503 beyond it); see
`uvicorn_options()`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_URI_BYTES = 1024 * 1024
HEADER_TIMEOUT_SEC = 10.0
MAX_CONNECTIONS = 256
_HEADERS_ALLOWANCE = 64 * 1024  # what the headers after the request line may add
_LINGER_SEC = 2.0


def limited_protocol(
    *, max_uri_bytes: int = MAX_URI_BYTES, header_timeout: float = HEADER_TIMEOUT_SEC
) -> type[H11Protocol]:
    class LimitedH11Protocol(H11Protocol):
        _line_open = True  # the current request's first line has not ended yet
        _line_bytes = 0
        _refused = False
        _header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # draining after a 414
            if self.conn.their_state is h11.IDLE:
                self._arm()
                if self._line_open:
                    newline = data.find(b"\n")
                    length = self._line_bytes + (len(data) if newline < 0 else newline)
                    if length > max_uri_bytes:
                        self._refuse_uri()
                        return
                    self._line_bytes = length
                    self._line_open = newline < 0
            super().data_received(data)
            if self.conn.their_state is not h11.IDLE:  # the headers are complete
                self._disarm()
                self._line_open, self._line_bytes = True, 0

        def _arm(self) -> None:
            if self._header_timer is None:
                self._header_timer = self.loop.call_later(header_timeout, self._headers_too_slow)

        def _disarm(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
                self.logger.info("closing a connection whose request headers took over %.0f s",
                                 header_timeout)
                self.transport.close()

        def _refuse_uri(self) -> None:
            self._refused = True
            self._disarm()
            body = f"URI too long: at most {max_uri_bytes} bytes\n".encode()
            self.transport.write(
                b"HTTP/1.1 414 URI Too Long\r\ncontent-type: text/plain; charset=utf-8\r\n"
                b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
            if self.transport.can_write_eof():
                self.transport.write_eof()
            self.loop.call_later(_LINGER_SEC, self.transport.close)

    return LimitedH11Protocol


def uvicorn_options(
    *, max_uri_bytes: int = MAX_URI_BYTES, header_timeout: float = HEADER_TIMEOUT_SEC,
    max_connections: int = MAX_CONNECTIONS,
) -> dict[str, Any]:
    """Keyword arguments for uvicorn.Config / uvicorn.run."""
    return {
        "http": limited_protocol(max_uri_bytes=max_uri_bytes, header_timeout=header_timeout),
        "h11_max_incomplete_event_size": max_uri_bytes + _HEADERS_ALLOWANCE,
        "limit_concurrency": max_connections,
    }
