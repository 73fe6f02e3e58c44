"""LineAssembler and LineRateLimit: bytes in, the lines a terminal would end up showing out."""

from __future__ import annotations

import pytest

from runwatch.process.console import LineAssembler, LineRateLimit


@pytest.mark.parametrize(
    ("chunks", "lines", "tail"),
    [
        ([b"a\nb\n"], ["a", "b"], None),
        ([b"par", b"tial\n"], ["partial"], None),
        ([b"10%\r20%\r100%\n"], ["100%"], None),
        ([b"abcdef\rXY\n"], ["XYcdef"], None),  # \r returns to column 0; later text overwrites
        ([b"abc\r", b"\n"], ["abc"], None),
        ([b"win\r\n"], ["win"], None),
        ([b"\x1b[32mok\x1b[0m\n"], ["\x1b[32mok\x1b[0m"], None),  # ANSI kept
        ([b"\xc3", b"\xa9\n"], ["é"], None),  # a UTF-8 character split across reads
        ([b"bad \xff\n"], ["bad \ufffd"], None),
        ([b"\n\n"], ["", ""], None),
        ([b"no newline"], [], "no newline"),
        ([b"x" * 40 + b"\n"], ["x" * 16 + " …[runwatch: line cut, 24 more characters]"], None),
    ],
)
def test_line_assembler(chunks: list[bytes], lines: list[str], tail: str | None) -> None:
    assembler = LineAssembler(max_line_chars=16)
    got: list[str] = []
    for chunk in chunks:
        got += assembler.feed(chunk)
    assert got == lines
    assert assembler.flush() == tail


def test_rate_limit_allows_the_burst_then_the_rate_and_counts_the_rest() -> None:
    now = [0.0]
    limit = LineRateLimit(per_second=10, burst=5, clock=lambda: now[0])
    assert [limit.allow() for _ in range(7)] == [True] * 5 + [False] * 2
    now[0] = 0.5  # five more tokens
    assert sum(limit.allow() for _ in range(10)) == 5
    assert (limit.dropped_total, limit.dropped_unreported) == (7, 7)
