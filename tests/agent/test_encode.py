from __future__ import annotations

import datetime
import json
import math

from runwatch.write.buffer import PointBuffer
from runwatch.write.encode import METRIC_COLUMNS, RUN_COLUMNS, PointEncoder, RunRow, encode_run_rows
from runwatch.write.registry import MetricRegistry
from tests.agent.helpers import decode_native


def test_encode_when_points_of_several_kinds_then_rows_exact() -> None:
    registry = MetricRegistry(65535)
    buffer = PointBuffer(registry, clock=lambda: 1_700_000_000.123)
    buffer.append_slow({"loss": 0.5, "nan": math.nan}, 7)
    buffer.append({"loss": 0.25, "nan": math.inf}, None)
    buffer.append_internal([("sys.gpu.3.power_watts", 300.5, "watts")], device=3)
    buffer.append_internal([("checkpoint", 1024.0, "bytes")], step=8, tags=[(0, '{"path":"c"}')])
    body, rows = PointEncoder(registry, run_id="r-1", host="node7", rank=2).encode(buffer.take())
    names, decoded = decode_native(body)
    assert names == tuple(name for name, _ in METRIC_COLUMNS)
    assert rows == len(decoded) == 6
    when = datetime.datetime(2023, 11, 14, 22, 13, 20, 123000)
    assert [row[0] for row in decoded] == [when] * 6
    assert {row[1:4] for row in decoded} == {("r-1", "node7", 2)}
    simplified = [(r[4], r[5], r[6], r[7], r[8], r[9]) for r in decoded]
    # rows come in the table's sort order: metric name, device, step
    assert [row[2] for row in simplified] == [
        "checkpoint", "loss", "loss", "nan", "nan", "sys.gpu.3.power_watts"]
    assert simplified[0] == (65535, 8, "checkpoint", 1024.0, "bytes", '{"path":"c"}')
    assert simplified[1:3] == [(65535, 7, "loss", 0.5, "", ""), (65535, 8, "loss", 0.25, "", "")]
    assert simplified[3][:3] == (65535, 7, "nan") and math.isnan(simplified[3][3])
    assert simplified[4] == (65535, 8, "nan", math.inf, "", "")
    assert simplified[5] == (3, 8, "sys.gpu.3.power_watts", 300.5, "watts", "")


def test_encode_when_chunks_mix_key_sets_then_every_point_once_grouped_by_metric() -> None:
    registry = MetricRegistry(65535)
    buffer = PointBuffer(registry, clock=lambda: 0.0, chunk_points=7)
    expected = set()
    for step in range(20):
        data = {"b": float(step), "a": -float(step)} if step % 3 else {"a": 0.5 + step}
        buffer.append_slow(data, step)
        expected |= {(name, step, value) for name, value in data.items()}
        if step % 5 == 0:
            buffer.append_internal([("sys.gpu.1.util_percent", 1.0, "percent")], device=1)
            buffer.append_internal([("sys.gpu.0.util_percent", 2.0, "percent")], device=0)
            expected |= {("sys.gpu.1.util_percent", step, 1.0), ("sys.gpu.0.util_percent", step, 2.0)}
        if step == 9:
            buffer.append_internal([("checkpoint", 9.0, "bytes")], step=9, tags=[(0, "t9")])
            expected.add(("checkpoint", 9, 9.0))
    body, rows = PointEncoder(registry, run_id="r", host="h", rank=0).encode(buffer.take())
    _, decoded = decode_native(body)
    got = [(row[6], row[5], row[7]) for row in decoded]
    assert rows == len(got) == len(expected) and set(got) == expected
    names = [name for name, _, _ in got]
    assert names == sorted(names)  # steps of one metric logged in two key sets may interleave
    assert [step for name, step, _ in got if name == "b"] == [s for s in range(20) if s % 3]
    assert [row[9] for row in decoded if row[6] == "checkpoint"] == ["t9"]
    assert all(row[9] == "" for row in decoded if row[6] != "checkpoint")
    assert {row[6]: row[4] for row in decoded if row[6].startswith("sys.")} == {
        "sys.gpu.0.util_percent": 0, "sys.gpu.1.util_percent": 1}


def test_encode_when_more_than_256_names_then_wider_indexes_still_decode() -> None:
    registry = MetricRegistry(65535)
    buffer = PointBuffer(registry, clock=lambda: 0.0)
    encoder = PointEncoder(registry, run_id="r", host="h", rank=0)
    buffer.append_slow({"m0": 0.0}, 0)
    encoder.encode(buffer.take())  # one-byte indexes first
    buffer.append_slow({f"m{i}": float(i) for i in range(300)}, 1)
    _, decoded = decode_native(encoder.encode(buffer.take())[0])
    assert [(row[6], row[7]) for row in decoded] == sorted((f"m{i}", float(i)) for i in range(300))


def test_encode_run_rows_when_decoded_then_columns_match_schema() -> None:
    row = RunRow(
        run_id="r", project="vision", name="n", config_json=json.dumps({"lr": 0.1}),
        tags=("a", "b"), host="h", user="u", git_commit="abc", git_dirty=True, env_json="{}",
        status="finished", started_at_ms=1_000, finished_at_ms=2_000, updated_at_ms=2_000,
    )
    names, decoded = decode_native(encode_run_rows([row]))
    assert names == tuple(name for name, _ in RUN_COLUMNS)
    values = dict(zip(names, decoded[0], strict=True))
    assert values["tags"] == ["a", "b"]
    assert values["git_dirty"] == 1
    assert values["status"] == "finished"
    assert values["finished_at"] == datetime.datetime(1970, 1, 1, 0, 0, 2)
