"""The `status` SSE event: is the data on the page still current, and if not, why.

The stream's own liveness (events, pings) tells a page that the dashboard server answers; it
cannot tell that the server's poller stopped reaching ClickHouse, which leaves a page showing
frozen data as if it were live. So each stream also carries the poller's state, derived here
from PollerStatus (pure: no I/O, the clock passed in) and sent on connect and on every change:

    {"state": "live" | "delayed", "cause": null | "starting" | "clickhouse_unreachable" |
     "poll_failing" | "poll_late" | "poller_stopped", "error": str | null,
     "since": epoch ms | null (the last successful poll: data is current up to then),
     "last_poll": epoch ms | null, "stale_after_sec": float, "ping_sec": float}

`stale_after_sec` is the server's threshold for calling a silent `running` run stale, so the
page can turn a run stale between two runs polls; `ping_sec` lets it tell a quiet stream from
a frozen one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runwatch.server.live import sse_encoding as enc
from runwatch.server.live.poller import PollerStatus


@dataclass(frozen=True)
class StatusLimits:
    poll_interval_sec: float
    stale_after_sec: float
    ping_sec: float

    @property
    def late_after_sec(self) -> float:
        """A poll this late means the poller is stuck even if nothing failed."""
        return max(5 * self.poll_interval_sec, 10.0)


def stream_status(poller: PollerStatus, now: float, limits: StatusLimits) -> dict[str, Any]:
    cause: str | None = None
    if not poller.running:
        cause = "poller_stopped"
    elif poller.clickhouse_ok is False:
        cause = "clickhouse_unreachable"
    elif poller.last_error:
        cause = "poll_failing"
    elif poller.last_poll is None:
        cause = "starting"
    elif now - poller.last_poll > limits.late_after_sec:
        cause = "poll_late"
    last_poll = None if poller.last_poll is None else int(poller.last_poll * 1000)
    return {
        "state": "live" if cause is None else "delayed",
        "cause": cause,
        "error": poller.last_error if cause is not None else None,
        "since": last_poll if cause is not None else None,
        "last_poll": last_poll,
        "stale_after_sec": limits.stale_after_sec,
        "ping_sec": limits.ping_sec,
    }


def status_key(status: dict[str, Any]) -> tuple[Any, ...]:
    """What a change worth sending is (not every new last_poll)."""
    return status["state"], status["cause"], status["error"]


def status_frame(status: dict[str, Any]) -> bytes:
    """No `id:`: a status is not a cache version and must not move Last-Event-ID."""
    return enc.frame("status", enc.dumps(status))
