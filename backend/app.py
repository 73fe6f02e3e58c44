"""The dashboard server: `create_app(settings)` returns the FastAPI app; nothing runs at import.

The lifespan builds the Runtime (ClickHouse clients, cache, broadcaster, poller thread) on
startup and tears it down on shutdown. The built frontend (frontend/dist) is served at `/`
when it exists; the API routes are matched first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from backend.routes import checkpoints, errors, health, metrics, runs, stream, tabs
from backend.runtime import Runtime
from backend.settings import Settings

log = logging.getLogger(__name__)


def frontend_dist(settings: Settings) -> Path | None:
    """settings.frontend_dist, else frontend/dist of this checkout, when it has an index.html."""
    here = Path(__file__).resolve().parent
    candidates = [settings.frontend_dist] if settings.frontend_dist else [
        here.parent / "frontend" / "dist", here / "frontend_dist"]
    for candidate in candidates:
        if candidate is not None and (candidate / "index.html").is_file():
            return candidate
    return None


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime(settings)
        app.state.runtime = runtime
        runtime.start(asyncio.get_running_loop())
        try:
            yield
        finally:
            runtime.close_streams()
            await asyncio.to_thread(runtime.stop_poller)

    app = FastAPI(title="runwatch", version="0.1.0", lifespan=lifespan)
    errors.install(app)
    for module in (stream, runs, metrics, checkpoints, tabs, health):
        app.include_router(module.router)
    dist = frontend_dist(settings)
    if dist is not None:
        app.mount("/", StaticFiles(directory=dist, html=True), name="frontend")
    else:
        log.info("no built frontend found (frontend/dist); serving the API only")
    return app
