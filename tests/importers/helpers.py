"""Shared by the importer tests: run `runwatch import` in-process and read back what it stored."""

from __future__ import annotations

import math
from typing import Any

import pytest

from runwatch.cli import main
from tests.support.clickhouse import EmbeddedClickHouse

Stats = dict[str, tuple[int, float, int, int]]  # metric -> (count, sum, first step, last step)


def run_import(capsys: pytest.CaptureFixture[str], server: EmbeddedClickHouse, database: str,
               *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["import", *args, "--host", server.host, "--port", str(server.port),
                 "--database", database])
    return code, capsys.readouterr().err


def query(server: EmbeddedClickHouse, database: str, sql: str, **parameters: Any) -> list[Any]:
    client = server.client(database=database)
    try:
        return list(client.query(sql, parameters=parameters).result_rows)
    finally:
        client.close()


def stored_stats(server: EmbeddedClickHouse, database: str, run_id: str) -> Stats:
    rows = query(server, database,
                 "SELECT metric, count(), sum(value), min(step), max(step) FROM metric_points "
                 "WHERE run_id = {run:String} GROUP BY metric", run=run_id)
    return {metric: (int(n), float(s), int(lo), int(hi)) for metric, n, s, lo, hi in rows}


def expected_stats(points: dict[str, list[tuple[int, float]]]) -> Stats:
    return {metric: (len(p), math.fsum(v for _, v in p), min(s for s, _ in p), max(s for s, _ in p))
            for metric, p in points.items()}


def assert_same(stored: Stats, expected: Stats) -> None:
    assert stored.keys() == expected.keys()
    for metric, (count, total, first, last) in expected.items():
        got = stored[metric]
        assert got[0] == count and got[2:] == (first, last), metric
        assert got[1] == pytest.approx(total, rel=1e-9, abs=1e-9), metric


def total_points(server: EmbeddedClickHouse, database: str) -> int:
    return int(query(server, database, "SELECT count() FROM metric_points")[0][0])


def run_rows(server: EmbeddedClickHouse, database: str) -> int:
    return int(query(server, database, "SELECT count() FROM runs")[0][0])
