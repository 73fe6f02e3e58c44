"""Host-header checking (server/hosts.py): the rules as a table, and the dashboard refusing a
foreign Host (DNS rebinding) while loopback and configured names are served."""

from __future__ import annotations

import socket

import httpx
import pytest

from runwatch.server.hosts import (
    default_allowed_hosts,
    host_allowed,
    host_name,
    parse_allowed_hosts,
)
from tests.backend.helpers import LiveServer, settings_for
from tests.support.clickhouse import EmbeddedClickHouse


@pytest.mark.parametrize(("header", "name"), [
    ("localhost:8000", "localhost"),
    ("LOCALHOST", "localhost"),
    ("127.0.0.1:8123", "127.0.0.1"),
    ("[::1]:8000", "::1"),
    ("[::1]", "::1"),
    ("example.org.:80", "example.org"),
    ("", ""),
    ("[", ""),
])
def test_host_name_when_header_given_then_name_without_port(header: str, name: str) -> None:
    assert host_name(header) == name


@pytest.mark.parametrize(("name", "allowed", "ok"), [
    ("localhost", ["localhost"], True),
    ("evil.example", ["localhost", "127.0.0.1"], False),
    ("app.localhost", ["*.localhost"], True),
    ("localhost.evil.example", ["*.localhost"], False),
    ("dash.example.org", ["*.example.org"], True),
    ("example.org", ["*.example.org"], False),
    ("anything", ["*"], True),
    ("::1", ["[::1]"], True),
])
def test_host_allowed_when_pattern_list_then_exact_or_wildcard(name: str, allowed: list[str], ok: bool) -> None:
    assert host_allowed(name, allowed) is ok


def test_allowed_hosts_when_unset_then_loopback_and_bound_address() -> None:
    assert parse_allowed_hosts(None, "10.1.2.3") == ["localhost", "*.localhost", "127.0.0.1", "::1", "10.1.2.3"]
    wildcard = parse_allowed_hosts("", "0.0.0.0")
    assert socket.gethostname() in wildcard and "0.0.0.0" not in wildcard and "*" not in wildcard
    assert default_allowed_hosts("127.0.0.1") == ["localhost", "*.localhost", "127.0.0.1", "::1"]


def test_allowed_hosts_when_configured_then_those_plus_loopback() -> None:
    assert parse_allowed_hosts(" dash.example.org, *.corp ", "127.0.0.1") == [
        "dash.example.org", "*.corp", "localhost", "*.localhost", "127.0.0.1", "::1"]


def test_dashboard_when_host_is_foreign_then_400_and_loopback_names_served(
        clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    with LiveServer(settings_for(clickhouse_server, database)) as live:
        foreign = httpx.get(live.url + "/health", headers={"Host": "attacker.example"}, timeout=30)
        assert foreign.status_code == 400
        assert "Host" in foreign.text
        for host in (f"127.0.0.1:{live.port}", f"localhost:{live.port}", "[::1]"):
            response = httpx.get(live.url + "/health", headers={"Host": host}, timeout=30)
            assert response.status_code == 200, (host, response.text)


def test_dashboard_when_proxy_name_configured_then_served_and_others_still_refused(
        clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    settings = settings_for(clickhouse_server, database, allowed_hosts="dash.example.org")
    with LiveServer(settings) as live:
        assert httpx.get(live.url + "/health", headers={"Host": "dash.example.org"},
                         timeout=30).status_code == 200
        assert httpx.get(live.url + "/runs", headers={"Host": "other.example.org"},
                         timeout=30).status_code == 400
