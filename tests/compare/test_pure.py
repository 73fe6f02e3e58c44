"""Pure parts of comparing runs: flattening, the filter language, sorting, the diff and the
smoothing filters, each against exact expected output."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from runwatch.server.compare import filters
from runwatch.server.compare.diff import diff
from runwatch.server.compare.flatten import flatten
from runwatch.server.compare.smoothing import Smoothing, smooth, validate
from runwatch.server.compare.table import parse_summaries, sort_rows


@pytest.mark.parametrize(
    ("config", "flat"),
    [
        ({}, {}),
        ({"lr": 0.1}, {"lr": 0.1}),
        ({"optimizer": {"lr": 1e-3, "betas": [0.9, 0.99]}},
         {"optimizer.lr": 1e-3, "optimizer.betas": [0.9, 0.99]}),
        ({"model": {"blocks": [{"w": 64}, {"w": 128}]}}, {"model.blocks.0.w": 64, "model.blocks.1.w": 128}),
        ({"a": {"b": {"c": None}}, "e": {}}, {"a.b.c": None, "e": {}}),
        ({"grid": [[1, 2], [3]]}, {"grid.0": [1, 2], "grid.1": [3]}),
        ({"t": (1, 2)}, {"t": [1, 2]}),
    ],
)
def test_flatten_joins_nested_keys_with_dots(config: dict[str, Any], flat: dict[str, Any]) -> None:
    assert flatten(config) == flat


ROWS = [
    {"run_id": "a", "name": "resnet-warm", "status": "running", "tags": ["ablation", "x"],
     "config.optimizer.lr": 1e-4, "config.model.depth": 12, "val/loss:min": 0.2},
    {"run_id": "b", "name": "vit", "status": "finished", "tags": [],
     "config.optimizer.lr": 3e-3, "config.model.depth": 6, "val/loss:min": 0.5},
    {"run_id": "c", "name": "resnet", "status": "failed", "tags": ["ablation"],
     "config.optimizer.lr": 1e-3, "val/loss:min": None},
]
COLUMNS = {"run_id", "name", "status", "tags", "config.optimizer.lr", "config.model.depth",
           "val/loss:min"}


def _resolve(name: str) -> str | None:
    if name in COLUMNS:
        return name
    return f"config.{name}" if f"config.{name}" in COLUMNS else None


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("", ["a", "b", "c"]),
        ("optimizer.lr < 1e-3", ["a"]),
        ("config.optimizer.lr <= 0.001", ["a", "c"]),
        ("optimizer.lr >= 1e-3 and status != failed", ["b"]),
        ("status = running or status = FAILED", ["a", "c"]),
        ("tags has ablation", ["a", "c"]),
        ("not tags has ablation", ["b"]),
        ("resnet", ["a", "c"]),
        ("resnet warm", ["a"]),
        ("name ~ NET", ["a", "c"]),
        ("name !~ warm", ["b", "c"]),
        ("model.depth > 8", ["a"]),  # c has no depth: no match
        ("not model.depth > 8", ["b", "c"]),
        ("val/loss:min < 0.3", ["a"]),
        ('(status = "running") or (optimizer.lr == 3e-3)', ["a", "b"]),
        ("model.depth = 12.0", ["a"]),  # numbers compare as numbers
    ],
)
def test_filter_selects_matching_rows(text: str, ids: list[str]) -> None:
    predicate = filters.parse(text, _resolve)
    assert [r["run_id"] for r in ROWS if predicate(r)] == ids


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr <", "unexpected end"),
        ("nope = 1", "unknown column 'nope'"),
        ("(status = running", "unexpected end"),
        ("status = running)", "unexpected ')'"),
        ("= 3", "unexpected '='"),
    ],
)
def test_filter_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(filters.FilterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        filters.parse(text, _resolve)


def test_sort_numbers_as_numbers_missing_last_both_ways() -> None:
    rows = [{"id": i, "v": v} for i, v in enumerate([10, 9.5, None, 100, math.nan, 2])]
    sort_rows(rows, ["v"])
    assert [r["id"] for r in rows] == [5, 1, 0, 3, 2, 4]
    sort_rows(rows, ["-v"])
    assert [r["id"] for r in rows] == [3, 0, 1, 5, 2, 4]


def test_sort_text_case_insensitive_and_stable_by_secondary_key() -> None:
    rows = [{"n": "b", "k": 2}, {"n": "A", "k": 1}, {"n": "b", "k": 1}]
    sort_rows(rows, ["n", "-k"])
    assert rows == [{"n": "A", "k": 1}, {"n": "b", "k": 2}, {"n": "b", "k": 1}]


@pytest.mark.parametrize(
    ("specs", "ids"),
    [
        (["val/loss"], ["val/loss:last", "val/loss:min", "val/loss:max"]),
        (["val/loss:min_step", "val/loss:min_step"], ["val/loss:min_step"]),
        (["a:b:max"], ["a:b:max"]),
    ],
)
def test_summary_specs(specs: list[str], ids: list[str]) -> None:
    assert [s.column_id for s in parse_summaries(specs)] == ids


def test_diff_lists_differing_keys_with_missing_as_null_and_folds_the_rest() -> None:
    result = diff({
        "r1": {"config.lr": 0.1, "config.depth": 4, "tags": ["a"], "config.w": math.nan},
        "r2": {"config.lr": 0.2, "config.depth": 4, "tags": ["a"], "config.w": math.nan,
               "config.extra": True},
        "r3": {"config.lr": 0.1, "config.depth": 4, "tags": ["a"], "config.w": math.nan},
    }, ["r1", "r2", "r3"])
    assert result.differ == {
        "config.extra": {"r1": None, "r2": True, "r3": None},
        "config.lr": {"r1": 0.1, "r2": 0.2, "r3": 0.1},
    }
    assert set(result.same) == {"config.depth", "tags", "config.w"}
    assert diff({"a": {"k": 1}, "b": {"k": True}}, ["a", "b"]).differ == {"k": {"a": 1, "b": True}}


def ema_reference(y: list[float], weight: float) -> list[float]:
    """TensorBoard's smoothing (vz_line_chart2), over finite points."""
    last, out = 0.0, []
    for count, v in enumerate(y, start=1):
        last = last * weight + (1 - weight) * v
        out.append(last / (1 - weight ** count))
    return out


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.6, 0.99])
def test_ema_is_tensorboards_debiased_ema(weight: float) -> None:
    y = np.random.default_rng(1).normal(size=500).cumsum()
    np.testing.assert_allclose(smooth(y, Smoothing("ema", weight=weight)), ema_reference(list(y), weight),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("kind", "values", "expected"),
    [
        (Smoothing("sma", window=3), [1, 2, 3, 4, 10], [1.5, 2, 3, 17 / 3, 7]),
        (Smoothing("sma", window=1), [1, 5, 2], [1, 5, 2]),
        (Smoothing("sma", window=2), [2, 4, 6], [3, 5, 6]),  # even: one more point after
        (Smoothing("sma", window=3), [1, math.nan, 3, 5], [2, 2, 3, 4]),  # NaN skipped, carried
        (Smoothing("sma", window=3), [math.inf, 1, 3], [2, 2, 2]),  # carried back at the start
        (Smoothing("ema", weight=0.5), [math.nan, math.nan], [math.nan, math.nan]),
        (Smoothing("savgol", window=5, order=2), [1, 4, 9], [1, 4, 9]),  # quadratic: exact
        (Smoothing("gaussian", sigma=2), [7, 7, 7, 7], [7, 7, 7, 7]),
    ],
)
def test_filters_on_small_series(kind: Smoothing, values: list[float], expected: list[float]) -> None:
    np.testing.assert_allclose(smooth(np.array(values, dtype=float), kind), expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("s", "problem"),
    [
        (Smoothing("ema", weight=1.0), "weight must be in [0, 1)"),
        (Smoothing("sma", window=0), "window must be in 1..100001 points"),
        (Smoothing("gaussian", sigma=0), "sigma must be in (0, 10000] points"),
        (Smoothing("savgol", window=5, order=5), "order must be in 0..window-1"),
        (Smoothing("savgol", window=6, order=2), "window must be odd for savgol"),
        (Smoothing("savgol", window=7, order=2), None),
    ],
)
def test_validate(s: Smoothing, problem: str | None) -> None:
    assert validate(s) == problem
