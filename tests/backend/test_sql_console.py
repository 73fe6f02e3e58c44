"""POST /sql, /sql/schema, /sql/snippets and /saved-queries against the real embedded ClickHouse."""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from runwatch.server.migrate import apply_schema
from tests.backend.helpers import LiveServer, insert_points, insert_run, settings_for
from tests.support.clickhouse import EmbeddedClickHouse
from tests.support.waiting import wait_for

MAX_ROWS = 1000


@pytest.fixture(scope="module")
def database(clickhouse_server: EmbeddedClickHouse) -> str:
    name = f"test_sql_{uuid.uuid4().hex[:8]}"
    apply_schema(clickhouse_server.client(), name)
    db = clickhouse_server.client(database=name)
    insert_run(db, "alpha", project="vision", name="resnet", status="finished")
    insert_run(db, "beta", project="vision", name="vit", status="running")
    insert_points(db, [dict(run_id=run, metric="train/loss", step=i, value=1.0 / (i + 1))
                       for run in ("alpha", "beta") for i in range(50)])
    return name


@pytest.fixture(scope="module")
def live(clickhouse_server: EmbeddedClickHouse, database: str) -> Iterator[LiveServer]:
    settings = settings_for(clickhouse_server, database, sql_max_execution_sec=1.0,
                            sql_max_result_rows=MAX_ROWS)
    with LiveServer(settings) as server:
        yield server


def post_sql(live: LiveServer, query: str, **params: Any) -> httpx.Response:
    return httpx.post(live.url + "/sql", json={"query": query, "params": params}, timeout=30)


def lines(response: httpx.Response) -> list[Any]:
    return [json.loads(line) for line in response.text.splitlines()]


def point_count(clickhouse_server: EmbeddedClickHouse, database: str) -> int:
    return int(clickhouse_server.client(database=database).query(
        "SELECT count() FROM metric_points").result_rows[0][0])


def test_a_select_streams_names_types_rows_and_a_summary(live: LiveServer) -> None:
    response = post_sql(live, "SELECT run_id, max(step) AS last FROM metric_points GROUP BY run_id ORDER BY run_id")
    assert response.status_code == 200, response.text
    names, types, *rows, trailer = lines(response)
    assert (names, types, rows) == (["run_id", "last"], ["LowCardinality(String)", "UInt64"], [["alpha", 49], ["beta", 49]])
    summary = trailer["summary"]
    assert summary["read_rows"] >= 2 and summary["result_rows"] == 2 and not summary["truncated"]
    assert summary["read_bytes"] > 0 and summary["elapsed_ms"] > 0
    assert json.loads(response.headers["X-ClickHouse-Summary"])["read_rows"] == str(summary["read_rows"])
    uuid.UUID(response.headers["X-Runwatch-Query-Id"])


def test_parameters_are_bound_by_clickhouse_not_spliced(live: LiveServer) -> None:
    tricky = "x' OR 1=1 --\t\\"
    response = post_sql(live, "SELECT {s:String} AS s, count() AS n FROM metric_points WHERE run_id IN {run_ids:Array(String)}",
                        s=tricky, run_ids=["alpha", tricky])
    assert response.status_code == 200, response.text
    assert lines(response)[2] == [tricky, 50]


@pytest.mark.parametrize(("query", "message"), [
    ("INSERT INTO metric_points (run_id, metric, step, value) VALUES ('evil', 'm', 1, 1)", "readonly"),
    ("DROP TABLE metric_points", "readonly"),
    ("ALTER TABLE metric_points DELETE WHERE 1", "readonly"),
    ("CREATE TABLE evil (x Int8) ENGINE = Memory", "readonly"),
    ("SYSTEM DROP MARK CACHE", "readonly"),
    ("KILL QUERY WHERE 1", "READONLY"),
    ("SET readonly = 0", "Cannot modify 'readonly' setting in readonly mode"),
    ("SELECT sleep(2) SETTINGS max_execution_time = 0", "Cannot modify 'max_execution_time'"),
    ("SELECT 1 SETTINGS max_result_rows = 0", "Cannot modify 'max_result_rows'"),
    ("SELECT 1; DROP TABLE metric_points", "Multi-statements are not allowed"),
    ("SELECT 1; INSERT INTO runs (run_id) VALUES ('evil')", "Multi-statements are not allowed"),
])
def test_writes_ddl_system_kill_and_lifting_limits_are_refused_with_clickhouses_message(
        live: LiveServer, clickhouse_server: EmbeddedClickHouse, database: str, query: str, message: str) -> None:
    before = point_count(clickhouse_server, database)
    response = post_sql(live, query)
    assert 400 <= response.status_code < 500, response.text
    body = response.json()
    assert message.lower() in body["error"].lower() and body["error"].startswith("Code: ")
    assert body["code"] in (62, 164)
    assert point_count(clickhouse_server, database) == before
    tables = clickhouse_server.client(database=database).query("SHOW TABLES").result_rows
    assert ("metric_points",) in tables and ("evil",) not in tables


def test_a_format_clause_of_another_format_is_refused(live: LiveServer) -> None:
    response = post_sql(live, "SELECT 1 FORMAT CSV")
    assert response.status_code == 400 and "FORMAT CSV" in response.json()["error"]


def test_a_syntax_error_is_a_400_with_the_code(live: LiveServer) -> None:
    response = post_sql(live, "SELEC 1")
    assert response.status_code == 400
    assert response.json()["code"] == 62 and "Syntax error" in response.json()["error"]


