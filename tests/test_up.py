"""`runwatch up` as an operator meets it: a part that dies is restarted while the others keep
running, demo runs are never marked finished before they are, and a taken port is a clear
error before anything claims to be up."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import clickhouse_connect
import psutil
import pytest

from tests.support.clickhouse import REPO_ROOT, free_port
from tests.support.waiting import wait_for


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("CH_", "RUNWATCH_"))}


def _health(port: int) -> dict[str, object] | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
            body: dict[str, object] = json.load(response)
            return body
    except OSError:
        return None


def _child(supervisor: subprocess.Popen[str], command: str) -> psutil.Process | None:
    for child in psutil.Process(supervisor.pid).children():
        try:
            argv = child.cmdline()
        except psutil.NoSuchProcess:
            continue
        if argv[2:4] == ["runwatch", command]:
            return child
    return None


class _Output:
    """The supervisor's output, read on a thread so the test can wait for a line."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        assert process.stdout is not None
        stdout = process.stdout
        self._thread = threading.Thread(target=lambda: self.lines.extend(iter(stdout.readline, "")),
                                        daemon=True)
        self._thread.start()

    def has(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    @property
    def text(self) -> str:
        return "".join(self.lines)


@pytest.mark.slow
def test_up_restarts_a_killed_dashboard_while_clickhouse_and_demo_keep_running(tmp_path: Path) -> None:
    port, ch_port = free_port(), free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "runwatch", "up", "--demo", "--demo-runs", "1",
         "--data-dir", str(tmp_path / "data"), "--port", str(port), "--ch-port", str(ch_port)],
        cwd=REPO_ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = _Output(process)
    try:
        wait_for(lambda: output.has("runwatch is up"), 90, "the up line")
        clickhouse = _child(process, "clickhouse")
        demo = wait_for(lambda: _child(process, "demo"), 10, "the demo child")
        dashboard = _child(process, "serve")
        assert clickhouse is not None and dashboard is not None
        first = _health(port)
        assert first is not None

        dashboard.send_signal(signal.SIGKILL)
        wait_for(lambda: output.has("dashboard exited with -9"), 10, "the supervisor noticing")
        wait_for(lambda: (_health(port) or {}).get("status") == "ok", 60, "the dashboard again")

        restarted = _child(process, "serve")
        assert restarted is not None and restarted.pid != dashboard.pid
        assert clickhouse.is_running() and _child(process, "clickhouse") == clickhouse
        assert demo.is_running() and _child(process, "demo") == demo
        assert (_health(port) or {}).get("instance") == first["instance"]
        assert process.poll() is None, output.text

        client = clickhouse_connect.get_client(host="127.0.0.1", port=ch_port,
                                               database="training_observability")
        try:
            statuses = lambda: [row[0] for row in client.query(  # noqa: E731
                "SELECT status FROM runs FINAL WHERE project = 'demo'").result_rows]
            assert statuses() == ["running"]
            process.send_signal(signal.SIGINT)
            process.wait(60)
        finally:
            client.close()
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output.text
    assert not clickhouse.is_running() and not demo.is_running()


def test_up_on_a_taken_port_exits_non_zero_with_a_clear_message_and_no_up_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "runwatch", "up", "--data-dir", str(tmp_path / "data"),
             "--port", str(port), "--ch-port", str(free_port())],
            cwd=REPO_ROOT, env=_env(), capture_output=True, text=True, timeout=60,
        )
    assert result.returncode != 0
    assert f"already in use: 127.0.0.1:{port}" in result.stderr
    assert "is up" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_up_with_dashboard_auth_is_ready_and_the_page_still_needs_the_token(tmp_path: Path) -> None:
    port, ch_port = free_port(), free_port()
    env = {**_env(), "RUNWATCH_AUTH_TOKEN": "wall-secret"}
    process = subprocess.Popen(
        [sys.executable, "-m", "runwatch", "up", "--data-dir", str(tmp_path / "data"),
         "--port", str(port), "--ch-port", str(ch_port)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    output = _Output(process)
    try:
        wait_for(lambda: output.has("runwatch is up") or process.poll() is not None, 90,
                 "runwatch up to come up behind auth")
        assert output.has("runwatch is up"), output.text
        assert _health(port) is None  # 401 without the token
        request = urllib.request.Request(f"http://127.0.0.1:{port}/health",
                                         headers={"Authorization": "Bearer wall-secret"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
