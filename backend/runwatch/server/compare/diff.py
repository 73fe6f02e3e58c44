"""The config diff of GET /compare: which keys differ between runs, which agree. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Diff:
    differ: dict[str, dict[str, Any]]  # key -> run_id -> value (None where the run lacks it)
    same: dict[str, Any]


def _same_value(a: Any, b: Any) -> bool:
    # NaN == NaN here: two runs that both logged lr=NaN agree.
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, bool) != isinstance(b, bool):  # True is not 1 in a config
        return False
    return bool(a == b)


def diff(flat_by_run: Mapping[str, Mapping[str, Any]], run_order: Sequence[str]) -> Diff:
    """`flat_by_run`: run_id -> flattened properties. A key missing from some runs differs."""
    keys = sorted({k for flat in flat_by_run.values() for k in flat})
    differ: dict[str, dict[str, Any]] = {}
    same: dict[str, Any] = {}
    missing = object()
    for key in keys:
        values = [flat_by_run[r].get(key, missing) for r in run_order]
        first = values[0]
        if all(v is not missing for v in values) and all(_same_value(first, v) for v in values):
            same[key] = first
        else:
            differ[key] = {r: (None if v is missing else v) for r, v in zip(run_order, values, strict=True)}
    return Diff(differ, same)
