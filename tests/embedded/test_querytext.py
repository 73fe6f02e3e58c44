"""backend/runwatch/server/embedded/querytext.py: routing a request without executing it."""

from __future__ import annotations

import pytest

from runwatch.server.embedded.querytext import (
    NEED_MORE,
    InsertData,
    first_keyword,
    is_read_only,
    output_format,
    split_insert,
)


@pytest.mark.parametrize(
    ("buffer", "complete", "expected"),
    [
        (b"INSERT INTO t FORMAT Native\n\x09\x01", True, InsertData("INSERT INTO t", "Native", 28)),
        (b"INSERT INTO db.t (a, b) FORMAT TSV\n1\t2\n", True,
         InsertData("INSERT INTO db.t (a, b)", "TSV", 35)),
        (b"insert into t settings insert_deduplication_token='x FORMAT y' format JSONEachRow {}",
         True,
         InsertData("insert into t settings insert_deduplication_token='x FORMAT y'",
                    "JSONEachRow", 82)),
        (b"INSERT INTO t FORMAT CSV   \r\n1,2", True, InsertData("INSERT INTO t", "CSV", 29)),
        (b"INSERT INTO t FORMAT CSV 1,2", True, InsertData("INSERT INTO t", "CSV", 25)),
        (b"INSERT INTO t FORMAT TSV", True, InsertData("INSERT INTO t", "TSV", 24)),
        (b"INSERT INTO t (`format`, \"values\") VALUES (1, 2)", True,
         InsertData("INSERT INTO t (`format`, \"values\")", "Values", 41)),
        (b"-- comment FORMAT x\nINSERT /* FORMAT y */ INTO t FORMAT RowBinary\n\x00", True,
         InsertData("-- comment FORMAT x\nINSERT /* FORMAT y */ INTO t", "RowBinary", 66)),
        (b"INSERT INTO t SELECT * FROM s FORMAT TSV", True, None),
        (b"INSERT INTO t WITH 1 AS x SELECT x", True, None),
        (b"SELECT 1 FORMAT TSV", True, None),
        (b"CREATE TABLE t (a UInt8) ENGINE = Memory", True, None),
        (b"INSERT INTO t", True, None),
        (b"", True, None),
        (b"", False, NEED_MORE),
        (b"INSERT INTO t FORM", False, NEED_MORE),
        (b"INSERT INTO t FORMAT Nat", False, NEED_MORE),
        (b"INSERT INTO t FORMAT Native  ", False, NEED_MORE),
        (b"INSERT INTO t SETTINGS a='unterminated", False, NEED_MORE),
        (b"SELEC", False, None),
    ],
)
def test_split_insert_table(buffer: bytes, complete: bool, expected: object) -> None:
    assert split_insert(buffer, complete) == expected


def test_split_insert_when_data_is_binary_then_offset_points_at_first_data_byte() -> None:
    data = bytes(range(256))
    buffer = b"INSERT INTO t (a) FORMAT Native\n" + data
    plan = split_insert(buffer, True)
    assert isinstance(plan, InsertData)
    assert buffer[plan.data_offset:] == data


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT 1", None),
        ("SELECT 1 FORMAT JSON", "JSON"),
        ("SELECT 1\n FORMAT Native", "Native"),
        ("SELECT 1 FORMAT JSONEachRow;", "JSONEachRow"),
        ("SELECT 1 FORMAT CSV SETTINGS max_threads = 1", "CSV"),
        ("SELECT format('{}', 'x')", None),
        ("SELECT 'FORMAT JSON'", None),
        ("SELECT format FROM t", None),
        ("SELECT * FROM (SELECT 1 FORMAT TSV) FORMAT `Pretty`", "Pretty"),
    ],
)
def test_output_format_table(sql: str, expected: str | None) -> None:
    assert output_format(sql) == expected


@pytest.mark.parametrize(
    ("sql", "keyword", "read_only"),
    [
        ("SELECT 1", "SELECT", True),
        ("  /* hi */ with x as (select 1) select * from x", "WITH", True),
        ("SHOW TABLES", "SHOW", True),
        ("DESCRIBE TABLE t", "DESCRIBE", True),
        ("EXISTS t", "EXISTS", True),
        ("SET max_threads = 1", "SET", True),
        ("INSERT INTO t VALUES (1)", "INSERT", False),
        ("CREATE TABLE t (a Int8) ENGINE = Memory", "CREATE", False),
        ("DROP TABLE t", "DROP", False),
        ("-- only a comment", "", False),
        ("(SELECT 1)", "", False),
    ],
)
def test_read_only_table(sql: str, keyword: str, read_only: bool) -> None:
    assert first_keyword(sql) == keyword
    assert is_read_only(sql) is read_only
