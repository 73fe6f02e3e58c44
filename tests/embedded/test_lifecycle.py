"""The server process: restarts, SIGTERM, concurrency under a long query, authentication."""

from __future__ import annotations

import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError

from tests.support.clickhouse import REPO_ROOT, EmbeddedClickHouse

TABLE_DDL = (
    "CREATE TABLE IF NOT EXISTS {table} (run_id String, step UInt64, value Float64) "
    "ENGINE = MergeTree ORDER BY (run_id, step)"
)


def test_restart_when_rows_inserted_then_all_rows_survive(
    isolated_clickhouse_server: EmbeddedClickHouse,
) -> None:
    server = isolated_clickhouse_server
    client = server.client()
    client.command("CREATE DATABASE keep")
    client.command(TABLE_DDL.format(table="keep.points"))
    for batch in range(5):
        steps = list(range(batch * 1000, (batch + 1) * 1000))
        client.insert("keep.points", [["r"] * 1000, steps, [float(s) for s in steps]],
                      column_names=["run_id", "step", "value"], column_oriented=True)
    before = client.query("SELECT count(), sum(step) FROM keep.points").result_rows

    assert server.stop() == 0  # SIGTERM: graceful, exit code 0
    assert "stopped cleanly" in server.log_tail()
    server.start()

    after = server.client().query("SELECT count(), sum(step) FROM keep.points").result_rows
    assert after == before == [(5000, sum(range(5000)))]


def test_start_when_data_dir_in_use_then_exits_with_one_clear_line(
    isolated_clickhouse_server: EmbeddedClickHouse, tmp_path: Path
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runwatch.server.embedded", "--data-dir", str(isolated_clickhouse_server.data_dir),
         "--port", "0"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert "cannot open the data directory" in result.stderr
    assert "Traceback" not in result.stderr


def test_long_query_when_inserts_run_concurrently_then_inserts_are_not_delayed(
    clickhouse_server: EmbeddedClickHouse, scratch: str
) -> None:
    table = f"{scratch}.points"
    clickhouse_server.client().command(TABLE_DDL.format(table=table))
    inserter = clickhouse_server.client()
    columns = ["run_id", "step", "value"]

    def insert_once(step: int) -> float:
        data = [["r"] * 100, list(range(step, step + 100)), [0.5] * 100]
        start = time.perf_counter()
        inserter.insert(table, data, column_names=columns, column_oriented=True)
        return time.perf_counter() - start

    baseline = [insert_once(1_000_000 + 100 * i) for i in range(20)]

    marker = f"long_{uuid.uuid4().hex}"  # chDB assigns its own query ids: find it by its text
    long_client = clickhouse_server.client(send_receive_timeout=120)
    long_elapsed: list[float] = []

    def long_query() -> None:
        start = time.perf_counter()
        # ~10 s of engine time without burning the (shared) CPU: 10 blocks of one row
        long_client.query(
            f"SELECT sum(sleepEachRow(1)) AS {marker} FROM numbers(10) SETTINGS max_block_size = 1"
        )
        long_elapsed.append(time.perf_counter() - start)

    thread = threading.Thread(target=long_query)
    thread.start()
    watcher = clickhouse_server.client()
    deadline = time.monotonic() + 10
    while not watcher.command(
        "SELECT count() FROM system.processes WHERE position(query, {m:String}) > 0 "
        "AND position(query, 'system.processes') = 0",
        parameters={"m": marker},
    ):
        assert time.monotonic() < deadline, "the long query never showed up in system.processes"
        time.sleep(0.02)

    during: list[float] = []
    step = 0
    while thread.is_alive():
        during.append(insert_once(step))
        step += 100
        time.sleep(0.05)
    thread.join()

    print(
        f"\nlong query {long_elapsed[0]:.2f} s; insert latency (100 rows, clickhouse_connect) "
        f"baseline median {statistics.median(baseline) * 1000:.1f} ms; during the long query: "
        f"n={len(during)} median {statistics.median(during) * 1000:.1f} ms, "
        f"p95 {sorted(during)[int(len(during) * 0.95) - 1] * 1000:.1f} ms, "
        f"max {max(during) * 1000:.1f} ms"
    )
    assert long_elapsed[0] >= 9.5
    assert len(during) >= 20
    assert max(during) < 1.0
    assert statistics.median(during) < 0.3
    assert inserter.command(f"SELECT count() FROM {table}") == (20 + len(during)) * 100


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedClickHouse]:
    server = EmbeddedClickHouse(
        tmp_path_factory.mktemp("secured") / "data", user="alice", password="s3cret:pw"
    )
    with server:
        yield server


@pytest.mark.parametrize(
    ("auth", "headers", "params", "status"),
    [
        (None, {}, {}, 401),
        (("alice", "wrong"), {}, {}, 403),
        (("bob", "s3cret:pw"), {}, {}, 403),
        (("alice", "s3cret:pw"), {}, {}, 200),
        (None, {"X-ClickHouse-User": "alice", "X-ClickHouse-Key": "s3cret:pw"}, {}, 200),
        (None, {"X-ClickHouse-User": "alice", "X-ClickHouse-Key": "nope"}, {}, 403),
        (None, {}, {"user": "alice", "password": "s3cret:pw"}, 200),
    ],
)
def test_auth_when_user_configured_then_every_query_must_authenticate(
    secured_server: EmbeddedClickHouse,
    auth: tuple[str, str] | None,
    headers: dict[str, str],
    params: dict[str, str],
    status: int,
) -> None:
    response = httpx.get(
        secured_server.url, params={"query": "SELECT 1", **params}, headers=headers, auth=auth
    )
    assert response.status_code == status
    if status != 200:
        assert response.headers["x-clickhouse-exception-code"] == "516"
        assert response.text != "1\n"
    else:
        assert response.text == "1\n"


def test_auth_when_user_configured_then_ping_stays_open_and_client_with_password_works(
    secured_server: EmbeddedClickHouse,
) -> None:
    assert httpx.get(f"{secured_server.url}/ping").text == "Ok.\n"
    assert secured_server.client().command("SELECT 1") == 1
    with pytest.raises(DatabaseError) as info:
        secured_server.client(password="wrong")
    assert info.value.code == 516
