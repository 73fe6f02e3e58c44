from __future__ import annotations

import json
import math

import numpy as np
import pytest

from runwatch.server.live import sse_encoding as enc


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], b"[]"),
        ([1.0, 2.5], b"[1.0,2.5]"),
        ([math.nan], b'["NaN"]'),
        ([math.inf, -math.inf], b'["Infinity","-Infinity"]'),
        ([0.1, math.nan, -3.0, math.inf], b'[0.1,"NaN",-3.0,"Infinity"]'),
        ([1e300, -0.0, 5e-324], b"[1e+300,-0.0,5e-324]"),
    ],
)
def test_values_json_names_non_finite_values(values: list[float], expected: bytes) -> None:
    assert enc.values_json(np.array(values, dtype=np.float64)) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"lr": math.nan}, b'{"lr":"NaN"}'),
        ({"a": [1.0, {"b": -math.inf}]}, b'{"a":[1.0,{"b":"-Infinity"}]}'),
        ([math.inf, "NaN", 3], b'["Infinity","NaN",3]'),
        ({"ok": True, "none": None}, b'{"ok":true,"none":null}'),
    ],
)
def test_dumps_names_non_finite_floats_at_any_depth(value: object, expected: bytes) -> None:
    assert enc.dumps(value) == expected


def test_series_json_is_the_wire_series_object() -> None:
    body = enc.series_json(
        run_id="r1", metric="train/loss", host="h", rank=2, device=65535, unit="",
        step=np.array([1, 2]), time=np.array([1000, 2000]), value=np.array([0.5, math.nan]),
        replace=False,
    )
    assert body == (
        b'{"run_id":"r1","metric":"train/loss","host":"h","rank":2,"device":65535,"unit":"",'
        b'"step":[1,2],"time":[1000,2000],"value":[0.5,"NaN"],"replace":false}'
    )


def test_series_json_with_extra_arrays_puts_them_after_value() -> None:
    body = enc.series_json(
        run_id="r", metric="m", host="", rank=0, device=0, unit="s", step=np.array([1]),
        time=np.array([60000]), value=np.array([2.0]), replace=True,
        extra={"min": np.array([1.0]), "max": np.array([math.inf])},
    )
    assert body.endswith(b'"value":[2.0],"min":[1.0],"max":["Infinity"],"replace":true}')
    assert json.loads(body)["max"] == ["Infinity"]


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        (("delta", b"{}"), {"id": 7}, b"id: 7\nevent: delta\ndata: {}\n\n"),
        (("snapshot", b"[1]"), {"id": 1, "retry_ms": 3000},
         b"retry: 3000\nid: 1\nevent: snapshot\ndata: [1]\n\n"),
        (("runs_meta", b'{"a":"b"}'), {}, b'event: runs_meta\ndata: {"a":"b"}\n\n'),
    ],
)
def test_frame_layout(args: tuple[str, bytes], kwargs: dict[str, int], expected: bytes) -> None:
    assert enc.frame(*args, **kwargs) == expected


@pytest.mark.parametrize("data", [b"a\nb", b"a\rb"])
def test_frame_when_data_has_a_newline_then_refuses(data: bytes) -> None:
    with pytest.raises(ValueError):
        enc.frame("delta", data)


def test_snapshot_delta_and_runs_meta_bodies() -> None:
    assert enc.snapshot_json(5, 2000, b"[]", [b"{}", b"{}"]) == (
        b'{"version":5,"max_points":2000,"runs":[],"series":[{},{}]}')
    assert enc.delta_json(6, 5, []) == b'{"version":6,"prev_version":5,"series":[]}'
    assert enc.runs_meta_json(7, b"[1]") == b'{"version":7,"runs":[1]}'


def test_comment_is_one_line_per_text_line() -> None:
    assert enc.comment("ping") == b": ping\n\n"
    assert enc.comment("a\nb") == b": a\n: b\n\n"
