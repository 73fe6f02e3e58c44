"""The Runs view in real Chromium against the real stack: the runs table sorts and filters,
selecting rows changes the charts, the compare panel shows the differing keys, a group-by
draws bands, and a shared URL reproduces the view. Screenshots at laptop, 1080p and 4K."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.clickhouse import EmbeddedClickHouse

from .pages import card, open_dashboard, settle, wait_card
from .stack import open_run

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from runwatch import Run

    from .stack import BackendProcess

LRS = [3e-3, 1e-4, 1e-3, 3e-4, 1e-2, 2e-4]
DEPTHS = [2, 4, 8]


@pytest.fixture(scope="module")
def runs(clickhouse_server: EmbeddedClickHouse, module_database: str) -> Iterator[dict[str, Run]]:
    made: dict[str, Run] = {}
    for i, lr in enumerate(LRS):
        run = open_run(clickhouse_server, module_database, f"sweep-{i}", project="sweep",
                       config={"optimizer": {"lr": lr, "name": "adam"}, "model": {"depth": DEPTHS[i % 3]}})
        for step in range(200):
            run.log({"train/loss": 2.0 / (1 + step * lr * 10) + 0.05 * ((step * 7 + i) % 5),
                     "epoch": step / 50}, step=step)
        made[f"sweep-{i}"] = run
    for run in made.values():
        assert run.flush(30)
    try:
        yield made
    finally:
        for run in made.values():
            run.finish()


def rows(page: Page) -> list[str]:
    result: list[str] = page.eval_on_selector_all(
        "[data-testid=runs-table] [role=row][data-run-id]",
        "els => els.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)"
        ".map(e => e.querySelector('[role=cell]').textContent)")
    return result


def open_runs_view(page: Page, backend: BackendProcess, query: str = "?view=runs") -> None:
    open_dashboard(page, backend.url, query)
    page.wait_for_selector("[data-testid=runs-table] [role=row][data-run-id]", timeout=20_000)


def wait_rows(page: Page, expected: list[str]) -> None:
    page.wait_for_function(
        """(want) => {
            const els = [...document.querySelectorAll('[data-testid=runs-table] [role=row][data-run-id]')];
            els.sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
            return JSON.stringify(els.map(e => e.querySelector('[role=cell]').textContent)) === JSON.stringify(want);
        }""", arg=expected, timeout=10_000)


def test_runs_table_sorts_by_a_config_number_and_filters(page: Page, backend: BackendProcess,
                                                         runs: dict[str, Run], screenshots: Path) -> None:
    open_runs_view(page, backend)
    page.get_by_test_id("view-switch").wait_for()
    assert sorted(rows(page)) == sorted(runs)
    page.click('[role=columnheader][data-column="config.optimizer.lr"]')
    by_lr = [f"sweep-{i}" for i in sorted(range(len(LRS)), key=lambda i: LRS[i])]
    wait_rows(page, by_lr)
    page.click('[role=columnheader][data-column="config.optimizer.lr"]')
    wait_rows(page, by_lr[::-1])
    page.fill("[data-testid=runs-filter]", "optimizer.lr < 1e-3")
    wait_rows(page, [r for r in by_lr[::-1] if LRS[int(r.split("-")[1])] < 1e-3])
    assert "sort=-config.optimizer.lr" in page.url and "q=optimizer.lr" in page.url
    page.screenshot(path=str(screenshots / "runs-table-sorted-filtered.png"))


def test_selecting_rows_changes_the_charts_and_the_badges(page: Page, backend: BackendProcess,
                                                          runs: dict[str, Run]) -> None:
    open_runs_view(page, backend)
    first = runs["sweep-0"].run_id
    page.uncheck(f'[data-testid=runs-table] [data-run-id="{first}"] input[type=checkbox]')
    badge = page.locator(f'[data-testid=run-badge][data-run-id="{first}"]')
    page.wait_for_function("(el) => el.dataset.selected === 'false'", arg=badge.element_handle(), timeout=5_000)
    page.click("[data-testid=view-switch] >> text=Charts")
    loss = wait_card(page, "train/loss", f"d.series === '{len(runs) - 1}'")
    assert first not in loss["runs"].split(",")
    assert card(page, "train/loss").count() == 1


def select_only(page: Page, names: list[str], runs: dict[str, Run]) -> None:
    page.evaluate("(ids) => window.__runwatch.store.setState({ selection: { mode: 'include', ids } })",
                  [runs[n].run_id for n in names])


def test_compare_panel_shows_the_differing_keys(page: Page, backend: BackendProcess,
                                                runs: dict[str, Run], screenshots: Path) -> None:
    open_runs_view(page, backend)
    select_only(page, ["sweep-0", "sweep-3"], runs)  # lr 3e-3 vs 3e-4, depth 2 vs 2
    page.click("[data-testid=compare-button]")
    page.wait_for_selector("[data-testid=differ] tr[data-key]", timeout=10_000)
    keys = page.eval_on_selector_all("[data-testid=differ] tr[data-key]", "els => els.map(e => e.dataset.key)")
    assert "config.optimizer.lr" in keys and "config.model.depth" not in keys
    assert all(not k.startswith("config.") or k == "config.optimizer.lr" for k in keys)
    assert "cmp=1" in page.url
    page.screenshot(path=str(screenshots / "runs-compare.png"))


def test_group_by_draws_bands(page: Page, backend: BackendProcess, runs: dict[str, Run],
                              screenshots: Path) -> None:
    open_runs_view(page, backend, "?view=runs&m=train/loss")
    page.select_option("select[aria-label='Group by']", "config.model.depth")
    page.wait_for_selector("[data-testid=analysis-chart][data-bands='3']", timeout=15_000)
    assert "gb=config.model.depth" in page.url
    legend = page.inner_text("[data-testid=analysis-chart]")
    assert "model.depth=2 (n=2)" in legend
    settle(page)
    page.screenshot(path=str(screenshots / "runs-grouped-bands.png"))


def test_a_shared_url_reproduces_the_view(browser: Browser, backend: BackendProcess,
                                          runs: dict[str, Run], screenshots: Path) -> None:
    ids = ",".join(runs[n].run_id for n in ("sweep-1", "sweep-4"))
    query = (f"?view=runs&q=project%20%3D%20sweep&sort=-config.optimizer.lr&m=train/loss"
             f"&sm=ema:0.9&xa=metric:epoch&cmp=1&runs={ids}&detail={runs['sweep-4'].run_id}")
    for name, (width, height), scheme in [("laptop", (1440, 900), "dark"),
                                          ("1080p", (1920, 1080), "light"),
                                          ("4k", (3840, 2160), "dark")]:
        context = browser.new_context(viewport={"width": width, "height": height}, color_scheme=scheme)
        page = context.new_page()
        try:
            open_runs_view(page, backend, query)
            assert page.input_value("[data-testid=runs-filter]") == "project = sweep"
            by_lr_desc = [f"sweep-{i}" for i in sorted(range(len(LRS)), key=lambda i: -LRS[i])]
            wait_rows(page, by_lr_desc)
            page.wait_for_selector("[data-testid=compare-panel] [data-testid=differ] tr[data-key]", timeout=10_000)
            page.wait_for_selector("[data-testid=run-detail] [data-testid=config-tree]", timeout=10_000)
            page.wait_for_selector("[data-testid=analysis-chart][data-series='4']", timeout=15_000)
            assert page.input_value("select[aria-label=Smoothing]") == "ema"
            assert page.input_value("select[aria-label='X axis']") == "metric:epoch"
            settle(page)
            page.screenshot(path=str(screenshots / f"runs-shared-{name}-{scheme}.png"))
        finally:
            context.close()
