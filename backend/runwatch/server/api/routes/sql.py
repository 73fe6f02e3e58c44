"""POST /sql: one read-only query, its result streamed as ClickHouse wrote it.

Success: 200, `application/x-ndjson`, the body of runwatch.server.console.passthrough (names,
types, rows, one trailer object), headers X-Runwatch-Query-Id and X-ClickHouse-Summary.
Failure: 4xx `{"error": ClickHouse's message, "code": its error code}`.

Cancel: close the request. Until ClickHouse answers, the handler watches for the client
going away; after that, the body stream notices on its next write. Either way the query is
killed on the server (a stream that ends early also kills it, for the same reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from runwatch.server.api.deps import RuntimeDep
from runwatch.server.api.routes.errors import ErrorBody, invalid_parameters
from runwatch.server.console.params import BadParams, ParamValue
from runwatch.server.console.passthrough import Tally, passthrough, trailer
from runwatch.server.console.runner import ConsoleError, SqlConsole, Started, new_query_id

log = logging.getLogger(__name__)

router = APIRouter(tags=["sql"])

_DISCONNECT_POLL_SEC = 0.1


class SqlRequest(BaseModel):
    query: str = Field(min_length=1, max_length=1_000_000)
    params: dict[str, ParamValue] = Field(default_factory=dict)


def get_console(runtime: RuntimeDep) -> SqlConsole:
    if runtime.sql is None:
        raise HTTPException(status_code=404, detail="the SQL console is switched off (RUNWATCH_SQL_CONSOLE=0)")
    return runtime.sql


ConsoleDep = Annotated[SqlConsole, Depends(get_console)]


class SqlError(BaseModel):
    error: str
    code: int


def _error(status: int, message: str, code: int) -> JSONResponse:
    return JSONResponse({"error": message, "code": code}, status_code=status)


@router.post("/sql", response_model=None, responses={
    200: {"content": {"application/x-ndjson": {}},
          "description": "JSONCompactEachRowWithNamesAndTypes lines, then a summary line"},
    400: {"model": SqlError, "description": "ClickHouse refused the query (or the body is not JSON)"},
    403: {"model": SqlError, "description": "A write, DDL, SYSTEM or KILL (read-only)"},
    404: {"model": ErrorBody, "description": "The console is switched off"},
    408: {"model": SqlError, "description": "The query ran past max_execution_time"},
})
async def run_sql(body: SqlRequest, request: Request, console: ConsoleDep) -> Response:
    query_id = new_query_id()
    began = time.monotonic()
    task = asyncio.ensure_future(console.start(query_id, body.query, body.params))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=_DISCONNECT_POLL_SEC)
            if not task.done() and await request.is_disconnected():
                task.cancel()
                await console.kill(query_id)
                return Response(status_code=499)
        started = task.result()
    except BadParams as exc:
        raise invalid_parameters("params", str(exc)) from None
    except ConsoleError as exc:
        return _error(exc.status, exc.message, exc.code)
    finally:
        if not task.done():
            task.cancel()
    return StreamingResponse(
        _body(console, started, began), media_type="application/x-ndjson",
        headers={"X-Runwatch-Query-Id": query_id,
                 "X-ClickHouse-Summary": started.response.headers.get("X-ClickHouse-Summary", "{}"),
                 "Cache-Control": "no-store"})


async def _body(console: SqlConsole, started: Started, began: float) -> AsyncIterator[bytes]:
    tally = Tally(summary=dict(started.summary))
    finished = False
    try:
        async for chunk in passthrough(started.chunks(), console.max_rows, tally):
            yield chunk
        finished = not tally.truncated and tally.error is None
        yield trailer(tally, (time.monotonic() - began) * 1000)
    finally:
        with contextlib.suppress(Exception):
            await started.response.aclose()
        if not finished:  # cut by the cap, failed mid-way, or the client went away
            await asyncio.shield(console.kill(started.query_id))
