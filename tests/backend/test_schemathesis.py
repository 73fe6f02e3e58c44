"""The dashboard's API fuzzed by schemathesis: `runwatch serve` (a real subprocess) on the
embedded engine, a bounded run (fixed seed and example budget; examples, coverage, fuzzing
and stateful phases), every check on: no 5xx, every status and body as the OpenAPI schema
documents. Links from GET /runs feed real run ids to the per-run routes in the stateful
phase. /stream is excluded because it never ends (an SSE stream); tests/backend/test_stream.py
covers it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.backend.helpers import insert_points, insert_run
from tests.support.clickhouse import EmbeddedClickHouse, free_port

REPO = Path(__file__).resolve().parents[2]
SEED = "20261203"
MAX_EXAMPLES = "12"
RUN_TIMEOUT_SEC = 110


@pytest.fixture
def dashboard(clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path) -> Iterator[str]:
    client = clickhouse_server.client(database)
    insert_run(client, "run-a", project="p", name="a", status="running")
    insert_points(client, [{"run_id": "run-a", "metric": "train/loss", "step": s, "value": 1 / (s + 1)}
                           for s in range(50)])
    insert_points(client, [{"run_id": "run-a", "metric": "checkpoint", "step": 10, "value": 123.0,
                            "tags_json": '{"path": "ckpt/10.pt", "size_bytes": 123}'}])
    client.close()
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CH_", "RUNWATCH_"))}
    env.update(CH_HOST=clickhouse_server.host, CH_PORT=str(clickhouse_server.port),
               CH_DATABASE=database, RUNWATCH_RUNS_POLL_INTERVAL_SEC="2")
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "runwatch", "serve", "--host", "127.0.0.1",
                                "--port", str(port)], cwd=REPO, env=env, stdout=log,
                               stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, (
                (tmp_path / "serve.log").read_text())
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(15)
        log.close()
    # a 5xx would also be logged with its traceback: say so next to the failure
    assert "Traceback" not in (tmp_path / "serve.log").read_text(), (tmp_path / "serve.log").read_text()


def test_api_when_fuzzed_by_schemathesis_then_no_server_error_and_schema_conformance(
        dashboard: str, tmp_path: Path) -> None:
    st = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    assert st is not None, "schemathesis is in the dev extra: run `make setup`"
    reports = tmp_path / "reports"
    command = [
        st, "run", dashboard + "/openapi.json",
        "--seed", SEED, "--max-examples", MAX_EXAMPLES,
        "--phases", "examples,coverage,fuzzing,stateful",
        "--checks", "all", "--exclude-path", "/stream",
        # from_step <= to_step (and the times) is a cross-parameter rule OpenAPI cannot state:
        # an inverted window is a documented 422, which this check would call a rejected
        # valid request
        # and in a query string a boolean `false` and the string "false" are the same bytes, so
        # "a schema-violating value was accepted" is reported for valid string lists
        "--exclude-checks", "positive_data_acceptance,negative_data_rejection",
        "--request-timeout", "20", "--no-color", "--workers", "1", "--generation-database", "none",
        "--report", "junit", "--report-junit-path", str(reports / "junit.xml"),
    ]
    # cwd: schemathesis keeps a crash cache in .schemathesis/ of the working directory
    done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT_SEC, cwd=tmp_path)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    suite = ET.parse(next(reports.glob("*.xml"))).getroot()
    cases = suite.findall(".//testcase")
    operations = {case.get("name") for case in cases}
    assert {"GET /runs", "GET /metrics/{run_id}", "GET /checkpoints/{run_id}", "GET /health",
            "GET /tabs"} <= operations, (operations, output)
    assert not suite.findall(".//failure") and not suite.findall(".//error"), output
    assert "Stateful" in output or "stateful" in output, output
