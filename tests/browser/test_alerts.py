"""Alerts in the dashboard, in headless Chromium against the real stack: a NaN logged by the
agent shows as a banner, in the alerts panel and as a marker on its chart within 5 s, in the
normal view and on the wall monitor (`/?kiosk=1`)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .pages import open_dashboard, wait_card
from .stack import BackendProcess, open_run

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

    from tests.support.clickhouse import EmbeddedClickHouse

pytestmark = pytest.mark.browser

ALERTS = """
[settings]
defaults = false

[[rule]]
name = "loss-nan"
kind = "nonfinite"
metric = "train/loss*"
severity = "critical"
"""

SIZES = {"laptop": (1440, 900), "1080p": (1920, 1080), "4k": (3840, 2160)}


class AlertsBackend(BackendProcess):
    def __init__(self, *args: Any, alerts_file: Path, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.alerts_file = alerts_file

    def environ(self) -> dict[str, str]:
        env = super().environ()
        env.update({"RUNWATCH_ALERTS_FILE": str(self.alerts_file), "POLL_INTERVAL_SEC": "0.5"})
        return env


@pytest.fixture(scope="module")
def alerts_backend(clickhouse_server: EmbeddedClickHouse, module_database: str,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackendProcess]:
    directory = tmp_path_factory.mktemp("alerts-backend")
    path = directory / "alerts.toml"
    path.write_text(ALERTS)
    process = AlertsBackend(clickhouse_server, module_database, directory, alerts_file=path)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def _log_curve(run: Any, steps: range) -> None:
    for step in steps:
        run.log({"train/loss": 2.0 * math.exp(-step / 30), "train/lr": 1e-3}, step=step)
    assert run.flush(30)


def _banner_shows(page: Page, run_id: str, timeout_ms: float) -> None:
    page.wait_for_selector(f'[data-testid=alerts-banner-item][data-run-id="{run_id}"]',
                           timeout=timeout_ms)


def test_banner_panel_and_chart_marker_show_a_firing_alert_within_5s(
    page: Page, clickhouse_server: EmbeddedClickHouse, module_database: str,
    alerts_backend: BackendProcess, screenshots: Path,
) -> None:
    run = open_run(clickhouse_server, module_database, "nan-run")
    try:
        _log_curve(run, range(60))
        open_dashboard(page, alerts_backend.url)
        wait_card(page, "train/loss", "Number(d.points) >= 60")
        assert page.locator("[data-testid=alerts-banner]").count() == 0
        run.log({"train/loss": math.nan}, step=60)
        assert run.flush(30)
        stored = time.monotonic()
        _banner_shows(page, run.run_id, 5_000)
        assert time.monotonic() - stored < 5.0
        item = page.locator(f'[data-testid=alerts-banner-item][data-run-id="{run.run_id}"]')
        assert "loss-nan" in item.inner_text() and "NaN" in item.inner_text()
        wait_card(page, "train/loss", "Number(d.alertMarks) >= 1", timeout=5_000)
        chip = page.locator(f'[data-testid=run-badge][data-run-id="{run.run_id}"] [data-testid=run-alert-chip]')
        assert chip.inner_text() == "1"

        page.click("[data-testid=alerts-banner-open]")
        row = page.locator(f'[data-testid=alerts-panel] [data-testid=alert-row][data-rule=loss-nan][data-run-id="{run.run_id}"]')
        row.wait_for(timeout=5_000)
        assert row.get_attribute("data-state") == "firing" and "step 60" in row.inner_text()
        page.select_option("[data-testid=alerts-filter-rule]", "loss-nan")
        page.select_option("[data-testid=alerts-filter-run]", run.run_id)
        assert page.locator("[data-testid=alerts-panel] [data-testid=alert-row]").count() == 1
        page.click("[data-testid=alerts-view-history]")
        assert page.locator("[data-testid=alerts-panel] [data-testid=alert-row]").count() >= 1
        page.click("[data-testid=alerts-view-firing]")
        page.screenshot(path=str(screenshots / "alerts-panel.png"))
        page.click("[data-testid=alerts-close]")
        page.screenshot(path=str(screenshots / "alerts-banner.png"))
    finally:
        run.finish()


def test_kiosk_banner_shows_a_new_firing_alert_within_5s(
    browser: Browser, clickhouse_server: EmbeddedClickHouse, module_database: str,
    alerts_backend: BackendProcess, screenshots: Path,
) -> None:
    run = open_run(clickhouse_server, module_database, "kiosk-nan")
    try:
        _log_curve(run, range(40))
        for scheme in ("dark", "light"):
            for size, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height},
                                              color_scheme=scheme)  # type: ignore[arg-type]
                page = context.new_page()
                errors: list[str] = []
                page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
                try:
                    open_dashboard(page, alerts_backend.url, "?kiosk=1")
                    wait_card(page, "train/loss", "Number(d.points) >= 40")
                    if scheme == "dark" and size == "laptop":
                        # a new alert while the wall monitor is open
                        run.log({"train/loss": math.inf}, step=40)
                        assert run.flush(30)
                        stored = time.monotonic()
                        _banner_shows(page, run.run_id, 5_000)
                        assert time.monotonic() - stored < 5.0
                    else:  # already firing when the page opens: loaded with the snapshot
                        _banner_shows(page, run.run_id, 5_000)
                    assert page.locator("[data-testid=alerts-banner-open]").count() == 0
                    wait_card(page, "train/loss", "Number(d.alertMarks) >= 1", timeout=5_000)
                    page.screenshot(path=str(screenshots / f"alerts-kiosk-{size}-{scheme}.png"))
                    assert not errors, errors
                finally:
                    context.close()
    finally:
        run.finish()


def test_normal_view_screenshots_at_each_size_and_theme(
    browser: Browser, clickhouse_server: EmbeddedClickHouse, module_database: str,
    alerts_backend: BackendProcess, screenshots: Path,
) -> None:
    run = open_run(clickhouse_server, module_database, "shots")
    try:
        _log_curve(run, range(30))
        run.log({"train/loss": math.nan}, step=30)
        assert run.flush(30)
        for scheme in ("dark", "light"):
            for size, (width, height) in SIZES.items():
                context = browser.new_context(viewport={"width": width, "height": height},
                                              color_scheme=scheme)  # type: ignore[arg-type]
                page = context.new_page()
                try:
                    open_dashboard(page, alerts_backend.url)
                    # Pictures, not a latency test. The banner names only the first two firing
                    # alerts (critical first): the earlier tests' runs may hold those places, so
                    # this run's alert is looked for in the panel.
                    page.wait_for_selector("[data-testid=alerts-banner]", timeout=20_000)
                    page.click("[data-testid=alerts-toggle]")
                    page.locator(f'[data-testid=alerts-panel] [data-testid=alert-row][data-run-id="{run.run_id}"]'
                                 ).wait_for(timeout=20_000)
                    page.screenshot(path=str(screenshots / f"alerts-{size}-{scheme}.png"))
                finally:
                    context.close()
    finally:
        run.finish()


def test_a_new_firing_alert_raises_a_browser_notification(
    browser: Browser, clickhouse_server: EmbeddedClickHouse, module_database: str,
    alerts_backend: BackendProcess,
) -> None:
    context = browser.new_context(permissions=["notifications"])
    # record what the page shows through the real Notification API
    context.add_init_script("""
        window.__shown = [];
        const Real = window.Notification;
        class Recorded extends Real {
            constructor(title, options) { super(title, options); window.__shown.push({ title, body: options && options.body }); }
        }
        Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
        Recorded.requestPermission = (...a) => Real.requestPermission(...a);
        window.Notification = Recorded;
    """)
    page = context.new_page()
    run = open_run(clickhouse_server, module_database, "notify-me")
    try:
        _log_curve(run, range(10))
        open_dashboard(page, alerts_backend.url)
        assert page.evaluate("Notification.permission") == "granted"
        run.log({"train/loss": math.nan}, step=10)
        assert run.flush(30)
        page.wait_for_function(
            "(id) => window.__shown.some((n) => n.title.includes(id))", arg=run.run_id,
            timeout=5_000)
        shown = page.evaluate("window.__shown")
        assert any("loss-nan" in n["title"] and "NaN" in n["body"] for n in shown)
    finally:
        run.finish()
        context.close()
