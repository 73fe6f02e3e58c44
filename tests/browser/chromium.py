"""Launching Debian's Chromium through playwright (no browser download, ever).

The flags keep a headless Chromium from reaching the network on its own (updates, sync,
QUIC probes) and let it run as root in a container.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "frontend" / "dist"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"


def chromium_path() -> str | None:
    """RUNWATCH_CHROMIUM, else the first Chromium on PATH (Debian: /usr/bin/chromium)."""
    explicit = os.environ.get("RUNWATCH_CHROMIUM")
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def launch(playwright: Playwright) -> Browser:
    path = chromium_path()
    if path is None:
        raise RuntimeError("no Chromium found: apt-get install chromium (or set RUNWATCH_CHROMIUM)")
    return playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS, headless=True)
