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

from runwatch.server import assets
from runwatch.server.api.auth import Authenticator, AuthMiddleware, exposure_warning
from runwatch.server.api.routes import (
    alerts,
    checkpoints,
    compare,
    errors,
    export,
    groups,
    health,
    histograms,
    login,
    logs,
    media,
    metrics,
    run_detail,
    runs,
    runs_table,
    saved_queries,
    sql,
    sql_schema,
    stream,
    tabs,
)
from runwatch.server.api.runtime import Runtime
from runwatch.server.api.static import PageFiles
from runwatch.server.hosts import AllowedHostsMiddleware, parse_allowed_hosts
from runwatch.server.settings import Settings

log = logging.getLogger(__name__)


def frontend_dist(settings: Settings) -> Path | None:
    """settings.frontend_dist when it has an index.html, else the wheel's or checkout's page."""
    if settings.frontend_dist is not None:
        return settings.frontend_dist if (settings.frontend_dist / "index.html").is_file() else None
    return assets.static_dir()


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
            await runtime.close_sql()
            await asyncio.to_thread(runtime.stop_poller)

    app = FastAPI(title="runwatch", version="0.1.0", lifespan=lifespan)
    app.add_middleware(AllowedHostsMiddleware,
                       allowed_hosts=parse_allowed_hosts(settings.allowed_hosts, settings.server_host))
    errors.install(app)
    for module in (stream, runs, metrics, checkpoints, tabs, health, alerts, histograms, logs, media):
        app.include_router(module.router)
    # /runs/table and /runs/metrics before /runs/{run_id}
    for module in (runs_table, run_detail, compare, groups, export):
        app.include_router(module.router)
    for module in (sql, sql_schema, saved_queries, login):
        app.include_router(module.router)
    authenticator = Authenticator.from_settings(settings.auth_token, settings.users_file)
    app.state.authenticator = authenticator
    if authenticator.enabled:
        app.add_middleware(AuthMiddleware, authenticator=authenticator)
    if (warning := exposure_warning(settings.server_host, authenticator)) is not None:
        log.warning("%s", warning)
    dist = frontend_dist(settings)
    if dist is not None:
        app.mount("/", PageFiles(directory=str(dist), api_routes=list(app.routes)), name="frontend")
    else:
        log.info("no built frontend found (frontend/dist); serving the API only")
    return app
