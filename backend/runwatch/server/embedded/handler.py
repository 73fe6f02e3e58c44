"""The ClickHouse HTTP query endpoint: request in, engine call, response out.

The query text is the `query` URL parameter, then a newline, then the (decoded) body, as
on clickhouse-server. For `INSERT ... FORMAT x` the data follows the query text in that
same stream: the handler reads only as much as it needs to find where the data starts,
then streams the rest into the engine chunk by chunk (constant memory for any body size:
the body is decoded in bounded pieces, see body.py). Everything that blocks on the engine
runs in a worker thread under a capacity limiter, so a long query holds one thread and
never the event loop; lexing the query text (querytext.py) runs in worker threads of its
own limiter, so a huge text costs CPU but never stalls other requests.

Before the engine sees a statement: one statement per request (as clickhouse-server, which
refuses multi-statements over HTTP), GET and HEAD run reads only (and a fresh connection is
held at readonly=2 whatever the client asks), and file access is confined to the
user-files directory (fileaccess.py).

A statement that returns rows is answered by streaming.QueryResponse: blocks go out as
the engine produces them (gathered first with wait_end_of_query=1), the query is registered
under the client's query_id (processes.py) so KILL QUERY and a client's disconnect cancel
it. A statement without a result set (CREATE, INSERT, SET ...) answers with its summary
and no X-ClickHouse-Format, as clickhouse-server does (clients tell the two apart by it).
"""

from __future__ import annotations

import dataclasses
import email.parser
import email.policy
import hmac
import json
import logging
import socket
import time
import urllib.parse
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from runwatch.server.embedded import (
    blockcompression,
    compression,
    external,
    leases,
    nativeframe,
    rewrite,
)
from runwatch.server.embedded import engine as eng
from runwatch.server.embedded.body import Body
from runwatch.server.embedded.engine import Engine, Stats
from runwatch.server.embedded.errors import EngineError
from runwatch.server.embedded.fileaccess import FilePolicy
from runwatch.server.embedded.options import ExternalPart, RequestOptions, parse_request
from runwatch.server.embedded.processes import KillRequest, ProcessRegistry, Running, kill_filter
from runwatch.server.embedded.querytext import (
    NEED_MORE,
    InsertData,
    QueryShape,
    analyze,
    split_insert,
)
from runwatch.server.embedded.sessions import SessionRegistry
from runwatch.server.embedded.streaming import QueryResponse

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_QUERY_HEAD_BYTES = 256 * 1024  # how far into an INSERT body its FORMAT clause may be
MAX_QUERY_BYTES = 16 * 1024 * 1024  # a non-INSERT body is query text, held in memory
INSERT_CHUNK_BYTES = 1024 * 1024  # data handed to the engine per worker-thread call
DEFAULT_FORMAT = "TabSeparated"
INLINE_LEX_BYTES = 8 * 1024  # query texts up to this size are lexed on the event loop
DEFAULT_MAX_QUERY_SIZE = 262144  # the engine's max_query_size: it refuses longer statements
# Data of a streamed `INSERT ... VALUES` is never lexed here, so it may hold literals only:
# an expression there (file('/etc/passwd')) would otherwise run unchecked.
_VALUES_LITERALS_ONLY = {"input_format_values_interpret_expressions": "0",
                         "input_format_values_deduce_templates_of_expressions": "0"}

_CONTENT_TYPES = {
    "tabseparated": "text/tab-separated-values; charset=UTF-8",
    "tsv": "text/tab-separated-values; charset=UTF-8",
    "csv": "text/csv; charset=UTF-8; header=absent",
    "csvwithnames": "text/csv; charset=UTF-8; header=present",
    "json": "application/json; charset=UTF-8",
    "jsoncompact": "application/json; charset=UTF-8",
    "jsonstrings": "application/json; charset=UTF-8",
    "jsoneachrow": "application/x-ndjson; charset=UTF-8",
    "xml": "application/xml; charset=UTF-8",
}
# Formats whose blocks, written one after the other, are the whole result: chDB's streaming
# API writes each block as a complete document (a JSON object, an Arrow file, a header
# row ...), so any other format is produced in one piece.
STREAMABLE_FORMATS = frozenset({
    "tabseparated", "tsv", "tabseparatedraw", "tsvraw", "csv", "jsoneachrow", "jsonlines", "ndjson",
    "jsoncompacteachrow", "jsonstringseachrow", "jsoncompactstringseachrow", "native", "rowbinary",
    "lineasstring", "tskv", "customseparated"})
