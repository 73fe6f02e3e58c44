"""`serve()`: run the embedded ClickHouse HTTP server until SIGINT/SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import uvicorn

from runwatch.server.embedded.http_app import ServerConfig, create_app
from runwatch.server.embedded.openheaders import open_headers_protocol
from runwatch.server.hosts import parse_allowed_hosts
from runwatch.server.http_limits import HEADER_TIMEOUT_SEC, MAX_CONNECTIONS, uvicorn_options

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Server(uvicorn.Server):
    """Announces readiness once the socket is listening (the app's lifespan has run), and
    exits 0 after a graceful SIGINT/SIGTERM shutdown (uvicorn re-raises the signal, which
    would report a clean stop as death by signal)."""

    def __init__(
        self, config: uvicorn.Config, banner: str, on_ready: Callable[[], None] | None
    ) -> None:
        super().__init__(config)
        self._banner = banner
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            sys.stdout.write(self._banner + "\n")
            sys.stdout.flush()
            if self._on_ready is not None:
                # In a thread: it may query this very server, whose loop must keep serving.
                threading.Thread(target=self._on_ready, name="runwatch-on-ready",
                                 daemon=True).start()

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        original = {sig: signal.signal(sig, self.handle_exit) for sig in _SIGNALS}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)


def serve(
    data_dir: Path | str,
    host: str = "127.0.0.1",
    port: int = 8123,
    user: str | None = None,
    password: str | None = None,
    *,
    max_workers: int = 32,
    on_ready: Callable[[], None] | None = None,
    header_timeout: float = HEADER_TIMEOUT_SEC,
    max_connections: int = MAX_CONNECTIONS,
    allowed_hosts: str | None = None,
) -> None:
    """Serve `data_dir` on the ClickHouse HTTP interface; blocks until SIGINT/SIGTERM.

    `on_ready` runs in its own thread once the socket is listening. `allowed_hosts`: the
    Host-header names answered besides loopback ones (comma-separated, `*` = any; None: the
    bound address), see server/hosts.py.

    Raises EngineError when the data directory cannot be opened (for instance another
    server holds it) and SystemExit(1) when the port cannot be bound."""
    data_dir = Path(data_dir).resolve()
    app = create_app(ServerConfig(
        data_dir, user=user, password=password, max_workers=max_workers,
        allowed_hosts=tuple(parse_allowed_hosts(allowed_hosts, host))))
    app.state.engine.open()  # here, not in the lifespan: a bad data dir raises EngineError
    options = uvicorn_options(header_timeout=header_timeout, max_connections=max_connections)
    options["http"] = open_headers_protocol(options["http"])  # X-ClickHouse-Progress while a query runs
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", access_log=False,
        lifespan="on", timeout_graceful_shutdown=10, **options,
    )
    url_host = f"[{host}]" if ":" in host else host
    banner = f"runwatch embedded ClickHouse listening on http://{url_host}:{port} (data: {data_dir})"
    server = _Server(config, banner, on_ready)
    server.run()
