"""The queries in sql/README.md run, and say something, against what `runwatch demo` stores."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.clickhouse import REPO_ROOT, EmbeddedClickHouse

README = REPO_ROOT / "sql" / "README.md"


def readme_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", Path(README).read_text(), re.S)


@pytest.fixture(scope="module")
def demo_database(clickhouse_server: EmbeddedClickHouse) -> str:
    name = "readme_demo"
    result = subprocess.run(
        [sys.executable, "-m", "runwatch", "demo", "--runs", "2", "--steps", "400", "--speed", "0",
         "--host", clickhouse_server.host, "--port", str(clickhouse_server.port), "--database", name],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return name


def test_readme_has_the_queries_users_asked_for() -> None:
    text = README.read_text()
    for topic in ("Latest value of every metric", "loss at step 100", "GPU utilisation per host",
                  "Runs by a config value"):
        assert topic in text
    assert len(readme_queries()) >= 6


@pytest.mark.parametrize("query", readme_queries(), ids=lambda q: q.split("\n")[0][:40])
def test_readme_query_runs_against_demo_data(
    clickhouse_server: EmbeddedClickHouse, demo_database: str, query: str
) -> None:
    rows = clickhouse_server.client(database=demo_database).query(query).result_rows
    first_line = query.split("\n")[0]
    if first_line.startswith(("SELECT run_id, metric, argMax", "SELECT run_id, argMax(value, step)",
                              "SELECT r.run_id, r.name, JSONExtractFloat", "SELECT run_id, step, event_time",
                              "SELECT name, formatReadableSize", "SELECT host, device, minute",
                              "SELECT run_id, step, count, min", "SELECT run_id, host, rank, event_time",
                              "SELECT run_id, host, rank, countIf", "SELECT run_id, key, step")):
        assert rows, f"no rows from: {first_line}"
