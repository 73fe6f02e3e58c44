"""GET /stream end to end: embedded ClickHouse -> poller -> cache -> SSE over real uvicorn."""

from __future__ import annotations

import copy
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.backend.helpers import (
    ClientModel,
    LiveServer,
    SSEReader,
    insert_points,
    settings_for,
    utc_ago,
    wait_for,
)
from tests.support.clickhouse import EmbeddedClickHouse


@pytest.fixture
def db(clickhouse_server: EmbeddedClickHouse, database: str) -> Iterator[Any]:
    client = clickhouse_server.client(database=database)
    yield client
    client.close()


def points(run_id: str, start: int, n: int, metric: str = "train/loss",
           **extra: Any) -> list[dict[str, Any]]:
    return [dict(run_id=run_id, metric=metric, step=i, value=float(i), **extra)
            for i in range(start, start + n)]


def wait_for_step(reader: SSEReader, run_id: str, step: int, timeout: float = 10) -> float:
    """Apply events until one carries `step` of `run_id`; returns when it arrived."""
    deadline = time.monotonic() + timeout
    while True:
        event = reader.next(max(0.01, deadline - time.monotonic()))
        for s in event.data.get("series", []):
            if s["run_id"] == run_id and step in s["step"]:
                return event.received


def test_a_point_reaches_an_sse_client_within_1_5_s_at_the_default_interval(
        clickhouse_server: EmbeddedClickHouse, database: str, db: Any) -> None:
    settings = settings_for(clickhouse_server, database, poll_interval_sec=1.0)
    assert settings.poll_interval_sec == 1.0
    with LiveServer(settings) as live, SSEReader(live.url) as reader:
        reader.next(name="snapshot")
        latencies = []
        for k in range(4):
            time.sleep(0.37)  # land at different phases of the poll cycle
            logged = time.monotonic()
            insert_points(db, points("r1", k, 1))
            latencies.append(wait_for_step(reader, "r1", k) - logged)
        assert max(latencies) < 1.5, latencies


def test_snapshot_frame_headers_retry_and_pings(clickhouse_server: EmbeddedClickHouse,
                                                database: str, db: Any) -> None:
    insert_points(db, points("r1", 0, 5))
    settings = settings_for(clickhouse_server, database, sse_ping_sec=0.2, sse_retry_ms=1234)
    with LiveServer(settings) as live:
        live.wait_backfilled()
        with SSEReader(live.url) as reader:
            snapshot = reader.next(name="snapshot")
            assert snapshot.retry == 1234
            assert int(snapshot.id or 0) == snapshot.data["version"]
            assert snapshot.data["max_points"] == 2000
            assert [r["run_id"] for r in snapshot.data["runs"]] == ["r1"]
            assert snapshot.data["series"][0]["step"] == [0, 1, 2, 3, 4]
            assert reader.response_headers["x-accel-buffering"] == "no"
            assert reader.response_headers["content-type"].startswith("text/event-stream")
            wait_for(lambda: reader.pings >= 2, 5, "keep-alive pings")


def test_late_points_with_an_old_event_time_reach_the_client(
        clickhouse_server: EmbeddedClickHouse, database: str, db: Any) -> None:
    insert_points(db, points("r1", 0, 100))
    with LiveServer(settings_for(clickhouse_server, database)) as live:
        live.wait_backfilled()
        with SSEReader(live.url) as reader:
            reader.next(name="snapshot")
            insert_points(db, [dict(run_id="r1", metric="train/loss", step=50, value=-7.0,
                                    event_time=utc_ago(7 * 86_400))])
            event = reader.next(name="delta")
            (series,) = event.data["series"]
            assert series["replace"] is True and -7.0 in series["value"]


