"""backend/runwatch/server/embedded/options.py: URL parameters and headers into request options."""

from __future__ import annotations

import base64

import pytest

from runwatch.server.embedded.errors import EngineError
from runwatch.server.embedded.options import parse_request


def test_parse_request_when_clickhouse_connect_params_then_protocol_and_settings_are_split() -> None:
    options = parse_request(
        [
            ("query", "SELECT {x:String}"),
            ("database", "db"),
            ("default_format", "JSON"),
            ("param_x", "a\\tb"),
            ("query_id", "q1"),
            ("session_id", "s1"),
            ("session_timeout", "120"),
            ("session_check", "1"),
            ("wait_end_of_query", "1"),
            ("enable_http_compression", "1"),
            ("send_progress_in_http_headers", "1"),
            ("http_headers_progress_interval_ms", "10000"),
            ("cancel_http_readonly_queries_on_client_close", "1"),
            ("client_protocol_version", "54405"),
            ("max_threads", "2"),
            ("insert_deduplication_token", "tok"),
        ],
        {},
    )
    assert options.query == "SELECT {x:String}"
    assert options.database == "db"
    assert options.default_format == "JSON"
    assert options.bind_params == {"x": "a\\tb"}
    assert options.query_id == "q1"
    assert options.session_id == "s1"
    assert options.session_timeout == 120.0
    assert options.session_check is True
    assert options.http_compression is True
    assert options.protocol_version == 54405
    assert options.settings == {"max_threads": "2", "insert_deduplication_token": "tok"}


@pytest.mark.parametrize(
    ("params", "headers", "user", "password"),
    [
        ([], {}, None, None),
        ([("user", "u"), ("password", "p")], {}, "u", "p"),
        ([], {"x-clickhouse-user": "u", "x-clickhouse-key": "p"}, "u", "p"),
        ([], {"x-clickhouse-key": "p"}, "default", "p"),
        ([], {"authorization": "Basic " + base64.b64encode(b"u:p:q").decode()}, "u", "p:q"),
        ([], {"authorization": "Bearer abc"}, None, None),
    ],
)
def test_parse_request_credentials_table(
    params: list[tuple[str, str]], headers: dict[str, str], user: str | None, password: str | None
) -> None:
    credentials = parse_request(params, headers).credentials
    assert (credentials.user, credentials.password) == (user, password)


def test_parse_request_when_headers_name_database_and_format_then_params_still_win() -> None:
    headers = {"x-clickhouse-database": "hdb", "x-clickhouse-format": "CSV"}
    assert parse_request([], headers).database == "hdb"
    assert parse_request([], headers).default_format == "CSV"
    assert parse_request([("database", "pdb")], headers).database == "pdb"


def test_parse_request_when_session_timeout_is_not_a_number_then_bad_arguments() -> None:
    with pytest.raises(EngineError) as info:
        parse_request([("session_timeout", "soon")], {})
    assert info.value.code == 36


def test_parse_request_when_protocol_version_is_not_a_number_then_cannot_parse_number() -> None:
    with pytest.raises(EngineError) as info:
        parse_request([("client_protocol_version", "new")], {})
    assert info.value.code == 72


def test_parse_request_when_basic_auth_is_garbage_then_authentication_failed() -> None:
    with pytest.raises(EngineError) as info:
        parse_request([], {"authorization": "Basic %%%"})
    assert info.value.code == 516
