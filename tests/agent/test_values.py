from __future__ import annotations

import math
import warnings
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from runwatch.values import MAX_NAME_LENGTH, MetricWarning, OncePerKey, coerce_value, name_problem


@pytest.mark.parametrize(
    "name",
    ["train/loss", "val/acc@1", "sys.gpu.0.util_percent", "loss (ema)", "eval/top-1", "_x",
     "lr[group=0]", "a" * MAX_NAME_LENGTH, "x:y", "50%", "grad#norm"],
)
def test_name_problem_when_name_is_reasonable_then_none(name: str) -> None:
    assert name_problem(name) is None


@pytest.mark.parametrize(
    "name",
    ["", "a" * (MAX_NAME_LENGTH + 1), " lead", "trail ", "new\nline", "tab\t", 'quote"',
     "comma,sep", "back\\slash", "/leading-slash", "-dash", "checkpoint", "agent.points_dropped",
     "ünïcode", 3, None, ("tuple",)],
)
def test_name_problem_when_name_is_invalid_then_reason(name: object) -> None:
    assert isinstance(name_problem(name), str)


def test_name_problem_when_internal_then_reserved_names_allowed() -> None:
    assert name_problem("agent.points_dropped", internal=True) is None
    assert name_problem("checkpoint", internal=True) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1.0), (0.5, 0.5), (True, 1.0), (False, 0.0), (-3, -3.0),
        (np.float32(0.25), 0.25), (np.float64(2.5), 2.5), (np.int64(7), 7.0), (np.bool_(True), 1.0),
        (np.array(1.5), 1.5), (Decimal("0.5"), 0.5), (Fraction(1, 4), 0.25),
        (math.inf, math.inf), (-math.inf, -math.inf),
    ],
)
def test_coerce_value_when_number_then_float(value: object, expected: float) -> None:
    assert coerce_value(value) == expected


def test_coerce_value_when_nan_then_nan() -> None:
    result = coerce_value(float("nan"))
    assert result is not None and math.isnan(result)


@pytest.mark.parametrize(
    "value", ["1.5", b"1", bytearray(b"1"), None, [1.0], {"a": 1}, object(), 1 + 2j, 10**400,
              np.array([1.0, 2.0])]
)
def test_coerce_value_when_not_a_number_then_none(value: object) -> None:
    assert coerce_value(value) is None


def test_once_per_key_when_same_key_twice_then_one_warning() -> None:
    once = OncePerKey(stacklevel=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        once.warn("a", "bad")
        once.warn("a", "bad again")
        once.warn("b", "bad")
    assert [str(w.message) for w in caught] == [
        "runwatch: not logging 'a': bad",
        "runwatch: not logging 'b': bad",
    ]
    assert all(w.category is MetricWarning for w in caught)
    assert once.suppressed == 1
