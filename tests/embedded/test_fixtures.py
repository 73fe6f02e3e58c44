"""The shared fixtures every area relies on."""

from __future__ import annotations

from tests.support.clickhouse import EmbeddedClickHouse


def test_database_fixture_when_used_then_schema_tables_exist(
    clickhouse_server: EmbeddedClickHouse, database: str
) -> None:
    client = clickhouse_server.client(database=database)
    tables = set(client.query("SHOW TABLES").result_columns[0])
    assert {"metric_points", "runs", "schema_migrations"} <= tables


def test_isolated_server_when_stopped_then_port_is_closed_and_restart_answers(
    isolated_clickhouse_server: EmbeddedClickHouse,
) -> None:
    server = isolated_clickhouse_server
    pid = server.pid
    assert server.stop() == 0
    assert not server.running
    server.start()
    assert server.pid != pid
    assert server.client().command("SELECT 1") == 1
