"""The agent's non-scalar rows: histograms, console lines and images, buffered per table.

`log()` hands a Histogram or an Image here (through `RichValues`, which `PointBuffer` calls for
values that are not numbers); the console capture appends its lines. Each kind has its own
bounded `RowBuffer`: the caller only appends under a lock, and when a buffer is full the new
row is dropped and counted, never waited for. The pipeline's writer drains them next to the
points (pipeline.py), so they get the same batches with deduplication tokens, retries, spool
and replay.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from runwatch.histogram import Histogram
from runwatch.media import Image
from runwatch.values import OncePerKey, name_problem

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class HistogramRow:
    time: float
    step: int
    metric: str
    histogram: Histogram


@dataclass(frozen=True, slots=True)
class LogRow:
    time: float
    stream: str  # 'stdout' | 'stderr' | 'runwatch' (the agent's markers)
    seq: int
    step: int
    line: str


@dataclass(frozen=True, slots=True)
class MediaRow:
    time: float
    step: int
    key: str
    idx: int
    image: Image


class RowBuffer(Generic[T]):
    """Bounded by rows and by bytes; a full buffer drops the new row and counts it."""

    def __init__(self, *, max_rows: int, max_bytes: int, size_of: Callable[[T], int]) -> None:
        self.max_rows = max(1, max_rows)
        self.max_bytes = max(1, max_bytes)
        self._size_of = size_of
        self._lock = threading.Lock()
        self._rows: list[T] = []
        self._bytes = 0
        self.dropped = 0

    def append(self, row: T) -> bool:
        size = self._size_of(row)
        with self._lock:
            if len(self._rows) >= self.max_rows or self._bytes + size > self.max_bytes:
                self.dropped += 1
                return False
            self._rows.append(row)
            self._bytes += size
            return True

    def extend(self, rows: list[T]) -> int:
        """Append in order until full; returns how many were taken (the rest are counted)."""
        sizes = list(map(self._size_of, rows))
        with self._lock:
            room = self.max_rows - len(self._rows)
            taken = 0
            total = self._bytes
            for size in sizes[: max(0, room)]:
                if total + size > self.max_bytes:
                    break
                total += size
                taken += 1
            self._rows.extend(rows[:taken])
            self._bytes = total
            self.dropped += len(rows) - taken
        return taken

    def take(self) -> list[T]:
        with self._lock:
            rows, self._rows, self._bytes = self._rows, [], 0
        return rows

    def pending(self) -> int:
        with self._lock:
            return len(self._rows)

    def reset_after_fork(self) -> None:
        self._lock = threading.Lock()
        self._rows = []
        self._bytes = 0


class RichRows:
    """The three buffers of one process, and the entry `log()` uses for non-number values."""

    def __init__(
        self,
        *,
        max_image_bytes: int = 2_000_000,
        max_rows: int = 1_000_000,
        max_bytes: int = 256 << 20,
        warnings: OncePerKey | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_image_bytes = max_image_bytes
        self.warnings = warnings or OncePerKey()
        self._clock = clock
        self.histograms: RowBuffer[HistogramRow] = RowBuffer(
            max_rows=max_rows, max_bytes=max_bytes, size_of=lambda r: 16 * len(r.histogram.counts)
        )
        self.logs: RowBuffer[LogRow] = RowBuffer(
            max_rows=max_rows, max_bytes=max_bytes, size_of=lambda r: 40 + len(r.line)
        )
        self.media: RowBuffer[MediaRow] = RowBuffer(
            max_rows=max_rows, max_bytes=max_bytes, size_of=lambda r: 64 + r.image.size
        )
        self.refused_images = 0

    # -- from log() ---------------------------------------------------------------------

    @staticmethod
    def accepts(value: Any) -> bool:
        if isinstance(value, Histogram | Image):
            return True
        return isinstance(value, list | tuple) and bool(value) and all(
            isinstance(v, Image) for v in value
        )

    def add(self, name: str, value: Any, step: int) -> None:
        """One non-scalar value of a log() call (`accepts(value)` is true)."""
        problem = name_problem(name)
        if problem is not None:
            self.warnings.warn(name, problem)
            return
        now = self._clock()
        if isinstance(value, Histogram):
            self.histograms.append(HistogramRow(now, step, name, value))
            return
        images = [value] if isinstance(value, Image) else list(value)
        for idx, image in enumerate(images):
            if image.size > self.max_image_bytes:
                self.refused_images += 1
                self.warnings.warn(
                    f"{name} (image too large)",
                    f"image of {image.size} bytes is over the {self.max_image_bytes}-byte cap "
                    "(Run(max_image_bytes=...)); refused",
                )
                continue
            self.media.append(MediaRow(now, step, name, idx, image))

    # -- the writer's side --------------------------------------------------------------

    @property
    def dropped(self) -> int:
        return self.histograms.dropped + self.logs.dropped + self.media.dropped

    def pending(self) -> int:
        return self.histograms.pending() + self.logs.pending() + self.media.pending()

    def reset_after_fork(self) -> None:
        for buffer in (self.histograms, self.logs, self.media):
            buffer.reset_after_fork()
