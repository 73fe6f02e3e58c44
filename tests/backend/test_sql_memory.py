"""POST /sql streams: a result much larger than the server's memory growth passes through.

The dashboard runs as its own process (`python -m runwatch.server.commands.serve`), so its RSS
is measured alone (psutil), not mixed with the test's or the engine's.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import psutil
import pytest

from tests.support.clickhouse import EmbeddedClickHouse, free_port
from tests.support.waiting import wait_for

ROWS = 5_000_000
MB = 2**20


@pytest.fixture
def serve(clickhouse_server: EmbeddedClickHouse, database: str) -> Iterator[tuple[str, psutil.Process]]:
    port = free_port()
    env = {**os.environ, "CH_HOST": clickhouse_server.host, "CH_PORT": str(clickhouse_server.port),
           "CH_DATABASE": database, "RUNWATCH_SQL_MAX_RESULT_ROWS": str(ROWS * 2),
           "RUNWATCH_FRONTEND_DIST": "/nonexistent"}
    process = subprocess.Popen([sys.executable, "-m", "runwatch.server.commands.serve", "--port", str(port)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            try:
                return httpx.get(url + "/tabs", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, 30, "runwatch serve")
        yield url, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(15)


def test_a_large_result_streams_through_without_growing_the_server(serve: tuple[str, psutil.Process]) -> None:
    url, process = serve
    query = {"query": f"SELECT number, toString(number) AS s, 'padding-padding' AS p FROM numbers({ROWS})"}
    httpx.post(url + "/sql", json={"query": "SELECT 1"}, timeout=30).raise_for_status()  # warm up
    baseline = process.memory_info().rss
    peak = baseline
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.02):
            peak = max(peak, process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    received = 0
    last = b""
    try:
        with httpx.stream("POST", url + "/sql", json=query, timeout=120) as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                received += len(chunk)
                last = (last + chunk)[-300:]
    finally:
        stop.set()
        sampler.join(5)
    assert received > 150 * MB
    assert b'"result_rows":%d' % ROWS in last and b'"truncated":false' in last
    assert peak - baseline < 40 * MB, f"RSS grew {(peak - baseline) / MB:.0f} MB for {received / MB:.0f} MB"
