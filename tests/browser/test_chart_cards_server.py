"""Chart cards of the live tabs drawn from the server, in real Chromium against the real stack:
server smoothing whose live tail keeps arriving, a metric as x, group bands, a card's download
of its runs' raw points, and a run's detail from its badge. Screenshots at laptop (dark) and
1080p (light)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.clickhouse import EmbeddedClickHouse

from .pages import open_dashboard, settle
from .stack import open_run

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from runwatch import Run

    from .stack import BackendProcess

LRS = [3e-3, 1e-4, 1e-3, 3e-4]
DEPTHS = [2, 4]
STEPS = 200


@pytest.fixture(scope="module")
def runs(clickhouse_server: EmbeddedClickHouse, module_database: str) -> Iterator[dict[str, Run]]:
    made: dict[str, Run] = {}
    for i, lr in enumerate(LRS):
        run = open_run(clickhouse_server, module_database, f"card-{i}", project="cards",
                       config={"optimizer": {"lr": lr}, "model": {"depth": DEPTHS[i % 2]}})
        for step in range(STEPS):
            run.log({"train/loss": 2.0 / (1 + step * lr * 10) + 0.05 * ((step * 7 + i) % 5),
                     "epoch": step / 50}, step=step)
        made[f"card-{i}"] = run
    for run in made.values():
        assert run.flush(30)
    try:
        yield made
    finally:
        for run in made.values():
            run.finish()


def chart(page: Page, metric: str, predicate: str, timeout: float = 20_000) -> dict[str, str]:
    """Waits until `predicate` (JS over the card's chart dataset `d`) holds; returns it."""
    handle = page.wait_for_function(
        """([metric, predicate]) => {
            const el = document.querySelector(
                `[data-testid=metric-card][data-metric="${metric}"][data-analysis] [data-testid=analysis-chart]`);
            if (!el) return false;
            return new Function("d", `return (${predicate})`)(el.dataset) ? { ...el.dataset } : false;
        }""", arg=[metric, predicate], polling=250, timeout=timeout)
    value: dict[str, str] = handle.json_value()
    return value


def test_server_smoothing_on_a_tab_card_and_its_live_tail(page: Page, backend: BackendProcess,
                                                          runs: dict[str, Run]) -> None:
    open_dashboard(page, backend.url, "?sm=gaussian:5")
    # every run drawn raw (faint) and smoothed
    chart(page, "train/loss", f"d.series === '{2 * len(runs)}' && d.lastX === '{STEPS - 1}'")
    assert page.locator("[data-testid=metric-card][data-metric='train/loss'] [data-testid=card-analysis]").inner_text() == "gaussian · server"
    run = runs["card-1"]
    for step in range(STEPS, STEPS + 40):
        run.log({"train/loss": 0.5, "epoch": step / 50}, step=step)
    assert run.flush(30)
    chart(page, "train/loss", f"d.lastX === '{STEPS + 39}'")


def test_a_metric_as_the_cards_x_axis(page: Page, backend: BackendProcess, runs: dict[str, Run]) -> None:
    open_dashboard(page, backend.url, "?xa=metric:epoch")
    d = chart(page, "train/loss", f"d.series === '{len(runs)}'")
    assert 3.9 <= float(d["lastX"]) <= (STEPS + 39) / 50
    assert page.input_value("select[aria-label='Card x axis']") == "metric:epoch"
    run = runs["card-3"]  # the card keeps up while a run logs
    run.log({"train/loss": 0.7, "epoch": 10.0}, step=STEPS + 100)
    assert run.flush(30)
    chart(page, "train/loss", "d.lastX === '10'")


def test_group_by_one_then_two_keys_draws_bands_on_the_tab_cards(
        page: Page, backend: BackendProcess, runs: dict[str, Run]) -> None:
    open_dashboard(page, backend.url)
    page.wait_for_selector("[data-testid=metric-card][data-metric='train/loss']", timeout=20_000)
    page.select_option("select[aria-label='Group cards by']", "config.model.depth")
    d = chart(page, "train/loss", "d.bands === '2'")
    assert d["series"] == "2" and "gb=config.model.depth" in page.url
    page.select_option("select[aria-label='Then group cards by']", "project")  # a second key
    card = page.locator("[data-testid=metric-card][data-metric='train/loss']")
    card.get_by_text("grouped by model.depth, project").wait_for(timeout=20_000)
    d = chart(page, "train/loss", "d.bands === '2'")  # every run in project "cards"


def test_card_download_has_the_shown_runs_raw_points(page: Page, backend: BackendProcess,
                                                     runs: dict[str, Run]) -> None:
    shown = [runs["card-0"].run_id, runs["card-2"].run_id]
    open_dashboard(page, backend.url, f"?runs={','.join(shown)}")
    link = page.locator("[data-testid=metric-card][data-metric='train/loss'] [data-testid=card-download] a[data-format=csv]")
    link.wait_for(state="attached", timeout=20_000)
    response = page.request.get(f"{backend.url}/{link.get_attribute('href')}")
    assert response.status == 200
    rows = list(csv.DictReader(io.StringIO(response.text())))
    assert sorted({r["run_id"] for r in rows}) == sorted(shown)
    assert len(rows) == 2 * STEPS and {r["metric"] for r in rows} == {"train/loss"}
    assert link.text_content() == "CSV (2 runs)"


def test_a_badge_opens_the_runs_detail(page: Page, backend: BackendProcess, runs: dict[str, Run]) -> None:
    open_dashboard(page, backend.url)
    run_id = runs["card-3"].run_id
    page.click(f"[data-testid=run-detail-open][data-run-id='{run_id}']")
    page.wait_for_selector("[data-testid=detail-overlay] [data-testid=config-tree]", timeout=10_000)
    assert f"detail={run_id}" in page.url
    assert "0.0003" in page.inner_text("[data-testid=detail-overlay]")
    badge = page.locator(f"[data-testid=run-badge][data-run-id='{run_id}']")
    assert badge.get_attribute("data-selected") == "true"  # opening the detail hides nothing


def test_screenshots_of_server_cards(browser: Browser, backend: BackendProcess, runs: dict[str, Run],
                                     screenshots: Path) -> None:
    for name, (width, height), scheme, query in [
        ("laptop", (1440, 900), "dark", "?sm=ema:0.9"),
        ("1080p", (1920, 1080), "light", "?gb=config.model.depth"),
    ]:
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
        page = context.new_page()
        try:
            open_dashboard(page, backend.url, query)
            chart(page, "train/loss", "d.series !== '0'")
            settle(page)
            page.screenshot(path=str(screenshots / f"cards-server-{name}-{scheme}.png"))
        finally:
            context.close()
