"""The `status` SSE event: what the page is told about the freshness of its data."""

from __future__ import annotations

from dataclasses import replace

import pytest

from runwatch.server.live.poller import PollerStatus
from runwatch.server.live.status import StatusLimits, status_frame, stream_status

NOW = 1_000_000.0
LIMITS = StatusLimits(poll_interval_sec=1.0, stale_after_sec=300.0, ping_sec=15.0)
HEALTHY = PollerStatus(
    running=True, clickhouse_ok=True, last_error=None, last_poll=NOW - 0.5, last_runs_poll=NOW,
    watermark_ms=0, backfilled=True, consecutive_failures=0, cycles=10, cycle_ms_p50=None,
    cycle_ms_p95=None, metrics_ms_p50=None, metrics_ms_p95=None, recent_keys=0, catch_ups=0,
)


@pytest.mark.parametrize(("change", "state", "cause"), [
    ({}, "live", None),
    ({"clickhouse_ok": False, "last_error": "OperationalError: refused"}, "delayed", "clickhouse_unreachable"),
    ({"last_error": "DatabaseError: Code: 60"}, "delayed", "poll_failing"),
    ({"last_poll": None, "clickhouse_ok": None}, "delayed", "starting"),
    ({"last_poll": NOW - 11}, "delayed", "poll_late"),
    ({"running": False}, "delayed", "poller_stopped"),
])
def test_status_names_the_cause_of_stale_data(change: dict[str, object], state: str, cause: str | None) -> None:
    status = stream_status(replace(HEALTHY, **change), NOW, LIMITS)  # type: ignore[arg-type]
    assert (status["state"], status["cause"]) == (state, cause)


def test_delayed_status_says_since_when_the_data_is_current() -> None:
    down = replace(HEALTHY, clickhouse_ok=False, last_error="OperationalError: refused", last_poll=NOW - 42)
    status = stream_status(down, NOW, LIMITS)
    assert status["since"] == int((NOW - 42) * 1000)
    assert status["error"] == "OperationalError: refused"
    assert stream_status(HEALTHY, NOW, LIMITS)["since"] is None


def test_status_frame_has_no_id_so_it_never_moves_last_event_id() -> None:
    frame = status_frame(stream_status(HEALTHY, NOW, LIMITS))
    assert frame.startswith(b"event: status\ndata: {")
    assert b"id:" not in frame
