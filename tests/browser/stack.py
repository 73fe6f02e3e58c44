"""The real stack for browser tests: `runwatch serve` as a subprocess against the embedded
ClickHouse, and agent runs that log into it.

The backend runs in its own process (not a thread) so that a test can stop it the way an
operator would and start it again on the same port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from runwatch import Run
from runwatch.system.protocol import Sample
from tests.support.clickhouse import EmbeddedClickHouse, free_port

from .chromium import DIST, REPO

START_TIMEOUT_SEC = 30.0


class BackendProcess:
    """`python -m runwatch serve` on a fixed port; start(), stop(), start() again."""

    health_path = "/health"  # what start() waits for (a subclass with auth adds ?token=)

    def __init__(self, clickhouse: EmbeddedClickHouse, database: str, log_dir: Path,
                 extra_env: dict[str, str] | None = None) -> None:
        self.clickhouse = clickhouse
        self.extra_env = extra_env or {}
        self.database = database
        self.port = free_port()
        self.log_path = log_dir / f"backend-{self.port}.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CH_", "RUNWATCH_"))}
        env.update(
            {
                "CH_HOST": self.clickhouse.host,
                "CH_PORT": str(self.clickhouse.port),
                "CH_DATABASE": self.database,
                "RUNWATCH_RUNS_POLL_INTERVAL_SEC": "2",
                "RUNWATCH_FRONTEND_DIST": str(DIST),
                "RUNWATCH_SSE_PING_SEC": "5",
            }
        )
        env.update(self.extra_env)
        return env

    def start(self) -> BackendProcess:
        log = self.log_path.open("ab")
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "runwatch",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            cwd=REPO,
            env=self.environ(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SEC
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"backend exited ({self._process.returncode}):\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}{self.health_path}", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"backend did not answer /health in {START_TIMEOUT_SEC}s:\n{self.log()}")

    def stop(self) -> None:
        process = self._process
        self._process = None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except OSError:
            return ""


class FakeGpus:
    """Two GPUs whose utilisation follows a fixed pattern (a Collector, like the NVML one)."""

    def __init__(self, count: int = 2) -> None:
        self.count = count
        self.tick = 0

    def collect(self) -> list[Sample]:
        self.tick += 1
        samples = []
        for device in range(self.count):
            util = 60.0 + 15.0 * device + 10.0 * ((self.tick + device) % 3)
            samples.append(Sample(f"sys.gpu.{device}.util_percent", util, "%", device))
            samples.append(
                Sample(f"sys.gpu.{device}.mem_used_bytes", (20 + device) * 2**30, "bytes", device)
            )
        return samples


def open_run(
    clickhouse: EmbeddedClickHouse,
    database: str,
    name: str,
    *,
    project: str = "browser",
    config: dict[str, Any] | None = None,
    gpus: bool = False,
) -> Run:
    return Run(
        project=project,
        name=name,
        config=config or {},
        host=clickhouse.host,
        port=clickhouse.port,
        database=database,
        system_metrics=False,
        collectors=[FakeGpus()] if gpus else None,
        system_interval=0.5,
        flush_interval=0.1,
        spool=False,
    )
