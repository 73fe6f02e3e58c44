"""The compare resources against the embedded ClickHouse, with runs written by the real agent:
the runs table (flattened config, summaries, filter, sort, CSV), a run's detail, /compare and
/groups."""

from __future__ import annotations

import csv
import io
import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from runwatch import Run
from runwatch.server.migrate import apply_schema
from tests.backend.helpers import LiveServer, settings_for
from tests.support.clickhouse import EmbeddedClickHouse

LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2]
DEPTHS = [2, 4, 8]


@dataclass
class Logged:
    config: dict[str, Any]
    values: dict[str, dict[int, float]] = field(default_factory=dict)  # metric -> step -> value


@dataclass
class World:
    live: LiveServer
    runs: dict[str, Logged]


def sweep_config(i: int) -> dict[str, Any]:
    return {
        "optimizer": {"name": "adam" if i % 2 else "sgd", "lr": LRS[i % 5]},
        "model": {"depth": DEPTHS[i % 3], "widths": [64, 128]},
        "data": {"augment": [{"kind": "flip", "p": 0.5}]},
        "seed": i,
    }


@pytest.fixture(scope="module")
def world(clickhouse_server: EmbeddedClickHouse, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    database = f"test_compare_{uuid.uuid4().hex[:8]}"
    admin = clickhouse_server.client()
    apply_schema(admin, database)
    rng = np.random.default_rng(9)
    logged: dict[str, Logged] = {}
    spool = tmp_path_factory.mktemp("spool")

    def write(run_id: str, project: str, config: dict[str, Any], tags: list[str],
              points: dict[str, dict[int, float]], status: str = "finished") -> None:
        run = Run(project=project, name=f"n-{run_id}", config=config, tags=tags, run_id=run_id,
                  host=clickhouse_server.host, port=clickhouse_server.port, database=database,
                  spool_dir=spool / run_id, environ={}, system_metrics=False, flush_interval=0.05)
        for metric, by_step in points.items():
            for step, value in by_step.items():
                run.log({metric: value}, step=step)
        run.finish(status)
        logged[run_id] = Logged(config, points)

    for i in range(50):
        val = {s: float(rng.normal(1.0, 0.3)) for s in range(0, 30)}
        if i == 7:
            val[12] = math.nan
        if i == 8:
            val[3] = -math.inf
        tags = ["ablation"] if i % 10 == 0 else []
        write(f"s{i:02d}", "sweep", sweep_config(i), tags, {"val/loss": val},
              status="failed" if i == 49 else "finished")
    for i in range(12):
        steps = [s for s in range(200) if s % (i % 4 + 1) == 0]
        write(f"g{i:02d}", "grp", {"model": {"depth": DEPTHS[i % 3]}}, [],
              {"train/loss": {s: float(rng.normal(2.0 - s / 200, 0.5)) for s in steps}})
    settings = settings_for(clickhouse_server, database)
    try:
        with LiveServer(settings) as live:
            yield World(live, logged)
    finally:
        admin.command(f"DROP DATABASE IF EXISTS {database} SYNC")
        admin.close()


def table(world: World, **params: Any) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    response = world.live.get("/runs/table", **params)
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [c["id"] for c in body["columns"]]
    return ids, [dict(zip(ids, row, strict=True)) for row in body["rows"]], body


def test_runs_table_flattens_every_config_key_with_dots(world: World) -> None:
    ids, rows, body = table(world, filter="project = sweep")
    assert body["total"] == 62 and body["matched"] == 50
    assert {"config.optimizer.name", "config.optimizer.lr", "config.model.depth",
            "config.model.widths", "config.data.augment.0.kind", "config.data.augment.0.p",
            "config.seed"} <= set(ids)
    kinds = {c["id"]: c["kind"] for c in body["columns"]}
    assert kinds["config.optimizer.lr"] == "number" and kinds["config.optimizer.name"] == "string"
    assert kinds["config.model.widths"] == "list"
    for row in rows:
        i = int(row["run_id"][1:])
        assert row["config.optimizer.lr"] == LRS[i % 5]
        assert row["config.model.depth"] == DEPTHS[i % 3]
        assert row["config.model.widths"] == [64, 128]
        assert row["config.data.augment.0.kind"] == "flip"
        assert row["name"] == f"n-s{i:02d}" and row["project"] == "sweep"
        assert row["status"] == ("failed" if i == 49 else "finished")
        assert row["latest_step"] == 29


def _label(v: float) -> Any:
    return v if math.isfinite(v) else ("-Infinity" if v < 0 else "Infinity")


def test_runs_table_summaries_equal_what_was_logged(world: World) -> None:
    _, rows, _ = table(world, filter="project = sweep", summary=["val/loss", "val/loss:min_step",
                                                                  "val/loss:max_step"])
    assert len(rows) == 50
    for row in rows:
        values = world.runs[row["run_id"]].values["val/loss"]
        finite = {s: v for s, v in values.items() if not math.isnan(v)}
        lo = min(finite.values())
        hi = max(finite.values())
        assert row["val/loss:min"] == _label(lo), row["run_id"]
        assert row["val/loss:max"] == _label(hi)
        assert row["val/loss:min_step"] == min(s for s, v in finite.items() if v == lo)
        assert row["val/loss:max_step"] == min(s for s, v in finite.items() if v == hi)
        assert row["val/loss:last"] == _label(values[29])
    by_id = {r["run_id"]: r for r in rows}
    assert by_id["s08"]["val/loss:min"] == "-Infinity" and by_id["s08"]["val/loss:min_step"] == 3
    # a run without the metric: empty cells, not zeros
    _, grp, _ = table(world, filter="project = grp", summary=["val/loss:min"])
    assert {r["val/loss:min"] for r in grp} == {None}


def test_runs_table_filters_and_sorts_by_a_numeric_config_key(world: World) -> None:
    _, rows, body = table(world, filter="optimizer.lr < 1e-3 and project = sweep",
                          sort=["-optimizer.lr", "config.seed"])
    expected = sorted((i for i in range(50) if LRS[i % 5] < 1e-3), key=lambda i: (-LRS[i % 5], i))
    assert [r["run_id"] for r in rows] == [f"s{i:02d}" for i in expected]
    assert body["matched"] == 20
    # numbers as numbers: seed 10 after seed 9, not after seed 1
    _, rows, _ = table(world, filter="project = sweep", sort=["config.seed"])
    assert [r["config.seed"] for r in rows] == list(range(50))
    _, rows, _ = table(world, filter="tags has ablation")
    assert sorted(r["run_id"] for r in rows) == ["s00", "s10", "s20", "s30", "s40"]
    _, rows, _ = table(world, filter="status = failed")
    assert [r["run_id"] for r in rows] == ["s49"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"filter": "optimizer.lr <"}, "filter: unexpected end of filter"),
        ({"filter": "nope = 3"}, "filter: unknown column 'nope' at 0"),
        ({"sort": "nope"}, "unknown sort column 'nope'"),
        ({"summary": "val/loss:median"}, "unknown summary 'median'"),
    ],
)
def test_runs_table_bad_parameters_are_422_with_a_message(world: World, params: dict[str, Any],
                                                          message: str) -> None:
    response = world.live.get("/runs/table", **params)
    assert response.status_code == 422
    assert message in str(response.json()["detail"])


