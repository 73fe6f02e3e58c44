"""Shared fixtures: the embedded ClickHouse server (a real subprocess) and fresh databases.

- `clickhouse_server`: one server for the whole session (do not stop it in a test).
- `isolated_clickhouse_server`: a server of your own, for tests that stop or restart it.
- `database`: a fresh, uniquely named database on `clickhouse_server` with the schema
  applied (runwatch.server.migrate.apply_schema); dropped afterwards. Returns its name.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.clickhouse import EmbeddedClickHouse

# A Run captures fds 1 and 2 by default; under pytest that would tee pytest's own capture
# files. Tests that check the capture ask for it with capture_output=True (an explicit
# argument beats the environment) or clear this in the scripts they start.
os.environ.setdefault("RUNWATCH_CAPTURE_OUTPUT", "0")


@pytest.fixture(scope="session")
def clickhouse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedClickHouse]:
    server = EmbeddedClickHouse(tmp_path_factory.mktemp("clickhouse") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def isolated_clickhouse_server(tmp_path: Path) -> Iterator[EmbeddedClickHouse]:
    server = EmbeddedClickHouse(tmp_path / "clickhouse-data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def database(clickhouse_server: EmbeddedClickHouse) -> Iterator[str]:
    from runwatch.server.migrate import apply_schema

    name = f"test_{uuid.uuid4().hex[:12]}"
    client = clickhouse_server.client()
    try:
        apply_schema(client, name)
        yield name
    finally:
        if clickhouse_server.running:
            client.command(f"DROP DATABASE IF EXISTS {name} SYNC")
        client.close()
