"""The embedded server through plain HTTP, as curl or any other client sends it."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import lz4.frame
import pytest
import zstandard

from tests.support.clickhouse import EmbeddedClickHouse


@pytest.fixture
def http(clickhouse_server: EmbeddedClickHouse) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=clickhouse_server.url, timeout=30) as client:
        yield client


@pytest.fixture
def table(http: httpx.Client, scratch: str) -> str:
    name = f"{scratch}.t"
    response = http.post("/", content=f"CREATE TABLE {name} (a UInt32, s String) ENGINE = MergeTree ORDER BY a")
    assert response.status_code == 200, response.text
    return name


def _rows(http: httpx.Client, table: str) -> list[dict[str, object]]:
    response = http.get("/", params={"query": f"SELECT a, s FROM {table} ORDER BY a FORMAT JSONEachRow"})
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines()]


def test_ping_and_root_answer_ok(http: httpx.Client) -> None:
    for path in ("/ping", "/"):
        response = http.get(path)
        assert (response.status_code, response.text) == (200, "Ok.\n")
    assert http.head("/ping").status_code == 200


def test_query_in_url_param_then_tsv_body_and_clickhouse_headers(
    http: httpx.Client, clickhouse_server: EmbeddedClickHouse
) -> None:
    response = http.get("/", params={"query": "SELECT 1 AS x, 'a' AS y", "query_id": "q-42"})
    assert response.status_code == 200
    assert response.text == "1\ta\n"
    assert response.headers["x-clickhouse-query-id"] == "q-42"
    assert response.headers["x-clickhouse-format"] == "TabSeparated"
    assert response.headers["x-clickhouse-timezone"]
    assert response.headers["content-type"].startswith("text/tab-separated-values")
    summary = json.loads(response.headers["x-clickhouse-summary"])
    assert set(summary) >= {"read_rows", "read_bytes", "written_rows", "written_bytes", "elapsed_ns"}
    assert all(isinstance(v, str) for v in summary.values())


def test_query_when_format_clause_or_default_format_then_header_and_content_type_follow(
    http: httpx.Client,
) -> None:
    response = http.post("/", content="SELECT 1 AS x FORMAT JSONEachRow")
    assert (response.text, response.headers["x-clickhouse-format"]) == ('{"x":1}\n', "JSONEachRow")
    response = http.post("/", params={"default_format": "CSVWithNames"}, content="SELECT 1 AS x")
    assert response.text == '"x"\n1\n'
    assert response.headers["content-type"].startswith("text/csv")


def test_query_when_param_binding_then_values_typed_and_escaped(http: httpx.Client) -> None:
    response = http.get("/", params={
        "query": "SELECT {n:UInt32} + 1, {s:String}, length({ids:Array(String)})",
        "param_n": "41", "param_s": "it's", "param_ids": "['a','b','c']",
    })
    assert response.text == "42\tit\\'s\t3\n"


def test_insert_when_json_each_row_body_with_query_in_url_then_rows_stored(
    http: httpx.Client, table: str
) -> None:
    body = b'{"a": 1, "s": "x"}\n{"a": 2, "s": "y"}\n'
    response = http.post("/", params={"query": f"INSERT INTO {table} FORMAT JSONEachRow"}, content=body)
    assert response.status_code == 200, response.text
    assert json.loads(response.headers["x-clickhouse-summary"])["written_rows"] == "2"
    assert _rows(http, table) == [{"a": 1, "s": "x"}, {"a": 2, "s": "y"}]


def test_insert_when_tsv_data_follows_query_in_body_then_rows_stored(
    http: httpx.Client, table: str
) -> None:
    response = http.post("/", content=f"INSERT INTO {table} (a, s) FORMAT TSV\n1\tx\n2\ty\n")
    assert response.status_code == 200, response.text
    assert [r["s"] for r in _rows(http, table)] == ["x", "y"]


def test_insert_when_body_gzip_compressed_then_decoded(http: httpx.Client, table: str) -> None:
    body = gzip.compress(f"INSERT INTO {table} FORMAT CSV\n1,\"x\"\n2,\"y\"\n".encode())
    response = http.post("/", content=body, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200, response.text
    assert len(_rows(http, table)) == 2


def test_insert_when_large_chunked_zstd_body_then_streamed_in(http: httpx.Client, table: str) -> None:
    n = 200_000
    compressor = zstandard.ZstdCompressor().compressobj()

    def body() -> Iterator[bytes]:
        yield compressor.compress(f"INSERT INTO {table} FORMAT TSV\n".encode())
        for start in range(0, n, 10_000):
            yield compressor.compress(
                "".join(f"{i}\tvalue-{i}\n" for i in range(start, start + 10_000)).encode()
            )
        yield compressor.flush()

    response = http.post("/", content=body(), headers={"Content-Encoding": "zstd"})
    assert response.status_code == 200, response.text
    count = http.get("/", params={"query": f"SELECT count(), max(a) FROM {table}"}).text
    assert count == f"{n}\t{n - 1}\n"


@pytest.mark.parametrize("session", [{}, {"session_id": "test-session-dedup"}])
def test_insert_when_dedup_token_in_url_repeated_then_rows_stored_once(
    http: httpx.Client, scratch: str, session: dict[str, str]
) -> None:
    table = f"{scratch}.dedup"
    http.post("/", content=f"CREATE TABLE {table} (a UInt32) ENGINE = MergeTree ORDER BY a "
                           "SETTINGS non_replicated_deduplication_window = 100")
    for token in ("t-1", "t-1", "t-2"):
        response = http.post(
            "/", params={**session, "insert_deduplication_token": token},
            content=f"INSERT INTO {table} FORMAT TSV\n1\n2\n",
        )
        assert response.status_code == 200, response.text
    assert http.post("/", content=f"SELECT count() FROM {table}").text == "4\n"


def test_insert_when_values_in_body_then_expressions_evaluated(http: httpx.Client, table: str) -> None:
    response = http.post("/", content=f"INSERT INTO {table} VALUES (1, concat('a', 'b')), (2, 'c')")
    assert response.status_code == 200, response.text
    assert [r["s"] for r in _rows(http, table)] == ["ab", "c"]


def test_insert_when_data_is_malformed_then_400_and_nothing_stored(http: httpx.Client, table: str) -> None:
    response = http.post("/", content=f"INSERT INTO {table} FORMAT JSONEachRow\n{{\"a\": \"x\"}}\n")
    assert response.status_code == 400
    assert response.headers["x-clickhouse-exception-code"] == "27"
    assert _rows(http, table) == []


@pytest.mark.parametrize(
    ("sql", "status", "code"),
    [
        ("SELEC 1", 400, "62"),
        ("SELECT * FROM system.no_such_table", 404, "60"),
        ("SELECT 1 SETTINGS no_such_setting = 1", 404, "115"),
        ("", 400, "62"),
    ],
)
def test_query_when_engine_rejects_then_status_code_header_and_message(
    http: httpx.Client, sql: str, status: int, code: str
) -> None:
    response = http.post("/", content=sql)
    assert response.status_code == status
    assert response.headers["x-clickhouse-exception-code"] == code
    assert response.text.startswith(f"Code: {code}. DB::Exception:")
    assert "Traceback" not in response.text


@pytest.mark.parametrize("session", [{}, {"session_id": "test-session-odd-values"}])
def test_setting_when_value_has_url_special_characters_then_applied_verbatim(
    http: httpx.Client, session: dict[str, str]
) -> None:
    value = "tok en/&=?'%x"
    response = http.post(
        "/", params={**session, "insert_deduplication_token": value},
        content="SELECT getSetting('insert_deduplication_token')",
    )
    assert response.status_code == 200, response.text
    assert response.text == "tok en/&=?\\'%x\n"


def test_get_when_query_writes_then_readonly_error(http: httpx.Client, table: str) -> None:
    for sql in (f"INSERT INTO {table} VALUES (1, 'x')", f"DROP TABLE {table}"):
        response = http.get("/", params={"query": sql})
        assert response.headers["x-clickhouse-exception-code"] == "164"
    assert _rows(http, table) == []
    # reads still take settings, and the engine itself holds the connection read-only
    response = http.get("/", params={"query": "SELECT getSetting('readonly'), getSetting('max_threads')",
                                     "max_threads": "1"})
    assert response.text == "2\t1\n"


def test_response_when_http_compression_enabled_then_encoded_per_accept_encoding(http: httpx.Client) -> None:
    params = {"query": "SELECT number FROM numbers(10000)", "enable_http_compression": "1"}
    response = http.get("/", params=params, headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.text.splitlines()[-1] == "9999"
    raw = httpx.get(str(http.base_url), params=params, headers={"Accept-Encoding": "zstd"})
    assert raw.headers["content-encoding"] == "zstd"
    plain = http.get("/", params={"query": "SELECT 1"}, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers


def test_session_when_same_id_then_settings_and_temporary_tables_persist(http: httpx.Client) -> None:
    session = {"session_id": "test-session-persist"}
    for sql in ("SET max_threads = 1", "CREATE TEMPORARY TABLE tmp (x UInt8)",
                "INSERT INTO tmp VALUES (7), (8)"):
        assert http.post("/", params=session, content=sql).status_code == 200
    response = http.post("/", params=session, content="SELECT sum(x), getSetting('max_threads') FROM tmp")
    assert response.text == "15\t1\n"
    # a URL setting applies to its own request only, even inside a session
    once = http.post("/", params={**session, "max_threads": "3"}, content="SELECT getSetting('max_threads')")
    assert once.text == "3\n"
    after = http.post("/", params=session, content="SELECT getSetting('max_threads')")
    assert after.text == "1\n"
    other = http.post("/", params={"session_id": "another"}, content="SELECT count() FROM tmp")
    assert other.status_code == 404


def test_session_that_never_ran_set_when_url_settings_then_back_to_their_defaults(http: httpx.Client) -> None:
    """clickhouse-connect's session sends the same URL settings with every request: they are
    reset to DEFAULT afterwards (not read first), and a SET of the session's own still holds."""
    session = {"session_id": "test-session-defaults"}
    settings = {"max_threads": "3", "date_time_input_format": "best_effort", "max_block_size": "777"}
    check = ("SELECT name, value, changed FROM system.settings "
             "WHERE name IN ('max_threads', 'date_time_input_format', 'max_block_size') ORDER BY name")
    before = http.post("/", params={"session_id": "a-fresh-session"}, content=check).text
    for _ in range(2):
        during = http.post("/", params={**session, **settings}, content="SELECT getSetting('max_block_size'), "
                           "getSetting('date_time_input_format'), getSetting('max_threads')")
        assert during.text == "777\tbest_effort\t3\n"
        assert http.post("/", params=session, content=check).text == before
    assert "\t1\n" not in before  # none of them changed in a fresh session
    assert http.post("/", params={**session, **settings}, content="SET max_threads = 1").status_code == 200
    assert http.post("/", params=session, content="SELECT getSetting('max_threads')").text == "1\n"
    again = http.post("/", params={**session, "max_threads": "2"}, content="SELECT getSetting('max_threads')")
    assert again.text == "2\n"
    assert http.post("/", params=session, content="SELECT getSetting('max_threads')").text == "1\n"


