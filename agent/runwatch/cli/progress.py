"""Progress of long CLI work (import, replay, migrate): a bar on a terminal, plain lines in logs.

On a terminal the bar is tqdm's, when tqdm is installed (it comes with the import extras and
with nearly every training environment; the agent's light install does not pull it in). When
stderr is not a terminal, or tqdm is missing, a plain line is written every `interval` seconds
and once more at the end when there were any (a job shorter than `interval` prints none): a
CI log or `nohup.out` gets a readable record instead of carriage-return redraws. The caller
prints its own summary line after `close()`.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO


class Progress:
    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        unit: str = "items",
        stream: TextIO | None = None,
        interval: float = 10.0,
        bar: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.done = 0
        self.note = ""
        self._clock = clock
        self._last_line = clock()
        self._lines = 0
        self._bar: Any = None
        self._closed = False
        if bar is None:
            bar = bool(getattr(self.stream, "isatty", lambda: False)())
        if bar:
            try:
                from tqdm import tqdm
            except ImportError:
                pass
            else:
                self._bar = tqdm(total=total, unit=unit, desc=label, file=self.stream,
                                 dynamic_ncols=True, leave=True)

    def advance(self, count: int = 1, note: str | None = None) -> None:
        self.done += count
        if note is not None:
            self.note = note
        if self._bar is not None:
            if note is not None:
                self._bar.set_postfix_str(note, refresh=False)
            self._bar.update(count)
        elif self._clock() - self._last_line >= self.interval:
            self._line()

    def _line(self) -> None:
        self._last_line = self._clock()
        self._lines += 1
        of = f"/{self.total}" if self.total is not None else ""
        note = f" ({self.note})" if self.note else ""
        self.stream.write(f"{self.label}: {self.done}{of} {self.unit}{note}\n")
        self.stream.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self._lines:
            self._line()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
