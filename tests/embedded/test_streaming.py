"""Results streamed as the engine produces them, query ids, cancellation, external data,
brotli: the embedded server as clickhouse_connect (unmodified) and raw HTTP see it."""

from __future__ import annotations

import socket
import threading
import time
import urllib.parse
import uuid

import brotli
import httpx
import psutil
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError, StreamFailureError
from clickhouse_connect.driver.external import ExternalData

from tests.support.clickhouse import EmbeddedClickHouse
from tests.support.waiting import wait_for

SLEEPY = "SELECT sleepEachRow(0.5) FROM numbers(60) SETTINGS max_block_size = 1"


def _count_marked(server: EmbeddedClickHouse, marker: str) -> int:
    client = server.client()
    sql = ("SELECT count() FROM system.processes WHERE query LIKE {m:String} "
           "AND query NOT LIKE '%system.processes%'")
    return int(client.command(sql, parameters={"m": f"%{marker}%"}))


def test_select_10m_rows_when_streamed_then_server_rss_grows_under_100mb(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    assert clickhouse_server.pid is not None
    process = psutil.Process(clickhouse_server.pid)
    client = clickhouse_server.client()
    client.command("SELECT 1")  # connection pools and first-query caches warmed up
    baseline = process.memory_info().rss
    peak = baseline
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    received = 0
    try:
        # ~190 MB of TSV: a buffered result would hold all of it in the server
        with client.raw_stream("SELECT number, toString(number * 7) FROM numbers(10000000)",
                               fmt="TabSeparated") as stream:
            for chunk in stream:
                received += len(chunk)
    finally:
        done.set()
        sampler.join()
    assert received > 150_000_000
    growth = peak - baseline
    print(f"server RSS {baseline / 2**20:.0f} MiB -> peak {peak / 2**20:.0f} MiB "
          f"(+{growth / 2**20:.0f} MiB) for {received / 2**20:.0f} MiB streamed")
    assert growth < 100 * 2**20


def test_stream_when_error_after_first_blocks_then_clickhouse_connect_raises(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    client = clickhouse_server.client()
    sql = ("SELECT number, throwIf(number = 300000, 'boom mid-stream') FROM numbers(1000000) "
           "SETTINGS max_block_size = 10000")
    rows = 0
    with pytest.raises(StreamFailureError, match="boom mid-stream"), client.query_rows_stream(sql) as stream:
        for _ in stream:
            rows += 1
    assert rows > 0  # the error came after data had been sent: in the body, not the status


def test_stream_when_raw_http_then_exception_is_framed_by_the_announced_tag(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    sql = "SELECT throwIf(number = 200000, 'late failure') FROM numbers(1000000) SETTINGS max_block_size = 1000"
    with httpx.stream("POST", clickhouse_server.url + "/", content=sql, timeout=60) as response:
        assert response.status_code == 200
        tag = response.headers["x-clickhouse-exception-tag"]
        body = response.read()
    assert body.endswith(f" {tag}\r\n__exception__\r\n".encode())
    assert f"__exception__\r\n{tag}\r\nCode: 395.".encode() in body


def test_wait_end_of_query_when_error_then_status_carries_it(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    sql = "SELECT throwIf(number = 200000, 'late failure') FROM numbers(1000000) SETTINGS max_block_size = 1000"
    response = httpx.post(clickhouse_server.url + "/?wait_end_of_query=1", content=sql, timeout=60)
    assert response.status_code == 500
    assert response.headers["x-clickhouse-exception-code"] == "395"


def test_kill_query_when_client_query_id_then_sleeping_query_stops(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    query_id = f"sleepy-{uuid.uuid4().hex[:8]}"
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            clickhouse_server.client().query(SLEEPY, settings={"query_id": query_id})
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the assertion below inspects it
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=run)
    worker.start()
    client = clickhouse_server.client()
    running = "SELECT count() FROM system.processes WHERE query_id = {id:String}"
    wait_for(lambda: client.command(running, parameters={"id": query_id}) == 1, 20, "the query to run")
    # (a KILL that matches nothing is an empty body, which clickhouse-connect reads as [['']])
    killed = client.query(f"KILL QUERY WHERE query_id = '{query_id}'").result_rows
    assert [row[1] for row in killed] == [query_id]
    worker.join(30)
    assert not worker.is_alive()
    assert time.monotonic() - started < 25  # the query alone would sleep 30 s
    assert isinstance(outcome[0], DatabaseError) and "394" in str(outcome[0])


def test_same_query_id_when_still_running_then_refused(clickhouse_server: EmbeddedClickHouse) -> None:
    query_id = f"dup-{uuid.uuid4().hex[:8]}"
    url = clickhouse_server.url + "/?" + urllib.parse.urlencode({"query_id": query_id})
    with httpx.Client(timeout=60) as first:
        stream = first.stream("POST", url, content=SLEEPY.replace("0.5", "0.05"))
        response = stream.__enter__()
        try:
            second = httpx.post(url, content="SELECT 1")
            assert second.headers["x-clickhouse-exception-code"] == "216"
        finally:
            stream.__exit__(None, None, None)
        assert response.status_code == 200


def test_client_disconnect_when_query_waits_then_it_leaves_system_processes(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    marker = f"disc_{uuid.uuid4().hex[:8]}"
    sql = f"SELECT sleepEachRow(0.5) FROM numbers(120) SETTINGS max_block_size = 1 /* {marker} */".encode()
    sock = socket.create_connection((clickhouse_server.host, clickhouse_server.port))
    try:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n%s" % (len(sql), sql))
        wait_for(lambda: _count_marked(clickhouse_server, marker) == 1, 20, "the query to run")
    finally:
        sock.close()
    wait_for(lambda: _count_marked(clickhouse_server, marker) == 0, 15, "the query to leave system.processes")


def test_external_data_when_two_tables_in_multipart_then_query_joins_them(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    client = clickhouse_server.client()
    data = ExternalData(file_name="ids.csv", data=b"1,a\n2,b\n3,c\n", structure="id UInt32, s String", fmt="CSV")
    data.add_file(file_name="extra", data=b"2\tx\n3\ty\n", types="UInt32,String")
    result = client.query("SELECT ids.s, extra._2 FROM ids JOIN extra ON ids.id = extra._1 ORDER BY ids.id",
                          external_data=data)
    assert result.result_rows == [("b", "x"), ("c", "y")]


def test_external_data_when_structure_escapes_its_parentheses_then_refused(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    response = httpx.post(
        clickhouse_server.url + "/?" + urllib.parse.urlencode(
            {"query": "SELECT * FROM t", "t_structure": "a String) ENGINE = File(TSV, '/etc/passwd"}),
        files={"t": ("t.tsv", b"x\n")},
    )
    assert response.status_code == 400
    assert response.headers["x-clickhouse-exception-code"] == "36"


def test_brotli_when_request_and_response_bodies_then_both_decoded(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    sql = b"SELECT number FROM numbers(100000) FORMAT TSV"
    with httpx.stream(
        "POST", clickhouse_server.url + "/?enable_http_compression=1", content=brotli.compress(sql),
        headers={"Content-Encoding": "br", "Accept-Encoding": "br"},
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-encoding"] == "br"
        raw = b"".join(response.iter_raw())  # as sent: httpx would decode br itself
    lines = brotli.decompress(raw).split(b"\n")
    assert lines[99999] == b"99999" and lines[100000] == b""


def test_brotli_when_clickhouse_connect_compresses_then_round_trips(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    client = clickhouse_server.client(compress="br")
    assert client.query("SELECT sum(number) FROM numbers(1000)").result_rows == [(499500,)]


def test_command_when_no_result_set_then_summary_without_format(
    clickhouse_server: EmbeddedClickHouse, scratch: str,
) -> None:
    client = clickhouse_server.client()
    summary = client.command(f"CREATE TABLE {scratch}.t (a UInt8) ENGINE = Memory")
    assert hasattr(summary, "written_rows")
    response = httpx.post(clickhouse_server.url + "/", content=f"INSERT INTO {scratch}.t VALUES (1)")
    assert response.status_code == 200
    assert "x-clickhouse-format" not in response.headers
    assert "x-clickhouse-summary" in response.headers


def test_get_when_syntax_error_then_code_62(clickhouse_server: EmbeddedClickHouse) -> None:
    response = httpx.get(clickhouse_server.url + "/", params={"query": "SELEC 1"})
    assert response.headers["x-clickhouse-exception-code"] == "62"
    assert response.status_code == 400


def test_http_response_headers_when_set_then_sent(clickhouse_server: EmbeddedClickHouse) -> None:
    response = httpx.get(clickhouse_server.url + "/", params={
        "query": "SELECT 1", "http_response_headers": "{'X-Runwatch-Test': 'yes', 'Cache-Control': 'no-store'}"})
    assert response.text == "1\n"
    assert response.headers["x-runwatch-test"] == "yes"
    assert response.headers["cache-control"] == "no-store"


def test_param_when_bytes_are_not_utf8_then_engine_gets_those_bytes(clickhouse_server: EmbeddedClickHouse) -> None:
    response = httpx.get(clickhouse_server.url + "/?query=SELECT%20hex(%7Bx%3AString%7D)&param_x=%FF%00a%C3%A9")
    assert response.text == "FF0061C3A9\n"


def test_insert_values_when_placeholders_then_bound(clickhouse_server: EmbeddedClickHouse, scratch: str) -> None:
    client = clickhouse_server.client()
    client.command(f"CREATE TABLE {scratch}.v (a UInt32, s String) ENGINE = Memory")
    client.command(f"INSERT INTO {scratch}.v VALUES ({{a:UInt32}}, {{s:String}})", parameters={"a": 7, "s": "x'y"})
    assert client.query(f"SELECT a, s FROM {scratch}.v").result_rows == [(7, "x'y")]
