"""REST resources against the real embedded ClickHouse, through a real uvicorn."""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runwatch.server.migrate import apply_schema
from tests.backend.helpers import LiveServer, insert_points, insert_run, settings_for, utc_ago
from tests.support.clickhouse import EmbeddedClickHouse


@pytest.fixture(scope="module")
def live(clickhouse_server: EmbeddedClickHouse) -> Iterator[LiveServer]:
    database = f"test_routes_{uuid.uuid4().hex[:8]}"
    client = clickhouse_server.client()
    apply_schema(client, database)
    db = clickhouse_server.client(database=database)
    insert_run(db, "alpha", project="vision", name="resnet", status="finished",
               config_json='{"lr": 0.001, "weird": NaN}', tags=["baseline"], user="ana",
               git_commit="abc123")
    insert_run(db, "beta", project="vision", name="vit", status="running")
    insert_run(db, "gamma", project="nlp", name="gpt", status="failed")
    # alpha: 3000 steps over 500 minutes, a spike and a NaN
    rows = [dict(run_id="alpha", metric="train/loss", step=i, value=1.0 / (i + 1),
                 event_time=utc_ago(30_000 - i * 10)) for i in range(3000)]
    rows[1500]["value"] = 50.0
    rows[2000]["value"] = math.nan
    insert_points(db, rows)
    # beta: 3000 steps within the last minute, two hosts
    insert_points(db, [dict(run_id="beta", metric="train/loss", step=i, value=float(i % 7),
                            host=f"h{i % 2}") for i in range(3000)])
    insert_points(db, [dict(run_id="alpha", metric="checkpoint", step=1000, value=2048.0,
                            unit="bytes", tags_json=json.dumps(
                                {"path": "ckpt/1000.pt", "size_bytes": 2048,
                                 "metrics": {"val/loss": 0.4}})),
                       dict(run_id="alpha", metric="checkpoint", step=2000, value=math.nan,
                            unit="bytes", tags_json='{"path": "ckpt/2000.pt", "size_bytes": null}')])
    dist = clickhouse_server.data_dir.parent / f"dist_{database}"
    dist.mkdir()
    (dist / "index.html").write_text("<html>runwatch</html>")
    settings = settings_for(clickhouse_server, database, metrics_raw_max_rows=1000,
                            frontend_dist=dist)
    try:
        with LiveServer(settings) as server:
            server.wait_backfilled()
            yield server
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        client.close()
        db.close()


def test_runs_lists_every_run_most_recent_first_with_total(live: LiveServer) -> None:
    body = live.get("/runs").json()
    assert body["total"] == 3
    runs = {r["run_id"]: r for r in body["runs"]}
    alpha = runs["alpha"]
    assert alpha["project"] == "vision" and alpha["name"] == "resnet"
    assert alpha["status"] == "finished" and alpha["is_active"] is False
    assert alpha["config"] == {"lr": 0.001, "weird": "NaN"}
    assert alpha["tags"] == ["baseline"] and alpha["user"] == "ana"
    assert alpha["git_commit"] == "abc123" and alpha["point_count"] == 3002
    assert alpha["latest_step"] == 2999
    assert runs["beta"]["hosts"] == ["h0", "h1"]
    assert runs["gamma"]["latest_step"] is None and runs["gamma"]["status"] == "failed"
    assert set(alpha) == {"run_id", "project", "name", "status", "is_active", "start_time",
                          "last_event_time", "latest_step", "config", "tags", "hosts", "user",
                          "git_commit", "point_count", "heartbeat_time", "failure"}


@pytest.mark.parametrize(
    ("params", "ids", "total"),
    [
        ({"project": "vision"}, {"alpha", "beta"}, 2),
        ({"status": "failed"}, {"gamma"}, 1),
        ({"project": "vision", "status": "running"}, {"beta"}, 1),
        ({"limit": 1}, None, 3),
        ({"limit": 2, "offset": 2}, None, 3),
        ({"offset": 50}, set(), 3),
        ({"project": "none"}, set(), 0),
    ],
)
def test_runs_filters_and_pages(live: LiveServer, params: dict[str, Any], ids: set[str] | None,
                                total: int) -> None:
    body = live.get("/runs", **params).json()
    assert body["total"] == total
    if ids is not None:
        assert {r["run_id"] for r in body["runs"]} == ids
    if "limit" in params:
        assert len(body["runs"]) == min(params["limit"], max(0, 3 - params.get("offset", 0)))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/runs", {"status": "sleeping"}),
        ("/runs", {"limit": 0}),
        ("/runs", {"limit": "many"}),
        ("/runs", {"offset": -1}),
        ("/metrics/alpha", {}),
        ("/metrics/alpha", {"metric": "train/loss", "from_step": -1}),
        ("/metrics/alpha", {"metric": "train/loss", "from_step": 10, "to_step": 5}),
        ("/metrics/alpha", {"metric": "train/loss", "from_time": 10, "to_time": 5}),
        ("/metrics/alpha", {"metric": "train/loss", "to_step": 2**70}),
        ("/metrics/alpha", {"metric": "train/loss", "max_points": 1}),
        ("/metrics/alpha", {"metric": "train/loss", "from_time": "yesterday"}),
    ],
)
def test_bad_parameters_are_422_with_a_message(live: LiveServer, path: str,
                                               params: dict[str, Any]) -> None:
    response = live.get(path, **params)
    assert response.status_code == 422
    assert response.json()["detail"]