# statements whose answer is a result set ("" is a statement opening with a parenthesis)
_RESULT_STATEMENTS = frozenset(
    {"SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXISTS", "EXPLAIN", "CHECK", "KILL", ""})
# what a statement may open with (clickhouse-server's parsers); anything else is a syntax error
_STATEMENT_KEYWORDS = _RESULT_STATEMENTS | frozenset({
    "INSERT", "CREATE", "ALTER", "DROP", "DETACH", "ATTACH", "RENAME", "TRUNCATE", "OPTIMIZE",
    "SET", "USE", "SYSTEM", "GRANT", "REVOKE", "DELETE", "UPDATE", "EXCHANGE", "UNDROP", "BACKUP",
    "RESTORE", "WATCH", "MOVE", "BEGIN", "COMMIT", "ROLLBACK", "UNDO", "PARALLEL"})
_BINARY_FORMATS = ("native", "rowbinary", "parquet", "arrow", "orc", "avro", "protobuf", "msgpack")


def content_type(fmt: str) -> str:
    name = fmt.lower()
    if name in _CONTENT_TYPES:
        return _CONTENT_TYPES[name]
    if name.startswith("tabseparated") or name.startswith("tsv"):
        return _CONTENT_TYPES["tsv"]
    if name.startswith("json"):
        return "application/json; charset=UTF-8"
    if name.startswith(_BINARY_FORMATS):
        return "application/octet-stream"
    return "text/plain; charset=UTF-8"


