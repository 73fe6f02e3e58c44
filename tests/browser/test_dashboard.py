"""The dashboard in headless Chromium against the real stack: embedded ClickHouse, `runwatch
serve`, and agent runs logging into it."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.waiting import wait_for

from .pages import card, dataset, open_dashboard, settle, wait_card
from .stack import open_run

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from runwatch import Run
    from tests.support.clickhouse import EmbeddedClickHouse

    from .stack import BackendProcess

pytestmark = pytest.mark.browser

STEPS = 80


@pytest.fixture(scope="module")
def runs(
    clickhouse_server: EmbeddedClickHouse, module_database: str, backend: BackendProcess
) -> Iterator[dict[str, Run]]:
    """Two live runs with training, model, evaluation and (fake) GPU metrics, a NaN and checkpoints."""
    alpha = open_run(
        clickhouse_server,
        module_database,
        "alpha-lr3e-4",
        config={"lr": 3e-4, "total_steps": 1000},
        gpus=True,
    )
    beta = open_run(
        clickhouse_server, module_database, "beta-lr1e-3", config={"lr": 1e-3, "max_steps": 500}
    )
    for step in range(STEPS):
        for i, run in enumerate((alpha, beta)):
            loss = 2.0 * math.exp(-step / 40) + 0.1 * i
            metrics: dict[str, float] = {
                "train/loss": math.nan if (i == 1 and step == 50) else loss,
                "train/lr": 1e-3 * min(1.0, step / 20),
                "model/grad_norm": 1.0 + 0.1 * math.sin(step / 3 + i),
            }
            if step % 10 == 0:
                metrics["val/accuracy"] = 0.5 + step / (2 * STEPS) - 0.05 * i
            run.log(metrics, step=step)
        if step % 40 == 39:
            alpha.log_checkpoint(
                step,
                f"/ckpt/alpha/step_{step:06d}.pt",
                size_bytes=512 * 2**20,
                metrics={"val/loss": 1.0 / (step + 1)},
            )
    for run in (alpha, beta):
        assert run.flush(30)
    try:
        yield {"alpha": alpha, "beta": beta}
    finally:
        for run in (alpha, beta):
            run.finish()


def test_page_shows_run_badges_and_charts(
    page: Page, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    open_dashboard(page, backend.url, "?tab=training")
    for run in runs.values():
        badge = page.locator(f'[data-testid=run-badge][data-run-id="{run.run_id}"]')
        badge.wait_for(timeout=20_000)
        assert badge.get_attribute("data-selected") == "true"
    loss = wait_card(page, "train/loss", "d.series === '2' && Number(d.lastStep) >= 79")
    assert set(loss["runs"].split(",")) == {r.run_id for r in runs.values()}
    assert int(loss["points"]) >= 2 * STEPS - 1
    assert loss["nonFinite"] == "1", "the NaN at step 50 is marked, not dropped"
    assert card(page, "train/lr").count() == 1
    settle(page)
    page.screenshot(path=str(screenshots / "training.png"))


def test_point_logged_appears_on_the_chart_within_two_seconds(
    page: Page, backend: BackendProcess, runs: dict[str, Run]
) -> None:
    open_dashboard(page, backend.url, "?tab=training")
    wait_card(page, "train/loss", "Number(d.lastStep) >= 79")
    step = 10_000 + int(time.time()) % 1000
    started = time.monotonic()
    runs["alpha"].log({"train/loss": 0.0123}, step=step)
    wait_card(page, "train/loss", f"Number(d.lastStep) === {step}", timeout=5_000)
    elapsed = time.monotonic() - started
    print(f"logged -> on the chart: {elapsed * 1000:.0f} ms")
    assert elapsed < 2.0, f"the point took {elapsed:.2f}s to reach the chart"


def test_toggling_a_run_removes_its_series(
    page: Page, backend: BackendProcess, runs: dict[str, Run]
) -> None:
    open_dashboard(page, backend.url, "?tab=training")
    wait_card(page, "train/loss", "d.series === '2'")
    beta = runs["beta"].run_id
    badge = page.locator(f'[data-testid=run-badge][data-run-id="{beta}"]')
    badge.click()
    assert badge.get_attribute("aria-pressed") == "false"
    hidden = wait_card(page, "train/loss", "d.series === '1'")
    assert beta not in hidden["runs"].split(",")
    badge.click()
    shown = wait_card(page, "train/loss", "d.series === '2'")
    assert beta in shown["runs"].split(",")
    # The selection survives a reload (localStorage), without clearing storage this time.
    badge.click()
    wait_card(page, "train/loss", "d.series === '1'")
    page.reload()
    page.wait_for_selector("[data-testid=connection][data-state=live]")
    wait_card(page, "train/loss", "d.series === '1' && Number(d.lastStep) >= 79")


def _x_span(page: Page) -> float:
    d = dataset(page, "train/loss")
    return float(d["xMax"]) - float(d["xMin"])


def test_timeline_picker_changes_the_x_range(
    page: Page, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    open_dashboard(page, backend.url, "?tab=training&x=time")
    wait_card(page, "train/loss", "d.series === '2' && d.xMin !== ''")
    all_span = _x_span(page)
    assert all_span < 3_600_000, "All fits the data, which spans seconds"
    page.get_by_role("radio", name="1h").click()
    wait_for(lambda: abs(_x_span(page) - 3_600_000) < 5_000, 5, "a one-hour x range")
    page.get_by_role("radio", name="6h").click()
    wait_for(lambda: abs(_x_span(page) - 6 * 3_600_000) < 5_000, 5, "a six-hour x range")
    page.screenshot(path=str(screenshots / "timeline-6h.png"))
    page.get_by_role("radio", name="All").click()
    wait_for(lambda: _x_span(page) < 3_600_000, 5, "the data's own x range again")


def test_zoom_is_kept_while_data_arrives(
    page: Page, backend: BackendProcess, runs: dict[str, Run]
) -> None:
    open_dashboard(page, backend.url, "?tab=training")
    wait_card(page, "train/loss", "d.series === '2'")
    # Zooming asks the server for the range at full resolution.
    with page.expect_request(
        lambda r: "/metrics/" in r.url and "from_step=10" in r.url and "to_step=40" in r.url
    ):
        page.evaluate(
            "() => { const rw = window.__runwatch; rw.actions.setXRange(rw.store, { min: 10, max: 40 }); }"
        )
    wait_card(page, "train/loss", "d.xMin === '10' && d.xMax === '40'")
    runs["beta"].log({"train/loss": 0.5}, step=20_000)
    wait_card(page, "train/loss", "Number(d.lastStep) === 20000")
    after = dataset(page, "train/loss")
    assert (after["xMin"], after["xMax"]) == ("10", "40")
    page.locator("[data-testid=reset-zoom]").click()
    wait_card(page, "train/loss", "Number(d.xMax) >= 20000")


def test_other_tabs_show_their_metrics(
    page: Page, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    open_dashboard(page, backend.url, "?tab=system")
    gpu = wait_card(page, "sys.gpu.util_percent", "Number(d.series) >= 2", timeout=20_000)
    assert gpu["runs"] == runs["alpha"].run_id
    page.get_by_role("radio", name="Mean").click()
    wait_card(page, "sys.gpu.util_percent", "d.series === '1'")
    settle(page)
    page.screenshot(path=str(screenshots / "system.png"))

    page.locator("[data-testid=tab-evaluation]").click()
    wait_card(page, "val/accuracy", "d.series === '2'")
    page.locator("[data-testid=tab-model]").click()
    wait_card(page, "model/grad_norm", "d.series === '2'")

    page.locator("[data-testid=tab-checkpoints]").click()
    table = page.locator("[data-testid=checkpoints-table]")
    table.wait_for(timeout=10_000)
    assert "/ckpt/alpha/step_000079.pt" in table.inner_text()
    assert "512" in table.inner_text()
    page.screenshot(path=str(screenshots / "checkpoints.png"))

    page.locator("[data-testid=tab-progress]").click()
    row = page.locator(f'[data-testid=progress-row][data-run-id="{runs["alpha"].run_id}"]')
    row.wait_for(timeout=10_000)
    assert "/ 1,000" in row.inner_text()
    page.screenshot(path=str(screenshots / "progress.png"))


def test_light_theme_follows_the_system_setting(
    browser: Any, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, color_scheme="light")
    try:
        page = context.new_page()
        open_dashboard(page, backend.url, "?tab=training")
        wait_card(page, "train/loss", "d.series === '2'")
        assert page.evaluate("() => document.documentElement.classList.contains('dark')") is False
        settle(page)
        page.screenshot(path=str(screenshots / "training-light.png"))
    finally:
        context.close()


def test_kiosk_mode_rotates_tabs(
    page: Page, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    page.set_viewport_size({"width": 1920, "height": 1080})
    open_dashboard(page, backend.url, "?kiosk=1&rotate=2")
    assert page.evaluate("() => document.documentElement.classList.contains('dark')")
    title = page.locator("[data-testid=tab-title]")
    seen = {title.get_attribute("data-tab")}
    if "training" in seen:
        wait_card(page, "train/loss", "d.series === '2'")
    settle(page)
    page.screenshot(path=str(screenshots / "kiosk.png"))

    def three_tabs_seen() -> bool:
        seen.add(title.get_attribute("data-tab"))
        return len(seen) >= 3

    wait_for(three_tabs_seen, 10, "three tabs in rotation")
    assert page.locator("[data-testid=kiosk-exit]").is_visible()


def test_kiosk_url_fixes_runs_and_tab(
    page: Page, backend: BackendProcess, runs: dict[str, Run]
) -> None:
    alpha = runs["alpha"].run_id
    open_dashboard(page, backend.url, f"?kiosk=1&runs={alpha}&tab=training")
    loss = wait_card(page, "train/loss", "d.series === '1'")
    assert loss["runs"] == alpha
    assert page.locator("[data-testid=tab-title]").get_attribute("data-tab") == "training"
