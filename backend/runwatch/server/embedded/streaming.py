"""A result set on the wire as the engine produces it.

`QueryResponse` is the ASGI response of every statement that returns rows. It runs the
query in worker threads (engine.Stream) and, while it does, watches the connection: when
the client goes away the engine's query is cancelled (as clickhouse-server does with
cancel_http_readonly_queries_on_client_close), whether it is still computing its first
block or half-way through the body. The status line waits for the first block, so an error
the engine raises early is an ordinary error response with its code.

Streaming (the default): each block is sent (and compressed) as it arrives, so a 10 M-row
SELECT holds one block in memory. An error after the first bytes cannot change the status
any more; it is written into the body the way clickhouse-server ≥ 25.11 does, framed by
the random tag announced in X-ClickHouse-Exception-Tag, so clients raise instead of taking
a truncated result. With wait_end_of_query=1 the whole result is gathered first and the
response is final (status, X-ClickHouse-Summary), as clickhouse-server's buffering.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread

from runwatch.server.embedded import compression, nativeframe, openheaders
from runwatch.server.embedded import engine as eng
from runwatch.server.embedded.errors import EngineError
from runwatch.server.embedded.processes import ProcessRegistry, Running

Send = Callable[[dict[str, Any]], Any]
FIRST_BYTES = 1 << 20  # held back for the status line at most (after one block)
Receive = Callable[[], Any]


def exception_block(tag: str, message: str) -> bytes:
    """An in-body exception as clickhouse-server writes it (clickhouse-connect's
    extract_exception_with_tag reads exactly this)."""
    text = message.rstrip("\n").encode()
    return (b"__exception__\r\n" + tag.encode() + b"\r\n" + text + b"\n"
            + str(len(text)).encode() + b" " + tag.encode() + b"\r\n__exception__\r\n")


class QueryResponse:
    def __init__(
        self,
        *,
        open_stream: Callable[[], tuple[Any, eng.Stream | eng.QueryOutput]],
        release: Callable[[Any], None],
        registry: ProcessRegistry,
        entry: Running,
        headers: dict[str, str],
        media_type: str,
        encoding: str | None,
        buffered: bool,
        limiter: anyio.CapacityLimiter,
        on_error: Callable[[EngineError], Any],
        progress_header: bool,
        framing: compression.Encoder | None = None,
        progress_interval: float = 0.1,
        reframer: nativeframe.Reframer | None = None,
    ) -> None:
        self._open_stream = open_stream
        self._release = release
        self._registry = registry
        self._entry = entry
        self._headers = headers
        self._media_type = media_type
        self._encoding = encoding
        self._buffered = buffered
        self._limiter = limiter
        self._on_error = on_error
        self._progress_header = progress_header
        self._framing = framing  # compress=1: ClickHouse blocks inside any Content-Encoding
        self._progress_interval = progress_interval
        self._reframer = reframer  # Native at the client's protocol revision
        self._open_headers: openheaders.OpenHeaders | None = None  # progress headers as the query runs
        self._started = False  # the status line is out
        self._tag = secrets.token_hex(8)
        self._lock = threading.Lock()
        self._stream: eng.Stream | None = None
        self._cancelled = False
        self._cleaned = False
        self._lease: Any = None
        entry.cancel = self.cancel

    def cancel(self) -> None:
        """Stop the engine's query (any thread; blocking until the engine acknowledges)."""
        with self._lock:
            self._cancelled = True
            stream = self._stream
        if stream is not None:
            stream.cancel()

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await anyio.to_thread.run_sync(fn, *args, limiter=self._limiter)

    def _open(self) -> tuple[Any, eng.Stream | eng.QueryOutput]:
        lease, source = self._open_stream()
        if isinstance(source, eng.Stream):
            with self._lock:
                self._stream = source
                cancelled = self._cancelled
            if cancelled:
                source.cancel()
        return lease, source

    def _next(self, source: eng.Stream) -> bytes | None:
        block = source.next()
        if self._entry.killed:
            raise EngineError.named("QUERY_WAS_CANCELLED", "Query was cancelled")
        if self._reframer is not None:
            if block is None:
                self._reframer.finish()
            else:
                block = self._reframer.feed(block)
        return block

    def _whole(self, output: eng.QueryOutput) -> bytes:
        if self._reframer is None:
            return output.body
        self._reframer.text_names = False  # a whole body may hold many blocks: walked or refused
        body = self._reframer.feed(output.body)
        self._reframer.finish()
        return body

    async def __call__(self, scope: Any, receive: Receive, send: Send) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch, receive)
            try:
                await self._serve(scope, receive, send)
            finally:
                tg.cancel_scope.cancel()

    async def _watch(self, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                await anyio.to_thread.run_sync(self.cancel)  # not under the limiter: it frees it
                return

    async def _cleanup(self) -> None:
        """Unregister, stop the engine's query, give the connection back: before the last
        byte goes out, so a client's next request on its session finds it free."""
        if self._cleaned:
            return
        self._cleaned = True
        with anyio.CancelScope(shield=True):
            self._registry.unregister(self._entry)
            await self._give_back()

    async def _serve(self, scope: Any, receive: Receive, send: Send) -> None:
        try:
            self._registry.register(self._entry)
        except EngineError as exc:
            await self._on_error(exc)(scope, receive, send)
            return
        if self._progress_header:
            self._open_headers = scope.get("extensions", {}).get(openheaders.EXTENSION)
        try:
            error: EngineError | None = None
            async with anyio.create_task_group() as ticker:
                if self._open_headers is not None:
                    ticker.start_soon(self._tick, send)
                try:  # caught in here: a task group would wrap it in an ExceptionGroup
                    blocks, stream, stats = await self._first_blocks()
                except EngineError as exc:
                    error = exc
                finally:
                    ticker.cancel_scope.cancel()
            if error is None:
                await self._send(send, blocks, stream, stats)
            elif self._started:  # status 200 is out: the error goes in the headers and the body
                assert self._open_headers is not None
                self._open_headers.add("X-ClickHouse-Exception-Code", str(error.code))
                await self._body(send, [exception_block(self._tag, error.message)], None)
            else:
                await self._on_error(error)(scope, receive, send)
        finally:
            await self._cleanup()

    async def _first_blocks(self) -> tuple[list[bytes], eng.Stream | None, eng.Stats]:
        """The blocks that go out with the status line, and the stream still to read."""
        try:
            return await self._read_first()
        except nativeframe.Unwalkable:
            if self._reframer is None or not self._reframer.text_names:
                raise
            await self._give_back()  # and again, with the engine's own type names
            return await self._read_first()

    async def _give_back(self) -> None:
        """Close the engine's stream and give the connection back (once each)."""
        with anyio.CancelScope(shield=True):
            stream, self._stream = self._stream, None
            if stream is not None:
                await anyio.to_thread.run_sync(stream.close)
            lease, self._lease = self._lease, None
            if lease is not None:
                await self._run(self._release, lease)

    async def _read_first(self) -> tuple[list[bytes], eng.Stream | None, eng.Stats]:
        with anyio.CancelScope(shield=True):  # a lease taken must be given back
            self._lease, source = await self._run(self._open)
        if isinstance(source, eng.QueryOutput):
            return [await self._run(self._whole, source)], None, source.stats
        blocks: list[bytes] = []
        held = 0
        # two blocks (at most ~1 MiB, clickhouse-server's response buffer) before the status
        # line: a result that fits in them (most do) goes out whole, with a Content-Length
        # and an error status if it fails
        while (block := await self._run(self._next, source)) is not None:
            blocks.append(block)
            held += len(block)
            if not self._buffered and (len(blocks) >= 2 or held >= FIRST_BYTES):
                return blocks, source, source.stats
        return blocks, None, source.stats

    async def _tick(self, send: Send) -> None:
        """While the first blocks are awaited: after one interval the status line and
        headers go out, then an X-ClickHouse-Progress line per interval that saw progress."""
        assert self._open_headers is not None
        last: str | None = None
        while True:
            await anyio.sleep(self._progress_interval)
            if not self._started:
                self._open_headers.hold()
                with anyio.CancelScope(shield=True):
                    await self._start(send, self._headers_for(streaming=True))
            stream = self._stream
            line = progress_line(stream.progress if stream is not None else None, stream)
            if line != last:
                self._open_headers.add("X-ClickHouse-Progress", line)
                last = line

    def _headers_for(self, *, streaming: bool) -> dict[str, str]:
        headers = dict(self._headers)
        if streaming:
            headers["X-ClickHouse-Exception-Tag"] = self._tag
        if self._encoding:
            headers["Content-Encoding"] = self._encoding
        headers["Content-Type"] = self._media_type
        return headers

    async def _start(self, send: Send, headers: dict[str, str]) -> None:
        self._started = True
        await send({"type": "http.response.start", "status": 200, "headers": _raw(headers)})

    async def _send(self, send: Send, blocks: list[bytes], stream: eng.Stream | None, stats: eng.Stats) -> None:
        summary = json.dumps(stats.summary(), separators=(",", ":"))
        if self._started:  # the header block is still open: its last lines
            assert self._open_headers is not None
            self._open_headers.add("X-ClickHouse-Progress", progress_line(None, self._stream, stats))
            self._open_headers.add("X-ClickHouse-Summary", summary)
            await self._body(send, blocks, stream)
            return
        headers = self._headers_for(streaming=stream is not None)
        headers["X-ClickHouse-Summary"] = summary
        if self._progress_header:
            headers["X-ClickHouse-Progress"] = progress_line(None, self._stream, stats)
        if stream is not None:
            await self._start(send, headers)
            await self._body(send, blocks, stream)
            return
        body = b"".join(blocks)  # complete: one body with its length
        blocks.clear()
        if self._framing is not None and body:
            body = await self._run(self._framing.compress, body)
        if self._encoding:
            body = await self._run(compression.encode, body, self._encoding)
        headers["Content-Length"] = str(len(body))
        await self._cleanup()
        await self._start(send, headers)
        await send({"type": "http.response.body", "body": body, "more_body": False})

    async def _body(self, send: Send, blocks: list[bytes], stream: eng.Stream | None) -> None:
        """The body in pieces as they come (status and headers are out)."""
        encoder = compression.encoder_for(self._encoding) if self._encoding else None
        framing = self._framing

        async def write(data: bytes) -> None:
            if framing is not None:
                data = await self._run(framing.compress, data) if len(data) > 65536 else framing.compress(data)
            if encoder is not None:
                data = await self._run(encoder.compress, data) if len(data) > 65536 else encoder.compress(data)
            if data:
                await send({"type": "http.response.body", "body": data, "more_body": True})

        for block in blocks:
            await write(block)
        blocks.clear()
        if stream is not None:
            try:
                while (block := await self._run(self._next, stream)) is not None:
                    await write(block)
            except EngineError as exc:
                await write(exception_block(self._tag, exc.message))
        tail = encoder.finish() if encoder is not None else b""
        await self._cleanup()
        if self._open_headers is not None:
            self._open_headers.close()  # an empty body still ends the header block
        await send({"type": "http.response.body", "body": tail, "more_body": False})


_PROGRESS_FIELDS = ("read_rows", "read_bytes", "written_rows", "written_bytes", "total_rows_to_read",
                    "result_rows", "result_bytes", "elapsed_ns")


def progress_line(values: dict[str, int] | None, stream: eng.Stream | None, stats: eng.Stats | None = None) -> str:
    """X-ClickHouse-Progress as clickhouse-server writes it (every value a string): the
    engine's counters so far, else the stream's own (blocks read), else the final stats."""
    if values is None and stream is not None:
        values = stream.progress
    if values is None:
        base = (stats or (stream.stats if stream is not None else eng.Stats())).summary()
        return json.dumps({k: base.get(k, "0") for k in _PROGRESS_FIELDS}, separators=(",", ":"))
    return json.dumps({k: str(values.get(k, 0)) for k in _PROGRESS_FIELDS}, separators=(",", ":"))


def _raw(headers: dict[str, str]) -> list[tuple[bytes, bytes]]:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
