"""A run bar over thousands of live runs (a sweep, or an import of old runs that all count as
live for a while): it draws the first badges only — two rows' worth folded, a scrolling box's
worth unfolded — counts the rest, and the search reaches any run. Drawing every badge froze
the page for seconds at 10,000 runs (BENCHMARKS.md, "Run bar")."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.clickhouse import EmbeddedClickHouse

from .pages import open_dashboard
from .stack import BackendProcess

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser

RUNS = 3000
FOLDED_BADGES = 150  # frontend/src/components/badgeLimit.ts
EXPANDED_BADGES = 600


@pytest.fixture(scope="module")
def sweep(clickhouse_server: EmbeddedClickHouse, module_database: str, backend: BackendProcess) -> int:
    db = clickhouse_server.client(database=module_database)
    try:
        db.command(f"""
            INSERT INTO runs (run_id, project, name, status, started_at, updated_at, heartbeat_at)
            SELECT concat('sweep-', leftPad(toString(number), 4, '0')), 'sweep',
                   concat('sweep-', leftPad(toString(number), 4, '0')), 'running',
                   now64(3), now64(3), now64(3)
            FROM numbers({RUNS})""")
    finally:
        db.close()
    return RUNS


def _open(page: Page, url: str, query: str) -> None:
    open_dashboard(page, url, query)
    page.wait_for_function(f"document.querySelector('[data-testid=run-count]')?.textContent.endsWith('/{RUNS} shown')",
                           timeout=30_000)


def _badges(page: Page) -> int:
    return int(page.locator("[data-testid=run-badge]").count())


def test_the_run_bar_draws_two_rows_worth_of_badges_and_counts_every_run(
    page: Page, backend: BackendProcess, sweep: int, screenshots: Path,
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    _open(page, backend.url, "?tab=training")
    assert _badges(page) == FOLDED_BADGES
    expand = page.locator("[data-testid=runs-expand]")
    assert expand.inner_text().startswith(f"All {sweep}")
    page.screenshot(path=str(screenshots / "run-bar-3000-runs-folded.png"))

    expand.click()
    page.wait_for_function(f"document.querySelectorAll('[data-testid=run-badge]').length === {EXPANDED_BADGES}")
    note = page.locator("[data-testid=runs-not-drawn]")
    assert note.inner_text() == f"{EXPANDED_BADGES} of {sweep} drawn: search to find the others"
    page.screenshot(path=str(screenshots / "run-bar-3000-runs-expanded.png"))

    page.locator("[data-testid=run-search]").fill("sweep-2999")  # beyond every drawn badge
    page.wait_for_function("document.querySelectorAll('[data-testid=run-badge]').length === 1")
    assert page.locator("[data-testid=run-badge]").get_attribute("data-run-id") == "sweep-2999"
    assert note.count() == 0


def test_the_wall_counts_the_runs_it_does_not_draw(
    page: Page, backend: BackendProcess, sweep: int,
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_dashboard(page, backend.url, "?kiosk=1&tab=training&rotate=0")  # no run count on the wall
    page.locator("[data-testid=runs-hidden]").wait_for(timeout=15_000)
    visible = page.evaluate("""() => {
        const box = document.querySelector('[data-testid=run-badges]').getBoundingClientRect();
        return [...document.querySelectorAll('[data-testid=run-badge]')]
            .filter((b) => b.getBoundingClientRect().top < box.bottom - 1).length;
    }""")
    assert 0 < visible < FOLDED_BADGES
    page.wait_for_function(  # once all of them arrived
        f"document.querySelector('[data-testid=runs-hidden]').textContent === '+{sweep - visible} more runs'",
        timeout=30_000)
    assert _badges(page) == FOLDED_BADGES