@pytest.mark.parametrize(("path", "params"), [
    ("/metrics/nope", {"metric": "train/loss"}),
    ("/checkpoints/nope", {}),
    ("/metrics/x' OR 1=1", {"metric": "a"}),
])
def test_an_unknown_run_is_404(live: LiveServer, path: str, params: dict[str, str]) -> None:
    response = live.get(path, **params)
    assert response.status_code == 404
    assert "unknown run" in response.json()["detail"]


def test_metrics_small_window_is_raw_points_with_nan_as_a_string(live: LiveServer) -> None:
    body = live.get("/metrics/alpha", metric="train/loss", from_step=1990, to_step=2010).json()
    assert body["source"] == "raw" and body["run_id"] == "alpha"
    (series,) = body["series"]
    assert series["step"] == list(range(1990, 2011))
    assert series["value"][10] == "NaN"
    assert len(series["time"]) == 21 and series["replace"] is True


def test_metrics_wide_window_over_many_minutes_reads_the_rollup_with_min_max(live: LiveServer) -> None:
    body = live.get("/metrics/alpha", metric="train/loss", max_points=100).json()
    assert body["source"] == "rollup_1m"
    (series,) = body["series"]
    assert 0 < len(series["step"]) <= 100
    assert len(series["min"]) == len(series["max"]) == len(series["value"])
    assert max(v for v in series["max"] if isinstance(v, float)) == 50.0  # the spike survives
    assert series["step"] == sorted(series["step"])


def test_metrics_many_points_in_few_minutes_are_reduced_on_the_server(live: LiveServer) -> None:
    body = live.get("/metrics/beta", metric="train/loss", max_points=100).json()
    assert body["source"] == "raw"
    assert [s["host"] for s in body["series"]] == ["h0", "h1"]
    for series in body["series"]:
        assert 0 < len(series["step"]) <= 100
        assert max(series["value"]) == 6.0 and min(series["value"]) == 0.0


def test_metrics_raw_window_is_lttb_decimated_to_max_points(live: LiveServer) -> None:
    body = live.get("/metrics/alpha", metric="train/loss", from_step=1000, to_step=1900,
                    max_points=50).json()
    assert body["source"] == "raw"
    (series,) = body["series"]
    assert len(series["step"]) <= 50 and 1500 in series["step"]  # the spike is kept


def test_metrics_of_a_metric_without_points_is_empty(live: LiveServer) -> None:
    body = live.get("/metrics/alpha", metric="no/such").json()
    assert body == {"run_id": "alpha", "metric": "no/such", "source": "raw", "series": []}


def test_checkpoints_parse_their_tags(live: LiveServer) -> None:
    body = live.get("/checkpoints/alpha").json()
    assert body["run_id"] == "alpha"
    first, second = body["checkpoints"]
    assert first["step"] == 1000 and first["path"] == "ckpt/1000.pt"
    assert first["size_bytes"] == 2048 and first["metrics"] == {"val/loss": 0.4}
    assert isinstance(first["time"], int)
    assert second["size_bytes"] is None and second["metrics"] == {}


def test_tabs_serves_the_mapping(live: LiveServer) -> None:
    body = live.get("/tabs").json()
    assert body["fallback"] == "other" and body["tabs"][0]["id"] == "training"


def test_health_is_ok_with_cache_and_poll_figures(live: LiveServer) -> None:
    body = live.get("/health").json()
    assert body["status"] == "ok" and body["clickhouse"] == "ok"
    assert body["lag_sec"] < 5 and body["last_poll"] > 0
    assert body["cache"]["series"] >= 3 and body["clients"] == 0


def test_the_built_frontend_is_served_at_root_and_api_routes_win(live: LiveServer,
                                                                tmp_path: Path) -> None:
    assert live.get("/").text == "<html>runwatch</html>"
    assert live.get("/health").headers["content-type"].startswith("application/json")