def test_a_long_query_stops_at_the_configured_limit(live: LiveServer) -> None:
    began = time.monotonic()
    response = post_sql(live, "SELECT sleep(3)")
    assert response.status_code == 408
    assert response.json()["code"] == 159 and "Timeout exceeded" in response.json()["error"]
    assert time.monotonic() - began < 2.8


def test_a_10m_row_result_is_capped_and_flagged(live: LiveServer) -> None:
    response = post_sql(live, "SELECT number FROM numbers(10000000)")
    assert response.status_code == 200
    _, _, *rows, trailer = lines(response)
    assert len(rows) == MAX_ROWS and rows[-1] == [MAX_ROWS - 1]
    assert trailer["summary"]["truncated"] is True and trailer["summary"]["result_rows"] == MAX_ROWS


def test_a_result_of_exactly_the_cap_is_not_flagged(live: LiveServer) -> None:
    _, _, *rows, trailer = lines(post_sql(live, f"SELECT number FROM numbers({MAX_ROWS})"))
    assert len(rows) == MAX_ROWS and trailer["summary"]["truncated"] is False


def _running(clickhouse_server: EmbeddedClickHouse, marker: str) -> int:
    return int(clickhouse_server.client().query(
        "SELECT count() FROM system.processes WHERE query LIKE {m:String} AND query NOT LIKE '%system.processes%'",
        parameters={"m": f"%{marker}%"}).result_rows[0][0])


def test_closing_the_request_stops_the_query_on_the_server(
        clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    marker = f"cancel_{uuid.uuid4().hex[:8]}"
    settings = settings_for(clickhouse_server, database, sql_max_execution_sec=60.0)
    body = json.dumps({"query": f"SELECT sum(sipHash64(number)) AS {marker} FROM numbers(100000000000)"}).encode()
    with LiveServer(settings) as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /sql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        wait_for(lambda: _running(clickhouse_server, marker) == 1, 10, "the query to start")
        sock.close()  # what the page's AbortController does
        began = time.monotonic()
        wait_for(lambda: _running(clickhouse_server, marker) == 0, 10, "the query to leave system.processes")
        assert time.monotonic() - began < 5  # far less than the 60 s the query may take


def test_the_schema_lists_tables_with_comments_and_columns(live: LiveServer) -> None:
    tables = {t["name"]: t for t in live.get("/sql/schema").json()["tables"]}
    assert {"metric_points", "runs", "saved_queries"} <= set(tables)
    assert tables["metric_points"]["comment"].startswith("one value of one metric")
    assert tables["saved_queries"]["comment"].startswith("one version of a console query")
    assert {"name": "run_id", "type": "LowCardinality(String)", "comment": ""} in tables["metric_points"]["columns"]


def test_snippets_are_the_readme_examples(live: LiveServer) -> None:
    found = live.get("/sql/snippets").json()["snippets"]
    assert any(s["title"].startswith("Latest value of every metric") for s in found)


def test_saved_queries_save_list_update_and_delete(live: LiveServer) -> None:
    chart = {"kind": "line", "x": "step", "y": ["value"], "series": "run_id"}
    body = {"name": "loss", "query": "SELECT step, value, run_id FROM metric_points", "chart": chart}
    assert httpx.put(live.url + "/saved-queries/p1", json=body).status_code == 200
    assert httpx.put(live.url + "/saved-queries/p2", json={**body, "name": "other"}).status_code == 200
    assert httpx.put(live.url + "/saved-queries/p1", json={**body, "refresh_sec": 30}).status_code == 200
    listed = {q["id"]: q for q in live.get("/saved-queries").json()["saved_queries"]}
    assert listed["p1"]["chart"] == chart and listed["p1"]["refresh_sec"] == 30 and set(listed) >= {"p1", "p2"}
    assert httpx.delete(live.url + "/saved-queries/p2").status_code == 204
    assert "p2" not in {q["id"] for q in live.get("/saved-queries").json()["saved_queries"]}


@pytest.mark.parametrize("body", [
    {"name": "", "query": "SELECT 1"},
    {"name": "x", "query": "SELECT 1", "chart": {"kind": "pie"}},
    {"name": "x", "query": "SELECT 1", "refresh_sec": 0},
])
def test_a_bad_saved_query_is_a_422(live: LiveServer, body: dict[str, Any]) -> None:
    assert httpx.put(live.url + "/saved-queries/bad", json=body).status_code == 422


def test_bad_requests_are_422_not_500(live: LiveServer) -> None:
    assert httpx.post(live.url + "/sql", json={"query": ""}).status_code == 422
    assert httpx.post(live.url + "/sql", json={"nope": 1}).status_code == 422
    response = httpx.post(live.url + "/sql", json={"query": "SELECT 1", "params": {"a-b": 1}})
    assert response.status_code == 422 and "identifiers" in str(response.json()["detail"])
    assert httpx.put(live.url + "/saved-queries/has%20space", json={"name": "x", "query": "y"}).status_code == 422


def test_the_console_can_be_switched_off(clickhouse_server: EmbeddedClickHouse, database: str) -> None:
    with LiveServer(settings_for(clickhouse_server, database, sql_console=False)) as server:
        assert httpx.post(server.url + "/sql", json={"query": "SELECT 1"}).status_code == 404
        assert server.get("/sql/schema").status_code == 404
        assert server.get("/saved-queries").status_code == 404
