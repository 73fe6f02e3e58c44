"""Progress: plain lines off a terminal (every interval, a last one only for long jobs), tqdm on one."""

from __future__ import annotations

import io

import pytest

from runwatch.cli.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("advances", "expected"),
    [
        # a job shorter than the interval: no lines at all (the caller's summary says it)
        ([(1.0, 1), (2.0, 1)], ""),
        # a line when the interval has passed, and a closing one with the final count
        ([(4.0, 2), (11.0, 1), (12.0, 3)], "job: 3/10 runs (n)\njob: 6/10 runs (n)\n"),
        # one line per interval, however many advances fall into it
        ([(10.0, 1), (10.5, 1), (20.0, 1)],
         "job: 1/10 runs (n)\njob: 3/10 runs (n)\njob: 3/10 runs (n)\n"),
    ],
)
def test_progress_when_not_a_terminal_then_plain_lines_per_interval(
    advances: list[tuple[float, int]], expected: str
) -> None:
    clock, stream = Clock(), io.StringIO()
    with Progress("job", total=10, unit="runs", stream=stream, interval=10.0, clock=clock) as progress:
        for when, count in advances:
            clock.now = when
            progress.advance(count, "n")
    assert stream.getvalue() == expected


def test_progress_when_a_terminal_then_a_tqdm_bar_with_the_note() -> None:
    pytest.importorskip("tqdm", reason="the import extras bring tqdm")
    stream = io.StringIO()
    with Progress("import", total=4, unit="runs", stream=stream, bar=True) as progress:
        for _ in range(4):
            progress.advance(1, "12 points stored")
    text = stream.getvalue()
    assert "\r" in text and "import: 100%" in text and "4/4" in text and "12 points stored" in text
