from __future__ import annotations

import re

import pytest

from runwatch.server.query import metric_queries as mq
from runwatch.server.query import queries as q

EVIL = "x' OR 1=1 --\"; DROP TABLE runs"


def all_queries() -> list[q.Query]:
    window = mq.Window(from_step=1, to_step=2, from_time=3, to_time=4)
    return [
        q.stored_counts_since(123),
        q.points_stored_at(123, [124, 125], 10),
        q.runs_stored_since(5),
        q.backfill([EVIL, "b"], 99, 500, 500),
        q.stored_between([EVIL], 1, 2),
        q.runs_page(q.RunsFilter(project=EVIL, status="stale", run_ids=[EVIL]), 10, 5, 300_000),
        q.runs_horizon(200, 7 * 86_400_000, 300_000),
        q.run_exists(EVIL),
        mq.metric_extent(EVIL, EVIL, window),
        mq.metric_raw(EVIL, EVIL, window, 100),
        mq.metric_buckets(EVIL, EVIL, window, 0, 10),
        mq.metric_rollup(EVIL, EVIL, window),
        mq.metric_unit(EVIL, EVIL),
        mq.checkpoints(EVIL),
    ]


@pytest.mark.parametrize("query", all_queries(), ids=lambda query: query.sql.split()[1][:20])
def test_user_values_are_parameters_never_sql_text(query: q.Query) -> None:
    assert "OR 1=1" not in query.sql and "DROP" not in query.sql
    placeholders = set(re.findall(r"\{(\w+):[^}]+\}", query.sql))
    assert placeholders == set(query.params), (placeholders, set(query.params))


@pytest.mark.parametrize(
    ("window", "fragments", "absent"),
    [
        (mq.Window(), [], ["from_step", "to_step", "from_time", "to_time"]),
        (mq.Window(from_step=5), ["step >= {from_step:UInt64}"], ["to_step"]),
        (mq.Window(to_time=9), ["event_time <= fromUnixTimestamp64Milli({to_time:Int64})"],
         ["from_time"]),
    ],
)
def test_metric_window_adds_only_the_bounds_given(
        window: mq.Window, fragments: list[str], absent: list[str]) -> None:
    query = mq.metric_raw("r", "m", window, 10)
    for fragment in fragments:
        assert fragment in query.sql
    for name in absent:
        assert name not in query.params


def test_runs_page_without_filters_has_no_where() -> None:
    query = q.runs_page(q.RunsFilter(), 10, 0, 1000)
    assert query.params == {"limit": 10, "offset": 0, "active_ms": 1000, "crash_ms": 45_000}


def test_the_poll_reads_by_ingested_at_instant_in_series_order() -> None:
    counts = q.stored_counts_since(1000)
    assert "ingested_at > fromUnixTimestamp64Milli({since:Int64})" in counts.sql
    assert "GROUP BY ing" in counts.sql
    points = q.points_stored_at(1000, [1001, 1002], 50)
    assert "toUnixTimestamp64Milli(ingested_at) IN {instants:Array(Int64)}" in points.sql
    assert "ORDER BY run_id, metric, host, rank, device, step, event_time" in points.sql
    assert points.params == {"since": 1000, "instants": [1001, 1002], "limit": 50}
