"""Just enough of ClickHouse's lexer to route a request, without executing anything.

The HTTP interface has to know, before running anything, where an INSERT's data begins
(the query text and the data share the request body), which output format a query asks
for (for Content-Type and X-ClickHouse-Format) and whether a GET request would write.
Strings, quoted identifiers, comments and parentheses are honoured so that a `FORMAT`
inside a literal or a column list is never mistaken for the clause.

All functions are pure; offsets are byte offsets into the original buffer (the lexer runs
on a latin-1 decoding, which maps bytes to code points one to one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_NUMBER = re.compile(r"[0-9][A-Za-z0-9_.]*")
_READ_ONLY_STATEMENTS = frozenset(
    {"SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXISTS", "EXPLAIN", "SET", "USE", "CHECK"}
)


@dataclass(frozen=True)
class Token:
    kind: str  # "word", "string", "quoted", "number", "punct"
    start: int
    end: int
    text: str

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


@dataclass(frozen=True)
class InsertData:
    """An INSERT whose data follows the query text: `head` is the statement without the
    FORMAT/VALUES clause, `format` the input format, `data_offset` where the data starts."""

    head: str
    format: str
    data_offset: int


class NeedMore:
    """`split_insert` cannot decide yet: the buffer ends inside the query text."""


NEED_MORE = NeedMore()


def tokens(text: str) -> Iterator[Token]:
    """Tokens of `text`, skipping whitespace and comments. Stops silently at an
    unterminated string or comment (the caller learns this from the last token's end)."""
    pos, end = 0, len(text)
    while pos < end:
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif text.startswith("--", pos) or ch == "#":
            newline = text.find("\n", pos)
            if newline < 0:
                return
            pos = newline + 1
        elif text.startswith("/*", pos):
            close = text.find("*/", pos + 2)
            if close < 0:
                return
            pos = close + 2
        elif ch in "'\"`":
            close = _closing_quote(text, pos)
            if close < 0:
                return
            yield Token("string" if ch == "'" else "quoted", pos, close + 1, text[pos:close + 1])
            pos = close + 1
        elif match := _WORD.match(text, pos):
            yield Token("word", pos, match.end(), match.group())
            pos = match.end()
        elif match := _NUMBER.match(text, pos):
            yield Token("number", pos, match.end(), match.group())
            pos = match.end()
        else:
            yield Token("punct", pos, pos + 1, ch)
            pos += 1


def _closing_quote(text: str, start: int) -> int:
    quote = text[start]
    pos = start + 1
    while pos < len(text):
        ch = text[pos]
        if ch == "\\":
            pos += 2
        elif ch == quote:
            if text.startswith(quote * 2, pos):
                pos += 2
            else:
                return pos
        else:
            pos += 1
    return -1


def first_keyword(sql: str) -> str:
    """The statement's first word, upper-cased ('' when there is none)."""
    for token in tokens(sql):
        return token.text.upper() if token.kind == "word" else ""
    return ""


def is_read_only(sql: str) -> bool:
    """Whether clickhouse-server would run `sql` over GET (readonly=2 allows SET)."""
    return first_keyword(sql) in _READ_ONLY_STATEMENTS


def split_insert(buffer: bytes, complete: bool) -> InsertData | NeedMore | None:
    """Locate the data of `INSERT ... FORMAT name <data>` or `INSERT ... VALUES <data>`.

    Returns None when `buffer` is not an INSERT carrying data (a SELECT, an INSERT ...
    SELECT, DDL), NEED_MORE when more of the body is needed to tell (`complete` says the
    buffer holds the whole body). As in ClickHouse, the data starts after the first newline
    following the format name, or after the blanks when there is no newline.
    """
    text = buffer.decode("latin-1")
    stream = tokens(text)
    first = next(stream, None)
    if first is None:
        return None if complete else NEED_MORE
    if not first.is_word("INSERT"):
        return None
    depth = 0
    for token in stream:
        if token.kind == "punct":
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            continue
        if depth or token.kind != "word":
            continue
        if token.is_word("SELECT", "WITH"):
            return None
        if token.is_word("VALUES"):
            return InsertData(_head(buffer, token.start), "Values", token.end)
        if token.is_word("FORMAT"):
            name = next(stream, None)
            if name is None or (name.end == len(text) and not complete):
                return None if complete else NEED_MORE
            if name.kind not in ("word", "quoted"):
                return None
            offset = _data_start(text, name.end, complete)
            if offset is None:
                return NEED_MORE
            return InsertData(_head(buffer, token.start), name.text.strip("`\""), offset)
    return None if complete else NEED_MORE


def _head(buffer: bytes, end: int) -> str:
    return buffer[:end].decode("utf-8", errors="replace").rstrip()


def _data_start(text: str, pos: int, complete: bool) -> int | None:
    end = len(text)
    while pos < end and text[pos] in " \t\f\r":
        pos += 1
    if pos < end and text[pos] == "\n":
        return pos + 1
    if pos == end and not complete:
        return None  # a newline may still follow
    return pos


def output_format(sql: str) -> str | None:
    """The format named by a trailing `FORMAT name` clause of a query, if any."""
    found: str | None = None
    depth = 0
    items = list(tokens(sql))
    for i, token in enumerate(items):
        if token.kind == "punct":
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            continue
        if depth or not token.is_word("FORMAT") or i + 1 >= len(items):
            continue
        name = items[i + 1]
        after = items[i + 2] if i + 2 < len(items) else None
        if name.kind in ("word", "quoted") and (
            after is None or after.text == ";" or after.is_word("SETTINGS")
        ):
            found = name.text.strip("`\"")
    return found
