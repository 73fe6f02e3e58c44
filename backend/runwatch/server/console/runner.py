"""Console queries on ClickHouse's HTTP interface: limits on, streamed, killable.

Each query runs with `readonly=1` (or as RUNWATCH_SQL_USER), `max_execution_time`,
`max_result_rows` + `result_overflow_mode=break` and `max_memory_usage`, sent as request
settings so that the query text cannot lift them (readonly=1 refuses SET and SETTINGS
clauses), on the embedded engine as on clickhouse-server. The query id is ours (a uuid4);
it is also put in `log_comment`, because the embedded engine names its queries itself, so
`KILL QUERY WHERE query_id = … OR Settings['log_comment'] = …` finds the query on both.

httpx talks to the HTTP interface directly (clickhouse-connect would parse results into
Python rows): the response body is forwarded chunk by chunk, never held whole.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from runwatch.server.console import guard
from runwatch.server.console.params import ParamValue, url_params
from runwatch.server.settings import Settings

log = logging.getLogger(__name__)

FORMAT = "JSONCompactEachRowWithNamesAndTypes"
_MAX_ERROR_BYTES = 64 * 1024
_TAG = "runwatch-sql:"


class ConsoleError(Exception):
    """ClickHouse (or the guard) refused the query: `message` is ClickHouse's text."""

    def __init__(self, message: str, code: int, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


@dataclass
class Started:
    """A query ClickHouse accepted: its headers are in, its body is still to be read."""

    query_id: str
    response: httpx.Response
    summary: dict[str, Any]

    def chunks(self) -> AsyncIterator[bytes]:
        return self.response.aiter_bytes()


def _status_for(code: int) -> int:
    if code in (164, 497):  # READONLY, ACCESS_DENIED
        return 403
    if code in (159, 160):  # TIMEOUT_EXCEEDED, TOO_SLOW
        return 408
    return 400


class SqlConsole:
    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        base = f"{settings.ch_protocol}://{settings.ch_host}:{settings.ch_port}/"
        timeout = httpx.Timeout(10.0, read=settings.sql_max_execution_sec + 30.0)
        self._http = httpx.AsyncClient(base_url=base, timeout=timeout, transport=transport)

    async def aclose(self) -> None:
        await self._http.aclose()

    @property
    def max_rows(self) -> int:
        return self._settings.sql_max_result_rows

    def _request_params(self, query_id: str) -> list[tuple[str, str]]:
        s = self._settings
        limits = [
            ("max_execution_time", f"{s.sql_max_execution_sec:g}"),
            # one more row than shown, so a cut result is told from one that fits exactly
            ("max_result_rows", str(s.sql_max_result_rows + 1)),
            ("result_overflow_mode", "break"),
            ("max_memory_usage", str(int(s.sql_max_memory_mb * 2**20))),
            ("log_comment", _TAG + query_id),
            ("cancel_http_readonly_queries_on_client_close", "1"),
            ("http_write_exception_in_output_format", "0"),
        ]
        # readonly last: settings given with the request are applied before it takes effect
        readonly = [] if s.sql_user else [("readonly", "1")]
        return [("database", s.ch_database), ("query_id", query_id), ("default_format", FORMAT),
                *limits, *readonly]

    def _auth(self, console: bool) -> dict[str, str]:
        s = self._settings
        if console and s.sql_user:
            return {"X-ClickHouse-User": s.sql_user, "X-ClickHouse-Key": s.sql_password}
        return {"X-ClickHouse-User": s.ch_user, "X-ClickHouse-Key": s.ch_password}

    async def start(self, query_id: str, text: str, params: Mapping[str, ParamValue]) -> Started:
        """Send the query; return once ClickHouse answered with a status. Raises ConsoleError."""
        try:
            statement = guard.single_statement(text)
        except guard.Refused as exc:
            raise ConsoleError(exc.message, exc.code, _status_for(exc.code)) from None
        request = self._http.build_request(
            "POST", "", params=[*self._request_params(query_id), *url_params(params)],
            content=statement.encode(), headers=self._auth(console=True))
        response = await self._http.send(request, stream=True)
        if response.status_code != 200:
            try:
                raw = b""
                async for chunk in response.aiter_bytes():
                    raw += chunk
                    if len(raw) > _MAX_ERROR_BYTES:
                        break
            finally:
                await response.aclose()
            message = raw[:_MAX_ERROR_BYTES].decode("utf-8", errors="replace").strip()
            code = int(response.headers.get("X-ClickHouse-Exception-Code") or 0)
            raise ConsoleError(message or f"ClickHouse answered HTTP {response.status_code}", code,
                               _status_for(code))
        fmt = response.headers.get("X-ClickHouse-Format")
        if fmt is not None and fmt != FORMAT:
            await response.aclose()
            raise ConsoleError(f"The console reads {FORMAT}: leave out the FORMAT {fmt} clause.", 0, 400)
        return Started(query_id, response, _summary(response.headers))

    async def kill(self, query_id: str) -> None:
        """Stop the query on the server, wherever it is. Never raises."""
        sql = ("KILL QUERY WHERE query_id = {id:String} OR Settings['log_comment'] = {tag:String} "
               "ASYNC FORMAT Null")
        try:
            response = await self._http.post("", params={"param_id": query_id, "param_tag": _TAG + query_id},
                                             content=sql.encode(), headers=self._auth(console=False))
            if response.status_code != 200:
                log.warning("KILL QUERY %s: %s", query_id, response.text.strip()[:300])
        except httpx.HTTPError as exc:
            log.warning("KILL QUERY %s failed: %s", query_id, exc)


def new_query_id() -> str:
    return str(uuid.uuid4())


def _summary(headers: httpx.Headers) -> dict[str, Any]:
    try:
        raw = json.loads(headers.get("X-ClickHouse-Summary") or "{}")
    except ValueError:
        return {}
    out: dict[str, Any] = {}
    for key, value in raw.items():
        try:
            out[key] = int(value)
        except (TypeError, ValueError):
            out[key] = value
    return out
