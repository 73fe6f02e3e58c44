"""`runwatch up`: the embedded ClickHouse, the dashboard and (optionally) demo runs, one command.

Each part runs as its own child process, exactly as a user would run it by hand
(`runwatch clickhouse`, `runwatch serve`, `runwatch demo`): chDB can host one data directory
per process, and separate processes keep a crash in one part from taking the others down.
The supervisor checks that the ports are free, starts the parts in dependency order and waits
for each to answer — the dashboard must answer /health with the token this start gave it, so
some other program on the port is never taken for ours. A part that dies later is restarted
with backoff (1 s doubling to 30 s, reset after a minute of uptime) and the log says so; the
others keep running (the agent spools while ClickHouse is away, pages reconnect to a new
dashboard). Only Ctrl-C / SIGTERM stops everything, in reverse order (SIGTERM, then SIGKILL
after a grace period), so no orphan keeps a port or the data directory.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STOP_GRACE_SEC = 10.0
RESTART_BACKOFF_SEC = (1.0, 30.0)
HEALTHY_AFTER_SEC = 60.0  # a part up this long has its restart backoff reset


def register(subparsers: Any) -> None:
    up = subparsers.add_parser(
        "up", help="embedded ClickHouse + dashboard (+ --demo runs), Ctrl-C stops all"
    )
    up.add_argument("--data-dir", type=Path, default=Path(".runwatch/data"),
                    help="where the embedded ClickHouse keeps its data (default .runwatch/data)")
    up.add_argument("--host", default="127.0.0.1", help="address of the dashboard (default 127.0.0.1)")
    up.add_argument("--port", type=int, default=8000, help="dashboard port (default 8000)")
    up.add_argument("--ch-port", type=int, default=8123, help="embedded ClickHouse port (default 8123)")
    up.add_argument("--demo", action="store_true", help="also emit simulated training runs")
    up.add_argument("--demo-runs", type=int, default=3, help="how many demo runs (default 3)")
    up.set_defaults(handler=run_up)


@dataclass
class Part:
    name: str
    argv: list[str]
    ready_url: str | None = None
    optional: bool = False  # a demo that finishes (exit 0) is done, not dead
    ready_check: Callable[[bytes], bool] | None = None  # the ready answer proves it is ours
    ready_headers: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0
    restarts: int = 0
    restart_at: float | None = None


def run_up(args: argparse.Namespace) -> int:
    busy = [f"{host}:{port} ({what})" for what, host, port in (
        ("dashboard, --port", args.host, args.port), ("ClickHouse, --ch-port", "127.0.0.1", args.ch_port))
        if not port_is_free(host, port)]
    if busy:
        print(f"runwatch up: already in use: {', '.join(busy)}; stop what holds it or choose "
              "another port", file=sys.stderr)
        return 1
    token = secrets.token_hex(8)
    env = dict(os.environ)
    env.update(CH_HOST="127.0.0.1", CH_PORT=str(args.ch_port), RUNWATCH_INSTANCE_TOKEN=token)
    ready_headers = _dashboard_auth(env)
    python = [sys.executable, "-m", "runwatch"]
    parts = [
        Part("clickhouse",
             # The schema is the next part's job: one applier, in order, with a clear failure.
             [*python, "clickhouse", "--data-dir", str(args.data_dir), "--port", str(args.ch_port),
              "--no-migrate"],
             ready_url=f"http://127.0.0.1:{args.ch_port}/ping"),
        Part("migrate", [*python, "migrate"]),
        Part("dashboard",
             [*python, "serve", "--host", args.host, "--port", str(args.port)],
             ready_url=f"http://{_loopback(args.host)}:{args.port}/health",
             ready_check=lambda body: _instance_of(body) == token, ready_headers=ready_headers),
    ]
    if args.demo:
        parts.append(Part("demo", [*python, "demo", "--runs", str(args.demo_runs)], optional=True))
    supervisor = Supervisor(parts, env)
    return supervisor.run(
        on_ready=lambda: print(
            f"runwatch is up: dashboard http://{_loopback(args.host)}:{args.port}  "
            f"ClickHouse http://127.0.0.1:{args.ch_port} (data: {args.data_dir})  Ctrl-C stops",
            flush=True,
        )
    )


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # the same option uvicorn sets, so a port in TIME_WAIT is not reported as taken
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _dashboard_auth(env: dict[str, str]) -> dict[str, str]:
    """Headers that get the readiness check past the dashboard's auth, when it has auth.

    The settings are read as the dashboard will read them (environment, then .env). With only a
    users file there is no token to send, so this start gives the dashboard one of its own."""
    from runwatch.server.settings import Settings, load_settings

    settings = load_settings(Settings)
    token = settings.auth_token or (secrets.token_urlsafe(24) if settings.users_file else None)
    if token is None:
        return {}
    env["RUNWATCH_AUTH_TOKEN"] = token
    return {"Authorization": f"Bearer {token}"}


def _instance_of(body: bytes) -> str | None:
    try:
        value = json.loads(body).get("instance")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def _loopback(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _die_with_parent() -> None:
    if sys.platform == "linux":
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Supervisor:
    """Starts parts in order, restarts one that dies, stops them in reverse on a signal."""

    def __init__(self, parts: list[Part], env: dict[str, str], ready_timeout: float = 60.0) -> None:
        self._parts = parts
        self._env = env
        self._ready_timeout = ready_timeout
        self._stopping = threading.Event()

    def run(self, on_ready: Callable[[], None]) -> int:
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for part in self._parts:
                if self._stopping.is_set():
                    return 130
                if part.ready_url is None and not part.optional:
                    # A one-shot step (migrate): it must succeed before the next part starts.
                    code = subprocess.call(part.argv, env=self._env)
                    if code != 0:
                        print(f"runwatch up: {part.name} failed (exit {code})", file=sys.stderr)
                        return code
                    continue
                self._spawn(part)
                if part.ready_url and not self._wait_ready(part):
                    return 130 if self._stopping.is_set() else 1
            on_ready()
            return self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _spawn(self, part: Part) -> None:
        # Own session: the terminal's Ctrl-C reaches only us, and we stop the parts in
        # reverse order; the death signal covers us being killed outright.
        part.process = subprocess.Popen(
            part.argv, env=self._env, start_new_session=True, preexec_fn=_die_with_parent
        )
        part.started_at = time.monotonic()

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stopping.set()

    def _wait_ready(self, part: Part) -> bool:
        assert part.process is not None and part.ready_url is not None
        deadline = time.monotonic() + self._ready_timeout
        while time.monotonic() < deadline and not self._stopping.is_set():
            if part.process.poll() is not None:
                print(f"runwatch up: {part.name} exited with {part.process.returncode} while starting",
                      file=sys.stderr)
                return False
            try:
                request = urllib.request.Request(part.ready_url, headers=part.ready_headers)
                with urllib.request.urlopen(request, timeout=1.0) as response:
                    body = response.read()
            except OSError:
                self._stopping.wait(0.2)
                continue
            if part.ready_check is not None and not part.ready_check(body):
                print(f"runwatch up: something else answers at {part.ready_url} (not the "
                      f"{part.name} this command started)", file=sys.stderr)
                return False
            if part.process.poll() is not None:  # it answered, but it was not our process
                continue
            return True
        if not self._stopping.is_set():
            print(f"runwatch up: {part.name} did not answer at {part.ready_url} within "
                  f"{self._ready_timeout:.0f} s", file=sys.stderr)
        return False

    def _watch(self) -> int:
        while not self._stopping.wait(0.5):
            now = time.monotonic()
            for part in self._parts:
                if part.process is None:
                    continue
                if part.restart_at is not None:
                    if now >= part.restart_at and not self._stopping.is_set():
                        part.restart_at = None
                        print(f"runwatch up: restarting {part.name} (restart {part.restarts})",
                              file=sys.stderr, flush=True)
                        self._spawn(part)
                    continue
                code = part.process.poll()
                if code is None:
                    continue
                if part.optional and code == 0:
                    part.process = None
                    continue
                self._schedule_restart(part, code, now)
        return 0

    def _schedule_restart(self, part: Part, code: int, now: float) -> None:
        if now - part.started_at >= HEALTHY_AFTER_SEC:
            part.restarts = 0
        first, cap = RESTART_BACKOFF_SEC
        delay = min(cap, first * 2 ** part.restarts)
        part.restarts += 1
        part.restart_at = now + delay
        print(f"runwatch up: {part.name} exited with {code}; the other parts keep running; "
              f"restarting it in {delay:.0f} s", file=sys.stderr, flush=True)

    def _stop_all(self) -> None:
        running = [p for p in reversed(self._parts) if p.process and p.process.poll() is None]
        for part in running:
            assert part.process is not None
            part.process.send_signal(signal.SIGTERM)
            try:
                part.process.wait(timeout=STOP_GRACE_SEC)
            except subprocess.TimeoutExpired:
                print(f"runwatch up: {part.name} ignored SIGTERM for {STOP_GRACE_SEC:.0f} s; killing",
                      file=sys.stderr)
                part.process.kill()
                part.process.wait()