def test_last_event_id_resume_receives_exactly_the_missed_deltas(
        clickhouse_server: EmbeddedClickHouse, database: str, db: Any) -> None:
    insert_points(db, points("r1", 0, 10))
    settings = settings_for(clickhouse_server, database, runs_poll_interval_sec=3600)
    with LiveServer(settings) as live:
        live.wait_backfilled()
        model = ClientModel()
        with SSEReader(live.url) as reader:
            first = reader.next(name="snapshot")
            model.apply(first.name, first.data)
            insert_points(db, points("r1", 10, 5))
            event = reader.next(name="delta")
            model.apply(event.name, event.data)
        last_id = event.id
        for k in range(3):  # three poll cycles' worth of changes while disconnected
            insert_points(db, points("r1", 15 + k, 1) + points(f"new{k}", 0, 2))
            live.settle()
        for how in ("header", "query"):
            resumed = copy.deepcopy(model)
            kwargs: dict[str, Any] = (
                {"headers": {"Last-Event-ID": str(last_id)}} if how == "header"
                else {"params": {"last_event_id": str(last_id)}})
            with SSEReader(live.url, **kwargs) as reader:
                got = []
                while resumed.version != live.runtime.cache.version:
                    ev = reader.next(5)
                    assert ev.name != "snapshot", "a resume within the ring must not resend all"
                    resumed.apply(ev.name, ev.data)
                    got.append(int(ev.id or 0))
                # every version after the last one seen, each once, nothing else
                assert got == list(range(int(last_id or 0) + 1, live.runtime.cache.version + 1))
                assert len(got) >= 6  # 3 cycles, each a runs_meta (a new run) and a delta
            fresh = ClientModel()
            with SSEReader(live.url) as reader:
                snap = reader.next(name="snapshot")
                fresh.apply(snap.name, snap.data)
            assert resumed.comparable() == fresh.comparable()


def test_an_unknown_last_event_id_gets_a_fresh_snapshot(
        clickhouse_server: EmbeddedClickHouse, database: str, db: Any) -> None:
    with LiveServer(settings_for(clickhouse_server, database)) as live, SSEReader(
            live.url, headers={"Last-Event-ID": "12345"}) as reader:
        assert reader.next().name == "snapshot"
    with LiveServer(settings_for(clickhouse_server, database)) as live, SSEReader(
            live.url, headers={"Last-Event-ID": "garbage"}) as reader:
        assert reader.next().name == "snapshot"


def test_filters_limit_the_stream_to_runs_and_a_metric_prefix(
        clickhouse_server: EmbeddedClickHouse, database: str, db: Any) -> None:
    insert_points(db, points("a", 0, 3) + points("a", 0, 3, metric="sys.cpu") + points("b", 0, 3))
    with LiveServer(settings_for(clickhouse_server, database)) as live:
        live.wait_backfilled()
        params = {"run_id": ["a", "c"], "metric_prefix": "train/"}
        with SSEReader(live.url, params=params) as reader:
            snapshot = reader.next(name="snapshot")
            assert [(s["run_id"], s["metric"]) for s in snapshot.data["series"]] == [
                ("a", "train/loss")]
            assert [r["run_id"] for r in snapshot.data["runs"]] == ["a"]
            version = snapshot.data["version"]
            insert_points(db, points("b", 3, 1))  # nothing for this client
            wait_for(lambda: live.runtime.broadcaster.latest_version > version, 10, "b's delta")
            insert_points(db, points("a", 3, 1))
            delta = reader.next(name="delta")
            assert delta.data["prev_version"] == version  # b's delta skipped, chain intact
            assert [(s["run_id"], s["step"]) for s in delta.data["series"]] == [("a", [3])]


