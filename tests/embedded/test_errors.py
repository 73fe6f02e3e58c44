"""backend/runwatch/server/embedded/errors.py: exception codes and their HTTP statuses."""

from __future__ import annotations

import pytest

from runwatch.server.embedded.errors import (
    ERROR_CODES,
    EngineError,
    from_engine_exception,
    http_status,
)
from tests.support.clickhouse import EmbeddedClickHouse


@pytest.mark.parametrize(
    ("code", "status"),
    [(62, 400), (27, 400), (53, 400), (60, 404), (81, 404), (46, 404), (115, 404),
     (194, 401), (516, 403), (159, 408), (229, 413), (48, 501), (164, 403), (291, 403), (373, 500),
     (1002, 500), (99999, 500)],
)
def test_http_status_table(code: int, status: int) -> None:
    assert http_status(code) == status


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR)", 62,
         "Code: 62. DB::Exception: Syntax error. (SYNTAX_ERROR)"),
        ("Streaming insert finish failed: Code: 27. DB::Exception: x. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)",
         27, "Code: 27. DB::Exception: x. (CANNOT_PARSE_INPUT_ASSERTION_FAILED)"),
        ("something odd", 1002, "Code: 1002. DB::Exception: something odd"),
    ],
)
def test_from_engine_exception_table(text: str, code: int, message: str) -> None:
    error = from_engine_exception(RuntimeError(text))
    assert (error.code, error.message) == (code, message)


def test_named_error_when_raised_by_server_then_worded_like_engine() -> None:
    error = EngineError.named("SESSION_IS_LOCKED", "Session s is locked")
    assert error.message == "Code: 373. DB::Exception: Session s is locked. (SESSION_IS_LOCKED)"
    assert error.status == 500


def test_error_codes_when_checked_against_engine_then_every_name_matches(
    clickhouse_server: EmbeddedClickHouse,
) -> None:
    client = clickhouse_server.client()
    rows = client.query(
        "SELECT number, errorCodeToName(number) FROM numbers(2000) "
        "WHERE errorCodeToName(number) IN {names:Array(String)}",
        parameters={"names": list(ERROR_CODES)},
    ).result_rows
    assert {name: code for code, name in rows} == ERROR_CODES
