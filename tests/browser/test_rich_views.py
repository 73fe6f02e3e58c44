"""Distributions, Logs and Media tabs in headless Chromium against the real stack."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from runwatch import Histogram, Image

from .pages import open_dashboard, wait_card
from .stack import open_run

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from runwatch import Run
    from tests.support.clickhouse import EmbeddedClickHouse

    from .stack import BackendProcess

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def runs(
    clickhouse_server: EmbeddedClickHouse, module_database: str, backend: BackendProcess
) -> Iterator[dict[str, Run]]:
    rng = np.random.default_rng(3)
    made = {name: open_run(clickhouse_server, module_database, name) for name in ("conv-a", "conv-b")}
    for step in range(40):
        for i, run in enumerate(made.values()):
            run.log({"train/loss": 1.0 / (step + 1),
                     "grad/layer1": Histogram(rng.normal(step / 10 + i, 0.2 + step / 40, 5000))},
                    step=step)
            colour = "\x1b[32m" if step % 2 else "\x1b[33m"
            run.log_text(f"{colour}step {step:3d}\x1b[0m | loss {1.0 / (step + 1):.4f}")
    made["conv-a"].log_text("needle: checkpoint saved by conv-a")
    made["conv-b"].log_text("needle: checkpoint saved by conv-b", stream="stderr")
    gradient = np.linspace(0, 1, 64 * 96 * 3).reshape(64, 96, 3)
    for i, run in enumerate(made.values()):
        run.log({"samples": [Image(gradient, caption="gradient"), Image(gradient[::-1] * (0.5 + i / 2), caption="flipped")]}, step=39)
        assert run.flush(30)
    try:
        yield made
    finally:
        for run in made.values():
            run.finish()


def open_tab(page: Page, backend: BackendProcess, tab: str) -> None:
    open_dashboard(page, backend.url)
    page.click(f"[data-testid=tab-{tab}]")


def test_distribution_card_renders_and_moves_with_the_step_slider(
    page: Page, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    open_tab(page, backend, "distributions")
    cards = page.locator('[data-testid=distribution-card][data-metric="grad/layer1"]')
    cards.first.wait_for(timeout=20_000)
    assert cards.count() == 2
    card = cards.first
    step = card.locator("[data-testid=distribution-step]")
    assert step.inner_text() == "step 39"  # follows the newest step
    card.locator("[data-testid=distribution-slider]").focus()
    page.keyboard.press("Home")
    assert step.inner_text() == "step 0"
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert step.inner_text() == "step 5"
    box = card.locator("canvas").nth(1).bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 5)
    assert card.locator("[data-testid=distribution-hover]").inner_text().startswith("[")
    # the heatmap has ink where the values are
    painted = card.locator("canvas").first.evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }")
    assert painted > 1000
    page.screenshot(path=str(screenshots / "distributions.png"))


def test_logs_tab_tails_a_live_run_a_printed_line_appears_within_two_seconds(
    page: Page, backend: BackendProcess, clickhouse_server: EmbeddedClickHouse,
    module_database: str, runs: dict[str, Run], tmp_path: Path, screenshots: Path
) -> None:
    script = textwrap.dedent(f"""
        import sys
        from runwatch import Run
        run = Run(project="browser", name="printer", host={clickhouse_server.host!r},
                  port={clickhouse_server.port}, database={module_database!r}, environ={{}},
                  system_metrics=False, flush_interval=0.1, spool=False, capture_output=True)
        run.log({{"train/loss": 1.0}}, step=0)
        print("ready", flush=True)
        for line in sys.stdin:
            print(line.strip(), flush=True)
        run.finish()
    """)
    printer = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True,
                               env={**os.environ, "RUNWATCH_CAPTURE_OUTPUT": "1"})
    try:
        assert printer.stdout is not None and printer.stdin is not None
        assert printer.stdout.readline() == "ready\n"
        open_tab(page, backend, "logs")
        page.select_option("[data-testid=logs-run]", label="printer")
        page.wait_for_selector("[data-testid=log-line] >> text=ready", timeout=20_000)
        assert page.locator("[data-testid=logs-live]").is_visible()
        printer.stdin.write("a freshly printed line\n")
        printer.stdin.flush()
        sent = time.monotonic()
        page.wait_for_selector("[data-testid=log-line] >> text=a freshly printed line", timeout=2_000)
        assert time.monotonic() - sent < 2.0
    finally:
        if printer.stdin is not None:
            printer.stdin.close()
        printer.wait(30)
    page.screenshot(path=str(screenshots / "logs-live.png"))


def test_logs_search_finds_a_line_across_runs_and_jumps_to_its_context(
    page: Page, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    open_tab(page, backend, "logs")
    search = page.locator("[data-testid=logs-search]")
    search.fill("needle: checkpoint")
    search.press("Enter")
    hits = page.locator("[data-testid=logs-hits] [data-testid=log-line]")
    hits.first.wait_for(timeout=10_000)
    texts = sorted(hits.all_inner_texts())
    assert len(texts) == 2 and "conv-a" in texts[0] and "conv-b" in texts[1]
    page.screenshot(path=str(screenshots / "logs-search.png"))
    hits.filter(has_text="conv-b").first.click()
    page.wait_for_selector("[data-testid=logs-lines] >> text=step  39", timeout=10_000)
    assert page.locator("[data-testid=logs-run]").input_value() == runs["conv-b"].run_id


def test_a_charts_logs_button_opens_the_lines_around_the_hovered_step(
    page: Page, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    open_tab(page, backend, "training")
    card = page.locator('[data-testid=metric-card][data-metric="train/loss"]')
    wait_card(page, "train/loss", "Number(d.lastStep) >= 39")
    plot = card.locator(".rw-plot").bounding_box()
    assert plot is not None
    page.mouse.move(plot["x"] + plot["width"] / 2, plot["y"] + plot["height"] / 2)
    page.mouse.move(plot["x"] + plot["width"] / 2 + 2, plot["y"] + plot["height"] / 2)
    card.locator("[data-testid=card-logs]").click()
    around = page.locator("[data-testid=logs-around]")
    around.wait_for(timeout=10_000)
    page.wait_for_function("() => document.querySelector('[data-testid=logs-around]').value !== ''")
    step = int(around.input_value())
    assert 5 < step < 35  # the middle of a 40-step chart
    highlighted = page.locator("[data-testid=logs-lines] li.bg-accent-soft")
    highlighted.first.wait_for(timeout=10_000)
    assert f"step {step:3d}" in highlighted.first.inner_text()
    # the run of the line pointed at (not the step-0-only "printer" run)
    assert page.locator("[data-testid=logs-run]").input_value() in {r.run_id for r in runs.values()}
    page.screenshot(path=str(screenshots / "logs-around-step.png"))


def test_media_card_shows_each_runs_images_at_the_step(
    page: Page, backend: BackendProcess, runs: dict[str, Run], screenshots: Path
) -> None:
    open_tab(page, backend, "media")
    media = page.locator('[data-testid=media-card][data-key="samples"]')
    media.wait_for(timeout=20_000)
    images = media.locator("[data-testid=media-image]")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=media-image]')]"
        ".filter(i => i.complete && i.naturalWidth === 96).length === 4", timeout=10_000)
    assert images.count() == 4
    assert media.locator("[data-testid=media-step]").inner_text() == "step 39"
    page.screenshot(path=str(screenshots / "media.png"))


@pytest.mark.parametrize(("size", "scheme"), [
    ((1440, 900), "light"), ((1920, 1080), "dark"), ((3840, 2160), "light"),
])
def test_screenshots_of_the_new_tabs_at_laptop_1080p_and_4k(
    browser: Any, backend: BackendProcess, runs: dict[str, Run], screenshots: Path,
    size: tuple[int, int], scheme: str,
) -> None:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, color_scheme=scheme)
    try:
        page = context.new_page()
        for tab, ready in (("distributions", "distribution-card"), ("logs", "log-line"), ("media", "media-image")):
            open_tab(page, backend, tab)
            page.wait_for_selector(f"[data-testid={ready}]", timeout=20_000)
            page.wait_for_timeout(300)
            page.screenshot(path=str(screenshots / f"{tab}-{size[0]}x{size[1]}-{scheme}.png"))
    finally:
        context.close()


def test_distribution_cards_follow_new_steps_live(
    page: Page, backend: BackendProcess, runs: dict[str, Run]
) -> None:
    open_tab(page, backend, "distributions")
    selector = (f'[data-testid=distribution-card][data-run="{runs["conv-a"].run_id}"] '
                "[data-testid=distribution-step]")
    step = page.locator(selector)
    step.wait_for(timeout=20_000)
    before = int(step.inner_text().split()[1])
    runs["conv-a"].log({"grad/layer1": Histogram(np.linspace(-5, 5, 1000))}, step=before + 1)
    assert runs["conv-a"].flush(30)
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.textContent === want",
        arg=[selector, f"step {before + 1}"],
        timeout=8_000,
    )
