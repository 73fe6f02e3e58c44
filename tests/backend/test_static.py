"""runwatch/server/api/static.py: the page's mount answers another method with the API's Allow."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from runwatch.server.api.app import create_app
from runwatch.server.settings import Settings


@pytest.fixture(scope="module")
def client() -> TestClient:
    # Nothing listens on port 1: these requests never reach ClickHouse.
    return TestClient(create_app(Settings(CH_PORT=1)), base_url="http://127.0.0.1")


@pytest.mark.parametrize(("method", "path", "allow"), [
    ("OPTIONS", "/sql", "POST"),
    ("GET", "/sql", "POST"),
    ("OPTIONS", "/runs", "GET"),
    ("DELETE", "/runs", "GET"),
    ("OPTIONS", "/saved-queries/x", "DELETE, PUT"),
    ("POST", "/index.html", "GET, HEAD"),
])
def test_a_method_the_path_does_not_take_is_405_with_the_methods_it_does(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert (response.status_code, response.headers["allow"]) == (405, allow)


def test_the_page_is_still_served(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200 and '<div id="root">' in response.text
