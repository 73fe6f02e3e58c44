"""RunwatchLogger in real PyTorch Lightning (CPU, a linear model, a few dozen steps)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers.logger import Logger
from torch.utils.data import DataLoader, TensorDataset

from runwatch.integrations.lightning import RunwatchLogger
from tests.integrations.conftest import checkpoints, points, run_row
from tests.support.clickhouse import EmbeddedClickHouse

REPO = Path(__file__).resolve().parents[2]


class Regression(LightningModule):
    def __init__(self, lr: float = 0.05, fail_at_step: int | None = None) -> None:
        super().__init__()
        self.save_hyperparameters()
        self.layer = torch.nn.Linear(4, 1)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        if self.hparams.fail_at_step is not None and self.global_step == self.hparams.fail_at_step:
            raise RuntimeError("diverged")
        x, y = batch
        loss = torch.nn.functional.mse_loss(self.layer(x), y)
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        self.log("val/loss", torch.nn.functional.mse_loss(self.layer(x), y))

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr)


class Recorder(Logger):
    """What Lightning itself hands to its loggers: the expectation."""

    def __init__(self) -> None:
        super().__init__()
        self.metrics: dict[tuple[str, int], list[float]] = {}

    name = "recorder"
    version = "0"

    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        for key, value in metrics.items():
            self.metrics.setdefault((key, int(step or 0)), []).append(float(value))

    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        pass


def _loaders() -> tuple[DataLoader[Any], DataLoader[Any]]:
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(64, 4, generator=generator)
    y = x.sum(dim=1, keepdim=True)
    return (DataLoader(TensorDataset(x, y), batch_size=8),
            DataLoader(TensorDataset(x[:16], y[:16]), batch_size=8))


def _trainer(tmp_path: Path, loggers: list[Logger], checkpoint: ModelCheckpoint) -> Trainer:
    return Trainer(max_epochs=3, accelerator="cpu", devices=1, logger=loggers,
                   callbacks=[checkpoint], log_every_n_steps=1, enable_progress_bar=False,
                   enable_model_summary=False, default_root_dir=tmp_path)


def test_fit_stores_every_logged_metric_the_hyperparameters_and_each_checkpoint(
    run_options: dict[str, Any], stored: Any, tmp_path: Path
) -> None:
    logger = RunwatchLogger(project="lightning", config={"dataset": "synthetic"},
                            run_id="pl-fit", **run_options)
    recorder = Recorder()
    checkpoint = ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="val/loss", save_top_k=3)
    train, val = _loaders()
    _trainer(tmp_path, [logger, recorder], checkpoint).fit(Regression(lr=0.05), train, val)

    assert points(stored, "pl-fit") == recorder.metrics
    assert {key for key, _ in recorder.metrics} >= {"train/loss", "val/loss", "epoch"}
    status, config = run_row(stored, "pl-fit")
    assert status == "finished"
    assert config["dataset"] == "synthetic"
    assert config["lr"] == 0.05 and config["fail_at_step"] is None
    saved = checkpoints(stored, "pl-fit")
    assert [step for step, _, _ in saved] == [8, 16, 24]  # 8 batches per epoch
    assert {path for _, path, _ in saved} == set(checkpoint.best_k_models)
    for step, path, metrics in saved:
        assert metrics == {"val/loss": pytest.approx(float(checkpoint.best_k_models[path]))}
        assert recorder.metrics[("val/loss", step - 1)] == [metrics["val/loss"]]


def test_training_that_raises_ends_the_run_failed(
    run_options: dict[str, Any], stored: Any, tmp_path: Path
) -> None:
    logger = RunwatchLogger(project="lightning", run_id="pl-fails", **run_options)
    train, val = _loaders()
    trainer = _trainer(tmp_path, [logger], ModelCheckpoint(dirpath=tmp_path / "ckpt"))
    with pytest.raises(RuntimeError, match="diverged"):
        trainer.fit(Regression(fail_at_step=5), train, val)
    status, _ = run_row(stored, "pl-fails")
    assert status == "failed"
    assert sorted(step for metric, step in points(stored, "pl-fails") if metric == "train/loss") \
        == [0, 1, 2, 3, 4]


DDP_SCRIPT = textwrap.dedent("""
    import torch
    from lightning.pytorch import Trainer
    from torch.utils.data import DataLoader, TensorDataset

    from runwatch.integrations.lightning import RunwatchLogger
    from tests.integrations.test_lightning import Regression

    if __name__ == "__main__":
        x = torch.randn(64, 4, generator=torch.Generator().manual_seed(0))
        train = DataLoader(TensorDataset(x, x.sum(dim=1, keepdim=True)), batch_size=8)
        trainer = Trainer(max_epochs=1, accelerator="cpu", devices=2, strategy="ddp",
                          logger=RunwatchLogger(project="ddp", system_metrics=False),
                          log_every_n_steps=1, enable_progress_bar=False,
                          enable_model_summary=False, enable_checkpointing=False)
        trainer.fit(Regression(), train)
""")


@pytest.mark.slow
def test_ddp_ranks_share_one_run_id_and_label_their_points(
    clickhouse_server: EmbeddedClickHouse, database: str, stored: Any, tmp_path: Path
) -> None:
    script = tmp_path / "train_ddp.py"
    script.write_text(DDP_SCRIPT)
    env = {k: v for k, v in os.environ.items() if k not in ("RUNWATCH_RUN_ID", "RANK", "LOCAL_RANK")}
    env.update(CH_HOST=clickhouse_server.host, CH_PORT=str(clickhouse_server.port),
               CH_DATABASE=database, RUNWATCH_SPOOL_DIR=str(tmp_path / "spool"),
               PYTHONPATH=str(REPO))
    result = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = stored("SELECT run_id, groupUniqArray(rank) FROM metric_points WHERE metric = 'train/loss' "
                  "AND run_id IN (SELECT run_id FROM runs WHERE project = 'ddp') GROUP BY run_id")
    assert len(rows) == 1, rows
    run_id, ranks = rows[0]
    assert sorted(ranks) == [0, 1]
    # 64 samples over 2 ranks, 8 per batch: 4 steps each, every rank logs its own loss.
    assert stored("SELECT rank, count() FROM metric_points WHERE run_id = {r:String} "
                  "AND metric = 'train/loss' GROUP BY rank ORDER BY rank", r=run_id) == [(0, 4), (1, 4)]
    assert stored("SELECT count() FROM runs WHERE run_id = {r:String}", r=run_id)[0][0] >= 1
    assert run_row(stored, run_id)[0] == "finished"
