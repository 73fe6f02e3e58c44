"""sql/011: the cheaper per-minute rollup view writes exactly what 004's view wrote.

Three databases get the same inserts: one with the schema up to 010 (004's view), one with
every migration (011's view), and one migrated from the first to the second between inserts.
Every row of metric_rollup_1m (the argMax state's bytes included) and every dashboard query
that reads it must come out the same, and a retried insert must count once in both.
"""

from __future__ import annotations

import random
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runwatch.server.compare import queries as compare_queries
from runwatch.server.migrate import apply_schema, default_sql_dir, load_migrations
from runwatch.server.query import metric_queries
from runwatch.server.query.queries import Query
from tests.support.clickhouse import EmbeddedClickHouse

COLUMNS = ("event_time", "run_id", "host", "rank", "device", "step", "metric", "value")
ROLLUP_ROWS = (
    "SELECT run_id, metric, host, rank, device, minute, min_step, max_step, min_value, max_value,"
    " hex(last_value), sum_value, finite_count, nan_count, count FROM metric_rollup_1m ORDER BY ALL"
)
DEDUP = {"insert_deduplicate": 1, "deduplicate_blocks_in_dependent_materialized_views": 1}
SERIES = [
    ("r1", "a", 0, 65535, "train/loss"),
    ("r1", "a", 0, 65535, "val/acc"),
    ("r1", "a", 1, 65535, "train/loss"),
    ("r1", "b", 0, 0, "sys.gpu.0.util_percent"),
    ("r1", "b", 0, 1, "sys.gpu.0.util_percent"),
    ("r2", "a", 0, 65535, "train/loss"),
]


