"""runwatch.server.console.guard / params / passthrough / snippets: the pure parts of POST /sql."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from runwatch.server.console import guard, snippets
from runwatch.server.console.params import BadParams, url_params
from runwatch.server.console.passthrough import Tally, passthrough, trailer


@pytest.mark.parametrize(("text", "statement"), [
    ("SELECT 1", "SELECT 1"),
    ("SELECT 1;", "SELECT 1"),
    ("  SELECT 1 ;; \n", "SELECT 1"),
    ("SELECT 1; -- done", "SELECT 1"),
    ("SELECT 1; /* done */ ;", "SELECT 1"),
    ("SELECT ';' AS s", "SELECT ';' AS s"),
    ("SELECT `a;b` FROM t", "SELECT `a;b` FROM t"),
    ("SELECT 'it''s; ok'", "SELECT 'it''s; ok'"),
    ("SELECT 'a\\';b'", "SELECT 'a\\';b'"),
    ("SELECT 1 -- ; DROP TABLE x\n", "SELECT 1 -- ; DROP TABLE x"),
    ("SELECT /* ; /* nested ; */ ; */ 1", "SELECT /* ; /* nested ; */ ; */ 1"),
])
def test_single_statement_keeps_one_statement_and_drops_trailing_semicolons(text: str, statement: str) -> None:
    assert guard.single_statement(text) == statement


@pytest.mark.parametrize("text", [
    "SELECT 1; SELECT 2",
    "SELECT 1;SELECT 2;",
    "SELECT 1; 'x'",
    "SELECT 1; -- c\nDROP TABLE t",
    "SELECT 1 /* c */; INSERT INTO t VALUES (1)",
])
def test_several_statements_are_refused_as_clickhouse_refuses_them(text: str) -> None:
    with pytest.raises(guard.Refused, match="Multi-statements are not allowed") as info:
        guard.single_statement(text)
    assert info.value.code == 62


@pytest.mark.parametrize("text", ["", "  ;", "-- nothing\n", "/* x */"])
def test_an_empty_query_is_refused(text: str) -> None:
    with pytest.raises(guard.Refused, match="Empty query"):
        guard.single_statement(text)


@pytest.mark.parametrize("text", ["KILL QUERY WHERE 1", "  kill mutation where 1", "/* x */ KILL QUERY ALL"])
def test_kill_is_refused_with_the_readonly_code(text: str) -> None:
    with pytest.raises(guard.Refused, match="READONLY") as info:
        guard.single_statement(text)
    assert info.value.code == 164


@pytest.mark.parametrize("text", ["SELECT 'unterminated", "SELECT /* open"])
def test_unterminated_strings_and_comments_are_syntax_errors(text: str) -> None:
    with pytest.raises(guard.Refused, match="SYNTAX_ERROR"):
        guard.single_statement(text)


@pytest.mark.parametrize(("params", "expected"), [
    ({"run_id": "r1"}, [("param_run_id", "r1")]),
    ({"run_ids": ["a", "b'c"]}, [("param_run_ids", "['a', 'b\\'c']")]),
    ({"n": 3, "f": 0.5, "b": True}, [("param_n", "3"), ("param_f", "0.5"), ("param_b", "1")]),
    ({"x": None}, [("param_x", "\\N")]),
])
def test_url_params_are_clickhouse_text_literals(params: dict, expected: list) -> None:  # type: ignore[type-arg]
    assert url_params(params) == expected


@pytest.mark.parametrize("name", ["1x", "a-b", "a b", "", "x" * 65])
def test_url_params_refuse_names_that_are_not_identifiers(name: str) -> None:
    with pytest.raises(BadParams):
        url_params({name: 1})


async def _chunks(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _run(parts: list[bytes], max_rows: int) -> tuple[bytes, Tally]:
    tally = Tally()

    async def collect() -> bytes:
        return b"".join([c async for c in passthrough(_chunks(parts), max_rows, tally)])

    return asyncio.run(collect()), tally


HEAD = b'["n"]\n["UInt64"]\n'


@pytest.mark.parametrize(("parts", "max_rows", "body", "rows", "truncated"), [
    ([HEAD, b"[1]\n[2]\n"], 5, HEAD + b"[1]\n[2]\n", 2, False),
    ([HEAD + b"[1]\n[2]\n[3]\n"], 2, HEAD + b"[1]\n[2]\n", 2, True),
    ([HEAD + b"[1]\n[2]\n"], 2, HEAD + b"[1]\n[2]\n", 2, False),
    ([HEAD + b"[1]\n[2]\n", b"[3]\n"], 2, HEAD + b"[1]\n[2]\n", 2, True),
    ([HEAD[:5], HEAD[5:] + b"[1", b"]\n"], 9, HEAD + b"[1]\n", 1, False),
    ([HEAD], 3, HEAD, 0, False),
])
def test_passthrough_forwards_bytes_and_cuts_after_max_rows(
        parts: list[bytes], max_rows: int, body: bytes, rows: int, truncated: bool) -> None:
    out, tally = _run(parts, max_rows)
    assert (out, tally.rows, tally.truncated, tally.error) == (body, rows, truncated, None)


def test_passthrough_turns_an_exception_after_the_rows_into_an_error_trailer() -> None:
    out, tally = _run([HEAD + b"[1]\n", b"Code: 159. DB::Exception: Timeout exceeded. (TIMEOUT_EXCEEDED)\n"], 10)
    assert out == HEAD + b"[1]\n"
    assert tally.error == {"error": "Code: 159. DB::Exception: Timeout exceeded. (TIMEOUT_EXCEEDED)", "code": 159}
    assert json.loads(trailer(tally, 1.0)) == tally.error


def test_a_row_that_mentions_an_exception_is_still_a_row() -> None:
    row = b'["Code: 60. DB::Exception: Unknown table"]\n'
    out, tally = _run([HEAD + row], 10)
    assert (out, tally.rows, tally.error) == (HEAD + row, 1, None)


def test_trailer_carries_the_summary_and_the_count() -> None:
    tally = Tally(rows=2, truncated=True, body_bytes=40, summary={"read_rows": 7})
    assert json.loads(trailer(tally, 12.34)) == {"summary": {
        "read_rows": 7, "result_rows": 2, "result_bytes": 40, "elapsed_ms": 12.3, "truncated": True}}


def test_snippets_are_the_sql_blocks_of_the_readme_titled_by_the_paragraph_above() -> None:
    text = "# T\n\nLatest value of\nevery metric:\n\n```sql\nSELECT 1\n```\n\n```bash\nls\n```\n"
    assert snippets.parse(text) == [{"title": "Latest value of every metric", "query": "SELECT 1"}]


def test_the_shipped_readme_gives_snippets_and_table_notes() -> None:
    found = snippets.load()
    assert len(found) >= 5 and all(s["query"].startswith(("SELECT", "WITH")) for s in found)
    notes = snippets.load_table_notes()
    assert notes["metric_points"].startswith("one value of one metric")
