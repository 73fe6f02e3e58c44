"""A real HTTP receiver for notification tests: an http.server on 127.0.0.1 in a thread that
records every POST (path, JSON body, arrival time) and answers per path: 200, a given status,
or not at all for `hang_sec` (a receiver that hangs)."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    path: str
    body: Any
    at: float  # time.monotonic()


class Receiver:
    def __init__(self, statuses: dict[str, int] | None = None,
                 hang: dict[str, float] | None = None) -> None:
        self.statuses = statuses or {}
        self.hang = hang or {}
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                with receiver._lock:
                    receiver.received.append(Received(self.path, body, time.monotonic()))
                delay = receiver.hang.get(self.path)
                if delay:
                    receiver._stop.wait(delay)
                status = receiver.statuses.get(self.path, 200)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="test-receiver",
                                       daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def posts(self, path: str | None = None, **match: Any) -> list[Received]:
        with self._lock:
            got = list(self.received)
        return [r for r in got if (path is None or r.path == path) and isinstance(r.body, dict)
                and all(r.body.get(k) == v for k, v in match.items())]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()
