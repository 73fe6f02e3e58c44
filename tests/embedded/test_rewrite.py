"""rewrite.py: the statement as the engine runs it (pure, table-driven)."""

from __future__ import annotations

import pytest

from runwatch.server.embedded import rewrite

V = rewrite.PROCESSES_VIEW


@pytest.mark.parametrize(
    ("sql", "first_keyword", "expected"),
    [
        ("SELECT currentUser()", "SELECT", "SELECT 'ann'"),
        ("SELECT user ( ), CURRENT_USER()", "SELECT", "SELECT 'ann', 'ann'"),
        ("SELECT user /* why */ ()", "SELECT", "SELECT 'ann'"),
        ("SELECT 'currentUser()', `user`()", "SELECT", "SELECT 'currentUser()', `user`()"),
        ("SELECT user FROM system.processes", "SELECT", "SELECT user FROM system.processes"),
        ("SELECT db.user()", "SELECT", "SELECT db.user()"),
        ("SELECT currentUser(1)", "SELECT", "SELECT currentUser(1)"),
        ("INSERT INTO t SELECT currentUser()", "INSERT", "INSERT INTO t SELECT 'ann'"),
        ("CREATE VIEW v AS SELECT currentUser()", "CREATE", "CREATE VIEW v AS SELECT currentUser()"),
    ],
)
def test_with_current_user_when_called_then_literal_outside_definitions(
    sql: str, first_keyword: str, expected: str
) -> None:
    assert rewrite.with_current_user(sql, "ann", first_keyword) == expected


def test_with_current_user_when_name_has_quotes_then_escaped() -> None:
    assert rewrite.with_current_user("SELECT user()", "o'brien\\", "SELECT") == "SELECT 'o\\'brien\\\\'"


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT query_id FROM system.processes", f"SELECT query_id FROM {V}"),
        ("SELECT 1 FROM `system`.`processes` AS p", f"SELECT 1 FROM {V} AS p"),
        ("SHOW PROCESSLIST FORMAT JSON", f"SELECT * FROM {V} FORMAT JSON"),
        ("SELECT 'system.processes' -- system.processes", "SELECT 'system.processes' -- system.processes"),
        ("SELECT * FROM db.system.processes", "SELECT * FROM db.system.processes"),
        ("SELECT * FROM system.processes_other", "SELECT * FROM system.processes_other"),
    ],
)
def test_client_processes_when_table_named_then_read_through_the_view(sql: str, expected: str) -> None:
    assert rewrite.client_processes(sql) == expected


def test_marker_when_ids_hold_comment_closers_then_hex_keeps_the_comment_whole() -> None:
    marker = rewrite.marker("*/ DROP", "u")
    assert marker.startswith(rewrite.MARKER_PREFIX) and marker.endswith(" */")
    assert marker.count("*/") == 1
    _, _, run, query_id, user, _ = marker.split(" ")
    assert len(run) == 32
    assert bytes.fromhex(query_id) == b"*/ DROP" and bytes.fromhex(user) == b"u"
    assert rewrite.marker("*/ DROP", "u") != marker
