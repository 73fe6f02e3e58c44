"""The connection dot and catch-up across a backend restart, against the real stack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .pages import open_dashboard, wait_card
from .stack import open_run

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from runwatch import Run
    from tests.support.clickhouse import EmbeddedClickHouse

    from .stack import BackendProcess

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def run(
    clickhouse_server: EmbeddedClickHouse, module_database: str, backend: BackendProcess
) -> Iterator[Run]:
    run = open_run(clickhouse_server, module_database, "restart-me")
    for step in range(20):
        run.log({"train/loss": 1.0 / (step + 1)}, step=step)
    assert run.flush(30)
    try:
        yield run
    finally:
        run.finish()


def test_dot_goes_disconnected_when_backend_stops_and_live_with_data_caught_up_after_restart(
    page: Page, backend: BackendProcess, run: Run, screenshots: Path
) -> None:
    open_dashboard(page, backend.url, "?tab=training")
    wait_card(page, "train/loss", "Number(d.lastStep) === 19")
    page.evaluate("() => { const rw = window.__runwatch; rw.actions.setSmoothing(rw.store, 0.6); }")

    backend.stop()
    page.wait_for_selector("[data-testid=connection][data-state=disconnected]", timeout=15_000)
    page.screenshot(path=str(screenshots / "disconnected.png"))

    # Training goes on while the dashboard server is down: ClickHouse still takes the points.
    for step in range(20, 40):
        run.log({"train/loss": 1.0 / (step + 1)}, step=step)
    assert run.flush(30)

    backend.start()
    page.wait_for_selector("[data-testid=connection][data-state=live]", timeout=40_000)
    caught_up = wait_card(page, "train/loss", "Number(d.lastStep) === 39", timeout=20_000)
    assert int(caught_up["points"]) >= 40
    smoothing = page.evaluate("() => window.__runwatch.store.getState().smoothing")
    assert smoothing == pytest.approx(0.6), "the view survives the reconnect"
