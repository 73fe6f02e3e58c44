"""The embedded server driven by the unmodified clickhouse_connect client."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.support.clickhouse import EmbeddedClickHouse

POINTS_DDL = """
CREATE TABLE {db}.points
(
    run_id LowCardinality(String),
    step UInt64,
    value Float64,
    event_time DateTime64(3)
)
ENGINE = MergeTree ORDER BY (run_id, step)
SETTINGS non_replicated_deduplication_window = 1000
"""


@pytest.fixture
def points(clickhouse_server: EmbeddedClickHouse, scratch: str) -> str:
    clickhouse_server.client().command(POINTS_DDL.format(db=scratch))
    return f"{scratch}.points"


def _columns(n: int, run_id: str = "r1", start: int = 0) -> list[list[object]]:
    t0 = dt.datetime(2026, 1, 1, 12, 0, 0)
    return [
        [run_id] * n,
        list(range(start, start + n)),
        [1.0 / (i + 1) for i in range(start, start + n)],
        [t0 + dt.timedelta(seconds=i) for i in range(start, start + n)],
    ]


COLUMNS = ["run_id", "step", "value", "event_time"]


def test_connect_when_client_starts_then_version_and_timezone_come_from_engine(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    client = clickhouse_server.client()
    assert client.server_version.startswith("26.")
    assert client.command("SELECT 1") == 1
    assert client.command("SELECT 'a', 2") == ["a", "2"]


def test_insert_columns_then_query_rows_numpy_pandas_arrow(
    clickhouse_server: EmbeddedClickHouse, points: str
) -> None:
    client = clickhouse_server.client()
    summary = client.insert(points, _columns(1000), column_names=COLUMNS, column_oriented=True)
    assert summary.written_rows == 1000

    rows = client.query(f"SELECT step, value FROM {points} ORDER BY step LIMIT 3").result_rows
    assert rows == [(0, 1.0), (1, 0.5), (2, 1 / 3)]

    array = client.query_np(f"SELECT step FROM {points} ORDER BY step")
    assert np.array_equal(array[:, 0], np.arange(1000))

    frame = client.query_df(f"SELECT step, value, event_time FROM {points} ORDER BY step")
    assert len(frame) == 1000
    assert frame["event_time"].iloc[1] == dt.datetime(2026, 1, 1, 12, 0, 1)

    table = client.query_arrow(f"SELECT run_id, sum(value) AS total FROM {points} GROUP BY run_id")
    assert table.column("run_id").to_pylist() == ["r1"]
    assert table.column("total").to_pylist()[0] == pytest.approx(sum(1 / (i + 1) for i in range(1000)))


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_insert_when_body_compressed_then_rows_arrive(
    clickhouse_server: EmbeddedClickHouse, points: str, compress: str | bool
) -> None:
    client = clickhouse_server.client(compress=compress)
    client.insert(points, _columns(5000), column_names=COLUMNS, column_oriented=True)
    assert client.command(f"SELECT count() FROM {points}") == 5000
    # and the compressed response path
    assert len(client.query(f"SELECT * FROM {points}").result_rows) == 5000


def test_insert_when_many_blocks_then_every_block_is_stored(
    clickhouse_server: EmbeddedClickHouse, points: str
) -> None:
    client = clickhouse_server.client(compress="lz4")
    n = 300_000  # several insert blocks (one compressed frame each) in one chunked request
    client.insert(points, _columns(n), column_names=COLUMNS, column_oriented=True)
    assert client.command(f"SELECT count(), sum(step) FROM {points}") == [str(n), str(n * (n - 1) // 2)]


def test_query_when_server_side_parameters_then_bound_by_engine(
    clickhouse_server: EmbeddedClickHouse, points: str
) -> None:
    client = clickhouse_server.client()
    client.insert(points, _columns(3, "a"), column_names=COLUMNS, column_oriented=True)
    client.insert(points, _columns(3, "b'quote"), column_names=COLUMNS, column_oriented=True)
    client.insert(points, _columns(3, "c"), column_names=COLUMNS, column_oriented=True)
    result = client.query(
        f"SELECT run_id, count() FROM {points} WHERE run_id IN {{ids:Array(String)}} "
        "AND run_id != {skip:String} GROUP BY run_id ORDER BY run_id",
        parameters={"ids": ["a", "b'quote", "zz"], "skip": "zz"},
    )
    assert result.result_rows == [("a", 3), ("b'quote", 3)]


def test_query_when_parameters_exceed_url_limit_then_form_encoded_request_works(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    ids = [f"run-{i:06d}" for i in range(3000)]  # > 4 KiB: clickhouse_connect switches to multipart
    result = clickhouse_server.client().query(
        "SELECT length({ids:Array(String)}), {ids:Array(String)}[3000]", parameters={"ids": ids}
    )
    assert result.result_rows == [(3000, "run-002999")]


@pytest.mark.parametrize(
    ("sql", "code"),
    [
        ("SELEC 1", 62),
        ("SELECT * FROM no_such_db.no_such_table", 81),
        ("SELECT no_such_function(1)", 46),
    ],
)
def test_query_when_engine_rejects_then_database_error_carries_code(
    clickhouse_server: EmbeddedClickHouse, sql: str, code: int
) -> None:
    with pytest.raises(DatabaseError) as info:
        clickhouse_server.client().query(sql)
    assert info.value.code == code
    assert f"Code: {code}." in str(info.value)


def test_insert_when_dedup_token_repeated_then_rows_stored_once(
    clickhouse_server: EmbeddedClickHouse, points: str
) -> None:
    client = clickhouse_server.client()
    for _ in range(2):
        client.insert(
            points, _columns(100), column_names=COLUMNS, column_oriented=True,
            settings={"insert_deduplication_token": "batch-0001"},
        )
    assert client.command(f"SELECT count() FROM {points}") == 100
    # the token applied to those inserts only: the session's next insert is not deduplicated
    client.insert(points, _columns(100, start=100), column_names=COLUMNS, column_oriented=True)
    client.insert(
        points, _columns(100, start=100), column_names=COLUMNS, column_oriented=True,
        settings={"insert_deduplication_token": "batch-0002"},
    )
    assert client.command(f"SELECT count() FROM {points}") == 300


def test_command_when_ddl_and_database_param_then_runs_in_that_database(
    clickhouse_server: EmbeddedClickHouse, scratch: str
) -> None:
    client = clickhouse_server.client(database=scratch)
    client.command("CREATE TABLE kv (k String, v UInt8) ENGINE = MergeTree ORDER BY k")
    client.insert("kv", [["x", 1], ["y", 2]], column_names=["k", "v"])
    assert client.query("SELECT currentDatabase(), sum(v) FROM kv").result_rows == [(scratch, 3)]
