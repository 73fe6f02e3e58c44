from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.clickhouse import EmbeddedClickHouse


@pytest.fixture
def scratch(clickhouse_server: EmbeddedClickHouse) -> Iterator[str]:
    """An empty database of the test's own on the shared server."""
    name = f"emb_{uuid.uuid4().hex[:12]}"
    client = clickhouse_server.client()
    client.command(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        client.command(f"DROP DATABASE IF EXISTS {name} SYNC")
        client.close()
