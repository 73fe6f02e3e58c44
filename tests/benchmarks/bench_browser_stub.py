"""A stand-in for the backend's SSE endpoint, for the browser benchmark (and screenshots).

It serves `frontend/dist` at `/` and a synthetic `/stream`: one `snapshot` on connect, then a
`delta` every `delta_interval` seconds built by the caller's function, each in the wire format
of ARCHITECTURE.md. `/tabs` answers 404 (the page falls back to its built-in mapping), `/runs`
and `/checkpoints/{run}` answer empty lists, `/metrics/{run}` 404. Bound to 127.0.0.1 only;
`stop()` ends every stream.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

Message = dict[str, Any]


def frame(event: str, data: bytes, version: int) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (version, event.encode(), data)


class StubServer:
    def __init__(
        self,
        dist: Path,
        snapshot: Callable[[], Message],
        delta: Callable[[int], list[dict[str, Any]]] | None = None,
        *,
        delta_interval: float = 0.25,
        max_deltas: int = 10_000,
    ) -> None:
        self.dist = dist
        self._snapshot_factory = snapshot
        self._delta = delta
        self.delta_interval = delta_interval
        self.max_deltas = max_deltas
        self._snapshot_bytes: bytes | None = None
        self._snapshot_version = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self.deltas_sent = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def snapshot_bytes(self) -> bytes:
        with self._lock:
            if self._snapshot_bytes is None:
                message = self._snapshot_factory()
                self._snapshot_version = int(message["version"])
                self._snapshot_bytes = json.dumps(message, separators=(",", ":")).encode()
            return self._snapshot_bytes

    def start(self) -> None:
        handler = partial(_Handler, self, directory=str(self.dist))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stub-http", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def stream(self, write: Callable[[bytes], None]) -> None:
        snap = self.snapshot_bytes()
        version = self._snapshot_version
        write(b"retry: 1000\n\n")
        write(frame("snapshot", snap, version))
        if self._delta is None:
            self._stop.wait()
            return
        sent = 0
        while not self._stop.wait(self.delta_interval) and sent < self.max_deltas:
            series = self._delta(sent)
            body = json.dumps(
                {"version": version + 1, "prev_version": version, "series": series},
                separators=(",", ":"),
            ).encode()
            version += 1
            write(frame("delta", body, version))
            sent += 1
            self.deltas_sent += 1


class _Handler(SimpleHTTPRequestHandler):
    def __init__(self, stub: StubServer, *args: Any, **kwargs: Any) -> None:
        self.stub = stub
        super().__init__(*args, **kwargs)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        return

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()

            def write(chunk: bytes) -> None:
                self.wfile.write(chunk)
                self.wfile.flush()

            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.stub.stream(write)
            return
        if path == "/tabs" or path.startswith("/metrics/"):
            self._json(404, {"detail": "not in the stub"})
            return
        if path == "/runs":
            self._json(200, {"runs": [], "total": 0})
            return
        if path.startswith("/checkpoints/"):
            self._json(200, {"run_id": path.rsplit("/", 1)[-1], "checkpoints": []})
            return
        if path == "/health":
            self._json(200, {"status": "ok"})
            return
        super().do_GET()
