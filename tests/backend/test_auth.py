"""Dashboard access: RUNWATCH_AUTH_TOKEN and the users file, on every route."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runwatch.server.api.auth import Authenticator, exposure_warning
from runwatch.server.api.passwords import hash_password, load_users, verify_password
from tests.backend.helpers import LiveServer, SSEReader, settings_for
from tests.support.clickhouse import EmbeddedClickHouse

TOKEN = "s3cret-token"
ROUTES = [("GET", "/runs"), ("GET", "/tabs"), ("GET", "/health"), ("GET", "/saved-queries"),
          ("GET", "/sql/schema"), ("GET", "/"), ("GET", "/index.html"), ("GET", "/docs")]


@pytest.fixture(scope="module")
def live(clickhouse_server: EmbeddedClickHouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from runwatch.server.migrate import apply_schema

    database = "test_auth_db"
    apply_schema(clickhouse_server.client(), database)
    users = tmp_path_factory.mktemp("auth") / "users"
    users.write_text(f"# who may look\nana:{hash_password('correct horse')}\n")
    dist = tmp_path_factory.mktemp("dist")
    (dist / "index.html").write_text("<!doctype html><title>runwatch page</title>")
    settings = settings_for(clickhouse_server, database, auth_token=TOKEN, users_file=users,
                            frontend_dist=dist)
    with LiveServer(settings) as server:
        yield server


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_answers_401_without_credentials_and_works_with_the_token(
        live: LiveServer, method: str, path: str) -> None:
    assert httpx.request(method, live.url + path).status_code == 401
    assert httpx.request(method, live.url + path, headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert httpx.request(method, live.url + path, headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert httpx.request(method, live.url + path, params={"token": TOKEN}).status_code == 200


def test_post_sql_needs_credentials(live: LiveServer) -> None:
    assert httpx.post(live.url + "/sql", json={"query": "SELECT 1"}).status_code == 401
    ok = httpx.post(live.url + "/sql", json={"query": "SELECT 1"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.text.startswith('["1"]')


def test_the_stream_needs_credentials(live: LiveServer) -> None:
    with httpx.stream("GET", live.url + "/stream") as response:
        assert response.status_code == 401
    with SSEReader(live.url, params={"token": TOKEN}) as reader:
        assert reader.next(10, "snapshot").data["version"] >= 0


def test_a_browser_asking_for_a_page_gets_the_login_form_with_the_401(live: LiveServer) -> None:
    response = httpx.get(live.url + "/", headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert '<form method="post" action="/login">' in response.text and 'name="token"' in response.text
    assert 'name="username"' in response.text


@pytest.mark.parametrize("form", [{"token": TOKEN}, {"username": "ana", "password": "correct horse"}])
def test_logging_in_sets_an_httponly_cookie_that_opens_every_route(live: LiveServer, form: dict[str, str]) -> None:
    with httpx.Client(base_url=live.url) as client:
        response = client.post("/login", data={**form, "next": "/runs"})
        assert response.status_code == 303 and response.headers["location"] == "/runs"
        cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        for method, path in ROUTES:
            assert client.request(method, path).status_code == 200, path
        client.get("/logout")
        assert client.get("/runs").status_code == 401


@pytest.mark.parametrize("form", [{"token": "nope"}, {"username": "ana", "password": "wrong"},
                                  {"username": "bob", "password": "correct horse"}, {}])
def test_wrong_credentials_are_refused_with_the_form_again(live: LiveServer, form: dict[str, str]) -> None:
    response = httpx.post(live.url + "/login", data=form)
    assert response.status_code == 401 and "did not match" in response.text
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("next_path", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_login_only_redirects_within_the_dashboard(live: LiveServer, next_path: str) -> None:
    response = httpx.post(live.url + "/login", data={"token": TOKEN, "next": next_path})
    assert response.headers["location"] == "/"


def test_a_forged_or_expired_cookie_is_refused() -> None:
    auth = Authenticator(TOKEN)
    cookie = auth.session_cookie("token", now=1000.0)
    assert auth.session_ok(cookie, now=1001.0)
    assert not auth.session_ok(cookie, now=time.time())  # 30 days after 1970
    assert not auth.session_ok(cookie[:-2] + "xx", now=1001.0)
    assert not Authenticator("another token").session_ok(cookie, now=1001.0)


def test_passwords_are_scrypt_hashes_that_verify_only_the_password() -> None:
    # a space never appears in base64, so the plain text cannot show up in the hash by chance
    stored = hash_password("pass word")
    assert stored.startswith("scrypt$") and "pass word" not in stored
    assert verify_password("pass word", stored) and not verify_password("pass Word", stored)
    assert not verify_password("pass word", "scrypt$garbage")


def test_a_malformed_users_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "users"
    path.write_text("ana:plaintext\n")
    with pytest.raises(ValueError, match="users:1"):
        load_users(path)


@pytest.mark.parametrize(("host", "auth", "warns"), [
    ("127.0.0.1", None, False), ("localhost", None, False), ("::1", None, False),
    ("0.0.0.0", None, True), ("192.168.1.5", None, True), ("0.0.0.0", TOKEN, False),
])
def test_a_warning_when_exposed_without_auth(host: str, auth: str | None, warns: bool) -> None:
    warning = exposure_warning(host, Authenticator(auth))
    assert (warning is not None) == warns
    if warning:
        assert "WITHOUT authentication" in warning and "RUNWATCH_AUTH_TOKEN" in warning


def test_without_auth_configured_every_route_is_open(clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    with LiveServer(settings_for(clickhouse_server, database)) as server:
        assert server.get("/runs").status_code == 200
        assert httpx.get(server.url + "/login").status_code in (200, 303, 307)