class QueryHandler:
    def __init__(
        self,
        engine: Engine,
        sessions: SessionRegistry,
        limiter: anyio.CapacityLimiter,
        *,
        user: str | None = None,
        password: str | None = None,
        display_name: str | None = None,
        files: FilePolicy | None = None,
        lex_limiter: anyio.CapacityLimiter | None = None,
        max_query_bytes: int = MAX_QUERY_BYTES,
        processes: ProcessRegistry | None = None,
    ) -> None:
        self.engine = engine
        self.processes = processes or ProcessRegistry()
        self.sessions = sessions
        self.limiter = limiter
        self.files = files or FilePolicy(engine.user_files)
        self.lex_limiter = lex_limiter or anyio.CapacityLimiter(2)
        self.max_query_bytes = max_query_bytes
        self.user = user
        self.password = password or ""
        self.display_name = display_name or socket.gethostname()

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self.limiter)

    async def _lex(self, fn: Callable[..., T], text: bytes | str, *args: Any) -> T:
        if len(text) <= INLINE_LEX_BYTES:  # a few ms at worst: cheaper than a thread hop
            return fn(text, *args)
        return await anyio.to_thread.run_sync(fn, text, *args, limiter=self.lex_limiter)

    async def __call__(self, request: Request) -> Response | QueryResponse:
        query_id = request.query_params.get("query_id") or str(uuid.uuid4())
        framing: blockcompression.BlockEncoder | None = None  # compress=1, once authenticated
        try:
            options = parse_request(_url_params(request.scope.get("query_string", b"")), request.headers)
            options.query_id = query_id
            self._authenticate(options)
            framing = _block_encoder(options)
            return await self._handle(request, options)
        except EngineError as exc:
            return self._error(exc, query_id, framing)
        except ClientDisconnect:
            return Response(status_code=499)
        except Exception:
            log.exception("query %s failed inside the embedded server", query_id)
            return self._error(
                EngineError.named("UNKNOWN_EXCEPTION", "Internal error in the embedded ClickHouse server (see its log)"),
                query_id, framing,
            )

    def _authenticate(self, options: RequestOptions) -> None:
        if self.user is None:
            return
        given = options.credentials
        ok = hmac.compare_digest((given.user or "default").encode(), self.user.encode()) and hmac.compare_digest(
            (given.password or "").encode(), self.password.encode()
        )
        if not ok:
            who = given.user or "default"
            raise EngineError.named(
                "AUTHENTICATION_FAILED",
                f"{who}: Authentication failed: password is incorrect, or there is no user with such name",
                # no credentials at all: ask for them (401); wrong ones: refuse (403, as the server)
                status=403 if given.given else 401,
            )

    async def _handle(self, request: Request, options: RequestOptions) -> Response | QueryResponse:
        readonly = request.method in ("GET", "HEAD")
        content_type_header = request.headers.get("content-type", "")
        decoder = compression.decoder_for(request.headers.get("content-encoding"))
        if options.decompress:
            decoder = blockcompression.Chain(decoder, blockcompression.BlockDecoder(options.verify_checksums))
        body = Body(request.stream(), decoder)
        if content_type_header.lower().startswith("multipart/form-data"):
            await self._read_form(body, content_type_header, options)
        tables = external.resolve(options.external, options.settings)
        self.files.check_settings(options.settings)
        buffer = bytearray((options.query + "\n").encode("utf-8", "surrogateescape") if options.query else b"")

        decision = await self._lex(split_insert, bytes(buffer), body.done)
        tried = len(buffer)
        while decision is NEED_MORE and len(buffer) <= MAX_QUERY_HEAD_BYTES:
            chunk = await body.read()
            if chunk is not None:
                buffer += chunk
            # re-lex only when the buffer has doubled (or ended): linear however small the
            # pieces a slow client sends
            if body.done or len(buffer) >= 2 * tried + 4096:
                decision = await self._lex(split_insert, bytes(buffer), body.done)
                tried = len(buffer)
        if isinstance(decision, InsertData) and not (decision.format == "Values" and body.done):
            shape = await self._lex(analyze, decision.head, self.files.watched)
            head = self._checked(decision.head, shape, readonly)
            if decision.format.lower() == "values":
                options.settings.update(_VALUES_LITERALS_ONLY)
            return await self._insert(body, buffer, InsertData(head, decision.format, decision.data_offset), options, readonly)

        await body.read_all(buffer, self.max_query_bytes)
        statement_bytes = decision.data_offset if isinstance(decision, InsertData) else len(buffer)
        if statement_bytes > _max_query_size(options):
            # what the engine answers too, but without first lexing megabytes of text
            raise EngineError.named(
                "SYNTAX_ERROR", f"Max query size exceeded (can be increased with the `max_query_size` setting): the query is {statement_bytes} bytes")
        # bytes that are not UTF-8 (a Parquet file in a `$x$...$x$` heredoc: clickhouse-connect's
        # binary parameters) survive as surrogates and reach the engine as those bytes
        sql = buffer.decode("utf-8", errors="surrogateescape")
        del buffer
        shape = await self._lex(analyze, sql, self.files.watched)
        sql = self._checked(sql, shape, readonly)
        sql = await self._lex(rewrite.for_engine, sql, self._user(options), shape.first_keyword)
        fmt = shape.format or options.default_format or DEFAULT_FORMAT
        if shape.first_keyword == "KILL" and (kill := kill_filter(sql)) is not None:
            killed = await self._kill(request, options, kill, fmt, readonly)
            if killed is not None:
                return killed
        if shape.first_keyword in _RESULT_STATEMENTS:
            return self._result(request, options, sql, fmt, readonly, tables, shape.first_keyword)
        output = await self._run(self._query, options, sql, readonly, tables, shape.first_keyword)
        return await self._respond(request, options, output.body, output.stats, None)

    def _checked(self, sql: str, shape: QueryShape, readonly: bool) -> str:
        """`sql` as the engine may run it (file paths made absolute), or EngineError."""
        if shape.unterminated:
            raise EngineError.named("SYNTAX_ERROR", "Unterminated string, quoted identifier, heredoc or comment")
        if shape.statements == 0:
            raise EngineError.named("SYNTAX_ERROR", "Empty query")
        if readonly and shape.first_keyword not in _STATEMENT_KEYWORDS:
            # a typo, not a write: what clickhouse-server answers (POST leaves it to the engine)
            word = shape.first_keyword or sql.strip().split(None, 1)[0][:40]
            raise EngineError.named(
                "SYNTAX_ERROR", f"Syntax error: failed at position 1 ('{word}'): {word}. Expected one of: "
                "SELECT, WITH, INSERT, CREATE, ALTER, DROP, SHOW, DESCRIBE, EXISTS, EXPLAIN, SET, USE, SYSTEM, KILL")
        if readonly and (shape.statements > 1 or not shape.read_only):
            raise _readonly_error()  # a GET's later statements are unchecked: refused as writes
        if shape.statements > 1:
            raise EngineError.named("SYNTAX_ERROR", "Multi-statements are not allowed: send one statement per request")
        return self.files.apply(sql, shape)

    def _query(
        self, options: RequestOptions, sql: str, readonly: bool, tables: list[external.ExternalTable],
        statement: str,
    ) -> eng.QueryOutput:
        lease = self._lease(options, readonly, tables, statement)
        try:
            marked = rewrite.marker(options.query_id or "", self._user(options)) + " " + sql
            return eng.query(lease.conn, marked, options.default_format or DEFAULT_FORMAT, options.bind_params)
        finally:
            self._release(lease, tables)

    def _lease(self, options: RequestOptions, readonly: bool, tables: list[external.ExternalTable],
               statement: str) -> leases.Lease:
        lease = leases.acquire(self.engine, self.sessions, options, readonly=readonly, statement=statement)
        try:
            external.attach(lease.conn, tables)
        except BaseException:
            self._release(lease, tables)
            raise
        return lease

    def _release(self, lease: leases.Lease, tables: list[external.ExternalTable]) -> None:
        try:
            if tables and lease.session is not None:  # a fresh connection takes them along
                external.detach(lease.conn, tables)
        finally:
            lease.release()

    def _user(self, options: RequestOptions) -> str:
        return self.user or options.credentials.user or "default"

    def _result(
        self, request: Request, options: RequestOptions, sql: str, fmt: str, readonly: bool,
        tables: list[external.ExternalTable], statement: str,
    ) -> QueryResponse:
        fmt_name = fmt
        params = options.bind_params
        reframer = _reframer(options, fmt)
        marker = rewrite.marker(options.query_id or "", self._user(options))

        def open_stream() -> tuple[Any, eng.Stream | eng.QueryOutput]:
            # the re-framer's settings change between the first run and its fallback
            asked = options if reframer is None else dataclasses.replace(
                options, settings={**options.settings, **reframer.engine_settings()})
            lease = self._lease(asked, readonly, tables, statement)
            try:
                if fmt_name.lower() not in STREAMABLE_FORMATS:
                    return lease, eng.query(lease.conn, marker + " " + sql, fmt_name, params)
                try:
                    return lease, eng.Stream(lease.conn, sql, fmt_name, params,
                                             lambda marker: eng.kill_marked(self.engine, marker), marker,
                                             track_progress=options.send_progress)
                except eng.StreamingRefused:  # SHOW, DESCRIBE ...: small answers, run whole
                    return lease, eng.query(lease.conn, marker + " " + sql, fmt_name, params)
            except BaseException:
                self._release(lease, tables)
                raise

        headers = self._headers(options.query_id or "")
        headers.update(options.response_headers)
        headers["X-ClickHouse-Format"] = fmt
        encoding = compression.choose_encoding(request.headers.get("accept-encoding")) if options.http_compression else None
        query_id = options.query_id or ""
        framing = _block_encoder(options)
        return QueryResponse(
            open_stream=open_stream,
            release=lambda lease: self._release(lease, tables),
            registry=self.processes,
            entry=Running(query_id, self._user(options), sql, cancel=lambda: None),
            headers=headers, media_type=content_type(fmt), encoding=encoding,
            buffered=options.wait_end_of_query, limiter=self.limiter,
            on_error=lambda exc: self._error(exc, query_id, framing), progress_header=options.send_progress,
            framing=framing, progress_interval=options.progress_interval_ms / 1000, reframer=reframer,
        )

    async def _kill(
        self, request: Request, options: RequestOptions, kill: KillRequest, fmt: str, readonly: bool
    ) -> Response | None:
        """KILL QUERY over the queries this server runs, by the client's ids (processes.py):
        the engine evaluates the WHERE clause over them, as it would over system.processes.

        None when that finds none of ours (a query answered whole is not registered) or the
        WHERE names columns the registry has not (Settings['log_comment']): the statement
        then goes to the engine's own KILL QUERY over its system.processes."""
        if readonly:
            raise _readonly_error()
        running = self.processes.snapshot()
        rows = (
            "SELECT tupleElement(t, 1) AS query_id, tupleElement(t, 2) AS user, tupleElement(t, 3) AS query, "
            "tupleElement(t, 4) AS elapsed FROM (SELECT arrayJoin(arrayZip({ids:Array(String)}, "
            "{users:Array(String)}, {queries:Array(String)}, {elapsed:Array(Float64)})) AS t)"
        )
        now = time.monotonic()
        params = {
            "ids": _array([r.query_id for r in running]),
            "users": _array([r.user for r in running]),
            "queries": _array([r.query for r in running]),
            "elapsed": "[" + ",".join(f"{now - r.started:.6f}" for r in running) + "]",
        }
        status = "'waiting'" if not kill.test else "'cancel_is_not_possible'"
        select = f"SELECT {status} AS kill_status, query_id, user, query FROM ({rows}) WHERE {kill.where}"
        probe = RequestOptions(settings={"readonly": "2"})

        def evaluate() -> tuple[list[str], eng.QueryOutput]:
            lease = leases.acquire(self.engine, self.sessions, probe, readonly=True)
            try:
                ids = eng.query(lease.conn, f"SELECT query_id FROM ({select})", "JSONEachRow", params)
                shown = eng.query(lease.conn, select, kill.format or fmt, params)
            finally:
                lease.release()
            return [json.loads(line)["query_id"] for line in ids.body.splitlines()], shown

        params = {**options.bind_params, **params}
        try:
            victims, shown = await self._run(evaluate)
        except EngineError:
            return None
        if not victims:
            return None
        if not kill.test:
            await self._run(self.processes.kill, victims)
        return await self._respond(request, options, shown.body, shown.stats, kill.format or fmt)

    async def _insert(
        self, body: Body, buffer: bytearray, plan: InsertData, options: RequestOptions, readonly: bool
    ) -> Response:
        if readonly:
            raise _readonly_error()
        # Shielded: once a worker has taken a session or opened an insert stream, the
        # request must learn of it to give it back, even if the client has gone.
        with anyio.CancelScope(shield=True):
            lease = await self._run(leases.acquire, self.engine, self.sessions, options, False, "INSERT")
        try:
            with anyio.CancelScope(shield=True):
                insert = await self._run(eng.Insert, lease.conn, plan.head, plan.format)
            try:
                await self._pump(body, bytes(buffer[plan.data_offset:]), insert)
                stats: Stats = await self._run(insert.finish)
            except BaseException:
                with anyio.CancelScope(shield=True):  # a disconnect must not skip the cleanup
                    await self._run(insert.cancel)
                raise
        finally:
            with anyio.CancelScope(shield=True):
                await self._run(lease.release)
        return await self._respond(None, options, b"", stats, None)

    async def _pump(self, body: Body, first: bytes, insert: eng.Insert) -> None:
        """Hand the body to the engine in INSERT_CHUNK_BYTES pieces. The pieces are kept as
        a list and joined once per hand-over (one copy; chDB takes only `bytes`), and each
        hand-over is a worker-thread hop. (4 MiB pieces measured no faster on a loaded
        machine and raised the server's RSS on a 1 GiB TSV insert past test_limits' bound.)"""
        pieces = [first] if first else []
        size = len(first)
        while (chunk := await body.read()) is not None:
            pieces.append(chunk)
            size += len(chunk)
            if size >= INSERT_CHUNK_BYTES:
                await self._run(insert.append, b"".join(pieces))
                pieces, size = [], 0
        if pieces:
            await self._run(insert.append, b"".join(pieces))

    async def _read_form(self, body: Body, content_type_header: str, options: RequestOptions) -> None:
        raw = bytearray()
        await body.read_all(raw, self.max_query_bytes)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type_header.encode("latin-1") + b"\r\n\r\n" + bytes(raw)
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if not (isinstance(name, str) and isinstance(payload, bytes)):
                continue
            if part.get_filename() is not None:  # external data: a table for this query
                options.external.append(ExternalPart(name, payload))
            else:
                options.add(name, _text(name, payload))

    def _headers(self, query_id: str) -> dict[str, str]:
        return {
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Server-Display-Name": self.display_name,
            "X-ClickHouse-Timezone": self.engine.timezone,
        }

    async def _respond(
        self, request: Request | None, options: RequestOptions, body: bytes, stats: Stats, fmt: str | None
    ) -> Response:
        """A whole answer; `fmt` None for a statement without a result set."""
        headers = self._headers(options.query_id or "")
        headers.update(options.response_headers)
        if fmt is not None:
            headers["X-ClickHouse-Format"] = fmt
        headers["X-ClickHouse-Summary"] = json.dumps(stats.summary(), separators=(",", ":"))
        framing = _block_encoder(options)
        if framing is not None and body:
            body = await self._run(framing.compress, body)
        encoding = compression.choose_encoding(request.headers.get("accept-encoding")) if (
            request is not None and options.http_compression and body
        ) else None
        if encoding is not None:
            body = await self._run(compression.encode, body, encoding)
            headers["Content-Encoding"] = encoding
        return Response(body, status_code=200, headers=headers,
                        media_type=content_type(fmt) if fmt is not None else "text/plain; charset=UTF-8")

    def _error(self, exc: EngineError, query_id: str, framing: blockcompression.BlockEncoder | None = None) -> Response:
        """The error response; with compress=1 its text is compressed too, as
        clickhouse-server writes it into the compressed output it has opened by then."""
        headers = self._headers(query_id)
        headers["X-ClickHouse-Exception-Code"] = str(exc.code)
        status = exc.status
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="ClickHouse server"'
        log.info("query %s: %s", query_id, exc.message.splitlines()[0] if exc.message else exc.code)
        text = (exc.message.rstrip("\n") + "\n").encode()
        return Response(
            framing.compress(text) if framing is not None else text, status_code=status, headers=headers,
            media_type="text/plain; charset=UTF-8",
        )


