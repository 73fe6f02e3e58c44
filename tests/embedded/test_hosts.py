"""The embedded ClickHouse refuses a foreign Host header (DNS rebinding against a localhost
database), answers loopback names, and answers the names given with --allowed-hosts."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.clickhouse import EmbeddedClickHouse


def _get(server: EmbeddedClickHouse, host: str, path: str = "/?query=SELECT%201") -> httpx.Response:
    return httpx.get(server.url + path, headers={"Host": host}, timeout=30)


def test_query_when_host_is_foreign_then_400_and_no_query_runs(clickhouse_server: EmbeddedClickHouse) -> None:
    for path in ("/?query=SELECT%201", "/ping"):
        response = _get(clickhouse_server, "rebind.attacker.example:8123", path)
        assert response.status_code == 400, path
        assert "Host" in response.text
    assert httpx.post(clickhouse_server.url, content=b"SELECT 1", headers={"Host": "evil"},
                      timeout=30).status_code == 400


def test_query_when_host_is_loopback_then_served(clickhouse_server: EmbeddedClickHouse) -> None:
    for host in (f"127.0.0.1:{clickhouse_server.port}", "localhost", "[::1]:8123"):
        response = _get(clickhouse_server, host)
        assert (response.status_code, response.text) == (200, "1\n"), host


def test_query_when_allowed_hosts_option_then_that_name_served(tmp_path: Path) -> None:
    with EmbeddedClickHouse(tmp_path / "data", extra_args=("--allowed-hosts", "ch.internal,*.lan")) as server:
        assert _get(server, "ch.internal:8123").text == "1\n"
        assert _get(server, "box.lan").text == "1\n"
        assert _get(server, "localhost").text == "1\n"
        assert _get(server, "ch.external").status_code == 400
