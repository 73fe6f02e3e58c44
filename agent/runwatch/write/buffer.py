"""The bounded, columnar in-memory buffer that `Run.log()` appends to.

Per call it stores the wall-clock time, the step and the schema id (see registry.py); per
point only the float value. The hot path is one dict lookup of the call's key tuple (which
yields the schema id and a `struct` packer for that many doubles), one `pack(*values)` outside
the lock (which converts every value in C, or raises for a non-number), and four appends to
typed arrays under the lock: no per-call objects for the garbage collector to chase. The lock
only ever guards appends and swaps: the writer thread takes whole chunks under it and encodes
and sends them after releasing it.

A chunk is sealed when it holds `chunk_points` points, which also wakes the writer. When the
sealed chunks exceed `capacity` points (the writer cannot keep up, or has stalled), the oldest
chunk is dropped and counted in `dropped`: memory stays bounded and the caller never waits.
The writer takes at most one insert's worth of chunks at a time (`take(max_points)`), so a
backlog waits here, at ~10 bytes a point, rather than encoded (~35 bytes a point); sealed
chunks are numbered so that `flush_mark`/`taken_mark` tell the writer when everything
buffered before a flush() has been taken.

Steps: without `step`, a call takes the next implicit step (0, 1, 2, ... like wandb's `log`);
an explicit `step` is stored as given and moves the implicit step past it, never back.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import index as as_index
from typing import Any, Protocol

from runwatch.values import OncePerKey, coerce_value, name_problem, value_problem
from runwatch.write.registry import MetricRegistry

MAX_STEP = (1 << 64) - 1


class RichSink(Protocol):
    def accepts(self, value: Any) -> bool: ...

    def add(self, name: str, value: Any, step: int) -> None: ...


@dataclass(slots=True)
class Chunk:
    values: array[float] = field(default_factory=lambda: array("d"))
    times: array[float] = field(default_factory=lambda: array("d"))
    steps: array[int] = field(default_factory=lambda: array("Q"))
    sids: array[int] = field(default_factory=lambda: array("I"))
    # Sparse per-point tags (checkpoint rows): (index of the point in `values`, tags_json).
    tags: list[tuple[int, str]] = field(default_factory=list)

    @property
    def points(self) -> int:
        return len(self.values)


class PointBuffer:
    def __init__(
        self,
        registry: MetricRegistry,
        *,
        chunk_points: int = 100_000,
        capacity: int = 2_000_000,
        on_sealed: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        warnings: OncePerKey | None = None,
    ) -> None:
        self.registry = registry
        self._user_schemas = registry.user_schemas
        self.chunk_points = max(1, chunk_points)
        self.capacity = max(self.chunk_points, capacity)
        self._on_sealed = on_sealed
        self._clock = clock
        self.warnings = warnings or OncePerKey()
        self._lock = threading.Lock()
        self._chunk = Chunk()
        self._sealed: deque[Chunk] = deque()
        self._sealed_points = 0
        self._sealed_seq = 0  # chunks sealed ever; the newest sealed chunk's number
        self._next_step = 0
        self.dropped = 0  # points dropped because the buffer was full
        # Where values that are not numbers but Histograms or Images go (rows.RichRows).
        self.rich: RichSink | None = None

    # -- the hot path -------------------------------------------------------------------

    def append(self, data: Mapping[str, Any], step: int | None) -> None:
        """Append one call. Anything unusual raises, and the caller takes `append_slow`."""
        sid, pack = self._user_schemas[tuple(data)]  # KeyError: new or invalid keys
        values = pack(*data.values())  # struct.error: not all numbers (outside the lock)
        now = self._clock()
        lock = self._lock
        lock.acquire()
        try:
            chunk = self._chunk
            if step is None:
                step = self._next_step
            chunk.steps.append(step)  # TypeError/OverflowError: not a step; nothing stored
            chunk.values.frombytes(values)
            chunk.times.append(now)
            chunk.sids.append(sid)
            if step >= self._next_step:
                self._next_step = step + 1
            if len(chunk.values) >= self.chunk_points:
                self._seal()
        finally:
            lock.release()

    # -- everything else ----------------------------------------------------------------

    def append_slow(self, data: Any, step: Any) -> None:
        """The general path: validates, warns once per bad key, stores what is valid."""
        warn = self.warnings.warn
        if not isinstance(data, Mapping):
            warn("<log() argument>", f"log() takes a dict of name -> number, got {type(data).__name__}")
            return
        if step is not None:
            step = self._valid_step(step)
            if step is None:
                return
        registry = self.registry
        cacheable = registry.can_cache()
        names: list[str] = []
        values: list[float] = []
        ids: list[int] = []
        rich = self.rich
        deferred: list[tuple[str, Any]] = []
        for key, raw in data.items():
            problem = name_problem(key)
            if problem is not None:
                warn(key, problem)
                continue
            value = coerce_value(raw)
            if value is None and rich is not None and rich.accepts(raw):
                deferred.append((key, raw))
                cacheable = False  # a histogram call always comes through here
                continue
            if value is None:
                warn(key, value_problem(raw))
                cacheable = False  # this key must go through here again next time
                continue
            metric = registry.metric_id(key)
            if metric is None:
                warn(key, f"more than {registry.max_names} metric names in this run")
                continue
            names.append(key)
            values.append(value)
            ids.append(metric)
        if deferred:
            assert rich is not None
            with self._lock:  # the call's scalars and histograms share one step
                step = self._next_step if step is None else step
                if not ids:
                    self._next_step = max(self._next_step, step + 1)
            for key, raw in deferred:
                rich.add(key, raw, step)
        if not ids:
            if step is not None:
                with self._lock:
                    self._next_step = max(self._next_step, step + 1)
            return
        if cacheable and len(names) == len(data):
            sid = registry.schema(tuple(ids))
            registry.remember_user_keys(tuple(names), sid, tuple(data))
            self._append_calls([(sid, values)], step)
        elif registry.can_cache():
            self._append_calls([(registry.schema(tuple(ids)), values)], step)
        else:  # bounded fallback: one single-key schema per point
            self._append_calls(
                [(registry.schema((m,)), [v]) for m, v in zip(ids, values, strict=True)], step
            )

    def append_internal(
        self,
        samples: Iterable[tuple[str, float, str]],
        *,
        device: int | None = None,
        step: int | None = None,
        tags: Sequence[tuple[int, str]] = (),
    ) -> None:
        """Points from the agent itself (system metrics, counters, checkpoints): names are
        the agent's, units are given, the implicit step is neither used nor advanced."""
        registry = self.registry
        ids: list[int] = []
        values: list[float] = []
        for name, value, unit in samples:
            metric = registry.metric_id(name, unit)
            if metric is None:
                continue
            ids.append(metric)
            values.append(value)
        if not ids:
            return
        sid = registry.schema(tuple(ids), device)
        with self._lock:
            use_step = self._next_step if step is None else step
            # Internal points sit at the step training has reached, without advancing it.
            use_step = max(0, use_step - 1) if step is None else use_step
            chunk = self._chunk
            base = len(chunk.values)
            chunk.steps.append(use_step)
            chunk.values.extend(values)
            chunk.times.append(self._clock())
            chunk.sids.append(sid)
            chunk.tags.extend((base + offset, text) for offset, text in tags)
            if len(chunk.values) >= self.chunk_points:
                self._seal()

    def _append_calls(self, calls: list[tuple[int, list[float]]], step: int | None) -> None:
        now = self._clock()
        with self._lock:
            if step is None:
                step = self._next_step
            chunk = self._chunk
            for sid, values in calls:
                chunk.steps.append(step)
                chunk.values.extend(values)
                chunk.times.append(now)
                chunk.sids.append(sid)
            self._next_step = max(self._next_step, step + 1)
            if len(chunk.values) >= self.chunk_points:
                self._seal()

    def _valid_step(self, step: Any) -> int | None:
        try:
            value = as_index(step)
        except TypeError:
            self.warnings.warn("<step>", f"step must be an integer, got {type(step).__name__}")
            return None
        if not 0 <= value <= MAX_STEP:
            self.warnings.warn("<step>", f"step must be in [0, 2**64), got {value}")
            return None
        return value

    @property
    def next_step(self) -> int:
        return self._next_step

    # -- the writer's side ----------------------------------------------------------------

    def _seal(self) -> None:
        """Under the lock: move the current chunk to the sealed queue, enforce the cap."""
        chunk = self._chunk
        self._chunk = Chunk()
        self._sealed.append(chunk)
        self._sealed_seq += 1
        self._sealed_points += chunk.points
        while self._sealed_points > self.capacity and len(self._sealed) > 1:
            oldest = self._sealed.popleft()
            self._sealed_points -= oldest.points
            self.dropped += oldest.points
        self._on_sealed()

    def take(self, max_points: int | None = None) -> list[Chunk]:
        """The oldest chunks: everything buffered (the buffer starts empty again) when that
        is at most `max_points` more than one chunk, else sealed chunks up to `max_points`
        (at least one)."""
        with self._lock:
            if max_points is not None and self._sealed_points > max_points:
                chunks = [self._sealed.popleft()]
                taken = chunks[0].points
                while self._sealed and taken + self._sealed[0].points <= max_points:
                    chunks.append(self._sealed.popleft())
                    taken += chunks[-1].points
                self._sealed_points -= taken
                return chunks
            if self._chunk.points:
                self._sealed.append(self._chunk)
                self._sealed_seq += 1
                self._chunk = Chunk()
            chunks = list(self._sealed)
            self._sealed.clear()
            self._sealed_points = 0
        return chunks

    def has_backlog(self) -> bool:
        """Sealed chunks wait that the last `take` left behind."""
        return self._sealed_points > 0

    def flush_mark(self) -> int:
        """Seal what is buffered now; the number `taken_mark` reaches once it was taken."""
        with self._lock:
            if self._chunk.points:
                self._sealed.append(self._chunk)
                self._sealed_seq += 1
                self._sealed_points += self._chunk.points
                self._chunk = Chunk()
            return self._sealed_seq

    def taken_mark(self) -> int:
        """The number of the newest chunk taken (or dropped): chunks are taken in order."""
        with self._lock:
            return self._sealed_seq - len(self._sealed)

    def pending_points(self) -> int:
        with self._lock:
            return self._sealed_points + self._chunk.points

    def reset_after_fork(self) -> None:
        """In a forked child: forget the parent's points (they are the parent's to send)."""
        self._lock = threading.Lock()
        self._chunk = Chunk()
        self._sealed = deque()
        self._sealed_points = 0
        self._sealed_seq = 0
