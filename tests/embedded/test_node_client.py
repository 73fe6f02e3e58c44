"""The official Node client (@clickhouse/client) against the embedded server: ping, a JSON
query, a command, a JSONEachRow insert, query parameters, a stream and an error code
(tests/node/check.mjs; `make setup` installs its pinned package-lock)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.support.clickhouse import EmbeddedClickHouse

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


def test_node_client_when_basic_flows_then_every_check_passes(clickhouse_server: EmbeddedClickHouse) -> None:
    node = shutil.which("node")
    assert node is not None, "Node.js is needed (it builds the frontend too)"
    assert (NODE_DIR / "node_modules" / "@clickhouse" / "client").is_dir(), \
        "tests/node is not installed: run `make setup`"
    done = subprocess.run([node, "check.mjs", clickhouse_server.url], cwd=NODE_DIR, capture_output=True,
                          text=True, timeout=120, check=False)
    checks = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0, done.stdout + done.stderr
    assert [c["check"] for c in checks if c["ok"]] == [
        "ping", "query JSON", "command", "insert JSONEachRow", "inserted rows read back",
        "query params", "stream", "error has ClickHouse code"]
