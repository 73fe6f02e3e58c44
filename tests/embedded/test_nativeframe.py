"""Native at the client's protocol revision (nativeframe.py), through the embedded server."""

from __future__ import annotations

from collections.abc import Iterator

import chdb
import httpx
import pytest

from runwatch.server.embedded import nativeframe
from tests.support.clickhouse import EmbeddedClickHouse

SHANGHAI = "select toDateTime(1676369730, 'Asia/Shanghai') as dt FORMAT Native"
BLOCK_INFO = "0100" "02ffffffff" "00"

MIXED = """
SELECT number AS n, toString(number) AS s, if(number % 3 = 0, NULL, toString(number)) AS ns,
       range(number % 5)::Array(UInt32) AS a, toLowCardinality(toString(number % 7)) AS lc,
       map(toString(number % 4), number) AS m, (number, toString(number)) AS t,
       toDateTime(number, 'UTC') AS dt, toDateTime64(number, 3, 'Asia/Tokyo') AS d64,
       [toLowCardinality(toString(number % 3))] AS alc,
       toLowCardinality(if(number % 2 = 0, NULL, toString(number))) AS lcn,
       CAST((1, 'a') AS Tuple(a UInt8, `b c` String)) AS named,
       CAST(number / 8 AS Decimal(18, 3)) AS dec, CAST('b''c' AS Enum8('a' = 1, 'b''c' = 2)) AS e,
       toFixedString('ab', 2) AS fs, [[(1.5, number)]]::Polygon AS poly, if(number % 3 = 0, number::Variant(String, UInt64), NULL) AS v, toIPv4('1.2.3.4') AS ip, number % 2 = 1 AS b
FROM numbers(10000) ORDER BY n SETTINGS max_block_size = 1000
"""


@pytest.fixture
def http(clickhouse_server: EmbeddedClickHouse) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=clickhouse_server.url, timeout=30) as client:
        yield client


def _native(http: httpx.Client, query: str, **params: str) -> bytes:
    response = http.post("/", content=query, params=params)
    assert response.status_code == 200, response.text
    return response.content


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ("0", "0101026474084461746554696d65425feb63"),
        ("1", BLOCK_INFO + "0101026474084461746554696d65425feb63"),
        ("54337", BLOCK_INFO + "010102647419" + b"DateTime('Asia/Shanghai')".hex() + "425feb63"),
        ("54405", BLOCK_INFO + "010102647419" + b"DateTime('Asia/Shanghai')".hex() + "425feb63"),
        ("54454", BLOCK_INFO + "010102647419" + b"DateTime('Asia/Shanghai')".hex() + "00425feb63"),
    ],
)
def test_datetime_with_zone_when_revision_given_then_server_bytes(
    http: httpx.Client, revision: str, expected: str
) -> None:
    assert _native(http, SHANGHAI, client_protocol_version=revision).hex() == expected


def test_probe_when_revision_given_then_block_info_before_the_block(http: httpx.Client) -> None:
    raw = _native(http, "SELECT 1 AS check FORMAT Native", client_protocol_version="54405")
    assert raw == bytes.fromhex(BLOCK_INFO) + b"\x01\x01\x05check\x05UInt8\x01"
    assert raw[8:16] == b"\x01\x01\x05check"  # what clickhouse-connect checks


def test_connect_then_client_uses_protocol_54405(clickhouse_server: EmbeddedClickHouse) -> None:
    assert clickhouse_server.client().protocol_version == 54405


@pytest.mark.parametrize("compress", [False, True, "gzip"])
def test_many_blocks_of_mixed_types_when_revision_on_then_same_rows_as_off(
    clickhouse_server: EmbeddedClickHouse, compress: bool | str
) -> None:
    on = clickhouse_server.client(compress=compress)
    off = clickhouse_server.client(compress=compress)
    off.protocol_version = 0
    assert on.protocol_version == 54405
    with_revision, without = on.query(MIXED), off.query(MIXED)
    assert with_revision.column_types[7].name == "DateTime('UTC')"
    assert without.column_types[7].name == "DateTime"
    assert len(with_revision.result_rows) == 10000
    assert with_revision.result_rows == without.result_rows


def test_stream_when_revision_on_then_blocks_as_they_come(clickhouse_server: EmbeddedClickHouse) -> None:
    client = clickhouse_server.client()
    with client.query_column_block_stream(MIXED) as stream:
        sizes = [len(block[0]) for block in stream]
    assert sizes == [1000] * 10


