"""What a reader hands the store: one run of another tool, with every point it logged.

Readers (tensorboard_reader.py, mlflow_reader.py, wandb_reader.py) know their tool's files
and nothing about ClickHouse; the store (store.py) knows ClickHouse and nothing about the
tools. A reader first lists its runs cheaply (`RunHandle`s, so the progress bar has a total),
then reads one run at a time into a `SourceRun`; what it cannot read it reports as a
`Problem` and goes on. One run is in memory at a time (24 bytes a point, in typed arrays):
the store needs a metric's whole series to know which of its points are already stored.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from runwatch.config import ConfigError, validate_run_id
from runwatch.values import name_problem

# A step the table can hold (UInt64); readers drop negative steps with a problem.
MAX_STEP = (1 << 64) - 1


class SourceError(Exception):
    """The source as a whole cannot be read (no such directory, not an MLflow store ...)."""


@dataclass(frozen=True, slots=True)
class Problem:
    where: str  # the file, run or metric that was (partly) skipped
    why: str

    def __str__(self) -> str:
        return f"{self.where}: {self.why}"


@dataclass(slots=True)
class Series:
    steps: array[int] = field(default_factory=lambda: array("Q"))
    times: array[float] = field(default_factory=lambda: array("d"))  # seconds since the epoch
    values: array[float] = field(default_factory=lambda: array("d"))

    def __len__(self) -> int:
        return len(self.steps)


@dataclass(slots=True)
class SourceRun:
    run_id: str
    project: str
    name: str
    kind: str  # "tensorboard", "mlflow", "wandb"
    source: str  # the directory, file or URI it came from
    host: str = "import"
    user: str = ""
    git_commit: str = ""
    config: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    status: str = "finished"
    started_ms: int | None = None
    finished_ms: int | None = None
    series: dict[str, Series] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    _bad_names: set[str] = field(default_factory=set)

    def add(self, metric: str, step: int, time_s: float, value: float) -> None:
        series = self.series.get(metric)
        if series is None:
            if metric in self._bad_names:
                return
            problem = name_problem(metric)
            if problem is not None:
                self._bad_names.add(metric)
                self.problems.append(Problem(f"{self.source}: metric {metric!r}", problem))
                return
            series = self.series[metric] = Series()
        if not 0 <= step <= MAX_STEP:
            self.problems.append(Problem(f"{self.source}: metric {metric!r}",
                                         f"step {step} is outside 0..2**64-1; point skipped"))
            return
        series.steps.append(step)
        series.times.append(time_s)
        series.values.append(value)

    @property
    def points(self) -> int:
        return sum(map(len, self.series.values()))

    def time_range_ms(self) -> tuple[int, int] | None:
        times = [t for s in self.series.values() for t in (min(s.times), max(s.times)) if len(s)]
        if not times:
            return None
        return int(min(times) * 1000.0), int(max(times) * 1000.0)


@dataclass(frozen=True, slots=True)
class RunHandle:
    """One run found in the source, not read yet."""

    label: str  # what the progress line and problems call it
    read: Callable[[], SourceRun]


def derived_run_id(prefix: str, identity: str) -> str:
    """A run id that is the same every time the same source run is imported: the source's
    own id when it is a valid runwatch id, else a hash of it."""
    try:
        return validate_run_id(f"{prefix}-{identity}")
    except ConfigError:
        return f"{prefix}-{hashlib.sha256(identity.encode()).hexdigest()[:20]}"