def _reframer(options: RequestOptions, fmt: str) -> nativeframe.Reframer | None:
    """Native at the client's revision: the engine names its types in binary (time zones
    kept) and nativeframe rewrites each block; None for revision 0 or another format."""
    if options.protocol_version <= 0 or fmt.lower() != "native":
        return None
    asked = options.settings.get(nativeframe.BINARY_TYPES_SETTING, "0").strip().lower() in ("1", "true")
    return nativeframe.Reframer(options.protocol_version, binary_types=asked)


def _block_encoder(options: RequestOptions) -> blockcompression.BlockEncoder | None:
    if not options.compress:
        return None
    method = blockcompression.method_for(options.settings.get("network_compression_method"))
    try:
        level = int(options.settings.get("network_zstd_compression_level", "1"))
    except ValueError:
        raise EngineError.named("CANNOT_PARSE_NUMBER", "network_zstd_compression_level must be an integer") from None
    return blockcompression.BlockEncoder(method, level)


def _max_query_size(options: RequestOptions) -> int:
    try:
        return int(options.settings.get("max_query_size", DEFAULT_MAX_QUERY_SIZE))
    except ValueError:
        return DEFAULT_MAX_QUERY_SIZE


def _readonly_error() -> EngineError:
    return EngineError(164, "Code: 164. DB::Exception: Cannot execute query in readonly mode: GET requests run one read-only statement, use POST. (READONLY)")


def _array(values: list[str]) -> str:
    return "[" + ",".join(eng.quote_literal(v) for v in values) + "]"


def _text(name: str, raw: bytes) -> str:
    """A parameter's value. `param_*` values are bytes, not necessarily UTF-8 (a Parquet
    file bound as a String): bytes that are not UTF-8 become \\xHH escapes, which the
    engine reads back as those bytes (parameter values are in escaped TSV form). The query
    text keeps them as surrogates (engine.engine_text turns them back into the bytes)."""
    if name.startswith("param_"):
        return raw.decode("utf-8", errors="backslashreplace")
    return raw.decode("utf-8", errors="surrogateescape" if name == "query" else "replace")


def _url_params(query_string: bytes) -> list[tuple[str, str]]:
    pairs = urllib.parse.parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    return [(_text(k, k.encode("latin-1")), _text(k, v.encode("latin-1"))) for k, v in pairs]
