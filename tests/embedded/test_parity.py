"""HTTP-interface details the official clients rely on, each against the real embedded
server: binary query text, currentUser(), ClickHouse's block compression (compress=1,
decompress=1), the client's query_id in system.processes, progress headers."""

from __future__ import annotations

import json
import socket
import struct
import time
import urllib.parse
import uuid
from pathlib import Path

import httpx
import lz4.block
import pytest
import zstandard
from clickhouse_cityhash.cityhash import CityHash128
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.support.clickhouse import EmbeddedClickHouse
from tests.support.waiting import wait_for

SLEEPY = "SELECT sleepEachRow(0.5) FROM numbers(60) SETTINGS max_block_size = 1"


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
        wait_for(lambda: client.query(lookup, parameters={"id": query_id}).result_rows, 20, "the query in system.processes")
        ((query, user),) = client.query(lookup, parameters={"id": query_id}).result_rows
        assert query == SLEEPY and user == "default"
        listed = client.query("SHOW PROCESSLIST").named_results()
        assert query_id in [row["query_id"] for row in listed]
        client.command(f"KILL QUERY WHERE query_id = '{query_id}'")
    wait_for(lambda: not client.query(lookup, parameters={"id": query_id}).result_rows, 20, "the query to leave system.processes")


def _unframe(raw: bytes) -> list[tuple[int, bytes]]:
    """ClickHouse compressed blocks → (method byte, data), checksums checked (written here
    from the format's description, not with the server's code)."""
    blocks, pos = [], 0
    while pos < len(raw):
        method, stored, size = struct.unpack_from("<BII", raw, pos + 16)
        block = raw[pos + 16:pos + 16 + stored]
        digest = CityHash128(block)
        assert raw[pos:pos + 16] == struct.pack("<QQ", digest >> 64, digest & (2**64 - 1))
        packed = block[9:]
        if method == 0x82:
            data = lz4.block.decompress(packed, uncompressed_size=size)
        elif method == 0x90:
            data = zstandard.ZstdDecompressor().decompress(packed, max_output_size=size)
        else:
            assert method == 0x02
            data = packed
        assert len(data) == size
        blocks.append((method, data))
        pos += 16 + stored
    return blocks


def _frame(data: bytes) -> bytes:
    packed = lz4.block.compress(data, store_size=False)
    block = struct.pack("<BII", 0x82, 9 + len(packed), len(data)) + packed
    digest = CityHash128(block)
    return struct.pack("<QQ", digest >> 64, digest & (2**64 - 1)) + block


def test_compress_when_result_is_large_then_lz4_blocks_of_at_most_1mib(clickhouse_server: EmbeddedClickHouse) -> None:
    response = httpx.post(clickhouse_server.url + "/?compress=1",
                          content="SELECT number FROM numbers(300000) FORMAT TSV", timeout=60)
    assert response.status_code == 200
    blocks = _unframe(response.content)
    assert {method for method, _ in blocks} == {0x82}
    assert max(len(data) for _, data in blocks) <= 1024 * 1024
    assert b"".join(data for _, data in blocks) == b"".join(b"%d\n" % i for i in range(300000))


