"""What a wall monitor and a wide screen show (issue 16), against the real stack: a run's
colour picked by the user, the wall legend's "+N more", pinned cards, the normal view on wide
screens, the tab edge states (agent counters only, no GPU on a host, constant series), the
wall-time axis of the System tab and a run bar that folds at any width."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runwatch import Run
from tests.support.clickhouse import EmbeddedClickHouse
from tests.support.waiting import wait_for

from .pages import card, open_dashboard, settle, wait_card
from .stack import BackendProcess, open_run

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

NO_GPU_HOST = "cpu-box-1"


@pytest.fixture(scope="module")
def legend_runs(clickhouse_server: EmbeddedClickHouse, module_database: str,
                backend: BackendProcess) -> Iterator[list[Run]]:
    """Twelve runs whose names differ only at the end, on one card."""
    runs = [open_run(clickhouse_server, module_database, f"resnet50-lr0.006-20{7 + i:02d}-2", project="views")
            for i in range(12)]
    for k, run in enumerate(runs):
        for step in range(30):
            run.log({"train/loss": 2.0 - step * 0.03 + k * 0.05}, step=step)
    for run in runs:
        assert run.flush(30)
    try:
        yield runs
    finally:
        for run in runs:
            run.finish()


@pytest.fixture(scope="module")
def many(clickhouse_server: EmbeddedClickHouse, module_database: str, backend: BackendProcess) -> Iterator[Run]:
    run = open_run(clickhouse_server, module_database, "many-cards", project="views")
    for step in range(40):
        run.log({f"train/metric_{i:02d}": math.sin(step / 5 + i) for i in range(16)}, step=step)
    assert run.flush(30)
    try:
        yield run
    finally:
        run.finish()


@pytest.fixture(scope="module")
def edge(clickhouse_server: EmbeddedClickHouse, module_database: str, backend: BackendProcess) -> Iterator[Run]:
    """A run with a constant series, only agent counters on Other, and CPU metrics over four
    minutes from a host that has no GPU (stored the way the agent stores them)."""
    run = open_run(clickhouse_server, module_database, "edge-states", project="views")
    for step in range(20):
        run.log({"train/loss": 1.0 / (step + 1), "train/const_lr": 0.001}, step=step)
    assert run.flush(30)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    rows = [[now - dt.timedelta(seconds=4 * 60 - 5 * i), run.run_id, NO_GPU_HOST, 0, 65535, i,
             "sys.cpu.util_percent", 40.0 + (i % 7), "percent"] for i in range(49)]
    # the agent's own counter (a name a training script may not log)
    rows += [[now - dt.timedelta(seconds=60 - 10 * i), run.run_id, NO_GPU_HOST, 0, 65535, i,
              "agent.points_dropped", float(i), "count"] for i in range(5)]
    client = clickhouse_server.client(module_database)
    try:
        client.insert("metric_points", rows, column_names=[
            "event_time", "run_id", "host", "rank", "device", "step", "metric", "value", "unit"])
    finally:
        client.close()
    try:
        yield run
    finally:
        run.finish()


def _context(browser: Browser, width: int, height: int, scheme: str = "dark", scale: int = 1) -> Any:
    return browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                               color_scheme=scheme)


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_a_colour_picked_on_a_badge_colours_its_lines_and_survives_a_reload(
    page: Page, backend: BackendProcess, legend_runs: list[Run], screenshots: Path,
) -> None:
    run = legend_runs[3]
    open_dashboard(page, backend.url, f"?tab=training&runs={run.run_id}")
    wait_card(page, "train/loss", "d.series === '1'")
    badge = page.locator(f"[data-testid=run-badge][data-run-id='{run.run_id}']")
    badge.click(button="right")
    menu = page.locator("[data-testid=run-color-menu]")
    menu.wait_for()
    hashed = menu.locator("[aria-checked=true]").get_attribute("data-color")
    assert hashed is not None
    page.screenshot(path=str(screenshots / "views-colour-menu.png"))
    chosen = "#c04ac7" if hashed != "#c04ac7" else "#2eb67d"
    menu.locator(f"[data-color='{chosen}']").click()
    assert menu.count() == 0  # picking closes it

    swatch = f"[data-testid=metric-card][data-metric='train/loss'] .rw-latest[data-run-id='{run.run_id}'] .rw-swatch"
    page.wait_for_function("([sel, rgb]) => getComputedStyle(document.querySelector(sel)).backgroundColor === rgb",
                           arg=[swatch, _rgb(chosen)], timeout=10_000)
    assert badge.locator("span").first.evaluate("el => getComputedStyle(el).backgroundColor") == _rgb(chosen)

    page.reload()
    page.wait_for_selector("[data-testid=connection][data-state=live]", timeout=20_000)
    wait_card(page, "train/loss", "d.series === '1'")
    assert page.locator(swatch).evaluate("el => getComputedStyle(el).backgroundColor") == _rgb(chosen)

    badge.click(button="right")
    page.locator("[data-testid=run-color-reset]").click()
    page.wait_for_function("([sel, rgb]) => getComputedStyle(document.querySelector(sel)).backgroundColor === rgb",
                           arg=[swatch, _rgb(hashed)], timeout=10_000)


# 1280×720: the card is too narrow for 12 entries; 4K: the one card is wide enough for all
@pytest.mark.parametrize(("width", "height", "cut"), [(1280, 720, True), (3840, 2160, False)])
def test_the_wall_legend_of_a_twelve_run_card_says_plus_n_more_and_opens_every_run(
    browser: Browser, backend: BackendProcess, legend_runs: list[Run], screenshots: Path,
    width: int, height: int, cut: bool,
) -> None:
    context = _context(browser, width, height)
    try:
        page = context.new_page()
        ids = ",".join(r.run_id for r in legend_runs)
        open_dashboard(page, backend.url, f"?kiosk=1&tab=training&runs={ids}&rotate=0")
        wait_card(page, "train/loss", "d.series === '12'")
        settle(page)
        legend = card(page, "train/loss").locator(".rw-latest-row")
        more = legend.locator("[data-testid=legend-more]")
        shown = int(legend.get_attribute("data-shown") or 0)
        hidden = int(more.get_attribute("data-more") or 0) if more.count() else 0
        assert shown + hidden == 12 and (hidden > 0) == cut, (shown, hidden)
        # nothing is cut: every entry the row holds lies inside it
        inside = legend.evaluate("""(row) => {
            const r = row.getBoundingClientRect();
            return [...row.children].every((c) => { const b = c.getBoundingClientRect();
                return b.top >= r.top - 1 && b.bottom <= r.bottom + 1 && b.right <= r.right + 1; });
        }""")
        assert inside
        page.screenshot(path=str(screenshots / f"views-kiosk-legend-{width}x{height}.png"))
        if not cut:
            return
        more.click()
        full = card(page, "train/loss").locator("[data-testid=legend-list] .rw-latest")
        assert sorted(full.evaluate_all("els => els.map((e) => e.title)")) == sorted(r.name for r in legend_runs)
        page.screenshot(path=str(screenshots / f"views-kiosk-legend-open-{width}x{height}.png"))
    finally:
        context.close()


def _kiosk_page(page: Page) -> tuple[str | None, list[str]]:
    result: tuple[str | None, list[str]] = page.evaluate("""() => [
        document.querySelector('[data-testid=kiosk-grid]')?.dataset.page ?? null,
        [...document.querySelectorAll('[data-testid=metric-card]')].map((el) => el.dataset.metric)]""")
    return result


def test_a_pinned_card_is_on_every_page_of_the_wall(
    browser: Browser, backend: BackendProcess, many: Run, screenshots: Path,
) -> None:
    context = _context(browser, 1280, 720)
    try:
        page = context.new_page()
        open_dashboard(page, backend.url, f"?kiosk=1&tab=training&runs={many.run_id}&rotate=2&pin=train/metric_09")
        wait_card(page, "train/metric_09", "d.series === '1'")
        assert int(page.locator("[data-testid=kiosk-grid]").get_attribute("data-pages") or 0) > 1
        first_page, first_cards = wait_for(lambda: (p := _kiosk_page(page))[0] is not None and p, 6, "the grid")
        assert first_cards[0] == "train/metric_09"
        page.screenshot(path=str(screenshots / "views-kiosk-pinned-page1.png"))
        wait_for(lambda: _kiosk_page(page)[0] not in (None, first_page), 6, "the next page")
        settle(page)
        _, next_cards = _kiosk_page(page)
        assert next_cards[0] == "train/metric_09"
        assert set(next_cards[1:]).isdisjoint(first_cards[1:])  # the others rotate
        page.screenshot(path=str(screenshots / "views-kiosk-pinned-page2.png"))
    finally:
        context.close()


def test_pinning_a_card_puts_it_first_in_its_tab_across_reloads(page: Page, backend: BackendProcess, many: Run) -> None:
    open_dashboard(page, backend.url, f"?tab=training&runs={many.run_id}")
    wait_card(page, "train/metric_00", "d.series === '1'")
    # cards below the fold draw when they come near the viewport (how far down card 12 sits
    # depends on how many runs the run bar above the grid holds)
    card(page, "train/metric_12").scroll_into_view_if_needed()
    wait_card(page, "train/metric_12", "d.series === '1'")
    first = "() => document.querySelector('[data-testid=metric-card]').dataset.metric"
    assert page.evaluate(first) == "train/metric_00"
    card(page, "train/metric_12").hover()
    card(page, "train/metric_12").locator("[data-testid=card-pin]").click()
    page.wait_for_function(f"() => ({first})() === 'train/metric_12'", timeout=5_000)
    page.reload()
    page.wait_for_selector("[data-testid=metric-card]", timeout=20_000)
    assert page.evaluate(first) == "train/metric_12"
    assert card(page, "train/metric_12").locator("[data-testid=card-pin]").get_attribute("aria-pressed") == "true"


@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize(("width", "height", "cols"), [(1280, 720, 2), (1920, 1080, 4), (3840, 2160, 4)])
def test_the_normal_view_fills_wide_screens_with_bigger_cards(
    browser: Browser, backend: BackendProcess, many: Run, screenshots: Path,
    width: int, height: int, cols: int, scheme: str,
) -> None:
    context = _context(browser, width, height, scheme)
    try:
        page = context.new_page()
        open_dashboard(page, backend.url, f"?tab=training&runs={many.run_id}")
        wait_card(page, "train/metric_00", "d.series === '1'")
        settle(page)
        layout: dict[str, float] = page.evaluate("""() => {
            const grid = document.querySelector('[data-testid=card-grid]').getBoundingClientRect();
            const cards = [...document.querySelectorAll('[data-testid=metric-card]')].map((el) => el.getBoundingClientRect());
            const row = cards.filter((c) => Math.abs(c.top - cards[0].top) < 1);
            return { cols: Number(document.querySelector('[data-testid=card-grid]').dataset.cols),
                     rowWidth: row[row.length - 1].right - row[0].left, gridWidth: grid.width,
                     cardHeight: cards[0].height, screenHeight: innerHeight };
        }""")
        assert layout["cols"] == cols, layout
        assert layout["rowWidth"] > 0.97 * layout["gridWidth"], layout  # no empty tracks, no narrow column
        if width >= 3840:
            assert layout["cardHeight"] > 0.18 * layout["screenHeight"], layout  # not a strip along the top
        page.screenshot(path=str(screenshots / f"views-normal-{width}x{height}-{scheme}.png"))
    finally:
        context.close()


def test_edge_states_internal_counters_only_no_gpu_on_a_host_and_a_constant_series(
    page: Page, backend: BackendProcess, edge: Run, screenshots: Path,
) -> None:
    open_dashboard(page, backend.url, f"?tab=other&runs={edge.run_id}")
    notice = page.locator("[data-testid=tab-notice][data-notice=internal-only]")
    notice.wait_for(timeout=15_000)
    assert "agent.*" in notice.inner_text()
    page.get_by_role("button", name="agent internals").click()  # folded, and can be unfolded
    card(page, "agent.points_dropped").wait_for()
    page.screenshot(path=str(screenshots / "views-internal-only.png"))

    open_dashboard(page, backend.url, f"?tab=system&runs={edge.run_id}")
    no_gpu = page.locator("[data-testid=tab-notice][data-notice=no-gpu]")
    no_gpu.wait_for(timeout=15_000)
    assert f"No NVIDIA GPU / NVML on host {NO_GPU_HOST}" in no_gpu.inner_text()
    assert page.locator("[data-testid=x-mode-fixed]").inner_text() == "Wall time"
    assert page.locator("[data-testid=x-mode]").count() == 0  # no "Step" that is not in effect
    # four minutes of CPU samples: several time ticks, not one
    d = wait_card(page, "sys.cpu.util_percent", "d.xTicks !== undefined && Number(d.points) === 49")
    assert int(d["xTicks"]) >= 3, d
    page.screenshot(path=str(screenshots / "views-no-gpu-system.png"))

    open_dashboard(page, backend.url, f"?tab=training&runs={edge.run_id}")
    stat = page.locator("[data-testid=stat-card][data-metric='train/const_lr']")
    stat.wait_for(timeout=15_000)
    assert "0.001" in stat.inner_text()
    assert card(page, "train/const_lr").count() == 0  # not a flat line across a chart
    wait_card(page, "train/loss", "d.series === '1'")
    page.screenshot(path=str(screenshots / "views-stat-card.png"))

    page.get_by_placeholder("Filter panels").fill("no-such-card")
    empty = page.locator("[data-testid=grid-empty][data-reason=filter]")
    empty.wait_for(timeout=5_000)
    assert "matches “no-such-card”" in empty.inner_text()


def test_the_run_bar_folds_at_a_narrow_width_and_unfolds(
    browser: Browser, backend: BackendProcess, legend_runs: list[Run], screenshots: Path,
) -> None:
    context = _context(browser, 640, 800)
    try:
        page = context.new_page()
        ids = ",".join(r.run_id for r in legend_runs[:8])  # fewer than 12, yet too many for two rows
        open_dashboard(page, backend.url, f"?tab=training&runs={ids}")
        expand = page.locator("[data-testid=runs-expand]")
        expand.wait_for(timeout=15_000)
        badges = page.locator("[data-testid=run-badges]")
        assert badges.evaluate("el => el.scrollHeight > el.clientHeight")
        page.screenshot(path=str(screenshots / "views-run-bar-folded-640.png"))
        expand.click()
        assert expand.get_attribute("aria-expanded") == "true"
        assert badges.evaluate("el => el.scrollHeight <= el.clientHeight + 1")
        assert page.evaluate("() => document.documentElement.scrollWidth <= innerWidth")
    finally:
        context.close()


def test_the_wall_run_bar_keeps_two_rows_and_counts_the_rest(
    browser: Browser, backend: BackendProcess, legend_runs: list[Run], screenshots: Path,
) -> None:
    context = _context(browser, 1280, 720)
    try:
        page = context.new_page()
        ids = ",".join(r.run_id for r in legend_runs)
        open_dashboard(page, backend.url, f"?kiosk=1&tab=training&runs={ids}&rotate=0")
        wait_card(page, "train/loss", "d.series === '12'")
        hidden = page.locator("[data-testid=runs-hidden]")
        hidden.wait_for(timeout=10_000)
        rows: dict[str, int] = page.evaluate("""() => {
            const bar = document.querySelector('[data-testid=run-badges]').getBoundingClientRect();
            const badges = [...document.querySelectorAll('[data-testid=run-badge]')].map((b) => b.getBoundingClientRect());
            const visible = badges.filter((b) => b.top < bar.bottom - 1);
            return { rows: new Set(visible.map((b) => Math.round(b.top))).size, visible: visible.length,
                     cut: visible.filter((b) => b.bottom > bar.bottom + 1).length, total: badges.length };
        }""")
        assert rows["rows"] == 2 and rows["cut"] == 0, rows
        assert hidden.inner_text() == f"+{rows['total'] - rows['visible']} more runs"
        page.screenshot(path=str(screenshots / "views-kiosk-run-bar-folded.png"))
    finally:
        context.close()


def test_the_wall_does_not_rotate_to_a_tab_of_agent_counters_only(
    browser: Browser, backend: BackendProcess, edge: Run,
) -> None:
    context = _context(browser, 1280, 720)
    try:
        page = context.new_page()
        open_dashboard(page, backend.url, f"?kiosk=1&runs={edge.run_id}&rotate=30")
        page.wait_for_selector("[aria-label='Rotating tabs'] li[data-tab=system]", timeout=15_000)
        rotation = page.locator("[aria-label='Rotating tabs'] li").evaluate_all("els => els.map((e) => e.dataset.tab)")
        assert "training" in rotation and "system" in rotation
        assert "other" not in rotation, rotation  # only agent.points_dropped there
    finally:
        context.close()
