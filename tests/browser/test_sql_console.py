"""The SQL console and the SQL tab in headless Chromium, against the real stack; and the login
page when the dashboard has a token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from .pages import open_dashboard
from .stack import BackendProcess, open_run

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from runwatch import Run
    from tests.support.clickhouse import EmbeddedClickHouse

pytestmark = pytest.mark.browser

STEPS = 30
TOKEN = "browser-token"


@pytest.fixture(scope="module")
def run(clickhouse_server: EmbeddedClickHouse, module_database: str, backend: BackendProcess) -> Iterator[Run]:
    r = open_run(clickhouse_server, module_database, "sql-run")
    for step in range(STEPS):
        r.log({"train/loss": 2.0 / (step + 1)}, step=step)
    r.flush()
    yield r
    r.finish()


def _editor_type(page: Page, text: str) -> None:
    page.locator(".cm-content").click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def test_type_a_query_run_it_with_the_keyboard_and_see_the_table(
        page: Page, backend: BackendProcess, run: Run, screenshots: Path) -> None:
    open_dashboard(page, backend.url)
    page.get_by_test_id("sql-link").click()
    page.wait_for_selector('[data-testid=schema-table][data-table="metric_points"]', timeout=20_000)
    assert "one value of one metric" in page.locator('[data-table="metric_points"]').inner_text()
    _editor_type(page, "SELECT step, value FROM metric_points WHERE run_id IN {run_ids:Array(String)} "
                       "AND metric = 'train/loss' ORDER BY step DESC")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("[data-testid=sql-row]", timeout=20_000)
    assert page.locator("[data-testid=sql-row]").first.inner_text().split() == [str(STEPS - 1), str(2.0 / STEPS)]
    status = page.get_by_test_id("sql-status").inner_text()
    assert f"{STEPS} rows" in status and "read" in status
    page.locator("[role=columnheader]").first.click()  # sort by step, ascending
    assert page.locator("[data-testid=sql-row]").first.inner_text().split()[0] == "0"
    for name, size, scheme in (("laptop-dark", (1366, 768), "dark"), ("1080p-light", (1920, 1080), "light"),
                               ("4k-dark", (3840, 2160), "dark")):
        page.set_viewport_size({"width": size[0], "height": size[1]})
        page.emulate_media(color_scheme=scheme)  # type: ignore[arg-type]
        page.screenshot(path=str(screenshots / f"sql-console-{name}.png"))


def test_a_refused_statement_shows_clickhouses_message(page: Page, backend: BackendProcess, run: Run) -> None:
    open_dashboard(page, backend.url, "#sql")
    page.wait_for_selector("[data-testid=sql-editor] .cm-content")
    _editor_type(page, "DROP TABLE metric_points")
    page.get_by_test_id("sql-run").click()
    assert "readonly" in page.get_by_test_id("sql-error").inner_text(timeout=20_000).lower()


def test_a_saved_panel_renders_as_a_chart_and_updates_when_new_points_arrive(
        page: Page, backend: BackendProcess, run: Run, screenshots: Path) -> None:
    panel = {"name": "loss by SQL", "refresh_sec": 3600,
             "query": "SELECT step, value FROM metric_points WHERE run_id IN {run_ids:Array(String)} "
                      "AND metric = 'train/loss' ORDER BY step",
             "chart": {"kind": "line", "x": "step", "y": ["value"], "series": None}}
    assert httpx.put(f"{backend.url}/saved-queries/browserpanel", json=panel).status_code == 200
    open_dashboard(page, backend.url, "?tab=sql")
    chart = page.locator('[data-testid=sql-panel][data-panel="loss by SQL"] [data-testid=panel-chart]')
    chart.wait_for(timeout=20_000)
    assert chart.get_attribute("data-points") == str(STEPS)
    assert chart.locator("canvas").count() == 1
    for step in range(STEPS, STEPS + 5):
        run.log({"train/loss": 2.0 / (step + 1)}, step=step)
    run.flush()
    # the refresh interval is an hour: only the new points can trigger this re-run
    page.wait_for_function(
        """(n) => document.querySelector('[data-testid=sql-panel] [data-testid=panel-chart]')
                 ?.dataset.points === String(n)""", arg=STEPS + 5, timeout=20_000)
    page.screenshot(path=str(screenshots / "sql-panels-dark.png"))


class TokenBackend(BackendProcess):
    health_path = f"/health?token={TOKEN}"

    def environ(self) -> dict[str, str]:
        return {**super().environ(), "RUNWATCH_AUTH_TOKEN": TOKEN}


def test_with_a_token_the_page_asks_for_it_and_then_works(
        browser: Browser, clickhouse_server: EmbeddedClickHouse, module_database: str,
        tmp_path: Path, screenshots: Path) -> None:
    backend = TokenBackend(clickhouse_server, module_database, tmp_path)
    backend.start()
    context = browser.new_context(viewport={"width": 1280, "height": 800}, color_scheme="light")
    try:
        page = context.new_page()
        response = page.goto(backend.url + "/")
        assert response is not None and response.status == 401
        page.screenshot(path=str(screenshots / "login-light.png"))
        page.get_by_label("access token").fill("wrong")
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("alert").wait_for()
        page.get_by_label("access token").fill(TOKEN)
        page.get_by_role("button", name="Log in").click()
        # the page, its assets and the EventSource stream all pass on the cookie alone
        page.wait_for_selector("[data-testid=connection][data-state=live]", timeout=20_000)
    finally:
        context.close()
        backend.stop()
