"""Errors every resource shares: 404 for an unknown run, 503 while ClickHouse is down."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from runwatch.server.query import queries
from runwatch.server.query.clients import ClientPool


class ErrorBody(BaseModel):
    detail: str


# For `responses=` on each route, so the OpenAPI schema lists every status a route returns.
# (FastAPI documents 422 itself for routes with parameters.)
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorBody, "description": "Unknown run"}}
UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorBody, "description": "ClickHouse is unreachable"}}


def invalid_parameters(name: str, message: str) -> RequestValidationError:
    """A 422 shaped like FastAPI's own (the documented HTTPValidationError body)."""
    return RequestValidationError([{"loc": ["query", name], "msg": message, "type": "value_error",
                                    "input": None}])


def ensure_run_exists(ch: ClientPool, run_id: str) -> None:
    if not ch.query(*queries.run_exists(run_id)).result_rows[0][0]:
        raise HTTPException(status_code=404, detail=f"unknown run: {run_id}")


async def _clickhouse_unreachable(request: Request, exc: Exception) -> JSONResponse:
    first_line = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
    return JSONResponse({"detail": f"ClickHouse is unreachable: {first_line}"}, status_code=503)


def install(app: FastAPI) -> None:
    """ClickHouse unreachable -> 503. Anything else unexpected stays a 500: a bug of ours."""
    from clickhouse_connect.driver.exceptions import OperationalError

    app.add_exception_handler(OperationalError, _clickhouse_unreachable)
