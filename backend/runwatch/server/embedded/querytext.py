"""Just enough of ClickHouse's lexer to route a request, without executing anything.

The HTTP interface has to know, before running anything, where an INSERT's data begins
(the query text and the data share the request body), which output format a query asks
for (for Content-Type and X-ClickHouse-Format), whether a GET request would write, whether
the text holds more than one statement and which functions it calls (file access is
policed in `fileaccess`). Strings, quoted identifiers, heredocs, comments and parentheses
are honoured so that a `FORMAT` inside a literal or a column list is never mistaken for the
clause.

The lexer is one compiled regular expression with possessive quantifiers: every byte is
looked at once (no backtracking), so lexing is linear in the text, and a literal or
comment of any length is a single match. Callers still run it in a worker thread (a
16 MiB text takes seconds of CPU), never on the event loop.

Where this lexer and the engine's could disagree, it errs towards seeing more code: its
comments end at the first `*/` (ClickHouse nests them), a number ends at the first letter,
and `analyze` reports text it cannot close (`unterminated`) so the caller refuses it
rather than letting the engine read something this lexer took for a literal.

All functions are pure; offsets are byte offsets into the original buffer (the lexer runs
on a latin-1 decoding, which maps bytes to code points one to one).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

_LEXEME = re.compile(
    r"""\s*+(?:
      (?P<comment>(?:--|\#)[^\n]*+|/\*(?:[^*]++|\*(?!/))*+(?P<block_end>\*/)?)
    | (?P<string>'(?:[^'\\]++|\\.|'')*+(?P<string_end>')?)
    | (?P<quoted>"(?:[^"\\]++|\\.|"")*+(?P<dquote_end>")?|`(?:[^`\\]++|\\.|``)*+(?P<bquote_end>`)?)
    | (?P<placeholder>\{\s*+\$[A-Za-z0-9_]*+\$\s*+:)
    | (?P<heredoc>\$[A-Za-z0-9_]*+\$)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*+)
    | (?P<punct>[();])
    | (?P<other>(?:[^A-Za-z_'"`$();\#/\-\s]|/(?!\*)|-(?!-))++|.)
    )""",
    re.S | re.X,
)
# Numbers, operators and commas come out as runs ("other"): the routing decisions never
# look inside them, and one match per run keeps `SELECT 1,1,1,...` at C speed.
_CLOSERS = {"comment": ("block_end",), "string": ("string_end",),
            "quoted": ("dquote_end", "bquote_end")}
_READ_ONLY_STATEMENTS = frozenset(
    {"SELECT", "WITH", "SHOW", "DESC", "DESCRIBE", "EXISTS", "EXPLAIN", "SET", "USE", "CHECK"}
)


class Token(NamedTuple):  # a tuple: made once per lexeme, so cheap to make
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


def _lexemes(text: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of every lexeme, comments included; an unterminated string,
    identifier, block comment or heredoc comes out as one last lexeme of kind "open"."""
    pos, end = 0, len(text)
    match_at = _LEXEME.match
    while pos < end:
        m = match_at(text, pos)
        if m is None:  # only trailing whitespace is left
            return
        kind = m.lastgroup  # the outer group: a closer group closes inside it
        assert kind is not None
        start, pos = m.span(kind)
        if kind in _CLOSERS and m.group(_CLOSERS[kind][-1]) is None and (
            kind != "quoted" or m.group(_CLOSERS[kind][0]) is None
        ) and not (kind == "comment" and text[start] in "-#"):  # a line comment ends at EOF
            yield "open", start, end
            return
        if kind == "placeholder":  # `{$name$:` opens a parameter (clickhouse-connect's binary
            kind = "other"         # params): its name is no heredoc; the type is lexed as usual
        if kind == "heredoc":  # $tag$ ... $tag$: a string literal, its end found with str.find
            close = text.find(text[start:pos], pos)
            if close < 0:
                yield "open", start, end
                return
            kind, pos = "string", close + pos - start
        yield kind, start, pos


def lexemes(text: str) -> Iterator[tuple[str, int, int]]:
    """(kind, start, end) of each lexeme: comment, string, quoted, heredoc, word, punct,
    other, or open (text that never closes)."""
    return _lexemes(text)


def _lex(text: str) -> Iterator[Token]:
    for kind, start, end in _lexemes(text):
        yield Token("punct" if kind == "other" else kind, start, end, text[start:end])


def tokens(text: str) -> Iterator[Token]:
    """Tokens of `text`, skipping whitespace and comments. Stops silently at an
    unterminated string or comment (the caller learns this from the last token's end)."""
    for token in _lex(text):
        if token.kind == "open":
            return
        if token.kind != "comment":
            yield token


def first_keyword(sql: str) -> str:
    """The statement's first word, upper-cased ('' when there is none)."""
    for token in tokens(sql):
        return token.text.upper() if token.kind == "word" else ""
    return ""


def is_read_only(sql: str) -> bool:
    """Whether clickhouse-server would run `sql` over GET (readonly=2 allows SET)."""
    return first_keyword(sql) in _READ_ONLY_STATEMENTS


@dataclass(frozen=True)
class Call:
    """`name(` somewhere in the text, with its first argument when that is a lone token
    (`file('x.tsv', ...)`: the string token; `file(concat(...))`: None)."""

    name: str
    first_arg: Token | None


@dataclass
class QueryShape:
    """What one pass over a query text found (see `analyze`)."""

    first_keyword: str = ""
    statements: int = 0
    format: str | None = None
    calls: list[Call] = field(default_factory=list)
    keywords: set[str] = field(default_factory=set)  # OUTFILE, INFILE, ... when present (upper case)
    attach_from_path: bool = False
    unterminated: bool = False
    too_many_calls: bool = False

    @property
    def read_only(self) -> bool:
        """Whether a GET may run it: a reading statement that writes no file and does not
        touch `readonly` (a session's connection is not held read-only by the engine)."""
        return self.first_keyword in _READ_ONLY_STATEMENTS and not (
            self.keywords & {"OUTFILE", "INFILE", "READONLY"})


# words whose mere presence matters to the GET rule and the file-access rule
_NOTED_KEYWORDS = frozenset({"OUTFILE", "INFILE", "READONLY", "FORMAT_SCHEMA", "FORMAT_TEMPLATE_ROW",
                             "FORMAT_TEMPLATE_RESULTSET", "FORMAT_SCHEMA_SOURCE"})


MAX_CALLS = 10_000


def analyze(sql: str, watch: frozenset[str] = frozenset()) -> QueryShape:
    """One linear pass: first keyword, statement count, trailing FORMAT, and the calls of
    the functions named in `watch` (lower case; at most MAX_CALLS, then `too_many_calls`)."""
    shape = QueryShape()
    depth = 0
    prev: Token | None = None  # the last word, identifier or string of this statement...
    prev_adjacent = False  # ...and whether it is the very last lexeme
    call: str | None = None  # `name(` seen: its name, until its first argument is known
    arg: Token | None = None  # the first lexeme of that argument
    arg_seen = False
    fmt: str | None = None  # `FORMAT name` at depth 0, if what follows lets it be the clause
    in_statement = False
    for kind, start, end in _lexemes(sql):
        if kind == "comment":
            continue
        if kind == "open":
            shape.unterminated = True
            break
        lead = sql[start]  # of a punct or "other" run, the only character that matters
        token = None if kind in ("punct", "other") else Token(kind, start, end, sql[start:end])
        if fmt is not None:  # the clause is last, or followed by `;` or SETTINGS
            if lead == ";" or (token is not None and token.is_word("SETTINGS")):
                shape.format = fmt
            fmt = None
        if call is not None:
            if not arg_seen and lead == ")" and kind == "punct":
                shape.calls.append(Call(call, None))
                call = None
            elif not arg_seen:
                arg, arg_seen = token, True
            else:
                lone = arg is not None and (lead == ")" and kind == "punct" or
                                            lead == "," and kind == "other")
                shape.calls.append(Call(call, arg if lone else None))
                call = None
        if kind == "punct" and lead == ";":
            in_statement, depth, prev = False, 0, None
            continue
        if not in_statement:
            in_statement = True
            shape.statements += 1
            if shape.statements == 1:
                shape.first_keyword = token.text.upper() if token and kind == "word" else ""
        if kind == "punct":
            if lead == "(":
                if prev is not None and prev_adjacent and prev.kind in ("word", "quoted"):
                    name = prev.text.strip("`\"").lower()
                    if name in watch:
                        if len(shape.calls) >= MAX_CALLS:
                            shape.too_many_calls = True
                        else:
                            call, arg, arg_seen = name, None, False
                depth += 1
            else:
                depth = max(0, depth - 1)
        elif token is not None:
            if kind == "word" and token.text.upper() in _NOTED_KEYWORDS:
                shape.keywords.add(token.text.upper())
            elif (kind == "string" and prev_adjacent and prev is not None
                    and prev.is_word("FROM") and shape.first_keyword == "ATTACH"):
                shape.attach_from_path = True
            if (depth == 0 and prev_adjacent and prev is not None and prev.is_word("FORMAT")
                    and kind in ("word", "quoted")):
                fmt = token.text.strip("`\"")
        prev_adjacent = token is not None
        if token is not None:
            prev = token
    if call is not None:
        shape.calls.append(Call(call, None))
    if fmt is not None:
        shape.format = fmt
    return shape


def output_format(sql: str) -> str | None:
    """The format named by a trailing `FORMAT name` clause of a query, if any."""
    return analyze(sql).format


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
