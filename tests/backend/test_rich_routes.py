"""/histograms, /logs and /media against the real embedded ClickHouse, filled by the real agent."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from runwatch import Histogram, Image, Run
from runwatch.server.api.routes.histograms import thin_steps
from runwatch.server.migrate import apply_schema
from tests.backend.helpers import LiveServer, settings_for
from tests.support.clickhouse import EmbeddedClickHouse

PIXELS = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)


@pytest.fixture(scope="module")
def live(clickhouse_server: EmbeddedClickHouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = f"test_rich_{uuid.uuid4().hex[:8]}"
    client = clickhouse_server.client()
    apply_schema(client, database)
    spool = tmp_path_factory.mktemp("spool")
    for run_id, words in (("alpha", "loss went NaN"), ("beta", "all good")):
        run = Run(project="p", run_id=run_id, host=clickhouse_server.host,
                  port=clickhouse_server.port, database=database, environ={}, spool_dir=spool,
                  system_metrics=False, capture_output=False, flush_interval=0.05)
        for step in range(30):
            run.log({"loss": 1.0 / (step + 1), "grad/w": Histogram(np.arange(step + 10.0), bins=8)},
                    step=step)
            run.log_text(f"step {step}: {words}" if step == 20 else f"step {step}")
            run.flush()
        run.log({"samples": [Image(PIXELS, caption="a"), Image(PIXELS[::-1], caption="b")]}, step=29)
        run.finish()
    try:
        with LiveServer(settings_for(clickhouse_server, database)) as server:
            yield server
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        client.close()


@pytest.mark.parametrize(("steps", "most", "expected"), [
    ([1, 2, 3], 5, [1, 2, 3]),
    (list(range(10)), 4, [0, 3, 6, 9]),
    (list(range(10)), 1, [9]),
])
def test_thin_steps_keeps_first_and_last_evenly(steps: list[int], most: int, expected: list[int]) -> None:
    assert thin_steps(steps, most) == expected


def test_histograms_list_metrics_and_return_each_step_exactly(live: LiveServer) -> None:
    assert live.get("/histograms/alpha").json()["metrics"] == [
        {"metric": "grad/w", "count": 30, "last_step": 29}]
    body = live.get("/histograms/alpha/data", metric="grad/w", max_steps=4).json()
    assert body["total_steps"] == 30 and [h["step"] for h in body["histograms"]] == [0, 10, 19, 29]
    last = body["histograms"][-1]
    expected = Histogram(np.arange(39.0), bins=8)
    assert (last["counts"], last["edges"], last["min"], last["max"], last["count"], last["sum"]) == (
        expected.counts, expected.edges, 0.0, 38.0, 39, expected.sum)


def test_logs_tail_follow_around_and_search(live: LiveServer) -> None:
    tail = live.get("/logs/alpha", limit=5).json()
    assert [line["line"] for line in tail["lines"]] == [f"step {i}" for i in range(25, 30)]
    first = live.get("/logs/alpha", around_step=0, limit=4).json()
    follow = live.get("/logs/alpha", after=first["cursor"], limit=3).json()
    assert [ln["step"] for ln in first["lines"] + follow["lines"]] == [0, 1, 2, 3, 4, 5]
    around = live.get("/logs/alpha", around_step=20, limit=4).json()
    assert [ln["line"] for ln in around["lines"]] == [
        "step 19", "step 20: loss went NaN", "step 21", "step 22"]
    found = live.get("/logs", q="went NaN").json()["lines"]
    assert [(ln["run_id"], ln["step"]) for ln in found] == [("alpha", 20)]
    assert {ln["run_id"] for ln in live.get("/logs", q="step 20:").json()["lines"]} == {"alpha", "beta"}
    assert live.get("/logs", q="100%_\\").json()["lines"] == []  # LIKE wildcards are literal


@pytest.mark.parametrize(("path", "params", "status"), [
    ("/logs/alpha", {"after": "nonsense"}, 422),
    ("/logs/alpha", {"after": "1.0.0.h", "around_step": 3}, 422),
    ("/logs/alpha", {"stream": "bogus"}, 422),
    ("/logs/nope", {}, 404),
    ("/histograms/nope", {}, 404),
    ("/histograms/alpha/data", {}, 422),
    ("/media/alpha/image", {"key": "samples", "step": 3}, 404),
    ("/media/alpha/image", {"key": "samples", "step": -1}, 422),
])
def test_bad_requests_are_4xx(live: LiveServer, path: str, params: dict[str, Any], status: int) -> None:
    assert live.get(path, **params).status_code == status


def test_media_lists_images_and_serves_their_bytes_with_the_content_type(live: LiveServer) -> None:
    items = live.get("/media/alpha").json()["media"]
    assert [(m["key"], m["step"], m["idx"], m["caption"], m["width"], m["height"]) for m in items] == [
        ("samples", 29, 0, "a", 6, 4), ("samples", 29, 1, "b", 6, 4)]
    response = live.get("/media/alpha/image", key="samples", step=29, idx=1)
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content == Image(PIXELS[::-1]).data
