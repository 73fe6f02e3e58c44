"""The schema in sql/: applied once, idempotently, and doing what its comments promise."""

from __future__ import annotations

import math
import shutil
import uuid
from pathlib import Path

import pytest

from runwatch.server.migrate import SchemaError, apply_schema, default_sql_dir, load_migrations
from tests.support.clickhouse import EmbeddedClickHouse

SCHEMA_TABLES = {
    "metric_points", "runs", "alerts", "run_stats", "run_stats_mv",
    "metric_rollup_1m", "metric_rollup_1m_mv", "schema_migrations", "saved_queries",
    "histograms", "run_logs", "media",
}


def _fresh_name() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


def test_apply_schema_on_a_fresh_server_creates_every_table(clickhouse_server: EmbeddedClickHouse) -> None:
    name = _fresh_name()
    client = clickhouse_server.client()
    applied = apply_schema(client, name)
    tables = {row[0] for row in client.query(
        "SELECT name FROM system.tables WHERE database = {db:String}", parameters={"db": name}
    ).result_rows}
    assert applied == [m.name for m in load_migrations()]
    assert tables == SCHEMA_TABLES


def test_apply_schema_twice_applies_nothing_the_second_time(clickhouse_server: EmbeddedClickHouse) -> None:
    name = _fresh_name()
    client = clickhouse_server.client()
    apply_schema(client, name)
    assert apply_schema(client, name) == []
    recorded = client.query(f"SELECT count() FROM {name}.schema_migrations FINAL").result_rows[0][0]
    assert recorded == len(load_migrations())


def test_a_file_changed_after_it_was_applied_is_refused_not_rerun(
    clickhouse_server: EmbeddedClickHouse, tmp_path: Path
) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(default_sql_dir(), sql_dir)
    name = _fresh_name()
    client = clickhouse_server.client()
    apply_schema(client, name, sql_dir=sql_dir)
    runs_file = sql_dir / "002_runs.sql"
    runs_file.write_text(runs_file.read_text().replace("ORDER BY run_id", "ORDER BY (run_id)"))
    with pytest.raises(SchemaError, match="002_runs.sql changed"):
        apply_schema(client, name, sql_dir=sql_dir)


def test_a_new_numbered_file_is_applied_on_the_next_run(
    clickhouse_server: EmbeddedClickHouse, tmp_path: Path
) -> None:
    sql_dir = tmp_path / "sql"
    shutil.copytree(default_sql_dir(), sql_dir)
    name = _fresh_name()
    client = clickhouse_server.client()
    apply_schema(client, name, sql_dir=sql_dir)
    (sql_dir / "900_notes.sql").write_text(
        "-- a later migration\nCREATE TABLE IF NOT EXISTS notes (run_id String) ENGINE = MergeTree ORDER BY run_id;\n"
    )
    assert apply_schema(client, name, sql_dir=sql_dir) == ["900_notes"]


@pytest.mark.parametrize("bad_name", ["", "1abc", "db-name", "x; DROP TABLE runs", "a.b"])
def test_database_names_that_are_not_identifiers_are_rejected(
    clickhouse_server: EmbeddedClickHouse, bad_name: str
) -> None:
    with pytest.raises(SchemaError, match="database name"):
        apply_schema(clickhouse_server.client(), bad_name)


def _insert_points(client, database: str, rows: list[tuple], token: str | None = None) -> None:  # type: ignore[no-untyped-def]
    settings = {"insert_deduplication_token": token} if token else None
    client.insert(
        "metric_points", rows,
        column_names=["run_id", "metric", "step", "value", "host"],
        database=database, settings=settings,
    )


def test_a_batch_retried_with_its_token_is_stored_once(clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    client = clickhouse_server.client()
    batch = [("r1", "train/loss", step, 1.0 / (step + 1), "h") for step in range(100)]
    _insert_points(client, database, batch, token="batch-0001")
    _insert_points(client, database, batch, token="batch-0001")
    _insert_points(client, database, batch, token="batch-0002")
    count = client.query(f"SELECT count() FROM {database}.metric_points").result_rows[0][0]
    assert count == 200


def test_run_stats_view_aggregates_points_per_run(clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    client = clickhouse_server.client()
    _insert_points(client, database, [("r1", "loss", s, 1.0, "a") for s in range(10)])
    _insert_points(client, database, [("r1", "loss", s, 1.0, "b") for s in range(10, 15)])
    _insert_points(client, database, [("r2", "loss", 3, 1.0, "a")])
    rows = client.query(
        f"SELECT run_id, max(max_step), sum(point_count), arraySort(groupUniqArrayArray(hosts)) "
        f"FROM {database}.run_stats GROUP BY run_id ORDER BY run_id"
    ).result_rows
    assert rows == [("r1", 14, 15, ["a", "b"]), ("r2", 3, 1, ["a"])]


def test_minute_rollup_keeps_the_spike_and_counts_the_nan(clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    client = clickhouse_server.client()
    values = [0.5] * 50
    values[17] = 1e6
    values[30] = math.nan
    _insert_points(client, database, [("r1", "loss", s, v, "h") for s, v in enumerate(values)])
    lo, hi, nans, count, last = client.query(
        f"SELECT min(min_value), max(max_value), sum(nan_count), sum(count), argMaxMerge(last_value) "
        f"FROM {database}.metric_rollup_1m WHERE run_id = 'r1'"
    ).result_rows[0]
    assert (lo, hi, nans, count, last) == (0.5, 1e6, 1, 50, 0.5)


def test_cluster_schema_statements_are_valid_clickhouse_sql(clickhouse_server: EmbeddedClickHouse) -> None:
    # No Keeper here to create replicated tables, but the engine's own parser checks every
    # statement, and the cluster edition must define the same tables as the single-node one.
    client = clickhouse_server.client()
    cluster = load_migrations(default_sql_dir() / "cluster")
    assert [m.version for m in cluster] == [m.version for m in load_migrations()]
    for migration in cluster:
        for statement in migration.statements():
            formatted = client.query("SELECT formatQuery({q:String})", parameters={"q": statement}).result_rows[0][0]
            assert "ON CLUSTER" in formatted


def _normalised(sql: str) -> str:
    return " ".join(sql.split())


def _definitions(statements: list[str]) -> dict[str, str]:
    """Table/view name → its column list or SELECT, with `_local` and ON CLUSTER taken out."""
    found = {}
    for statement in statements:
        text = _normalised(statement).replace("_local", "").replace(" ON CLUSTER '{cluster}'", "")
        if text.startswith("ALTER TABLE "):  # keyed by what it changes, on either edition
            found[text] = text
            continue
        name = text.split(" IF NOT EXISTS ")[1].split(" ")[0]
        if " AS SELECT " in text:
            found[name] = text.split(" AS SELECT ", 1)[1]
        elif " ENGINE = Distributed" not in text:
            found[name] = text.split("(", 1)[1].rsplit(") ENGINE", 1)[0]
    return found


def test_cluster_schema_defines_the_same_columns_and_views_as_the_single_node_schema() -> None:
    single = load_migrations()
    cluster = load_migrations(default_sql_dir() / "cluster")
    for one, many in zip(single, cluster, strict=True):
        assert _definitions(many.statements()) == _definitions(one.statements()), one.name
