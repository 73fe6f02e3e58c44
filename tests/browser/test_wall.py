"""A wall monitor that must not lie (issue 16), against the real stack: ClickHouse going away
and coming back, runs that fail or are killed, the kiosk at wall resolutions, legends,
colours and an outlier that must not flatten the other runs."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from runwatch import Run
from tests.support.clickhouse import EmbeddedClickHouse
from tests.support.waiting import wait_for

from .chromium import REPO
from .pages import open_dashboard, settle, wait_card
from .stack import BackendProcess, open_run

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

STALE_AFTER_SEC = 4


@pytest.fixture(scope="module")
def wall_clickhouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedClickHouse]:
    """A server of this module's own: one test stops and restarts it."""
    server = EmbeddedClickHouse(tmp_path_factory.mktemp("wall-clickhouse") / "data")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def wall_db(wall_clickhouse: EmbeddedClickHouse) -> str:
    from runwatch.server.migrate import apply_schema

    client = wall_clickhouse.client()
    try:
        apply_schema(client, "wall")
    finally:
        client.close()
    return "wall"


@pytest.fixture(scope="module")
def wall_backend(wall_clickhouse: EmbeddedClickHouse, wall_db: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendProcess]:
    process = BackendProcess(wall_clickhouse, wall_db, tmp_path_factory.mktemp("wall-backend"), extra_env={
        "RUNWATCH_ACTIVE_WINDOW_SEC": str(STALE_AFTER_SEC),
        "RUNWATCH_RUNS_POLL_INTERVAL_SEC": "1",
        "RUNWATCH_POLL_BACKOFF_MAX_SEC": "2",
    })
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _spooling_run(server: EmbeddedClickHouse, database: str, name: str, spool: Path) -> Run:
    return Run(project="wall", name=name, host=server.host, port=server.port, database=database,
               system_metrics=False, flush_interval=0.1, spool_dir=str(spool), spool_after=0.5)


def _boxes_inside_viewport(page: Page) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("""() => {
        const w = innerWidth, h = innerHeight, d = document.documentElement;
        const cards = [...document.querySelectorAll('[data-testid=metric-card]')].map((el) => {
            const r = el.getBoundingClientRect();
            return { l: r.left, t: r.top, r: r.right, b: r.bottom };
        });
        return {
            scroll: d.scrollHeight > h || d.scrollWidth > w,
            mainScroll: (() => { const m = document.getElementById('panels');
                                 return m.scrollHeight > m.clientHeight + 1; })(),
            outside: cards.filter((c) => c.l < 0 || c.t < 0 || c.r > w + 0.5 || c.b > h + 0.5).length,
            cards: cards.length,
            pages: Number(document.querySelector('[data-testid=kiosk-grid]')?.dataset.pages ?? 0),
        };
    }""")
    return result


def test_clickhouse_stopped_the_pill_names_the_cause_and_after_restart_is_live_with_no_gap(
    page: Page, wall_clickhouse: EmbeddedClickHouse, wall_db: str, wall_backend: BackendProcess,
    tmp_path: Path, screenshots: Path,
) -> None:
    run = _spooling_run(wall_clickhouse, wall_db, "outage", tmp_path / "spool")
    try:
        for step in range(20):
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)
        assert run.flush(30)
        open_dashboard(page, wall_backend.url, f"?tab=training&runs={run.run_id}")
        wait_card(page, "train/loss", "Number(d.lastStep) === 19")

        wall_clickhouse.stop()
        pill = page.locator("[data-testid=connection]")
        page.wait_for_selector("[data-testid=connection][data-state=delayed]", timeout=10_000)
        assert pill.get_attribute("data-cause") == "clickhouse_unreachable"
        assert "ClickHouse unreachable" in pill.inner_text()
        badge = page.locator(f"[data-testid=run-badge][data-run-id='{run.run_id}']")
        assert badge.get_attribute("data-shown-status") == "unknown"  # not claimed running
        assert "activity unknown" in page.locator("[data-testid=run-summary]").inner_text()
        page.screenshot(path=str(screenshots / "wall-clickhouse-down.png"))

        for step in range(20, 40):  # training goes on: the agent spools
            run.log({"train/loss": 1.0 / (step + 1)}, step=step)

        wall_clickhouse.start()
        page.wait_for_selector("[data-testid=connection][data-state=live]", timeout=40_000)
        assert run.flush(30)
        caught_up = wait_card(page, "train/loss", "Number(d.lastStep) === 39", timeout=30_000)
        assert int(caught_up["points"]) == 40, "every step, none missing"
    finally:
        run.finish()


