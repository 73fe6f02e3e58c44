"""The compare cache against the embedded ClickHouse: a kept runs table or group answer is
only ever what a fresh build would return — reused while nothing changed, rebuilt after a
runs row, a point, or the clock changes what a run shows."""

from __future__ import annotations

import time
from collections.abc import Iterator

import orjson
import pytest

from runwatch.server.compare import grouping
from runwatch.server.compare import table as tbl
from runwatch.server.compare.cache import CompareCache
from runwatch.server.query.clients import ClientPool
from runwatch.server.query.metric_queries import Window
from tests.backend.helpers import insert_points, insert_run, settings_for, utc_ago
from tests.support.clickhouse import EmbeddedClickHouse

ACTIVE_MS = 300_000
CRASH_MS = 45_000


@pytest.fixture
def pool(clickhouse_server: EmbeddedClickHouse, database: str) -> Iterator[ClientPool]:
    client = clickhouse_server.client(database=database)
    for i in range(3):
        insert_run(client, f"r{i}", project="p", status="finished",
                   config_json=f'{{"opt": {{"lr": {i / 10}}}, "depth": {i % 2}}}')
        insert_points(client, [{"run_id": f"r{i}", "metric": "loss", "step": s, "value": i + s}
                               for s in range(5)])
    client.close()
    yield ClientPool(settings_for(clickhouse_server, database))


def fresh(pool: ClientPool, active_ms: int = ACTIVE_MS, **kw: object) -> tbl.Table:
    return tbl.build_table(pool, active_ms, crash_ms=CRASH_MS, **kw)  # type: ignore[arg-type]


def same(a: tbl.Table, b: tbl.Table) -> bool:
    return (a.columns, a.rows, a.total) == (b.columns, b.rows, b.total)


def test_table_is_reused_while_nothing_changed_and_equals_a_fresh_build(pool: ClientPool) -> None:
    cache = CompareCache()
    wanted = tbl.parse_summaries(["loss:min"])
    first = cache.table(pool, ACTIVE_MS, CRASH_MS, sort=["-config.opt.lr"], wanted=wanted)
    second = cache.table(pool, ACTIVE_MS, CRASH_MS, sort=["-config.opt.lr"], wanted=wanted)
    assert second is first and cache.builds == 1
    assert same(second, fresh(pool, sort=["-config.opt.lr"], wanted=wanted))
    other = cache.table(pool, ACTIVE_MS, CRASH_MS, sort=["config.opt.lr"], wanted=wanted)
    assert cache.builds == 2 and [r["run_id"] for r in other.rows] == ["r0", "r1", "r2"]


def test_table_is_rebuilt_after_a_new_runs_row_or_point(pool: ClientPool,
                                                        clickhouse_server: EmbeddedClickHouse,
                                                        database: str) -> None:
    cache = CompareCache()
    wanted = tbl.parse_summaries(["loss:min"])
    cache.table(pool, ACTIVE_MS, CRASH_MS, wanted=wanted)
    client = clickhouse_server.client(database=database)
    insert_run(client, "r1", project="p", status="failed", config_json='{"opt": {"lr": 9}}')
    renamed = cache.table(pool, ACTIVE_MS, CRASH_MS, wanted=wanted)
    assert cache.builds == 2
    by_id = {r["run_id"]: r for r in renamed.rows}
    assert by_id["r1"]["status"] == "failed" and by_id["r1"]["config.opt.lr"] == 9
    insert_points(client, [{"run_id": "r2", "metric": "loss", "step": 9, "value": -4.0}])
    client.close()
    lower = cache.table(pool, ACTIVE_MS, CRASH_MS, wanted=wanted)
    assert cache.builds == 3
    assert {r["run_id"]: r["loss:min"] for r in lower.rows}["r2"] == -4.0
    assert same(lower, fresh(pool, wanted=wanted))