DYNAMIC = """
SELECT number AS n, if(number % 2 = 0, toString(number)::Dynamic, number::Dynamic) AS d,
       toDateTime(number, 'UTC') AS dt, concat('{"a": ', toString(number), '}')::JSON AS j, 'x' AS s
FROM numbers(3000) ORDER BY n SETTINGS max_block_size = 1000
"""


def test_type_without_a_walker_then_engine_names_and_block_info_per_block(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    on = clickhouse_server.client()
    off = clickhouse_server.client()
    off.protocol_version = 0
    with_revision, without = on.query(DYNAMIC), off.query(DYNAMIC)
    assert with_revision.result_rows == without.result_rows
    assert len(with_revision.result_rows) == 3000
    assert with_revision.column_types[2].name == "DateTime"  # the fallback's one loss


SIMPLE_AGGREGATES = """
SELECT number AS n, toDateTime(number, 'UTC') AS dt,
       CAST(number / 3 AS SimpleAggregateFunction(min, Float64)) AS lo,
       CAST([toString(number)] AS SimpleAggregateFunction(groupUniqArrayArray, Array(String))) AS hosts,
       CAST(toLowCardinality(toString(number % 3)) AS SimpleAggregateFunction(any, LowCardinality(String))) AS lc
FROM numbers(2500) ORDER BY n SETTINGS max_block_size = 1000
"""


def test_simple_aggregate_function_columns_then_walked_without_running_again(
    clickhouse_server: EmbeddedClickHouse, http: httpx.Client,
) -> None:
    """min/max/sum over an AggregatingMergeTree column (run_stats, the rollup) return
    SimpleAggregateFunction(f, T), stored as T: walked, so DateTime columns keep their zone
    (the fallback's run with engine names would lose it) and revision 54454 answers."""
    on = clickhouse_server.client()
    off = clickhouse_server.client()
    off.protocol_version = 0
    with_revision, without = on.query(SIMPLE_AGGREGATES), off.query(SIMPLE_AGGREGATES)
    assert [t.name for t in with_revision.column_types] == [
        "UInt64", "DateTime('UTC')", "SimpleAggregateFunction(min, Float64)",
        "SimpleAggregateFunction(groupUniqArrayArray, Array(String))",
        "SimpleAggregateFunction(any, LowCardinality(String))"]
    assert with_revision.result_rows == without.result_rows
    assert with_revision.result_rows[2499][2:] == (2499 / 3, ["2499"], "0")
    newest = http.post("/", content=SIMPLE_AGGREGATES + " FORMAT Native",
                       params={"client_protocol_version": "54454"})
    assert newest.status_code == 200, newest.text


def test_parametric_simple_aggregate_function_then_run_again_with_engine_names(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    query = ("SELECT toDateTime(number, 'UTC') AS dt, CAST([number] AS "
             "SimpleAggregateFunction(groupArrayArray(3), Array(UInt64))) AS a FROM numbers(5)")
    on = clickhouse_server.client()
    off = clickhouse_server.client()
    off.protocol_version = 0
    assert on.query(query).result_rows == off.query(query).result_rows
    assert on.query(query).column_types[0].name == "DateTime"  # the fallback's one loss


def test_type_without_a_walker_at_custom_serialization_revision_then_error(http: httpx.Client) -> None:
    response = http.post("/", content="SELECT '1'::Dynamic AS v FORMAT Native",
                         params={"client_protocol_version": "54454"})
    assert response.status_code == 501
    assert "Code: 48" in response.text  # NOT_IMPLEMENTED
    assert "client_protocol_version" in response.text


def test_pieces_split_anywhere_then_same_bytes_as_whole() -> None:
    conn = chdb.connect(":memory:")
    body = conn.query(MIXED + ", output_format_native_encode_types_in_binary_format = 1", "Native").bytes()
    whole = nativeframe.Reframer(54405)
    expected = whole.feed(body)
    whole.finish()
    split = nativeframe.Reframer(54405)
    pieces = [split.feed(body[i:i + 4097]) for i in range(0, len(body), 4097)]
    split.finish()
    assert b"".join(pieces) == expected
    assert expected.count(bytes.fromhex(BLOCK_INFO) + b"\x13") == 10  # 19 columns, one per block


def test_block_cut_short_then_error() -> None:
    reframer = nativeframe.Reframer(54405)
    assert reframer.feed(b"\x01\x02\x01x\x15\x01a") == b""
    with pytest.raises(Exception, match="ended inside a block"):
        reframer.finish()
