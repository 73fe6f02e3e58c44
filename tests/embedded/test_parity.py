"""HTTP-interface details the official clients rely on, each against the real embedded
server: binary query text, currentUser(), ClickHouse's block compression (compress=1,
decompress=1), the client's query_id in system.processes, progress headers."""

from __future__ import annotations

import time
import urllib.parse
import uuid
from pathlib import Path

import httpx

from tests.support.clickhouse import EmbeddedClickHouse

SLEEPY = "SELECT sleepEachRow(0.5) FROM numbers(60) SETTINGS max_block_size = 1"


def _wait_for(predicate: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_binary_parameter_when_bytes_are_not_utf8_then_engine_reads_those_bytes(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    # clickhouse-connect splices a bytes parameter into the query text as a heredoc and
    # POSTs it as the body: the text is not UTF-8
    client = clickhouse_server.client()
    every_byte = bytes(range(256))
    hexed = client.raw_query("SELECT hex($blob$)", parameters={"$blob$": every_byte})
    assert hexed == every_byte.hex().upper().encode() + b"\n"
    parquet = client.raw_query("SELECT number * 3 AS n FROM numbers(5)", fmt="Parquet")
    assert b"\xff" in parquet or b"\x00" in parquet  # binary, not text
    total = client.query("SELECT sum(n) FROM format(Parquet, $p$)", parameters={"$p$": parquet})
    assert total.result_rows == [(30,)]


def test_current_user_when_authenticated_then_named_by_every_alias(tmp_path: Path) -> None:
    with EmbeddedClickHouse(tmp_path / "data", user="trainer", password="s3cret") as server:
        client = server.client()
        row = client.query("SELECT currentUser(), user(), current_user(), 'user()' /* currentUser() */").result_rows
        assert row == [("trainer", "trainer", "trainer", "user()")]


def test_system_processes_when_client_names_query_id_then_listed_under_it(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    query_id = f"parity-{uuid.uuid4().hex[:8]}"
    url = clickhouse_server.url + "/?" + urllib.parse.urlencode({"query_id": query_id})
    client = clickhouse_server.client()
    lookup = "SELECT query, user FROM system.processes WHERE query_id = {id:String}"
    with httpx.Client(timeout=60) as first, first.stream("POST", url, content=SLEEPY) as running:
        assert running.status_code == 200
        assert _wait_for(lambda: bool(client.query(lookup, parameters={"id": query_id}).result_rows))
        ((query, user),) = client.query(lookup, parameters={"id": query_id}).result_rows
        assert query == SLEEPY and user == "default"
        listed = client.query("SHOW PROCESSLIST").named_results()
        assert query_id in [row["query_id"] for row in listed]
        client.command(f"KILL QUERY WHERE query_id = '{query_id}'")
    assert _wait_for(lambda: not client.query(lookup, parameters={"id": query_id}).result_rows)
