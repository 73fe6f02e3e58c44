"""The poller against the real embedded ClickHouse (no HTTP server: events go to a list)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from runwatch.server.live.cache import SeriesCache
from runwatch.server.live.events import StreamEvent
from runwatch.server.live.poller import Poller
from runwatch.server.live.series import SeriesKey
from tests.backend.helpers import insert_points, insert_run, settings_for, utc_ago
from tests.support.clickhouse import EmbeddedClickHouse


class Harness:
    def __init__(self, server: EmbeddedClickHouse, database: str, **overrides: Any) -> None:
        overrides.setdefault("runs_poll_interval_sec", 3600.0)
        self.settings = settings_for(server, database, **overrides)
        self.cache = SeriesCache(self.settings.max_points, initial_version=1000)
        self.events: list[StreamEvent] = []
        self.poller = Poller(self.settings, self.cache, self.events.append)
        self.client = server.client(database=database)

    def cycle(self) -> None:
        """One poll cycle, run here (the thread and its schedule are tested through the app)."""
        self.poller.run_cycle()

    def series(self, run_id: str, metric: str, host: str = "") -> Any:
        for state in self.cache.snapshot().series:
            if state.key == SeriesKey(run_id, metric, host, 0, 65535):
                return state.points
        return None


@pytest.fixture
def harness(clickhouse_server: EmbeddedClickHouse, database: str,
            request: pytest.FixtureRequest) -> Iterator[Harness]:
    overrides = getattr(request, "param", {})
    h = Harness(clickhouse_server, database, **overrides)
    try:
        yield h
    finally:
        h.client.close()


def loss_rows(run_id: str, n: int, start: int = 0, **extra: Any) -> list[dict[str, Any]]:
    return [dict(run_id=run_id, metric="train/loss", step=i, value=1.0 / (i + 1), **extra)
            for i in range(start, start + n)]


def test_first_poll_backfills_history_reduced_on_the_server_keeping_extremes(harness: Harness) -> None:
    rows = loss_rows("r1", 20_000)
    rows[1234]["value"] = 1e6
    rows[7777]["value"] = math.nan
    rows[9999]["value"] = -math.inf
    insert_points(harness.client, rows)
    insert_points(harness.client, loss_rows("r2", 10))
    harness.cycle()
    pts = harness.series("r1", "train/loss")
    assert pts is not None and len(pts) <= 2000
    assert 1e6 in pts.value and -math.inf in pts.value and np.isnan(pts.value).any()
    assert pts.step[-500:].tolist() == list(range(19_500, 20_000))  # newest raw
    assert harness.series("r2", "train/loss").step.tolist() == list(range(10))
    kinds = [e.kind for e in harness.events]
    assert kinds[0] == "runs_meta" and "delta" in kinds


def test_points_stored_after_the_backfill_arrive_once_despite_the_overlap(harness: Harness) -> None:
    insert_points(harness.client, loss_rows("r1", 100))
    harness.cycle()
    for k in range(3):
        insert_points(harness.client, loss_rows("r1", 50, start=100 + 50 * k))
        harness.cycle()
        harness.cycle()  # the same rows are read again inside the overlap window
    pts = harness.series("r1", "train/loss")
    assert pts.step.tolist() == list(range(250))


def test_a_late_point_with_an_old_event_time_and_step_arrives(harness: Harness) -> None:
    insert_points(harness.client, loss_rows("r1", 3000))
    harness.cycle()
    insert_points(harness.client, [dict(run_id="r1", metric="train/loss", step=10, value=-123.0,
                                        event_time=utc_ago(86_400))])
    harness.cycle()
    pts = harness.series("r1", "train/loss")
    assert -123.0 in pts.value
    assert np.all(np.diff(pts.step) >= 0)


def test_a_replayed_spool_stored_late_with_an_old_ingested_at_inside_the_overlap_arrives(
        harness: Harness) -> None:
    insert_points(harness.client, loss_rows("r1", 10))
    harness.cycle()
    insert_points(harness.client, loss_rows("r1", 5, start=10))
    harness.cycle()
    # a row whose insert became visible late: ingested_at before the watermark, in the overlap
    insert_points(harness.client, [dict(run_id="r1", metric="train/loss", step=3, value=7.0,
                                        event_time=utc_ago(3600), ingested_at=utc_ago(1.0))])
    harness.cycle()
    pts = harness.series("r1", "train/loss")
    assert 7.0 in pts.value and len(pts) == 16


def test_a_new_run_shows_up_in_one_metrics_poll_with_its_runs_meta_first(harness: Harness) -> None:
    harness.cycle()
    before = len(harness.events)
    insert_run(harness.client, "fresh", project="p", name="fresh run")
    insert_points(harness.client, loss_rows("fresh", 3))
    harness.cycle()
    new = harness.events[before:]
    assert [e.kind for e in new][:2] == ["runs_meta", "delta"]
    assert any(r["run_id"] == "fresh" for r in new[0].source.runs)  # type: ignore[union-attr]
    assert harness.series("fresh", "train/loss").step.tolist() == [0, 1, 2]


@pytest.mark.parametrize("harness", [{"poll_max_rows": 100}], indirect=True)
def test_more_points_than_a_poll_takes_are_reloaded_from_the_server(harness: Harness) -> None:
    insert_points(harness.client, loss_rows("r1", 10))
    harness.cycle()
    insert_points(harness.client, loss_rows("r1", 5000, start=10))
    harness.cycle()
    pts = harness.series("r1", "train/loss")
    assert pts.step[-1] == 5009 and len(pts) <= 2000
    insert_points(harness.client, loss_rows("r1", 3, start=5010))
    harness.cycle()
    harness.cycle()
    assert harness.series("r1", "train/loss").step[-1] == 5012
    assert harness.poller.status().catch_ups == 1  # the reloaded points are not read again


def test_runs_meta_reports_stale_for_a_silent_running_run(harness: Harness) -> None:
    insert_run(harness.client, "old", status="running", updated_at=utc_ago(3600),
               started_at=utc_ago(7200))
    insert_points(harness.client, loss_rows("old", 5, ingested_at=utc_ago(3600)))
    insert_run(harness.client, "done", status="finished")
    insert_points(harness.client, loss_rows("live", 5))
    harness.cycle()
    runs = {r["run_id"]: r for r in harness.cache.snapshot().runs}
    assert runs["old"]["status"] == "stale" and runs["old"]["is_active"] is False
    assert runs["done"]["status"] == "finished" and runs["done"]["is_active"] is False
    assert runs["live"]["status"] == "running" and runs["live"]["is_active"] is True
    assert runs["old"]["latest_step"] == 4 and runs["old"]["point_count"] == 5


@pytest.mark.parametrize("harness", [{"cache_horizon_runs": 1, "active_window_sec": 1.0}],
                         indirect=True)
def test_only_the_most_recent_runs_are_cached_and_older_ones_leave(harness: Harness) -> None:
    insert_points(harness.client, loss_rows("older", 5, ingested_at=utc_ago(600)))
    insert_points(harness.client, loss_rows("newer", 5, ingested_at=utc_ago(300)))
    harness.cycle()
    assert harness.cache.run_ids() == {"newer"}
    assert [r["run_id"] for r in harness.cache.snapshot().runs] == ["newer"]


@pytest.mark.parametrize("harness", [{"backfill_batch_runs": 1}], indirect=True)
def test_history_loads_one_batch_per_cycle_while_live_points_keep_flowing(harness: Harness) -> None:
    for run, age in (("a", 30), ("b", 20), ("c", 10)):
        insert_points(harness.client, loss_rows(run, 100, ingested_at=utc_ago(age)))
    harness.cycle()
    assert harness.cache.run_ids() == {"c"}  # the most recently active first
    assert not harness.poller.status().backfilled
    insert_points(harness.client, loss_rows("c", 1, start=100) + loss_rows("a", 1, start=100))
    harness.cycle()
    assert harness.series("c", "train/loss").step[-1] == 100  # live while "a" still waits
    harness.cycle()
    assert harness.poller.status().backfilled
    for run in "abc":
        expected = list(range(101)) if run != "b" else list(range(100))
        assert harness.series(run, "train/loss").step.tolist() == expected, run


def test_poller_thread_when_clickhouse_is_unreachable_backs_off_and_stops_promptly() -> None:
    from runwatch.server.settings import Settings
    from tests.support.clickhouse import free_port

    settings = Settings(ch_port=free_port(), poll_interval_sec=0.05, poll_backoff_max_sec=0.2)
    poller = Poller(settings, SeriesCache(100), lambda event: None)
    poller.start()
    poller.start()  # idempotent
    try:
        assert poller.flush(10) is False
        status = poller.status()
        assert status.running and status.clickhouse_ok is False and status.last_error
        assert not status.backfilled and status.last_poll is None
    finally:
        began = time.monotonic()
        assert poller.stop(5)
        assert time.monotonic() - began < 2
    assert not poller.status().running
