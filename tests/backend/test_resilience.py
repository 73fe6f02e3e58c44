"""ClickHouse stopped and restarted under a running dashboard server."""

from __future__ import annotations

import time

from tests.backend.helpers import LiveServer, SSEReader, insert_points, settings_for, wait_for
from tests.support.clickhouse import EmbeddedClickHouse


def test_clickhouse_down_and_back_mid_stream_recovers_without_dropping_clients(
        isolated_clickhouse_server: EmbeddedClickHouse) -> None:
    server = isolated_clickhouse_server
    settings = settings_for(server, "resilience", sse_ping_sec=0.2, poll_backoff_max_sec=0.5)
    with LiveServer(settings) as live:  # applies the schema itself
        live.wait_backfilled()
        db = server.client(database="resilience")
        with SSEReader(live.url) as reader:
            reader.next(name="snapshot")
            insert_points(db, [dict(run_id="r1", metric="train/loss", step=0, value=1.0)])
            reader.next(name="delta")

            server.stop()
            health = wait_for(lambda: (h := live.get("/health").json())["status"] == "degraded"
                              and h, 10, "health to say degraded")
            assert health["clickhouse"] == "unreachable" and health["error"]
            assert live.get("/runs").status_code == 503
            pings = reader.pings
            wait_for(lambda: reader.pings >= pings + 3, 5, "pings while ClickHouse is down")
            assert not reader.closed.is_set()

            server.start()
            db = server.client(database="resilience")
            logged = time.monotonic()
            insert_points(db, [dict(run_id="r1", metric="train/loss", step=1, value=2.0)])
            while True:
                event = reader.next(15)
                if any(1 in s["step"] for s in event.data.get("series", [])):
                    break
            assert event.received - logged < 10
            wait_for(lambda: live.get("/health").json()["status"] == "ok", 10, "health ok again")
        db.close()


def test_the_server_starts_while_clickhouse_is_down_and_catches_up(
        isolated_clickhouse_server: EmbeddedClickHouse) -> None:
    server = isolated_clickhouse_server
    server.stop()
    settings = settings_for(server, "late_start", poll_backoff_max_sec=0.5)
    with LiveServer(settings) as live:
        assert live.get("/health").json()["status"] == "degraded"
        with SSEReader(live.url) as reader:
            assert reader.next(name="snapshot").data["series"] == []
            server.start()
            live.wait_backfilled()
            db = server.client(database="late_start")
            insert_points(db, [dict(run_id="r9", metric="train/loss", step=0, value=1.0)])
            while True:
                event = reader.next(15)
                if any(s["run_id"] == "r9" for s in event.data.get("series", [])):
                    break
            db.close()
