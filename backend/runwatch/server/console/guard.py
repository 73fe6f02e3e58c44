"""What the console lets through to ClickHouse, decided before anything is sent (pure).

ClickHouse itself enforces read-only mode (`readonly=1` on every console query: no writes,
no DDL, no SYSTEM, no SET and no SETTINGS clause that changes a limit). Two things slip past
readonly on some servers, so they are refused here with ClickHouse's own wording and codes:

- several statements in one request (clickhouse-server refuses them on HTTP, the embedded
  engine would run them all);
- `KILL QUERY` / `KILL MUTATION`, which readonly users may run, and which would let a console
  user stop the dashboard's own queries.
"""

from __future__ import annotations

import re

_KEYWORD = re.compile(r"[A-Za-z_]+")


class Refused(Exception):
    """A statement the console will not send. `code` is the ClickHouse error code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _skip_quoted(text: str, i: int) -> int:
    """Index just after the quoted token starting at text[i] (', " or `)."""
    quote = text[i]
    i += 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < len(text) and text[i + 1] == quote:  # '' inside '...'
                i += 2
                continue
            return i + 1
        i += 1
    raise Refused("Code: 62. DB::Exception: Syntax error: unterminated quoted string. (SYNTAX_ERROR)", 62)


def _skip_comment(text: str, i: int) -> int | None:
    """Index after the comment starting at text[i], or None when none starts there."""
    if text.startswith("--", i) or text.startswith("#", i):
        end = text.find("\n", i)
        return len(text) if end < 0 else end + 1
    if text.startswith("/*", i):
        depth, j = 1, i + 2  # ClickHouse comments nest
        while j < len(text) and depth:
            if text.startswith("/*", j):
                depth, j = depth + 1, j + 2
            elif text.startswith("*/", j):
                depth, j = depth - 1, j + 2
            else:
                j += 1
        if depth:
            raise Refused("Code: 62. DB::Exception: Syntax error: unterminated comment. (SYNTAX_ERROR)", 62)
        return j
    return None


def tokens(text: str) -> list[tuple[str, int, int]]:
    """(kind, start, end) for each piece of `text`: "code", "quoted" or "comment"."""
    out: list[tuple[str, int, int]] = []
    start = i = 0
    while i < len(text):
        if text[i] in "'\"`":
            out.append(("code", start, i))
            start, i = i, _skip_quoted(text, i)
            out.append(("quoted", start, i))
            start = i
            continue
        after = _skip_comment(text, i)
        if after is not None:
            out.append(("code", start, i))
            out.append(("comment", i, after))
            start = i = after
            continue
        i += 1
    out.append(("code", start, len(text)))
    return [t for t in out if t[2] > t[1]]


def single_statement(text: str) -> str:
    """`text` as one statement without its trailing semicolons; Refused if it is not one."""
    pieces = tokens(text)
    cut: int | None = None
    for kind, a, b in pieces:
        if cut is None:
            if kind == "code" and (pos := text.find(";", a, b)) >= 0:
                cut = pos
                if text[pos:b].replace(";", "").strip():
                    raise _multi()
        elif kind == "quoted" or (kind == "code" and text[a:b].replace(";", "").strip()):
            raise _multi()
    end = len(text) if cut is None else cut
    if not any(kind != "comment" and text[a:min(b, end)].strip() for kind, a, b in pieces if a < end):
        raise Refused("Code: 62. DB::Exception: Empty query. (SYNTAX_ERROR)", 62)
    statement = text[:end].strip()
    _refuse_kill(statement)
    return statement


def first_keyword(statement: str) -> str:
    for kind, a, b in tokens(statement):
        if kind == "quoted":
            return ""
        match = _KEYWORD.search(statement, a, b) if kind == "code" else None
        if match:
            return match.group(0).upper()
    return ""


def _refuse_kill(statement: str) -> None:
    if first_keyword(statement) == "KILL":
        raise Refused("Code: 164. DB::Exception: Cannot execute query in readonly mode: "
                      "KILL is not allowed in the SQL console. (READONLY)", 164)


def _multi() -> Refused:
    return Refused("Code: 62. DB::Exception: Syntax error (Multi-statements are not allowed). (SYNTAX_ERROR)", 62)
