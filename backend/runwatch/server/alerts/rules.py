"""Rules: what to watch, as validated data. The evaluator (evaluator.py) gives them meaning.

Kinds:
- nonfinite: a NaN/±Inf point in a metric matching `metric` (globs); resolves on a finite one;
- threshold: `metric op value` held for `for` (per series: each GPU, host, rank);
- stalled: a running run that stored no training point (anything but sys.* / agent.*)
  for `for` (default 300 s); resolves when one arrives;
- spike: a point further than `k` × the rolling median absolute deviation from the rolling
  median of the last `window` points (loss explosions);
- run_failed / run_crashed: the run's status became failed (with the failure reason the
  agent recorded) or crashed (its heartbeat stopped while it was still running).
"""

from __future__ import annotations

import fnmatch
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Kind = Literal["nonfinite", "threshold", "stalled", "spike", "run_failed", "run_crashed"]
Op = Literal[">", ">=", "<", "<=", "==", "!="]
POINT_KINDS = frozenset({"nonfinite", "threshold", "spike"})
RUN_KINDS = frozenset({"run_failed", "run_crashed"})

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, None: 1.0}


def parse_duration(value: Any) -> float:
    """Seconds of 60, 60.0, "60", "60s", "5m", "1h", "500ms"."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '60s', '5m'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if match is None:
            raise ValueError(f"not a duration: {value!r} (use e.g. 30, '30s', '5m', '1h')")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: Annotated[str, Field(min_length=1, max_length=200)]
    kind: Kind
    metric: tuple[str, ...] = ()
    op: Op = ">"
    value: float | None = Field(default=None, alias="threshold")
    for_sec: float = Field(default=0.0, alias="for")
    k: Annotated[float, Field(gt=0)] = 10.0
    window: Annotated[int, Field(ge=3, le=10_000)] = 100
    min_points: Annotated[int, Field(ge=3)] = 20
    channels: tuple[str, ...] | None = None
    project: str | None = None
    throttle_sec: Annotated[float, Field(ge=0)] | None = None
    severity: Literal["critical", "warning", "info"] = "warning"
    enabled: bool = True
    except_projects: frozenset[str] = Field(default=frozenset(), exclude=True)

    @field_validator("metric", mode="before")
    @classmethod
    def _globs(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("for_sec", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return parse_duration(value)

    @model_validator(mode="after")
    def _kind_needs(self) -> Rule:
        if self.kind in POINT_KINDS and not self.metric:
            raise ValueError(f"a {self.kind} rule needs `metric` (a glob such as 'train/loss*')")
        if self.kind == "threshold" and (self.value is None or self.value != self.value):
            raise ValueError("a threshold rule needs a numeric `threshold` (e.g. threshold = 85)")
        if self.kind == "stalled" and self.for_sec <= 0:
            object.__setattr__(self, "for_sec", 300.0)
        if self.kind == "spike" and self.min_points > self.window:
            raise ValueError("min_points cannot exceed window")
        return self

    def matches_metric(self, metric: str) -> bool:
        return any(fnmatch.fnmatchcase(metric, glob) for glob in self.metric)

    def applies_to_project(self, project: str) -> bool:
        if self.project is not None:
            return fnmatch.fnmatchcase(project, self.project)
        return project not in self.except_projects

    def describe(self) -> str:
        metric = ",".join(self.metric)
        if self.kind == "threshold":
            held = f" for {self.for_sec:g}s" if self.for_sec else ""
            return f"{metric} {self.op} {self.value:g}{held}"
        if self.kind == "nonfinite":
            return f"{metric} is NaN/Inf"
        if self.kind == "spike":
            return f"{metric} beyond {self.k:g}×MAD of the last {self.window} points"
        if self.kind == "stalled":
            return f"no training point for {self.for_sec:g}s"
        return "run failed" if self.kind == "run_failed" else "run crashed (heartbeat lost)"


def _rule(**fields: Any) -> Rule:
    return Rule.model_validate(fields)


DEFAULT_RULES: tuple[Rule, ...] = (
    _rule(name="loss-nonfinite", kind="nonfinite", metric=("train/loss*", "*loss*"),
          severity="critical"),
    _rule(name="loss-spike", kind="spike", metric=("train/loss*",), k=10.0, window=100,
          min_points=20),
    _rule(name="gpu-temperature", kind="threshold", metric=("sys.gpu.*.temperature_celsius",),
          op=">", value=85.0, for_sec=60.0),
    _rule(name="gpu-memory", kind="threshold", metric=("sys.gpu.*.mem_used_frac",), op=">",
          value=0.97, for_sec=30.0),
    _rule(name="disk-free", kind="threshold", metric=("sys.disk.free_frac",), op="<",
          value=0.05),
    _rule(name="stalled", kind="stalled", for_sec=300.0),
    _rule(name="run-failed", kind="run_failed", severity="critical"),
    _rule(name="run-crashed", kind="run_crashed", severity="critical"),
)
