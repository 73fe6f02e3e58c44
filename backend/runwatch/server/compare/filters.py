"""The runs table's filter language, parsed into a predicate over a row. No eval, no SQL.

    optimizer.lr < 1e-3 and status = running
    tags has ablation or not (name ~ "warm up")
    model.depth >= 12 and val/loss:min < 0.3
    resnet                          (a bare word: free text over name, run_id and tags)

Grammar (keywords case-insensitive):
    expr   := term ("or" term)*
    term   := factor ("and" factor)*
    factor := "not" factor | "(" expr ")" | field OP value | value
    OP     := = == != < <= > >= ~ !~ has
A field is a column id (`status`, `config.optimizer.lr`, `val/loss:min`); a config key may
omit its `config.` prefix. Comparisons are numeric when both sides are numbers, else
case-insensitive on text. `~` is "contains"; `has` is list membership (or substring). A row
without the field never matches a comparison (but matches its negation with `not`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<op>==|!=|<=|>=|!~|=|<|>|~)
    | (?P<paren>[()])
    | "(?P<dq>(?:[^"\\]|\\.)*)"
    | '(?P<sq>(?:[^'\\]|\\.)*)'
    | (?P<word>[^\s()=!<>~"']+)
    )""", re.VERBOSE)

_WORD_OPS = {"has"}
_KEYWORDS = {"and", "or", "not"}


class FilterError(ValueError):
    """The filter text does not parse; the message says where."""


@dataclass(frozen=True)
class _Tok:
    kind: str  # op, paren, str (quoted), word
    text: str
    pos: int


def tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"unexpected character at {pos}: {text[pos:pos + 10]!r}")
        start = m.start(m.lastgroup or 0)
        if m.group("op"):
            tokens.append(_Tok("op", m.group("op"), start))
        elif m.group("paren"):
            tokens.append(_Tok("paren", m.group("paren"), start))
        elif m.group("dq") is not None or m.group("sq") is not None:
            raw = m.group("dq") if m.group("dq") is not None else m.group("sq")
            tokens.append(_Tok("str", re.sub(r"\\(.)", r"\1", raw), start))
        else:
            word = m.group("word")
            lowered = word.lower()
            kind = "op" if lowered in _WORD_OPS else "kw" if lowered in _KEYWORDS else "word"
            tokens.append(_Tok(kind, lowered if kind != "word" else word, start))
        pos = m.end()
    return tokens


def number(value: Any) -> float | None:
    """`value` as a number when it is one (bools are not), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).lower()


def compare(op: str, actual: Any, expected: str) -> bool:
    if actual is None:
        return False
    if op == "has":
        if isinstance(actual, (list, tuple)):
            return any(_text(v) == expected.lower() for v in actual)
        return expected.lower() in _text(actual)
    if op in ("~", "!~"):
        found = expected.lower() in (" ".join(map(_text, actual)) if isinstance(actual, (list, tuple))
                                     else _text(actual))
        return found if op == "~" else not found
    a, b = number(actual), number(expected)
    if a is not None and b is not None:
        if math.isnan(a) or math.isnan(b):
            return op == "!=" and not (math.isnan(a) and math.isnan(b))
        left: Any = a
        right: Any = b
    else:
        left, right = _text(actual), expected.lower()
    if op in ("=", "=="):
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)  # ">="


def free_text(word: str, row: Row) -> bool:
    needle = word.lower()
    haystack = [row.get("name"), row.get("run_id"), *(row.get("tags") or [])]
    return any(needle in _text(v) for v in haystack if v is not None)


class _Parser:
    def __init__(self, tokens: Sequence[_Tok], resolve: Callable[[str], str | None]) -> None:
        self.tokens = tokens
        self.i = 0
        self.resolve = resolve

    def peek(self, offset: int = 0) -> _Tok | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise FilterError("unexpected end of filter")
        self.i += 1
        return tok

    def expr(self) -> Predicate:
        parts = [self.term()]
        while (tok := self.peek()) is not None and tok.kind == "kw" and tok.text == "or":
            self.i += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else (lambda row: any(p(row) for p in parts))

    def term(self) -> Predicate:
        parts = [self.factor()]
        while (tok := self.peek()) is not None and not (tok.kind == "kw" and tok.text == "or") \
                and not (tok.kind == "paren" and tok.text == ")"):
            if tok.kind == "kw" and tok.text == "and":
                self.i += 1
            parts.append(self.factor())  # juxtaposition is "and", as in a search box
        return parts[0] if len(parts) == 1 else (lambda row: all(p(row) for p in parts))

    def factor(self) -> Predicate:
        tok = self.take()
        if tok.kind == "kw" and tok.text == "not":
            inner = self.factor()
            return lambda row: not inner(row)
        if tok.kind == "paren" and tok.text == "(":
            inner = self.expr()
            close = self.take()
            if close.kind != "paren" or close.text != ")":
                raise FilterError(f"expected ')' at {close.pos}")
            return inner
        if tok.kind not in ("word", "str"):
            raise FilterError(f"unexpected {tok.text!r} at {tok.pos}")
        nxt = self.peek()
        if nxt is not None and nxt.kind == "op":
            self.i += 1
            value = self.take()
            if value.kind not in ("word", "str"):
                raise FilterError(f"expected a value after {nxt.text!r} at {value.pos}")
            column = self.resolve(tok.text)
            if column is None:
                raise FilterError(f"unknown column {tok.text!r} at {tok.pos}")
            op, expected = nxt.text, value.text
            return lambda row: compare(op, row.get(column), expected)
        word = tok.text
        return lambda row: free_text(word, row)


def parse(text: str, resolve: Callable[[str], str | None]) -> Predicate:
    """A predicate for `text`; `resolve` maps a field as written to a column id (or None)."""
    tokens = tokenize(text)
    if not tokens:
        return lambda row: True
    parser = _Parser(tokens, resolve)
    predicate = parser.expr()
    if parser.peek() is not None:
        tok = parser.take()
        raise FilterError(f"unexpected {tok.text!r} at {tok.pos}")
    return predicate
