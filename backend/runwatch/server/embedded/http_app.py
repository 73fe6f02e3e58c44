"""The Starlette application: the ClickHouse HTTP interface over one chDB data directory.

`create_app(config)` builds the app; its lifespan opens the engine (and keeps its anchor
connection), starts the session reaper, and on shutdown (SIGTERM/SIGINT via uvicorn)
closes every session and the engine, so the data directory is left consistent.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from runwatch.server.embedded.engine import Engine
from runwatch.server.embedded.fileaccess import FilePolicy
from runwatch.server.embedded.handler import QueryHandler
from runwatch.server.embedded.sessions import SessionRegistry
from runwatch.server.embedded.streaming import QueryResponse
from runwatch.server.hosts import LOOPBACK_NAMES, AllowedHostsMiddleware

log = logging.getLogger(__name__)

OK = "Ok.\n"


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path
    user: str | None = None
    password: str | None = None
    max_workers: int = 32  # engine calls in flight (a long query holds one)
    display_name: str | None = None
    lex_workers: int = 2  # query texts lexed at once (CPU-bound: about the core count)
    max_query_bytes: int = 16 * 1024 * 1024  # decoded query text (not INSERT data) per request
    # Host-header names answered (DNS-rebinding protection, server/hosts.py); `*` = any
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES


async def ping(request: Request) -> Response:
    return PlainTextResponse(OK)


def create_app(config: ServerConfig) -> Starlette:
    engine = Engine(config.data_dir)
    sessions = SessionRegistry(lambda: engine.connect())
    limiter = anyio.CapacityLimiter(config.max_workers)
    handler = QueryHandler(
        engine, sessions, limiter,
        user=config.user, password=config.password, display_name=config.display_name,
        files=FilePolicy(engine.user_files), lex_limiter=anyio.CapacityLimiter(config.lex_workers),
        max_query_bytes=config.max_query_bytes,
    )

    async def root(request: Request) -> Response | QueryResponse:
        has_query = "query" in request.query_params
        if request.method in ("GET", "HEAD") and not has_query:
            return PlainTextResponse(OK)
        return await handler(request)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await anyio.to_thread.run_sync(engine.open)
        sessions.start()
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(sessions.stop)
            await anyio.to_thread.run_sync(engine.close)
            log.info("embedded ClickHouse stopped cleanly (data: %s)", engine.data_dir)

    app = Starlette(
        routes=[
            Route("/ping", ping, methods=["GET", "HEAD"]),
            Route("/replicas_status", ping, methods=["GET", "HEAD"]),
            Route("/", root, methods=["GET", "HEAD", "POST"]),
        ],
        middleware=[Middleware(AllowedHostsMiddleware, allowed_hosts=config.allowed_hosts)],
        lifespan=lifespan,
    )
    app.state.engine = engine
    app.state.sessions = sessions
    return app
