"""`runwatch import tensorboard` against event files written by tensorboardX's SummaryWriter."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from runwatch.config import ClickHouseTarget
from runwatch.importers import tensorboard_reader as tensorboard
from runwatch.importers.cli import run_import as run_handles
from runwatch.importers.store import ImportStore
from runwatch.write.batch import Batch
from tests.importers.helpers import (
    assert_same,
    expected_stats,
    query,
    run_import,
    run_rows,
    stored_stats,
    total_points,
)
from tests.support.clickhouse import EmbeddedClickHouse

pytest.importorskip("tensorboardX", reason="the 'dev' extra brings tensorboardX")


def f32(value: float) -> float:  # event files hold scalars as float32
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def write_logdir(root: Path) -> dict[str, dict[str, list[tuple[int, float]]]]:
    from tensorboardX import SummaryWriter
    from tensorboardX.summary import hparams

    written: dict[str, dict[str, list[tuple[int, float]]]] = {}
    # run_a: torch/tensorboardX habit, add_hparams writes into a child directory.
    writer = SummaryWriter(str(root / "run_a"))
    points = written["run_a"] = {"loss/train": [], "acc": []}
    for i in range(300):
        writer.add_scalar("loss/train", 1.0 / (i + 1), i)
        points["loss/train"].append((i, f32(1.0 / (i + 1))))
        if i % 3 == 0:
            writer.add_scalar("acc", i / 300, i * 10)
            points["acc"].append((i * 10, f32(i / 300)))
    writer.add_hparams({"lr": 0.001, "optimizer": "adam", "batch_size": 32}, {"hparam/best": 0.5})
    written["run_a/child"] = {"hparam/best": [(0, 0.5)]}
    writer.close()
    # run_b: the hparams plugin's own layout, session start info in the run's directory.
    writer = SummaryWriter(str(root / "nested" / "run_b"))
    for summary in hparams({"dropout": 0.25, "deep": True}, {"acc": 0.0}):
        writer._get_file_writer().add_summary(summary)
    points = written["nested/run_b"] = {"acc": []}
    for i in range(50):
        writer.add_scalar("acc", i * 0.5, 1000 + i)
        points["acc"].append((1000 + i, f32(i * 0.5)))
    writer.close()
    return written


def runs_by_name(server: EmbeddedClickHouse, database: str) -> dict[str, tuple[str, dict[str, object], str]]:
    rows = query(server, database, "SELECT name, run_id, config_json, status, project FROM runs FINAL")
    return {name: (run_id, json.loads(config), status) for name, run_id, config, status, _ in rows}


def corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # lands in a record's body: its CRC no longer matches
    path.write_bytes(bytes(data))


def test_import_when_rerun_then_every_scalar_once_with_hparams_as_config(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    written = write_logdir(tmp_path / "logs")
    code, err = run_import(capsys, clickhouse_server, database, "tensorboard",
                           str(tmp_path / "logs"), "--project", "tb-test")
    assert code == 0, err
    runs = runs_by_name(clickhouse_server, database)
    assert set(runs) == {"run_a", "nested/run_b", next(n for n in runs if n.startswith("run_a/"))}
    run_a, config_a, status_a = runs["run_a"]
    assert config_a == {"lr": 0.001, "optimizer": "adam", "batch_size": 32}
    assert status_a == "finished"
    assert runs["nested/run_b"][1] == {"dropout": 0.25, "deep": True}
    assert_same(stored_stats(clickhouse_server, database, run_a), expected_stats(written["run_a"]))
    assert_same(stored_stats(clickhouse_server, database, runs["nested/run_b"][0]),
                expected_stats(written["nested/run_b"]))
    points, rows = total_points(clickhouse_server, database), run_rows(clickhouse_server, database)
    assert points == 300 + 100 + 50 + 1
    assert "3 runs, 451 points stored, 0 already there, 0 skipped" in err

    code, err = run_import(capsys, clickhouse_server, database, "tensorboard",
                           str(tmp_path / "logs"), "--project", "tb-test")
    assert code == 0, err
    assert "3 runs, 0 points stored, 451 already there" in err
    assert (total_points(clickhouse_server, database), run_rows(clickhouse_server, database)) == (points, rows)

    # the run went on (a resumed writer adds an event file): only its new points are stored
    from tensorboardX import SummaryWriter

    writer = SummaryWriter(str(tmp_path / "logs" / "nested" / "run_b"), filename_suffix=".resumed")
    for i in range(50, 60):
        writer.add_scalar("acc", i * 0.5, 1000 + i)
        written["nested/run_b"]["acc"].append((1000 + i, f32(i * 0.5)))
    writer.close()
    code, err = run_import(capsys, clickhouse_server, database, "tensorboard",
                           str(tmp_path / "logs"), "--project", "tb-test")
    assert code == 0, err
    assert "3 runs, 10 points stored, 451 already there" in err
    assert_same(stored_stats(clickhouse_server, database, runs["nested/run_b"][0]),
                expected_stats(written["nested/run_b"]))


def test_import_when_an_event_file_is_corrupt_then_it_is_named_and_the_rest_imported(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    written = write_logdir(tmp_path / "logs")
    broken = next((tmp_path / "logs" / "nested" / "run_b").glob("*tfevents*"))
    corrupt(broken)
    code, err = run_import(capsys, clickhouse_server, database, "tensorboard", str(tmp_path / "logs"))
    assert code == 1
    assert f"skipped {broken}: corrupt or truncated after" in err
    runs = runs_by_name(clickhouse_server, database)
    assert_same(stored_stats(clickhouse_server, database, runs["run_a"][0]), expected_stats(written["run_a"]))
    kept = stored_stats(clickhouse_server, database, runs["nested/run_b"][0])["acc"][0]
    assert 0 < kept < 50  # the records before the damage


def test_import_when_interrupted_then_whole_batches_only_and_a_rerun_completes(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    written = write_logdir(tmp_path / "logs")
    target = ClickHouseTarget(host=clickhouse_server.host, port=clickhouse_server.port, database=database)

    class CtrlCAfterTwoBatches(ImportStore):
        sent = 0

        def _insert(self, batch: Batch) -> None:
            if batch.table == "metric_points" and CtrlCAfterTwoBatches.sent == 2:
                raise KeyboardInterrupt
            super()._insert(batch)
            CtrlCAfterTwoBatches.sent += batch.table == "metric_points"

    handles = tensorboard.find_runs(tmp_path / "logs")
    code = run_handles("import", handles, target,
                       store_factory=lambda t: CtrlCAfterTwoBatches(t, batch_points=70))
    assert code == 130
    # nested/run_b's 50 points, then run_a's first batch of 70; no runs row for run_a yet
    assert total_points(clickhouse_server, database) == 50 + 70
    assert run_rows(clickhouse_server, database) == 1
    assert "run the same command again" in capsys.readouterr().err

    code = run_handles("import", tensorboard.find_runs(tmp_path / "logs"), target,
                       store_factory=lambda t: ImportStore(t, batch_points=70))
    assert code == 0
    runs = runs_by_name(clickhouse_server, database)
    assert_same(stored_stats(clickhouse_server, database, runs["run_a"][0]), expected_stats(written["run_a"]))
    assert total_points(clickhouse_server, database) == 451


def test_import_when_no_event_files_then_a_clear_error(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = run_import(capsys, clickhouse_server, database, "tensorboard", str(tmp_path))
    assert code == 2 and "no TensorBoard event files" in err
    code, err = run_import(capsys, clickhouse_server, database, "tensorboard", str(tmp_path / "nope"))
    assert code == 2 and "not a directory" in err