def test_table_is_rebuilt_when_the_clock_turns_a_running_run_stale(
        pool: ClientPool, clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    client = clickhouse_server.client(database=database)
    insert_run(client, "live", project="p", status="running", updated_at=utc_ago(0))
    client.close()
    cache = CompareCache()
    active_ms = 1500
    first = cache.table(pool, active_ms, CRASH_MS)
    assert {r["run_id"]: r["status"] for r in first.rows}["live"] == "running"
    assert first.status_expiry < float("inf")
    assert cache.table(pool, active_ms, CRASH_MS) is first
    time.sleep(active_ms / 1000 + 0.3)
    later = cache.table(pool, active_ms, CRASH_MS)
    assert cache.builds == 2
    assert {r["run_id"]: r["status"] for r in later.rows}["live"] == "stale"
    assert same(later, fresh(pool, active_ms))


def test_group_answer_is_kept_until_one_of_its_runs_stores_a_point(
        pool: ClientPool, clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    cache = CompareCache()
    table = fresh(pool)
    groups = grouping.assign(table.rows, ["config.depth"])
    builds: list[int] = []

    def build() -> list[bytes]:
        builds.append(1)
        return grouping.read_groups(pool, "loss", groups, Window(), 1000)

    runs = [r for g in groups for r in g.runs]
    first = cache.groups(pool, ("loss",), runs, build)
    assert cache.groups(pool, ("loss",), runs, build) is first and len(builds) == 1
    client = clickhouse_server.client(database=database)
    insert_points(client, [{"run_id": "r0", "metric": "loss", "step": 7, "value": 1.0}])
    client.close()
    after = cache.groups(pool, ("loss",), runs, build)
    assert len(builds) == 2
    steps = {g["label"]: g["step"] for g in map(orjson.loads, after)}
    assert steps["depth=0"] == [0, 1, 2, 3, 4, 7] and steps["depth=1"] == [0, 1, 2, 3, 4]


def test_column_wise_rows_equal_run_row_of_each_runs_query_row(
        pool: ClientPool, clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    from runwatch.server.query import queries

    client = clickhouse_server.client(database=database)
    insert_run(client, "hosted", project="q", name="", host="box", tags=["a", "b"],
               status="running", updated_at=utc_ago(0), config_json='{"x": [1, {"y": 2}]}')
    insert_points(client, [{"run_id": "hosted", "metric": "loss", "step": 3, "value": 1.0,
                            "host": "gpu-2"}])
    client.close()
    rows, expiry = tbl.read_rows(pool, ACTIVE_MS, crash_ms=CRASH_MS)
    result = pool.query(*queries.runs_page(queries.RunsFilter(), tbl.ALL_RUNS, 0, ACTIVE_MS, CRASH_MS))
    raw = [dict(zip(result.column_names, r, strict=True)) for r in result.result_rows]
    assert rows == [tbl.run_row(r) for r in raw]
    hosted = next(r for r in rows if r["run_id"] == "hosted")
    assert hosted["host"] == "box, gpu-2" and hosted["name"] == "hosted"
    assert hosted["config.x.1.y"] == 2 and hosted["is_active"] is True
    assert expiry == tbl.status_expiry(raw, ACTIVE_MS, CRASH_MS) < float("inf")


def test_no_matching_run_is_an_empty_table(pool: ClientPool) -> None:
    table = CompareCache().table(pool, ACTIVE_MS, CRASH_MS, run_ids=["nope"])
    assert (table.rows, table.total, table.status_expiry) == ([], 0, float("inf"))


def same_fields(patched: tbl.Table, built: tbl.Table) -> None:
    assert patched.columns == built.columns
    assert [r["run_id"] for r in patched.rows] == [r["run_id"] for r in built.rows]
    for got, want in zip(patched.rows, built.rows, strict=True):
        assert got.keys() == want.keys(), got["run_id"]
        for key, value in want.items():
            assert got[key] == value, (got["run_id"], key)
    assert (patched.total, patched.status_expiry) == (built.total, built.status_expiry)


@pytest.mark.parametrize(("filter_text", "sort"), [("", ()), ("depth = 1 or status = 'failed'",
                                                             ("-loss:min", "config.opt.lr"))])
def test_patched_table_after_runs_changed_equals_a_fresh_build_field_by_field(
        pool: ClientPool, clickhouse_server: EmbeddedClickHouse, database: str,
        filter_text: str, sort: tuple[str, ...]) -> None:
    client = clickhouse_server.client(database=database)
    insert_run(client, "live", project="p", status="running", updated_at=utc_ago(0),
               heartbeat_at=utc_ago(0), config_json='{"opt": {"lr": 0.5}, "only_live": 1}')
    cache = CompareCache()
    wanted = tbl.parse_summaries(["loss:min", "loss:last"])
    kw = {"filter_text": filter_text, "sort": list(sort), "wanted": wanted}
    active_ms = 2000
    same_fields(cache.table(pool, active_ms, CRASH_MS, **kw), fresh(pool, active_ms, **kw))
    insert_run(client, "r0", project="p", status="failed")  # a status (and its config gone)
    insert_run(client, "r1", project="p", status="finished",  # a config, one key's type
               config_json='{"opt": {"lr": "warm"}, "depth": 1, "extra": [1]}')
    insert_points(client, [{"run_id": "r2", "metric": "loss", "step": 9, "value": -4.0}])
    insert_run(client, "new", project="q", status="finished", config_json='{"depth": 1}')
    insert_points(client, [{"run_id": "new", "metric": "loss", "step": 1, "value": 0.25}])
    insert_run(client, "live", project="p", status="running", updated_at=utc_ago(0),
               heartbeat_at=utc_ago(0), config_json='{"opt": {"lr": 0.5}}')  # only_live gone
    patched = cache.table(pool, active_ms, CRASH_MS, **kw)
    assert cache.patches == 1
    same_fields(patched, fresh(pool, active_ms, **kw))
    by_id = {r["run_id"]: r for r in fresh(pool, active_ms, wanted=wanted).rows}
    assert by_id["r2"]["loss:min"] == -4.0 and by_id["r0"]["status"] == "failed"
    assert "config.only_live" not in {c.id for c in patched.columns}
    time.sleep(active_ms / 1000 + 0.3)  # the clock turns "live" stale, no new row
    later = cache.table(pool, active_ms, CRASH_MS, **kw)
    client.close()
    assert cache.patches == 2
    same_fields(later, fresh(pool, active_ms, **kw))
    assert {r["run_id"]: r["status"] for r in fresh(pool, active_ms).rows}["live"] == "stale"
