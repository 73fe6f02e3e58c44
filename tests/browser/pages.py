"""Reading the dashboard from a test: what the page exposes on its cards and status dot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


def open_dashboard(page: Page, url: str, query: str = "") -> None:
    # A fresh view on the first load only: a reload must find what the page saved.
    page.add_init_script(
        "try { if (!sessionStorage.getItem('rw-test')) { localStorage.clear(); sessionStorage.setItem('rw-test', '1'); } } catch (e) {}"
    )
    page.goto(f"{url}/{query}")
    page.wait_for_selector("[data-testid=connection][data-state=live]", timeout=20_000)


def card(page: Page, metric: str) -> Locator:
    return page.locator(f'[data-testid=metric-card][data-metric="{metric}"]')


def wait_card(page: Page, metric: str, predicate: str, timeout: float = 20_000) -> dict[str, Any]:
    """Waits until `predicate` (JS, over the card's dataset `d`) holds; returns the dataset."""
    handle = page.wait_for_function(
        """([metric, predicate]) => {
            const el = document.querySelector(`[data-testid=metric-card][data-metric="${metric}"]`);
            if (!el) return false;
            const d = el.dataset;
            return new Function("d", `return (${predicate})`)(d) ? { ...d } : false;
        }""",
        arg=[metric, predicate],
        polling="raf",
        timeout=timeout,
    )
    result: dict[str, Any] = handle.json_value()
    return result


def dataset(page: Page, metric: str) -> dict[str, str]:
    result: dict[str, str] = card(page, metric).evaluate("el => ({ ...el.dataset })")
    return result


def settle(page: Page, frames: int = 3) -> None:
    """Lets the page draw a few frames (no fixed sleep: animation frames)."""
    page.evaluate(
        "async (n) => { for (let i = 0; i < n; i++) await new Promise(requestAnimationFrame); }",
        frames,
    )