def test_session_when_busy_then_concurrent_request_gets_session_is_locked(
    clickhouse_server: EmbeddedClickHouse, http: httpx.Client
) -> None:
    session = {"session_id": "test-session-locked"}
    codes: list[str | None] = []

    def slow() -> None:
        response = httpx.post(clickhouse_server.url, params=session, content="SELECT sleep(1.5)", timeout=30)
        codes.append(response.headers.get("x-clickhouse-exception-code"))

    thread = threading.Thread(target=slow)
    thread.start()
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline and "373" not in codes:  # until one of the two collides
        response = http.post("/", params=session, content="SELECT 1")
        codes.append(response.headers.get("x-clickhouse-exception-code"))
    thread.join()
    assert "373" in codes
    assert http.post("/", params=session, content="SELECT 1").text == "1\n"


def test_session_when_check_and_unknown_then_session_not_found(http: httpx.Client) -> None:
    response = http.post("/", params={"session_id": "never-seen", "session_check": "1"}, content="SELECT 1")
    assert response.headers["x-clickhouse-exception-code"] == "372"


def test_insert_when_client_disconnects_mid_body_then_nothing_stored_and_session_freed(
    clickhouse_server: EmbeddedClickHouse, http: httpx.Client, table: str
) -> None:
    session = "test-session-disconnect"
    head = (
        f"POST /?session_id={session} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    ).encode()
    chunk = f"INSERT INTO {table} FORMAT TSV\n1\tx\n2\ty\n".encode()
    with socket.create_connection((clickhouse_server.host, clickhouse_server.port)) as sock:
        sock.sendall(head + b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        time.sleep(0.2)  # let the server start the insert stream before the client vanishes
    deadline = time.monotonic() + 10
    while True:
        response = http.post("/", params={"session_id": session}, content="SELECT 1")
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert response.text == "1\n"
    assert _rows(http, table) == []


# --- never store a truncated body, never write through GET, confine file access ---------

TSV_ROWS = 200_000
TSV_BODY = b"".join(b"%d\trow-%d\n" % (i, i) for i in range(TSV_ROWS))
COMPRESSORS = {
    "zstd": zstandard.ZstdCompressor().compress,
    "lz4": lz4.frame.compress,
    "gzip": gzip.compress,
}


def _count(http: httpx.Client, table: str) -> int:
    response = http.get("/", params={"query": f"SELECT count() FROM {table}"})
    assert response.status_code == 200, response.text
    return int(response.text)


@pytest.mark.parametrize("encoding", sorted(COMPRESSORS))
@pytest.mark.parametrize("query_in", ["url", "body"])
def test_insert_when_compressed_body_is_truncated_then_error_and_nothing_stored(
    http: httpx.Client, table: str, encoding: str, query_in: str
) -> None:
    query = f"INSERT INTO {table} FORMAT TSV"
    data = TSV_BODY if query_in == "url" else query.encode() + b"\n" + TSV_BODY
    whole = COMPRESSORS[encoding](data)
    params = {"query": query} if query_in == "url" else {}
    response = http.post("/", params=params, content=whole[: len(whole) // 2],
                         headers={"Content-Encoding": encoding})
    assert response.status_code == 400, response.text
    assert response.headers["x-clickhouse-exception-code"] == "271"  # CANNOT_DECOMPRESS
    assert _count(http, table) == 0
    # the same body, whole, is stored in full
    response = http.post("/", params=params, content=whole, headers={"Content-Encoding": encoding})
    assert response.status_code == 200, response.text
    assert _count(http, table) == TSV_ROWS


@pytest.mark.parametrize("encoding", sorted(COMPRESSORS))
def test_insert_when_compressed_body_is_corrupt_then_error_and_nothing_stored(
    http: httpx.Client, table: str, encoding: str
) -> None:
    body = bytearray(COMPRESSORS[encoding](TSV_BODY))
    body[len(body) // 2: len(body) // 2 + 256] = bytes(256)
    response = http.post("/", params={"query": f"INSERT INTO {table} FORMAT TSV"},
                         content=bytes(body), headers={"Content-Encoding": encoding})
    assert 400 <= response.status_code < 500, response.text
    assert _count(http, table) == 0


@pytest.fixture
def victim(http: httpx.Client, scratch: str) -> str:
    name = f"{scratch}.victim"
    response = http.post("/", content=f"CREATE TABLE {name} (a UInt8) ENGINE = MergeTree ORDER BY a")
    assert response.status_code == 200, response.text
    response = http.post("/", content=f"INSERT INTO {name} VALUES (7)")
    assert response.status_code == 200, response.text
    return name


def _user_files(server: EmbeddedClickHouse) -> Path:
    return server.data_dir.resolve() / "user_files"


@pytest.mark.parametrize("settings", [{}, {"readonly": "0"}, {"readonly": "2"}, {"session_id": "get-session"}])
@pytest.mark.parametrize(
    "template",
    [
        "DROP TABLE {victim}",
        "SELECT 1; DROP TABLE {victim}",
        "INSERT INTO {victim} VALUES (1)",
        "SELECT 1; INSERT INTO FUNCTION file('{out}', 'TSV') SELECT 'x'",
        "INSERT INTO FUNCTION file('{out}', 'TSV') SELECT 'x'",
        "INSERT INTO FUNCTION file('get-out.tsv', 'TSV') SELECT 'x'",
        "SELECT 'x' INTO OUTFILE '{out}' TRUNCATE",
        "SELECT 'x' INTO OUTFILE 'get-out.tsv' TRUNCATE",
        "SET readonly = 0",
    ],
)
def test_get_when_it_would_write_then_readonly_403_and_nothing_changes(
    clickhouse_server: EmbeddedClickHouse, http: httpx.Client, victim: str, tmp_path: Path,
    template: str, settings: dict[str, str],
) -> None:
    out = tmp_path / "written.tsv"
    sql = template.format(victim=victim, out=out)
    response = http.get("/", params={"query": sql, **settings})
    assert response.status_code == 403, response.text
    assert response.headers["x-clickhouse-exception-code"] == "164"
    assert "Traceback" not in response.text
    assert not out.exists()
    assert not (_user_files(clickhouse_server) / "get-out.tsv").exists()
    assert _count(http, victim) == 1


@pytest.mark.parametrize(
    "sql",
    ["SELECT 1; SELECT 2", "SELECT 1;\nDROP TABLE {victim}", "CREATE TABLE x (a UInt8) ENGINE = Memory; DROP TABLE {victim}"],
)
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_query_when_several_statements_then_refused_and_nothing_runs(
    http: httpx.Client, victim: str, sql: str, method: str
) -> None:
    text = sql.format(victim=victim)
    if method == "GET":
        response = http.get("/", params={"query": text})
    else:
        response = http.post("/", content=text)
    # a GET is refused as a write (its later statements are never checked), a POST as syntax
    assert (response.status_code, response.headers["x-clickhouse-exception-code"]) == (
        (403, "164") if method == "GET" else (400, "62")), response.text
    assert _count(http, victim) == 1


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM file('/etc/hostname', 'LineAsString')",
        "SELECT file('/etc/hostname')",
        "SELECT * FROM file('../../../../../../etc/hostname', 'LineAsString')",
        "SELECT * FROM file(concat('/etc/', 'hostname'), 'LineAsString')",
        "SELECT * FROM file('/etc/host\\x6eame', 'LineAsString')",
        "SELECT * FROM `file`('/etc/hostname', 'LineAsString')",
        "SELECT * FROM file /* hidden */ ('/etc/hostname', 'LineAsString')",
        "SELECT * FROM url('file:///etc/hostname', 'LineAsString')",
        "SELECT * FROM filesystem('/etc')",
        "SELECT * FROM sqlite('/etc/hostname', 't')",
        "SELECT * FROM executable('cat /etc/hostname', 'LineAsString', 'x String')",
        "SELECT * FROM file({path:String}, 'LineAsString')",
        "SELECT $$'$$, file('/etc/hostname'), '",
        "INSERT INTO FUNCTION file('{out}', 'TSV') SELECT 'x'",
        "SELECT 'x' INTO OUTFILE '{out}'",
        "CREATE TABLE default.f (s String) ENGINE = File(LineAsString, '/etc/hostname')",
    ],
)
def test_query_when_it_reaches_outside_user_files_then_refused(
    http: httpx.Client, sql: str, tmp_path: Path
) -> None:
    out = tmp_path / "escape.tsv"
    response = http.post("/", params={"param_path": "/etc/hostname"},
                         content=sql.replace("{out}", str(out)))
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["x-clickhouse-exception-code"] in ("291", "62")
    assert "Traceback" not in response.text
    assert not out.exists()


def test_file_when_path_is_under_user_files_then_written_and_read_back(
    clickhouse_server: EmbeddedClickHouse, http: httpx.Client
) -> None:
    name = f"roundtrip-{time.monotonic_ns()}.tsv"
    response = http.post("/", content=f"INSERT INTO FUNCTION file('{name}', 'TSV', 'a UInt8') SELECT 42")
    assert response.status_code == 200, response.text
    assert (_user_files(clickhouse_server) / name).read_text() == "42\n"
    absolute = _user_files(clickhouse_server) / name
    for path in (name, str(absolute)):
        response = http.get("/", params={"query": f"SELECT * FROM file('{path}', 'TSV', 'a UInt8')"})
        assert response.status_code == 200, response.text
        assert response.text == "42\n"


def test_insert_when_streamed_values_hold_an_expression_then_not_evaluated(
    http: httpx.Client, table: str
) -> None:
    def body() -> Iterator[bytes]:
        yield f"INSERT INTO {table} VALUES ".encode()
        yield b"(1, 'x')," * 40_000  # beyond the head buffer: the data is streamed
        yield b"(2, file('/etc/hostname'))"

    response = http.post("/", content=body())
    assert 400 <= response.status_code < 500, response.text
    assert _count(http, table) == 0
