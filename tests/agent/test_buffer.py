from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

from runwatch.values import MetricWarning
from runwatch.write.buffer import PointBuffer
from runwatch.write.registry import MetricRegistry


def make_buffer(**kwargs: Any) -> PointBuffer:
    kwargs.setdefault("clock", lambda: 1000.0)
    return PointBuffer(MetricRegistry(65535), **kwargs)


def log(buffer: PointBuffer, data: Any, step: Any = None) -> None:
    """What Run.log does: the hot path, and the general path when it declines."""
    try:
        buffer.append(data, step)
    except Exception:
        buffer.append_slow(data, step)


def points(buffer: PointBuffer) -> list[tuple[int, str, float]]:
    """(step, metric, value) of everything buffered, in order."""
    registry = buffer.registry
    out = []
    for chunk in buffer.take():
        position = 0
        for step, sid in zip(chunk.steps, chunk.sids, strict=True):
            for metric in registry.schemas[sid].ids:
                out.append((step, registry.names[metric], chunk.values[position]))
                position += 1
    return out


def test_append_when_keys_seen_before_then_hot_path_stores_in_order() -> None:
    buffer = make_buffer()
    log(buffer, {"loss": 1.0, "lr": 0.1}, step=5)
    buffer.append({"loss": 0.5, "lr": 0.2}, 6)  # raises if the hot path declines
    assert points(buffer) == [(5, "loss", 1.0), (5, "lr", 0.1), (6, "loss", 0.5), (6, "lr", 0.2)]


def test_append_when_step_omitted_then_steps_count_up_from_last_explicit() -> None:
    buffer = make_buffer()
    log(buffer, {"a": 1})
    log(buffer, {"a": 2})
    log(buffer, {"a": 3}, step=10)
    log(buffer, {"a": 4})
    log(buffer, {"a": 5}, step=2)  # an older explicit step does not move the counter back
    log(buffer, {"a": 6})
    assert [p[0] for p in points(buffer)] == [0, 1, 10, 11, 2, 12]


@pytest.mark.parametrize(
    "value", [1, True, np.float32(0.5), np.int64(3), np.array(2.0), math.nan, math.inf, -math.inf]
)
def test_append_when_value_is_numeric_then_stored_as_float(value: Any) -> None:
    buffer = make_buffer()
    log(buffer, {"a": value}, step=0)
    log(buffer, {"a": value}, step=1)  # second time through the hot path
    stored = [p[2] for p in points(buffer)]
    expected = float(value)
    for got in stored:
        assert got == expected or (math.isnan(got) and math.isnan(expected))


def test_append_when_value_not_a_number_then_key_skipped_with_one_warning() -> None:
    buffer = make_buffer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for step in range(3):
            log(buffer, {"loss": 1.0, "note": "hello", "bad": None}, step=step)
    assert points(buffer) == [(0, "loss", 1.0), (1, "loss", 1.0), (2, "loss", 1.0)]
    messages = sorted(str(w.message) for w in caught if w.category is MetricWarning)
    assert messages == [
        "runwatch: not logging 'bad': value of type NoneType is not a number",
        "runwatch: not logging 'note': value of type str is not a number",
    ]


def test_append_when_name_invalid_then_skipped_with_one_warning() -> None:
    buffer = make_buffer()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        log(buffer, {"ok": 1.0, "bad,name": 2.0, "checkpoint": 3.0}, step=0)
        log(buffer, {"ok": 1.0, "bad,name": 2.0, "checkpoint": 3.0}, step=1)
    assert [p[1] for p in points(buffer)] == ["ok", "ok"]
    assert len([w for w in caught if w.category is MetricWarning]) == 2


def test_append_when_data_not_a_mapping_then_warns_and_stores_nothing() -> None:
    buffer = make_buffer()
    log(buffer, {"a": 1.0, "b": 2.0}, step=0)
    with pytest.warns(MetricWarning):
        log(buffer, "ab", step=1)  # a str whose characters happen to be known keys
        log(buffer, [("a", 1.0)], step=2)
    assert len(points(buffer)) == 2


@pytest.mark.parametrize("step", [-1, 2**64, 1.5, "3"])
def test_append_when_step_invalid_then_call_skipped_with_warning(step: Any) -> None:
    buffer = make_buffer()
    log(buffer, {"a": 1.0}, step=0)
    with pytest.warns(MetricWarning):
        log(buffer, {"a": 2.0}, step=step)
    assert points(buffer) == [(0, "a", 1.0)]


def test_append_when_step_is_numpy_integer_then_accepted() -> None:
    buffer = make_buffer()
    log(buffer, {"a": 1.0}, step=np.int64(7))
    log(buffer, {"a": 1.0})
    assert [p[0] for p in points(buffer)] == [7, 8]