def _time_text(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    minute, second = divmod(seconds, 60)
    return f"{minute:02d}:{second:02d}.{millis:03d}"


def _rows(rng: random.Random, count: int) -> list[tuple[str, ...]]:
    """Points that make `last` hard: event times out of step order, equal times with other
    steps, exact (time, step) ties with other values, NaN/±Inf, times before 1970."""
    rows = []
    for _ in range(count):
        run_id, host, rank, device, metric = rng.choice(SERIES)
        draw = rng.random()
        if draw < 0.05:  # toStartOfMinute puts these in 1970's first minute, with the next ones
            when = f"1969-12-31 23:{_time_text(rng.randrange(0, 120_000))}"
        elif draw < 0.08:
            when = f"1970-01-01 00:{_time_text(rng.randrange(0, 60_000))}"
        else:
            when = f"2026-12-03 10:{_time_text(rng.randrange(0, 4 * 60_000, rng.choice((1, 250, 1000))))}"
        step = rng.randrange(0, 40)
        value = rng.choice(("nan", "inf", "-inf")) if rng.random() < 0.08 else repr(rng.uniform(-5, 5))
        rows.append((when, run_id, host, str(rank), str(device), str(step), metric, value))
    return rows


def _insert(client: Any, database: str, rows: list[tuple[str, ...]], token: str) -> None:
    body = "".join("\t".join(row) + "\n" for row in rows).encode()
    client.raw_insert(f"{database}.metric_points", COLUMNS, insert_block=body, fmt="TabSeparated",
                      settings={**DEDUP, "insert_deduplication_token": token})


def _text(client: Any, database: str, query: Query | str) -> str:
    sql, params = (query, {}) if isinstance(query, str) else query
    raw = client.raw_query(sql, parameters=params, fmt="TabSeparated", settings={"database": database})
    # sorted: a GROUP BY without ORDER BY (summaries) may come out in any order
    return "".join(sorted(bytes(raw).decode().splitlines(keepends=True)))


def _schema_up_to(tmp_path: Path, last: str) -> Path:
    """A copy of sql/ holding the migrations up to `last` only (the schema before 011)."""
    directory = tmp_path / f"sql-{last}"
    directory.mkdir()
    for migration in load_migrations():
        if migration.name <= last:
            shutil.copy(default_sql_dir() / f"{migration.name}.sql", directory)
    return directory


@pytest.fixture
def designs(clickhouse_server: EmbeddedClickHouse, tmp_path: Path) -> Iterator[tuple[Any, dict[str, str]]]:
    """(client, {"old": db with 004's view, "new": db with 011's, "migrated": old until 011 is applied})."""
    client = clickhouse_server.client()
    names = {key: f"test_{key}_{uuid.uuid4().hex[:8]}" for key in ("old", "new", "migrated")}
    before = _schema_up_to(tmp_path, "010_saved_queries")
    apply_schema(client, names["old"], sql_dir=before)
    apply_schema(client, names["migrated"], sql_dir=before)
    apply_schema(client, names["new"])
    try:
        yield client, names
    finally:
        for name in names.values():
            client.command(f"DROP DATABASE IF EXISTS {name} SYNC")
        client.close()


def _readers(client: Any, database: str) -> dict[str, str]:
    """What every dashboard query over metric_rollup_1m answers, as text (NaN-safe)."""
    answers = {"rollup rows": _text(client, database, ROLLUP_ROWS)}
    for run_id, _, _, _, metric in SERIES:
        for window in (metric_queries.Window(), metric_queries.Window(from_step=10, to_step=30),
                       metric_queries.Window(from_time=1796292060000, to_time=1796292150000)):
            answers[f"metric_rollup {run_id} {metric} {window}"] = _text(
                client, database, metric_queries.metric_rollup(run_id, metric, window))
    metrics = sorted({series[4] for series in SERIES})
    answers["summaries"] = _text(client, database, compare_queries.summaries(metrics, ["last", "min", "max"]))
    answers["summaries r2"] = _text(client, database, compare_queries.summaries(metrics, ["last"], ["r2"]))
    answers["metric names"] = _text(client, database, compare_queries.metric_names())
    return answers


def test_new_view_writes_the_rows_and_answers_of_the_old_one_on_the_same_inserts(
    designs: tuple[Any, dict[str, str]], tmp_path: Path
) -> None:
    client, names = designs
    rng = random.Random(14)
    batches = [_rows(rng, size) for size in (1, 700, 2500, 40, 1200)]
    for i, batch in enumerate(batches):
        if i == 3:  # the migrated database switches views between two inserts
            assert apply_schema(client, names["migrated"]) == ["011_rollup_last_value"]
        for name in names.values():
            _insert(client, name, batch, token=f"batch-{i}")
    answers = {key: _readers(client, name) for key, name in names.items()}
    assert answers["new"]["rollup rows"].count("\n") > 100  # many series × minutes, not a trivial table
    assert "inf" in answers["new"]["rollup rows"]
    nans = client.query("SELECT sum(nan_count) FROM metric_rollup_1m", settings={"database": names["new"]})
    assert nans.result_rows[0][0] > 0
    assert answers["new"] == answers["old"]
    # Row for row only the unmigrated ones match (parts differ in the migrated one); its answers do.
    migrated = {k: v for k, v in answers["migrated"].items() if k != "rollup rows"}
    assert migrated == {k: v for k, v in answers["old"].items() if k != "rollup rows"}
    for name in names.values():
        client.command(f"OPTIMIZE TABLE {name}.metric_rollup_1m FINAL")
    merged = {key: _text(client, name, ROLLUP_ROWS) for key, name in names.items()}
    assert merged["new"] == merged["old"] == merged["migrated"]


def test_last_value_is_the_point_with_the_largest_time_then_step_before_1970_too(
    designs: tuple[Any, dict[str, str]]
) -> None:
    client, names = designs
    rows = [  # one series, one minute each: the last by (time, step) is never the last row
        ("2026-12-03 10:00:05.000", "r1", "a", "0", "65535", "9", "m", "1"),
        ("2026-12-03 10:00:07.000", "r1", "a", "0", "65535", "3", "m", "2"),
        ("2026-12-03 10:00:07.000", "r1", "a", "0", "65535", "4", "m", "3"),
        ("2026-12-03 10:00:07.000", "r1", "a", "0", "65535", "4", "m", "4"),  # a tie: the first stays
        ("2026-12-03 10:00:06.999", "r1", "a", "0", "65535", "99", "m", "5"),
        ("1969-12-31 23:59:59.999", "r2", "a", "0", "65535", "1", "m", "6"),
        ("1969-12-31 23:59:58.000", "r2", "a", "0", "65535", "7", "m", "7"),
        ("1970-01-01 00:00:00.500", "r2", "a", "0", "65535", "0", "m", "8"),  # same (clamped) minute
    ]
    for name in names.values():
        _insert(client, name, rows, token="t")
    sql = "SELECT run_id, argMaxMerge(last_value) FROM metric_rollup_1m GROUP BY run_id ORDER BY run_id"
    for name in names.values():
        assert client.query(sql, settings={"database": name}).result_rows == [("r1", 3.0), ("r2", 8.0)]


def test_retried_insert_with_its_token_counts_once_in_the_rollup_and_run_stats(
    designs: tuple[Any, dict[str, str]]
) -> None:
    client, names = designs
    database = names["new"]
    batch = _rows(random.Random(3), 500)
    _insert(client, database, batch, token="batch-a")
    _insert(client, database, batch, token="batch-a")  # the agent's retry after a lost answer
    _insert(client, database, batch[:10], token="batch-b")
    rollup = client.query("SELECT sum(count) FROM metric_rollup_1m", settings={"database": database}).result_rows
    stats = client.query("SELECT sum(point_count) FROM run_stats", settings={"database": database}).result_rows
    stored = client.query("SELECT count() FROM metric_points", settings={"database": database}).result_rows
    assert rollup == stats == stored == [(510,)]