def test_a_run_that_logs_nan_then_fails_stays_on_progress_and_the_kiosk_as_failed(
    browser: Browser, wall_clickhouse: EmbeddedClickHouse, wall_db: str, wall_backend: BackendProcess,
    screenshots: Path,
) -> None:
    run = open_run(wall_clickhouse, wall_db, "diverges", project="wall", config={"total_steps": 100})
    for step in range(30):
        run.log({"train/loss": 2.0 * 3 ** step if step < 29 else math.nan}, step=step)
    run.finish("failed")
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, color_scheme="dark")
    try:
        page = context.new_page()
        row = f"[data-testid=progress-row][data-run-id='{run.run_id}']"
        open_dashboard(page, wall_backend.url, "?tab=progress")
        page.wait_for_selector(f"{row}[data-status=failed]", timeout=15_000)
        assert "failed" in page.locator(row).inner_text()
        open_dashboard(page, wall_backend.url, "?kiosk=1&tab=progress")
        page.wait_for_selector(f"{row}[data-status=failed]", timeout=15_000)
        open_dashboard(page, wall_backend.url, "?kiosk=1&board=1")
        tile = f"[data-testid=board-tile][data-run-id='{run.run_id}']"
        page.wait_for_selector(f"{tile}[data-status=failed][data-tone=bad]", timeout=15_000)
        settle(page)
        page.screenshot(path=str(screenshots / "wall-board-failed.png"))
    finally:
        context.close()