def test_runs_table_as_csv_has_the_chosen_columns(world: World) -> None:
    response = world.live.get("/runs/table", format="csv", filter="project = sweep",
                              sort="config.seed", summary="val/loss:min",
                              column=["run_id", "config.optimizer.lr", "val/loss:min"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["run_id", "config.optimizer.lr", "val/loss:min"]
    assert rows[1][:2] == ["s00", "0.0001"] and len(rows) == 51
    assert rows[9] == ["s08", "0.003", "-Infinity"]


def test_run_detail_has_config_tree_env_and_status(world: World) -> None:
    body = world.live.get("/runs/s10").json()
    assert body["config"] == sweep_config(10)
    assert body["tags"] == ["ablation"] and body["status"] == "finished"
    assert body["env"]["python"] and isinstance(body["env"]["argv"], list)
    assert body["finished_time"] >= body["start_time"]
    assert world.live.get("/runs/nope").status_code == 404


def test_compare_lists_exactly_the_differing_keys(world: World) -> None:
    # s00: sgd, lr 1e-4, depth 2, ablation; s06: sgd, lr 3e-4, depth 2; s15: adam, 1e-4, depth 2.
    # One process wrote all three: the env (python, packages, argv, pid) agrees.
    body = world.live.get("/compare", run_id=["s00", "s06", "s15"]).json()
    assert [r["run_id"] for r in body["runs"]] == ["s00", "s06", "s15"]
    assert body["differ"] == {
        "config.optimizer.lr": {"s00": 1e-4, "s06": 3e-4, "s15": 1e-4},
        "config.optimizer.name": {"s00": "sgd", "s06": "sgd", "s15": "adam"},
        "config.seed": {"s00": 0, "s06": 6, "s15": 15},
        "tags": {"s00": ["ablation"], "s06": [], "s15": []},
    }
    assert body["same"]["config.model.depth"] == 2
    assert body["same"]["config.model.widths"] == [64, 128]
    assert {"git_commit", "env.python", "env.argv", "env.pid", "config.data.augment.0.p"} <= set(body["same"])


@pytest.mark.parametrize(
    ("run_ids", "status", "message"),
    [
        (["s00"], 422, "at least two"),
        (["s00", "s00"], 422, "at least two"),
        (["s00", "zzz"], 404, "unknown run: zzz"),
    ],
)
def test_compare_bad_requests(world: World, run_ids: list[str], status: int, message: str) -> None:
    response = world.live.get("/compare", run_id=run_ids)
    assert response.status_code == status and message in str(response.json()["detail"])


def test_groups_mean_and_band_equal_numpy_over_the_raw_points(world: World) -> None:
    response = world.live.get("/groups", metric="train/loss", group_by="model.depth",
                              filter="project = grp", max_points=1000)
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]
    assert sorted(g["key"]["config.model.depth"] for g in groups) == DEPTHS
    for group in groups:
        depth = group["key"]["config.model.depth"]
        members = [r for r in world.runs if r.startswith("g") and DEPTHS[int(r[1:]) % 3] == depth]
        assert sorted(group["runs"]) == sorted(members) and group["size"] == 4
        assert group["label"] == f"model.depth={depth}"
        steps = sorted({s for r in members for s in world.runs[r].values["train/loss"]})
        assert group["step"] == steps
        for k, step in enumerate(steps):
            values = np.array([world.runs[r].values["train/loss"][step] for r in members
                               if step in world.runs[r].values["train/loss"]])
            assert group["count"][k] == values.size
            assert group["mean"][k] == pytest.approx(values.mean(), rel=1e-12)
            assert group["min"][k] == values.min() and group["max"][k] == values.max()
            assert group["std"][k] == pytest.approx(values.std(), rel=1e-9, abs=1e-12)


def test_groups_decimated_after_aggregation_keep_the_band_extremes(world: World) -> None:
    full = world.live.get("/groups", metric="train/loss", group_by="model.depth",
                          filter="project = grp").json()["groups"]
    small = world.live.get("/groups", metric="train/loss", group_by="model.depth",
                           filter="project = grp", max_points=16).json()["groups"]
    for f, s in zip(full, small, strict=True):
        assert len(s["step"]) <= 16
        assert min(s["min"]) == min(f["min"]) and max(s["max"]) == max(f["max"])


def test_groups_of_unknown_runs_are_empty(world: World) -> None:
    response = world.live.get("/groups", metric="train/loss", group_by="project", run_id="AAA")
    assert response.status_code == 200 and response.json()["groups"] == []


def test_groups_bad_column_is_422(world: World) -> None:
    response = world.live.get("/groups", metric="train/loss", group_by="nope")
    assert response.status_code == 422 and "unknown group_by column 'nope'" in str(response.json()["detail"])


def test_compare_includes_git_and_the_agents_env(world: World, clickhouse_server: EmbeddedClickHouse) -> None:
    from tests.backend.helpers import insert_run

    db = clickhouse_server.client(database=world.live.settings.ch_database)
    env = {"python": "3.11.7", "packages": {"torch": "2.3.0", "numpy": "1.26.4"}, "argv": ["train.py"]}
    insert_run(db, "e1", project="env", config_json='{"lr": 0.1}', git_commit="abc", env_json=json.dumps(env))
    env2 = {**env, "packages": {"torch": "2.4.0", "numpy": "1.26.4"}, "argv": ["train.py", "--fast"]}
    insert_run(db, "e2", project="env", config_json='{"lr": 0.1}', git_commit="def", env_json=json.dumps(env2))
    db.close()
    body = world.live.get("/compare", run_id=["e1", "e2"]).json()
    assert body["differ"] == {
        "env.argv": {"e1": ["train.py"], "e2": ["train.py", "--fast"]},
        "env.packages.torch": {"e1": "2.3.0", "e2": "2.4.0"},
        "git_commit": {"e1": "abc", "e2": "def"},
    }
    assert body["same"] == {"config.lr": 0.1, "env.packages.numpy": "1.26.4", "env.python": "3.11.7",
                            "git_dirty": False, "tags": []}