def test_a_stalled_client_is_cut_off_without_delaying_another(
        clickhouse_server: EmbeddedClickHouse, database: str, db: Any) -> None:
    # a snapshot of several MB, which a client that never reads cannot take in
    for run in range(4):
        insert_points(db, [dict(run_id=f"big{run}", metric=f"train/m{m}", step=i,
                                value=i * 0.123456789) for m in range(25) for i in range(2000)])
    settings = settings_for(clickhouse_server, database, sse_send_timeout_sec=5.0,
                            sse_client_queue=8, poll_interval_sec=0.2)
    with LiveServer(settings) as live:
        live.wait_backfilled()
        broadcaster = live.runtime.broadcaster
        with SSEReader(live.url) as healthy:
            healthy.next(name="snapshot", timeout=20)
            insert_points(db, points("live", 0, 1))
            wait_for_step(healthy, "live", 0)  # warm: the big snapshot is parsed
            stalled = socket.socket()
            stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            stalled.connect(("127.0.0.1", live.port))
            stalled.sendall(b"GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            try:
                wait_for(lambda: broadcaster.stats().clients == 2, 5, "the stalled client")
                latencies, depths = [], []
                for k in range(1, 9):
                    logged = time.monotonic()
                    insert_points(db, points("live", k, 1))
                    latencies.append(wait_for_step(healthy, "live", k) - logged)
                    depths.append(broadcaster.stats().max_queued)
                assert broadcaster.stats().clients == 2, "stalled client cut off too early"
                assert max(latencies) < 1.5, latencies
                assert max(depths) <= 8  # its queue is bounded; overflow means resync
                wait_for(lambda: broadcaster.stats().clients == 1, 15,
                         "the stalled client to be cut off")
            finally:
                stalled.close()


def test_a_randomized_live_session_ends_equal_to_a_fresh_snapshot(
        clickhouse_server: EmbeddedClickHouse, database: str, db: Any) -> None:
    import random

    rng = random.Random(5)
    settings = settings_for(clickhouse_server, database, max_points=16, poll_interval_sec=0.1,
                            runs_poll_interval_sec=0.5)
    next_step: dict[str, int] = {}
    with LiveServer(settings) as live:
        live.wait_backfilled()
        model = ClientModel()
        with SSEReader(live.url) as reader:
            first = reader.next(name="snapshot")
            model.apply(first.name, first.data)
            for _ in range(25):
                rows = []
                for _ in range(rng.randint(1, 4)):
                    run = f"run{rng.randint(0, 4)}"
                    start = next_step.get(run, 0)
                    n = rng.randint(1, 30)
                    rows += points(run, start, n, metric=rng.choice(["train/loss", "sys.cpu"]))
                    next_step[run] = start + n
                    if start and rng.random() < 0.2:  # a late point
                        rows.append(dict(run_id=run, metric="train/loss",
                                         step=rng.randrange(start), value=float("nan"),
                                         event_time=utc_ago(3600)))
                insert_points(db, rows)
                time.sleep(rng.random() * 0.2)
            target = live.settle()
            while model.version < target:
                event = reader.next(5)
                model.apply(event.name, event.data)
        fresh = ClientModel()
        with SSEReader(live.url) as reader:
            snapshot = reader.next(name="snapshot")
            fresh.apply(snapshot.name, snapshot.data)
        if fresh.version == model.version:
            assert model.comparable() == fresh.comparable()
        else:  # a runs poll landed in between: compare series, which only points change
            assert model.series == fresh.series
        assert all(len(s["step"]) <= 16 for s in fresh.series.values())


def test_a_point_logged_with_the_agent_reaches_the_dashboard_with_its_run(
        clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Any) -> None:
    from runwatch import Run

    settings = settings_for(clickhouse_server, database, poll_interval_sec=1.0)
    with LiveServer(settings) as live:
        live.wait_backfilled()
        with SSEReader(live.url) as reader:
            reader.next(name="snapshot")
            with Run(project="vision", name="agent-run", config={"lr": 3e-4},
                     host=clickhouse_server.host, port=clickhouse_server.port, database=database,
                     system_metrics=False, spool_dir=tmp_path / "spool") as run:
                run.log({"train/loss": float("nan"), "train/lr": 3e-4}, step=7)
                logged = time.monotonic()
                assert run.flush(10)
                arrived = wait_for_step(reader, run.run_id, 7)
                assert arrived - logged < 2.0  # 0.5 s agent flush + up to 1 s poll
            deadline = time.monotonic() + 15  # the runs poll (every 2 s here) sees the finish
            while True:
                event = reader.next(max(0.1, deadline - time.monotonic()), name="runs_meta")
                runs = {r["run_id"]: r for r in event.data["runs"]}
                if runs.get(run.run_id, {}).get("status") == "finished":
                    break
            assert runs[run.run_id]["name"] == "agent-run"
            assert runs[run.run_id]["config"] == {"lr": 3e-4}
            assert runs[run.run_id]["is_active"] is False