def test_a_sigkilled_run_turns_stale_on_screen(
    page: Page, wall_clickhouse: EmbeddedClickHouse, wall_db: str, wall_backend: BackendProcess,
    screenshots: Path,
) -> None:
    script = textwrap.dedent(f"""
        import time
        from runwatch import Run
        run = Run(project="wall", name="killed", host={wall_clickhouse.host!r}, port={wall_clickhouse.port},
                  database={wall_db!r}, system_metrics=False, flush_interval=0.1, spool=False)
        print(run.run_id, flush=True)
        step = 0
        while True:
            run.log({{"train/loss": 1.0 / (step + 1)}}, step=step)
            step += 1
            time.sleep(0.05)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True,
                             env={k: v for k, v in os.environ.items() if not k.startswith("CH_")})
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        badge = f"[data-testid=run-badge][data-run-id='{run_id}']"
        open_dashboard(page, wall_backend.url, "?tab=training")
        page.wait_for_selector(f"{badge}[data-shown-status=running]", timeout=15_000)
        child.send_signal(signal.SIGKILL)
        page.wait_for_selector(f"{badge}[data-shown-status=stale]", timeout=STALE_AFTER_SEC * 1000 + 10_000)
        open_dashboard(page, wall_backend.url, "?tab=progress")
        page.wait_for_selector(f"[data-testid=progress-row][data-run-id='{run_id}'][data-status=stale]", timeout=10_000)
        page.screenshot(path=str(screenshots / "wall-stale-run.png"))
    finally:
        child.kill()
        child.wait()


@pytest.fixture(scope="module")
def many_cards(wall_clickhouse: EmbeddedClickHouse, wall_db: str, wall_backend: BackendProcess) -> Iterator[Run]:
    run = open_run(wall_clickhouse, wall_db, "many-cards", project="wall")
    for step in range(40):
        run.log({f"train/metric_{i:02d}": math.sin(step / 5 + i) for i in range(16)}, step=step)
    assert run.flush(30)
    try:
        yield run
    finally:
        run.finish()


@pytest.mark.parametrize(("width", "height", "scale"), [
    (1280, 720, 1), (1920, 1080, 1), (3840, 2160, 1), (1920, 1080, 2),
])
def test_kiosk_fills_the_screen_with_no_scrollbar_and_rotates_pages(
    browser: Browser, wall_backend: BackendProcess, many_cards: Run, screenshots: Path,
    width: int, height: int, scale: int,
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=scale,
                                  color_scheme="dark")
    try:
        page = context.new_page()
        open_dashboard(page, wall_backend.url, f"?kiosk=1&tab=training&runs={many_cards.run_id}&rotate=2")
        wait_card(page, "train/metric_00", "d.series === '1'")
        settle(page)
        layout = _boxes_inside_viewport(page)
        assert not layout["scroll"] and not layout["mainScroll"], layout
        assert layout["outside"] == 0 and layout["cards"] >= 4, layout
        page.screenshot(path=str(screenshots / f"wall-kiosk-{width}x{height}@{scale}x.png"))
        if layout["pages"] > 1:
            # The grid re-renders while a page turns: read it null-safely, wait until it is back.
            shown = """() => [document.querySelector('[data-testid=kiosk-grid]')?.dataset.page ?? null,
                              document.querySelector('[data-testid=metric-card]')?.dataset.metric ?? null]"""
            page_before, first = wait_for(lambda: (s := page.evaluate(shown))[0] is not None and s,
                                          6, "the kiosk grid")
            wait_for(lambda: page.evaluate(shown)[0] not in (None, page_before), 6, "the next page")
            settle(page)
            assert page.evaluate(shown)[1] != first
            assert _boxes_inside_viewport(page)["outside"] == 0
        else:
            assert layout["cards"] == 16
    finally:
        context.close()


@pytest.fixture(scope="module")
def twelve_runs(wall_clickhouse: EmbeddedClickHouse, wall_db: str, wall_backend: BackendProcess) -> Iterator[list[Run]]:
    runs = [open_run(wall_clickhouse, wall_db, f"resnet50-lr0.006-20{7 + i:02d}-2", project="legend")
            for i in range(12)]
    for k, run in enumerate(runs):
        for step in range(50):
            spike = k == 0 and step == 45
            run.log({"train/loss": 1e6 if spike else 2.0 - step * 0.02 + k * 0.05}, step=step)
    for run in runs:
        assert run.flush(30)
    try:
        yield runs
    finally:
        for run in runs:
            run.finish()


def test_a_twelve_run_card_reaches_every_run_in_its_legend_with_names_told_apart(
    page: Page, wall_backend: BackendProcess, twelve_runs: list[Run], screenshots: Path,
) -> None:
    ids = ",".join(r.run_id for r in twelve_runs)
    open_dashboard(page, wall_backend.url, f"?tab=training&runs={ids}")
    wait_card(page, "train/loss", "d.series === '12'")
    legend = page.locator("[data-testid=metric-card][data-metric='train/loss'] .rw-latest-row")
    assert legend.get_attribute("data-count") == "12"
    labels = legend.locator(".rw-latest-label").all_inner_texts()
    titles = [c.get_attribute("title") for c in legend.locator(".rw-latest").all()]
    assert len(set(labels)) == 12, labels  # differing only at the end, still different
    assert sorted(titles) == sorted(r.name for r in twelve_runs)
    reachable = legend.evaluate("""(el) => {
        const last = el.lastElementChild; last.scrollIntoView({ block: 'nearest' });
        const a = el.getBoundingClientRect(), b = last.getBoundingClientRect();
        return b.top >= a.top - 1 && b.bottom <= a.bottom + 1;
    }""")
    assert reachable
    page.screenshot(path=str(screenshots / "wall-legend-12-runs.png"))


def test_a_1e6_spike_leaves_the_other_runs_spread_over_the_card_and_is_marked_at_the_edge(
    page: Page, wall_backend: BackendProcess, twelve_runs: list[Run], screenshots: Path,
) -> None:
    ids = ",".join(r.run_id for r in twelve_runs)
    open_dashboard(page, wall_backend.url, f"?tab=training&runs={ids}")
    d = wait_card(page, "train/loss", "d.series === '12' && d.clipped !== undefined && Number(d.clipped) >= 1")
    assert d["robust"] == "1"
    # the others span 1.0 .. 2.55: most of the y range, not a flat line under 1e6
    span = float(d["yMax"]) - float(d["yMin"])
    assert span < 5 and (2.55 - 1.0) / span > 0.6, d
    page.locator("[data-testid=metric-card][data-metric='train/loss']").screenshot(
        path=str(screenshots / "wall-robust-range.png"))


def test_a_run_keeps_its_colour_when_ten_more_runs_appear(
    page: Page, wall_clickhouse: EmbeddedClickHouse, wall_db: str, wall_backend: BackendProcess,
) -> None:
    first = open_run(wall_clickhouse, wall_db, "colour-keeper", project="colours")
    first.log({"train/loss": 1.0}, step=0)
    assert first.flush(30)
    open_dashboard(page, wall_backend.url, "?tab=training")
    colour = "() => window.__runwatch.store.getState().runColors.get(%r) ?? null"
    swatch = page.locator(f"[data-testid=run-badge][data-run-id='{first.run_id}'] span").first
    page.wait_for_selector(f"[data-testid=run-badge][data-run-id='{first.run_id}']", timeout=15_000)
    before = swatch.evaluate("el => getComputedStyle(el).backgroundColor")
    others = [open_run(wall_clickhouse, wall_db, f"other-{i}", project="colours") for i in range(10)]
    for run in others:
        run.log({"train/loss": 1.0}, step=0)
        assert run.flush(30)
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-testid=run-badge]').length >= n", arg=11, timeout=15_000)
    assert page.evaluate(colour % first.run_id) is None  # no override: the id alone decides
    assert swatch.evaluate("el => getComputedStyle(el).backgroundColor") == before
    for run in [first, *others]:
        run.finish()
