from __future__ import annotations

import re

import pytest

from backend import queries as q

EVIL = "x' OR 1=1 --\"; DROP TABLE runs"


def all_queries() -> list[q.Query]:
    window = q.Window(from_step=1, to_step=2, from_time=3, to_time=4)
    return [
        q.points_since(123, 10),
        q.runs_stored_since(5),
        q.backfill([EVIL, "b"], 99, 500, 500),
        q.stored_between([EVIL], 1, 2),
        q.runs_page(q.RunsFilter(project=EVIL, status="stale", run_ids=[EVIL]), 10, 5, 300_000),
        q.runs_horizon(200, 7 * 86_400_000, 300_000),
        q.run_exists(EVIL),
        q.metric_extent(EVIL, EVIL, window),
        q.metric_raw(EVIL, EVIL, window, 100),
        q.metric_buckets(EVIL, EVIL, window, 0, 10),
        q.metric_rollup(EVIL, EVIL, window),
        q.metric_unit(EVIL, EVIL),
        q.checkpoints(EVIL),
    ]


@pytest.mark.parametrize("query", all_queries(), ids=lambda query: query.sql.split()[1][:20])
def test_user_values_are_parameters_never_sql_text(query: q.Query) -> None:
    assert "OR 1=1" not in query.sql and "DROP" not in query.sql
    placeholders = set(re.findall(r"\{(\w+):[^}]+\}", query.sql))
    assert placeholders == set(query.params), (placeholders, set(query.params))


@pytest.mark.parametrize(
    ("window", "fragments", "absent"),
    [
        (q.Window(), [], ["from_step", "to_step", "from_time", "to_time"]),
        (q.Window(from_step=5), ["step >= {from_step:UInt64}"], ["to_step"]),
        (q.Window(to_time=9), ["event_time <= fromUnixTimestamp64Milli({to_time:Int64})"],
         ["from_time"]),
    ],
)
def test_metric_window_adds_only_the_bounds_given(
        window: q.Window, fragments: list[str], absent: list[str]) -> None:
    query = q.metric_raw("r", "m", window, 10)
    for fragment in fragments:
        assert fragment in query.sql
    for name in absent:
        assert name not in query.params


def test_runs_page_without_filters_has_no_where() -> None:
    query = q.runs_page(q.RunsFilter(), 10, 0, 1000)
    assert query.params == {"limit": 10, "offset": 0, "active_ms": 1000}


def test_points_since_reads_by_ingested_at_in_series_order() -> None:
    query = q.points_since(1000, 50)
    assert "ingested_at > fromUnixTimestamp64Milli({since:Int64})" in query.sql
    assert "ORDER BY run_id, metric, host, rank, device, step, event_time" in query.sql
    assert query.params == {"since": 1000, "limit": 50}
