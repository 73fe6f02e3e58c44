"""Response headers that go on while a query runs (X-ClickHouse-Progress), over uvicorn.

clickhouse-server with `send_progress_in_http_headers=1` writes the status line and its
headers, then one `X-ClickHouse-Progress` line every `http_headers_progress_interval_ms`
while the query computes, and ends the header block only when the body starts: bytes keep
flowing through proxies and load balancers that drop idle connections. ASGI sends headers
in one message, so this module adds an extension to uvicorn's h11 protocol: the scope's
`extensions[EXTENSION]` is an `OpenHeaders`, and after `hold()` the next
`http.response.start` leaves its header block open; `add(name, value)` writes one more
header line, and the first body message (or `close()`) ends the block.

It works at the transport: the header block h11 produced is written without its final
CRLF, which the next write puts in front of itself. h11 never sees the extra lines.
"""

from __future__ import annotations

from typing import Any

EXTENSION = "runwatch.open_headers"


class OpenHeaders:
    """A response's transport, able to keep its header block open (see module doc)."""

    def __init__(self, transport: Any) -> None:
        self._transport = transport
        self._hold = False
        self.open = False  # the status line and headers are out, their block not ended

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def hold(self) -> None:
        self._hold = True

    def add(self, name: str, value: str) -> None:
        if self.open and not self._transport.is_closing():
            self._transport.write(f"{name}: {value}\r\n".encode("latin-1"))

    def close(self) -> None:
        if self.open:
            self.open = False
            self._transport.write(b"\r\n")

    def write(self, data: bytes) -> None:
        if self._hold and data.endswith(b"\r\n\r\n"):
            self._hold, self.open = False, True
            self._transport.write(data[:-2])
            return
        self.close()
        self._transport.write(data)


def open_headers_protocol(base: type[Any]) -> type[Any]:
    """`base` (uvicorn's H11Protocol or a subclass) whose requests carry an OpenHeaders."""

    class OpenHeadersProtocol(base):  # type: ignore[misc]
        def handle_events(self) -> None:
            before = getattr(self, "cycle", None)
            super().handle_events()
            cycle = getattr(self, "cycle", None)
            # a new request's cycle was made (its task has not run yet): give it the extension
            if cycle is not None and cycle is not before and not isinstance(cycle.transport, OpenHeaders):
                cycle.transport = OpenHeaders(cycle.transport)
                cycle.scope.setdefault("extensions", {})[EXTENSION] = cycle.transport

    return OpenHeadersProtocol