def test_append_when_chunk_full_then_sealed_and_writer_woken() -> None:
    woken = []
    buffer = make_buffer(chunk_points=4, capacity=100, on_sealed=lambda: woken.append(1))
    for step in range(5):
        log(buffer, {"a": 1.0, "b": 2.0}, step=step)
    assert len(woken) == 2
    chunks = buffer.take()
    assert [c.points for c in chunks] == [4, 4, 2]


def test_take_when_backlog_over_max_points_then_oldest_sealed_chunks_only_and_marks_follow() -> None:
    buffer = make_buffer(chunk_points=10, capacity=1000)
    for step in range(53):  # 5 sealed chunks of 10 points, 3 points in the open one
        log(buffer, {"a": float(step)}, step=step)
    first = buffer.take(20)
    assert [c.steps[0] for c in first] == [0, 10]
    assert buffer.has_backlog() and buffer.taken_mark() == 2
    assert buffer.flush_mark() == 6  # the open chunk sealed: everything logged so far
    log(buffer, {"a": 53.0}, step=53)  # after the flush: not part of its mark
    assert [c.steps[0] for c in buffer.take(20)] == [20, 30]
    assert buffer.taken_mark() == 4 < 6
    rest = buffer.take(20)  # 14 points left, under the limit: all of it, the open chunk too
    assert [(c.steps[0], c.points) for c in rest] == [(40, 10), (50, 3), (53, 1)]
    assert not buffer.has_backlog() and buffer.taken_mark() == 7 and buffer.pending_points() == 0


def test_take_when_one_chunk_exceeds_max_points_then_it_is_taken_alone() -> None:
    buffer = make_buffer(chunk_points=10, capacity=1000)
    for step in range(30):
        log(buffer, {"a": 1.0}, step=step)
    assert [c.points for c in buffer.take(5)] == [10]
    assert buffer.pending_points() == 20


def test_append_when_capacity_exceeded_then_oldest_chunks_dropped_and_counted() -> None:
    buffer = make_buffer(chunk_points=2, capacity=4)
    for step in range(10):
        log(buffer, {"a": float(step), "b": float(step)}, step=step)
    assert buffer.dropped == 16  # 20 logged, the newest 4 kept
    assert [p[0] for p in points(buffer)] == [8, 8, 9, 9]
    assert buffer.pending_points() == 0


def test_append_internal_when_system_samples_then_device_and_unit_kept_and_step_not_advanced() -> None:
    buffer = make_buffer()
    log(buffer, {"loss": 1.0}, step=41)
    buffer.append_internal([("sys.gpu.1.util_percent", 99.0, "percent")], device=1)
    log(buffer, {"loss": 1.0})
    registry = buffer.registry
    chunk = buffer.take()[0]
    assert list(chunk.steps) == [41, 41, 42]
    gpu_schema = registry.schemas[chunk.sids[1]]
    assert gpu_schema.device == 1
    assert registry.units[gpu_schema.ids[0]] == "percent"
    assert registry.schemas[chunk.sids[0]].device == 65535


def test_append_when_many_key_sets_then_schema_cache_stays_bounded() -> None:
    buffer = PointBuffer(MetricRegistry(65535, max_schemas=4), clock=lambda: 0.0)
    for i in range(50):
        log(buffer, {"a": 1.0, f"k{i % 10}": 2.0, f"j{i}": 3.0}, step=i)
    registry = buffer.registry
    assert len(registry.user_schemas) <= 4
    assert len(registry.schemas) <= 16 + len(registry.names)
    assert len(points(buffer)) == 150


def test_reset_after_fork_when_called_then_parent_points_forgotten() -> None:
    buffer = make_buffer()
    log(buffer, {"a": 1.0}, step=0)
    buffer.reset_after_fork()
    assert buffer.take() == []


class TensorLike:
    """Behaves like a torch tensor for float(): 0-d converts, more elements raise."""

    def __init__(self, *values: float) -> None:
        self.values = values

    def __float__(self) -> float:
        if len(self.values) != 1:
            raise RuntimeError("a Tensor with 2 elements cannot be converted to Scalar")
        return self.values[0]


def test_append_when_tensor_like_values_then_scalars_kept_and_vectors_warned() -> None:
    buffer = make_buffer()
    log(buffer, {"loss": TensorLike(0.5)}, step=0)
    log(buffer, {"loss": TensorLike(0.25)}, step=1)  # hot path
    with pytest.warns(MetricWarning, match="TensorLike is not a number"):
        log(buffer, {"loss": TensorLike(1.0, 2.0)}, step=2)
    assert points(buffer) == [(0, "loss", 0.5), (1, "loss", 0.25)]
