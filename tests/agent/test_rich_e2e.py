"""Histograms and images through the real agent into the real embedded ClickHouse."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from runwatch import Histogram, Image, MetricWarning, Run
from runwatch.server.migrate import apply_schema
from tests.agent.helpers import wait_until
from tests.support.clickhouse import EmbeddedClickHouse

HISTOGRAM_SQL = (
    "SELECT step, metric, edges, counts, min, max, count, sum, nonfinite FROM histograms "
    "WHERE run_id = {r:String} ORDER BY metric, step"
)


@pytest.fixture
def make_run(clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path) -> Iterator[Any]:
    runs: list[Run] = []

    def factory(**kwargs: Any) -> Run:
        run = Run(project="rich", host=clickhouse_server.host, port=clickhouse_server.port,
                  database=database, spool_dir=tmp_path / "spool", environ={},
                  system_metrics=False, flush_interval=0.05, capture_output=False, **kwargs)
        runs.append(run)
        return run

    yield factory
    for run in runs:
        run.finish()


def stored(server: EmbeddedClickHouse, database: str, sql: str, run_id: str) -> list[tuple[Any, ...]]:
    client = server.client(database=database)
    try:
        return list(client.query(sql, parameters={"r": run_id},
                                 column_formats={"data": "bytes"}).result_rows)
    finally:
        client.close()


def as_row(step: int, metric: str, h: Histogram) -> tuple[Any, ...]:
    return (step, metric, h.edges, h.counts, h.min, h.max, h.count, h.sum, h.nonfinite)


def test_histograms_of_numpy_arrays_and_torch_tensors_round_trip_exactly(
    make_run: Any, clickhouse_server: EmbeddedClickHouse, database: str
) -> None:
    rng = np.random.default_rng(7)
    run = make_run()
    logged: list[tuple[Any, ...]] = []
    for step in range(5):
        weights = rng.normal(step, 1.0 + step, size=50_000)
        grads = torch.from_numpy(rng.standard_t(3, size=(100, 300)).astype(np.float32))
        grads[0, :7] = float("nan")
        hw, hg = Histogram(weights), Histogram(grads, bins=32)
        run.log({"weights/layer1": hw, "grad/layer1": hg, "train/loss": 1.0 / (step + 1)}, step=step)
        logged += [as_row(step, "grad/layer1", hg), as_row(step, "weights/layer1", hw)]
        # the agent's binning is numpy.histogram's, bin for bin and edge for edge
        counts, edges = np.histogram(weights, bins=64)
        assert (hw.counts, hw.edges) == (counts.tolist(), edges.tolist())
        finite = grads.numpy().ravel()  # a CPU tensor is binned through numpy, without a copy
        finite = finite[np.isfinite(finite)]
        counts, edges = np.histogram(finite, bins=32)
        assert (hg.counts, hg.edges, hg.nonfinite) == (counts.tolist(), edges.tolist(), 7)
        assert (hg.min, hg.max, hg.count) == (finite.min(), finite.max(), finite.size)
    from_counts = Histogram.from_counts([1, 5, 2], [0.0, 0.5, 1.5, 4.0])
    run.log({"custom": from_counts}, step=9)
    logged.append(as_row(9, "custom", from_counts))
    assert run.flush(30)
    rows = stored(clickhouse_server, database, HISTOGRAM_SQL, run.run_id)
    assert rows == sorted(logged, key=lambda r: (r[1], r[0]))
    # the scalars of the same call share its step
    loss_steps = stored(clickhouse_server, database, "SELECT step FROM metric_points WHERE "
                        "run_id = {r:String} AND metric = 'train/loss' ORDER BY step", run.run_id)
    assert [s for (s,) in loss_steps] == [0, 1, 2, 3, 4]


def test_histogram_with_implicit_steps_takes_the_calls_step(
    make_run: Any, clickhouse_server: EmbeddedClickHouse, database: str
) -> None:
    run = make_run()
    run.log({"loss": 1.0})
    run.log({"h": Histogram([1, 2, 3])})
    run.log({"loss": 0.5, "h": Histogram([2, 3, 4])})
    assert run.flush(30)
    rows = stored(clickhouse_server, database, "SELECT step, count FROM histograms WHERE "
                  "run_id = {r:String} ORDER BY step", run.run_id)
    assert rows == [(1, 3), (2, 3)]


def test_histograms_lines_and_images_when_server_down_then_spooled_replayed_and_stored_once(
    isolated_clickhouse_server: EmbeddedClickHouse, tmp_path: Path
) -> None:
    server = isolated_clickhouse_server
    client = server.client()
    apply_schema(client, "rich_faults")
    client.close()
    run = Run(project="faults", host=server.host, port=server.port, database="rich_faults",
              spool_dir=tmp_path / "spool", environ={}, system_metrics=False, capture_output=False,
              flush_interval=0.05, spool_after=0.3, retry_max=0.2)
    run.log({"h": Histogram(np.arange(100.0))}, step=0)
    assert run.flush(30)
    server.stop()
    down = Histogram(np.linspace(-1, 1, 1001), bins=10)
    run.log({"h": down, "img": Image(np.zeros((4, 4), dtype=np.uint8))}, step=1)
    run.log_text("\n".join(f"line {i}" for i in range(100)))  # the console capture's path
    assert wait_until(lambda: run.stats["spooled_points"] >= 102, timeout=30)
    server.start()
    assert wait_until(lambda: run.stats["replayed_points"] >= 1, timeout=60)
    assert run.flush(60)
    run.finish()
    rows = stored(server, "rich_faults", "SELECT step, counts, edges FROM histograms "
                  "WHERE run_id = {r:String} ORDER BY step", run.run_id)
    assert [r[0] for r in rows] == [0, 1]
    assert rows[1][1:] == (down.counts, down.edges)
    lines = stored(server, "rich_faults", "SELECT line FROM run_logs WHERE run_id = {r:String} "
                   "ORDER BY seq", run.run_id)
    assert [line for (line,) in lines] == [f"line {i}" for i in range(100)]
    assert stored(server, "rich_faults", "SELECT count() FROM media WHERE run_id = {r:String}",
                  run.run_id) == [(1,)]


def test_images_round_trip_byte_exact_and_over_the_cap_are_refused_with_a_warning(
    make_run: Any, clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    from PIL import Image as PILImage

    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, size=(48, 64, 3), dtype=np.uint8)
    from_array = Image(pixels, caption="noise")
    path = tmp_path / "photo.jpg"
    PILImage.fromarray(pixels).save(path, format="JPEG")
    from_file = Image(path, caption="file")
    big = Image(rng.integers(0, 256, size=(400, 400, 3), dtype=np.uint8))  # ~480 kB of noise
    run = make_run(max_image_bytes=200_000)
    run.log({"samples": [from_array, from_file]}, step=3)
    with pytest.warns(MetricWarning, match="over the 200000-byte cap"):
        run.log({"big": big}, step=3)
    assert run.flush(30)
    rows = stored(clickhouse_server, database, "SELECT key, idx, caption, mime, width, height, "
                  "data FROM media WHERE run_id = {r:String} ORDER BY key, idx", run.run_id)
    assert [r[:6] for r in rows] == [("samples", 0, "noise", "image/png", 64, 48),
                                     ("samples", 1, "file", "image/jpeg", 64, 48)]
    assert rows[0][6] == from_array.data and rows[1][6] == path.read_bytes()
    assert np.array_equal(np.asarray(PILImage.open(io.BytesIO(rows[0][6]))), pixels)
    assert big.size > 200_000
