"""GET /health: is ClickHouse reachable, how fresh is the cache, who is connected."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter

from runwatch.server.api.deps import RuntimeDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(runtime: RuntimeDep) -> dict[str, Any]:
    poller = runtime.poller.status()
    cache = runtime.cache.stats()
    stream = runtime.broadcaster.stats()
    interval = runtime.settings.poll_interval_sec
    lag = None if poller.last_poll is None else round(time.time() - poller.last_poll, 3)
    clickhouse = {True: "ok", False: "unreachable", None: "unknown"}[poller.clickhouse_ok]
    if poller.clickhouse_ok and poller.last_error:
        clickhouse = "error"
    stale = lag is None or lag > max(5 * interval, 10.0)
    ok = poller.running and poller.clickhouse_ok is True and not poller.last_error and not stale
    return {
        "status": "ok" if ok else "degraded",
        "clickhouse": clickhouse,
        "error": poller.last_error,
        "last_poll": None if poller.last_poll is None else int(poller.last_poll * 1000),
        "lag_sec": lag,
        "poll_interval_sec": interval,
        "backfilled": poller.backfilled,
        "poll_ms_p50": poller.metrics_ms_p50,
        "poll_ms_p95": poller.metrics_ms_p95,
        "cycle_ms_p95": poller.cycle_ms_p95,
        "version": cache.version,
        "cache": {"runs": cache.runs, "series": cache.series, "points": cache.points,
                  "bytes": cache.nbytes, "evicted_runs": cache.evicted_runs},
        "clients": stream.clients,
        "stream": {"published": stream.published, "ring_events": stream.ring_events,
                   "ring_bytes": stream.ring_bytes, "resyncs": stream.resyncs},
        "uptime_sec": round(time.time() - runtime.started_at, 1),
        "instance": runtime.instance,
    }
