"""HTTP-interface details the official clients rely on, each against the real embedded
server: binary query text, currentUser(), ClickHouse's block compression (compress=1,
decompress=1), the client's query_id in system.processes, progress headers."""

from __future__ import annotations

from tests.support.clickhouse import EmbeddedClickHouse


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
