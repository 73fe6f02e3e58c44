"""Fixtures of the browser tests: Debian's Chromium through playwright, and the real stack
(embedded ClickHouse + `runwatch serve` + agent runs).

They fail, naming what is missing, when playwright or Chromium is absent or frontend/dist
was not built: `make test` installs and builds all three, and a skipped browser test would
hide a broken dashboard behind a green run.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.clickhouse import EmbeddedClickHouse

from .chromium import DIST, SCREENSHOTS, chromium_path

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from .stack import BackendProcess

pytestmark = pytest.mark.browser


def _why_not() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install playwright; no browser download needed)"
    if chromium_path() is None:
        return "no Chromium (apt-get install chromium, or set RUNWATCH_CHROMIUM)"
    if not (DIST / "index.html").exists():
        return "frontend/dist is missing (npm --prefix frontend run build)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    reason = _why_not()
    if reason is not None:
        pytest.fail(f"browser tests cannot run: {reason}", pytrace=False)
    from playwright.sync_api import sync_playwright

    from .chromium import launch

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="dark")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"errors in the page: {errors}"


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def _fresh_database(server: EmbeddedClickHouse) -> str:
    from runwatch.server.migrate import apply_schema

    name = f"browser_{uuid.uuid4().hex[:10]}"
    client = server.client()
    try:
        apply_schema(client, name)
    finally:
        client.close()
    return name


@pytest.fixture(scope="module")
def module_database(clickhouse_server: EmbeddedClickHouse) -> Iterator[str]:
    """A database shared by the tests of one module (they only add runs to it)."""
    if _why_not() is not None:
        pytest.fail(f"browser tests cannot run: {_why_not()}", pytrace=False)
    name = _fresh_database(clickhouse_server)
    yield name
    if clickhouse_server.running:
        client = clickhouse_server.client()
        client.command(f"DROP DATABASE IF EXISTS {name} SYNC")
        client.close()


@pytest.fixture(scope="module")
def backend(
    clickhouse_server: EmbeddedClickHouse,
    module_database: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[BackendProcess]:
    from .stack import BackendProcess

    process = BackendProcess(clickhouse_server, module_database, tmp_path_factory.mktemp("backend"))
    process.start()
    try:
        yield process
    finally:
        process.stop()
