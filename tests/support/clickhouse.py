"""The embedded ClickHouse server as a test resource: a real subprocess on a free port.

chDB hosts one data directory per process, so every test server is its own
`python -m runwatch.server.embedded` child. The handle starts it, waits for `/ping` against a
deadline (surfacing the child's log if it dies first), and stops it with SIGTERM like a
user's Ctrl-C. On Linux the child also gets PR_SET_PDEATHSIG, and an atexit hook stops
whatever is still running, so no server outlives the test session.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import clickhouse_connect
from clickhouse_connect.driver.client import Client

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SEC = 60.0
STOP_TIMEOUT_SEC = 30.0

_live: set[EmbeddedClickHouse] = set()
_live_lock = threading.Lock()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class ServerFailed(RuntimeError):
    """The server process exited or did not answer /ping in time."""


class EmbeddedClickHouse:
    """One `python -m runwatch.server.embedded` process. Same port and data dir across restarts."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        user: str | None = None,
        password: str | None = None,
        startup_timeout: float = STARTUP_TIMEOUT_SEC,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.extra_args = extra_args
        self.data_dir = Path(data_dir)
        self.host = host
        self.port = port or free_port(host)
        self.user = user
        self.password = password
        self.startup_timeout = startup_timeout
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}.server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "runwatch.server.embedded", "--data-dir", str(self.data_dir),
                "--host", self.host, "--port", str(self.port)]
        if self.user is not None:
            argv += ["--user", self.user, "--password", self.password or ""]
        return argv + list(self.extra_args)

    def start(self) -> EmbeddedClickHouse:
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self._process = subprocess.Popen(
                self.argv(), cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        finally:
            log.close()
        with _live_lock:
            _live.add(self)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise ServerFailed(
                    f"embedded ClickHouse exited with {self._process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.05)
        self.stop()
        raise ServerFailed(
            f"embedded ClickHouse did not answer /ping within {self.startup_timeout}s:\n"
            f"{self.log_tail()}"
        )

    def stop(self, timeout: float = STOP_TIMEOUT_SEC) -> int | None:
        """SIGTERM and wait (SIGKILL after `timeout`). Returns the exit code."""
        process, self._process = self._process, None
        with _live_lock:
            _live.discard(self)
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def restart(self) -> EmbeddedClickHouse:
        self.stop()
        return self.start()

    def client(self, database: str | None = None, **kwargs: Any) -> Client:
        """A clickhouse_connect client for this server (extra kwargs go to get_client)."""
        if self.user is not None:
            kwargs.setdefault("username", self.user)
            kwargs.setdefault("password", self.password or "")
        return clickhouse_connect.get_client(
            host=self.host, port=self.port, database=database, **kwargs
        )

    def log_tail(self, max_bytes: int = 8000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return "(no server log)"
        return data[-max_bytes:].decode(errors="replace")

    def __enter__(self) -> EmbeddedClickHouse:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"EmbeddedClickHouse(url={self.url!r}, data_dir={str(self.data_dir)!r})"


@atexit.register
def _stop_all() -> None:
    with _live_lock:
        servers = list(_live)
    for server in servers:
        server.stop(timeout=10)