def test_compress_when_zstd_asked_and_streamed_with_gzip_then_both_layers_decode(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    with httpx.stream("POST", clickhouse_server.url + "/?compress=1&network_compression_method=ZSTD"
                      "&enable_http_compression=1", content="SELECT number FROM numbers(2000000) FORMAT TSV",
                      headers={"Accept-Encoding": "gzip"}, timeout=60) as response:
        assert response.headers["content-encoding"] == "gzip"
        raw = response.read()  # httpx takes the gzip layer off
    blocks = _unframe(raw)
    assert {method for method, _ in blocks} == {0x90}
    assert b"".join(data for _, data in blocks).count(b"\n") == 2000000


def test_compress_when_query_fails_then_error_text_is_compressed_too(clickhouse_server: EmbeddedClickHouse) -> None:
    response = httpx.post(clickhouse_server.url + "/?compress=1", content="SELECT no_such_column")
    assert response.status_code == 404
    assert response.headers["x-clickhouse-exception-code"] == "47"
    ((method, text),) = _unframe(response.content)
    assert b"UNKNOWN_IDENTIFIER" in text


def test_decompress_when_insert_body_is_blocks_then_rows_stored(
    clickhouse_server: EmbeddedClickHouse, scratch: str,
) -> None:
    client = clickhouse_server.client()
    client.command(f"CREATE TABLE {scratch}.c (n UInt32, s String) ENGINE = Memory")
    rows = b"".join(b"%d\tname %d\n" % (i, i) for i in range(50000))
    body = _frame(f"INSERT INTO {scratch}.c FORMAT TSV\n".encode() + rows[:300000]) + _frame(rows[300000:])
    response = httpx.post(clickhouse_server.url + "/?decompress=1", content=body, timeout=60)
    assert response.status_code == 200, response.text
    assert client.query(f"SELECT count(), sum(n) FROM {scratch}.c").result_rows == [(50000, 1249975000)]


def test_decompress_when_checksum_is_wrong_then_400_and_nothing_stored(
    clickhouse_server: EmbeddedClickHouse, scratch: str,
) -> None:
    client = clickhouse_server.client()
    client.command(f"CREATE TABLE {scratch}.c (n UInt32) ENGINE = Memory")
    body = bytearray(_frame(f"INSERT INTO {scratch}.c FORMAT TSV\n1\n2\n".encode()))
    body[3] ^= 0xFF
    response = httpx.post(clickhouse_server.url + "/?decompress=1", content=bytes(body))
    assert response.status_code == 400
    assert response.headers["x-clickhouse-exception-code"] == "40"
    assert client.command(f"SELECT count() FROM {scratch}.c") == 0
    unchecked = httpx.post(clickhouse_server.url + "/?decompress=1"
                           "&http_native_compression_disable_checksumming_on_decompress=1", content=bytes(body))
    assert unchecked.status_code == 200
    assert client.command(f"SELECT count() FROM {scratch}.c") == 2


SLOW_SUM = "SELECT sum(sleepEachRow(0.1)) FROM numbers(20) SETTINGS max_block_size = 1"


def test_progress_headers_when_query_runs_long_then_sent_every_interval_before_the_body(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    target = "/?" + urllib.parse.urlencode({"send_progress_in_http_headers": 1, "http_headers_progress_interval_ms": 200})
    request = (f"POST {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(SLOW_SUM)}\r\n"
               f"Connection: close\r\n\r\n{SLOW_SUM}").encode()
    started = time.monotonic()
    arrivals: list[tuple[float, bytes]] = []
    with socket.create_connection((clickhouse_server.host, clickhouse_server.port), timeout=30) as sock:
        sock.sendall(request)
        raw = b""
        while b"\r\n\r\n" not in raw:
            chunk = sock.recv(65536)
            assert chunk, raw
            raw += chunk
            arrivals += [(time.monotonic() - started, line) for line in chunk.split(b"\r\n") if line]
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    progress = [(t, json.loads(line.split(b": ", 1)[1])) for t, line in arrivals
                if line.lower().startswith(b"x-clickhouse-progress:")]
    assert len(progress) >= 4
    assert progress[0][0] < 1.2  # the query alone takes 2 s: these came while it ran
    rows = [int(values["read_rows"]) for _, values in progress]
    assert rows == sorted(rows) and rows[0] < rows[-1] == 20
    assert b"x-clickhouse-summary" in head.lower()
    assert b"\r\n0\n\r\n" in body  # the result, chunked


def test_progress_headers_when_read_by_an_http_client_then_response_is_ordinary(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    response = httpx.post(clickhouse_server.url + "/?send_progress_in_http_headers=1&http_headers_progress_interval_ms=100",
                          content=SLOW_SUM, timeout=30)
    assert response.status_code == 200 and response.text == "0\n"
    assert len(response.headers.get_list("x-clickhouse-progress")) >= 5
    client = clickhouse_server.client()
    result = client.query(SLOW_SUM, settings={"send_progress_in_http_headers": 1, "http_headers_progress_interval_ms": 100})
    assert result.result_rows == [(0,)]


def test_progress_headers_when_query_fails_after_they_started_then_client_raises(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    failing = "SELECT sum(sleepEachRow(0.1)) + throwIf(count() > 0, 'late failure') FROM numbers(8) SETTINGS max_block_size = 1"
    response = httpx.post(clickhouse_server.url + "/?send_progress_in_http_headers=1&http_headers_progress_interval_ms=100",
                          content=failing, timeout=30)
    assert response.headers["x-clickhouse-exception-code"] == "395"
    assert response.headers.get_list("x-clickhouse-progress")
    client = clickhouse_server.client()
    with pytest.raises(DatabaseError, match="late failure"):
        client.query(failing, settings={"send_progress_in_http_headers": 1, "http_headers_progress_interval_ms": 100})
