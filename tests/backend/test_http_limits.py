"""runwatch/server/http_limits.py on a real uvicorn (the options `runwatch serve` runs with)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from runwatch.server.http_limits import uvicorn_options
from tests.support.clickhouse import free_port
from tests.support.raw_http import raw_get

HEADER_TIMEOUT_SEC = 0.5


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, int]]:
    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("ok"))])
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            **uvicorn_options(header_timeout=HEADER_TIMEOUT_SEC))
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield "127.0.0.1", port
    instance.should_exit = True
    thread.join(10)


def test_uri_when_1mb_then_414_and_when_shorter_then_served(server: tuple[str, int]) -> None:
    assert raw_get(*server, b"/?x=" + b"a" * (1024 * 1024)).startswith(b"HTTP/1.1 414 ")
    assert raw_get(*server, b"/?x=" + b"a" * 200_000).endswith(b"\r\n\r\nok")


def test_headers_when_they_trickle_then_connection_closed(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=5) as sock:
        start = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\n")
        assert sock.recv(100) == b""
    assert HEADER_TIMEOUT_SEC * 0.9 <= time.monotonic() - start < 4
