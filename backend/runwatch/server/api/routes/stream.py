"""GET /stream: the live dashboard's Server-Sent Events.

A client gets a `snapshot`, then every `delta` and `runs_meta` after it, each with
`id:` = the cache version. Reconnecting with `Last-Event-ID` (the header EventSource sends,
or `?last_event_id=` for a client that recreates its EventSource) replays just the missed
events while the broadcaster's ring still holds them, else sends a fresh snapshot.

    connect ─▶ subscribe ─▶ replay or snapshot(v) ─▶ events with version > v ─▶ ...
                               overflow ─▶ snapshot again (resync) ─▶ too many ─▶ end stream
    shutdown ─▶ broadcaster.close() ─▶ next() is None ─▶ end stream
    poller state (live/startup/ClickHouse unreachable/failing) ─▶ a `status` frame on connect
        and whenever it changes (checked every `STATUS_CHECK_SEC`; live/status.py)

sse-starlette sends the frames, keep-alive pings and the X-Accel-Buffering header; a send
that does not complete within `sse_send_timeout_sec` (a stalled client) ends the response.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Query
from sse_starlette.event import ServerSentEvent
from sse_starlette.sse import EventSourceResponse, SendTimeoutError
from starlette.types import Receive, Scope, Send

from runwatch.server.api.deps import RuntimeDep
from runwatch.server.api.runtime import Runtime
from runwatch.server.live.broadcaster import Resync
from runwatch.server.live.events import StreamEvent, StreamFilter
from runwatch.server.live.status import StatusLimits, status_frame, status_key, stream_status

log = logging.getLogger(__name__)

router = APIRouter(tags=["stream"])

STATUS_CHECK_SEC = 1.0


class _StreamResponse(EventSourceResponse):
    """An EventSourceResponse that reports a stalled client in one line, not a traceback."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except SendTimeoutError:
            client = scope.get("client")
            log.info("SSE client %s stopped reading; stream cut off", client)


def _parse_version(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text.strip())
    except ValueError:
        return None


async def event_frames(runtime: Runtime, flt: StreamFilter,
                       resume_from: int | None) -> AsyncIterator[bytes]:
    broadcaster = runtime.broadcaster
    sub = broadcaster.subscribe()
    try:
        last: int
        missed = broadcaster.replay_since(resume_from) if resume_from is not None else None
        if missed is not None and resume_from is not None:
            last = resume_from
            # the retry hint on its own (a snapshot frame carries it otherwise)
            yield f"retry: {runtime.settings.sse_retry_ms}\n\n".encode()
            for event in missed:
                replayed = event.frame_for(flt, last)
                if replayed is not None:
                    yield replayed
                    last = event.version
        else:
            last, snapshot = await anyio.to_thread.run_sync(runtime.snapshot_frame, flt)
            yield snapshot
        status = _status(runtime)
        sent_status = status_key(status)
        yield status_frame(status)
        next_check = time.monotonic() + STATUS_CHECK_SEC
        resyncs = 0
        while True:
            item: StreamEvent | Resync | None = None
            try:
                item = await asyncio.wait_for(sub.next(), max(0.0, next_check - time.monotonic()))
                timed_out = False
            except TimeoutError:
                timed_out = True
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + STATUS_CHECK_SEC
                status = _status(runtime)
                if status_key(status) != sent_status:
                    sent_status = status_key(status)
                    yield status_frame(status)
            if timed_out:
                continue
            if item is None:
                return
            if isinstance(item, Resync):
                resyncs += 1
                if resyncs > runtime.settings.sse_max_resyncs:
                    log.info("SSE client fell behind %d times; closing its stream", resyncs)
                    return
                last, snapshot = await anyio.to_thread.run_sync(runtime.snapshot_frame, flt)
                yield snapshot
                continue
            if not item.versioned:
                yield item.frame
                continue
            if item.version <= last:
                continue  # already in the snapshot or replay this client got
            frame = item.frame_for(flt, last)
            if frame is not None:
                yield frame
                last = item.version
    finally:
        broadcaster.unsubscribe(sub)


def _status(runtime: Runtime) -> dict[str, object]:
    s = runtime.settings
    limits = StatusLimits(s.poll_interval_sec, s.active_window_sec, s.sse_ping_sec)
    return stream_status(runtime.poller.status(), time.time(), limits)


def _ping_event() -> ServerSentEvent:
    return ServerSentEvent(event="ping", data=str(int(time.time() * 1000)), sep="\n")


@router.get("/stream")
async def stream(
    runtime: RuntimeDep,
    run_id: Annotated[list[str] | None, Query(description="only these runs")] = None,
    metric_prefix: Annotated[str | None, Query(max_length=512)] = None,
    last_event_id: Annotated[str | None, Query(max_length=32)] = None,
    last_event_id_header: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> EventSourceResponse:
    flt = StreamFilter(frozenset(run_id) if run_id else None, metric_prefix or None)
    resume_from = _parse_version(last_event_id_header)
    if resume_from is None:
        resume_from = _parse_version(last_event_id)
    s = runtime.settings
    return _StreamResponse(
        event_frames(runtime, flt, resume_from),
        ping=s.sse_ping_sec,
        # A named event, not sse-starlette's default comment: EventSource never surfaces
        # comments, and the page's watchdog needs to see that a quiet stream is still alive.
        # (No id, so Last-Event-ID is untouched; data must be non-empty to be dispatched.)
        ping_message_factory=_ping_event,
        sep="\n",
        send_timeout=s.sse_send_timeout_sec,
        headers={"X-Accel-Buffering": "no", "Cache-Control": "no-store"},
    )
