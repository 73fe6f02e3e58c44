"""PyTorch Lightning: a `Logger` that records into a runwatch run.

    from runwatch.integrations.lightning import RunwatchLogger
    trainer = Trainer(logger=RunwatchLogger(project="vision", config={"lr": 3e-4}))

- `log_metrics` → `Run.log` at Lightning's step, on every rank (each point carries its rank);
- `log_hyperparams` (`self.save_hyperparameters()`, or the Trainer's) → the run's config;
- every checkpoint ModelCheckpoint saves → `Run.log_checkpoint(step, path, {monitor: score})`;
- `finalize("success")` finishes the run, `finalize("failed")` marks it failed. A later fit or
  test with the same logger continues the same run id.

One run id for all ranks: an explicit `run_id`, else RUNWATCH_RUN_ID, else a new id that the
launching process also puts into RUNWATCH_RUN_ID, so the processes Lightning's DDP launcher
starts (they inherit the environment and re-run the script) pick the same one. Only rank 0
writes the `runs` row and the checkpoint rows.
"""

from __future__ import annotations

import os
from argparse import Namespace
from collections.abc import Mapping
from typing import Any

from lightning.pytorch.loggers.logger import Logger
from lightning.pytorch.utilities import rank_zero_only

from runwatch.config import new_run_id
from runwatch.integrations._common import never_raises, numbers
from runwatch.run import Run

_FINAL_STATUS = {"success": "finished", "finished": "finished", "failed": "failed"}


def _shared_run_id(explicit: str | None) -> str:
    if explicit:
        return explicit
    inherited = os.environ.get("RUNWATCH_RUN_ID")
    if inherited:
        return inherited
    run_id = new_run_id()
    os.environ["RUNWATCH_RUN_ID"] = run_id  # for the DDP processes this one launches
    return run_id


class RunwatchLogger(Logger):
    def __init__(self, project: str = "", name: str | None = None,
                 config: Mapping[str, Any] | None = None, tags: tuple[str, ...] = (), *,
                 run_id: str | None = None, **run_options: Any) -> None:
        """Arguments as `runwatch.Run(...)`; the run starts when Lightning first logs."""
        super().__init__()
        self._project = project
        self._run_name = name
        self._config = dict(config or {})
        self._tags = tuple(tags)
        self._run_id = _shared_run_id(run_id)
        self._run_options = run_options
        self._run: Run | None = None
        self._recorded: dict[str, int] = {}  # checkpoint path -> mtime_ns already recorded

    # -- what Lightning asks of a logger ---------------------------------------------------

    @property
    def name(self) -> str:
        return self._project or "runwatch"

    @property
    def version(self) -> str:
        return self._run_id

    @property
    def experiment(self) -> Run:
        """The runwatch `Run` (started on first use, in each process)."""
        if self._run is None or self._run.finished:
            self._run = Run(project=self._project, name=self._run_name, config=self._config,
                            tags=self._tags, run_id=self._run_id, **self._run_options)
        return self._run

    @never_raises
    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        self.experiment.log(numbers(metrics), step=step)

    @never_raises
    def log_hyperparams(self, params: Mapping[str, Any] | Namespace, *args: Any, **kwargs: Any) -> None:
        values = vars(params) if isinstance(params, Namespace) else dict(params)
        self._config.update(values)
        self.experiment.update_config(values)

    @rank_zero_only
    @never_raises
    def after_save_checkpoint(self, checkpoint_callback: Any) -> None:
        step = int(getattr(checkpoint_callback, "_last_global_step_saved", 0) or 0)
        monitor = getattr(checkpoint_callback, "monitor", None)
        saved: dict[str, Any] = dict(getattr(checkpoint_callback, "best_k_models", {}) or {})
        last = getattr(checkpoint_callback, "last_model_path", "")
        if last:
            saved.setdefault(last, getattr(checkpoint_callback, "current_score", None))
        for path, score in saved.items():
            try:
                mtime = os.stat(path).st_mtime_ns
            except OSError:
                continue  # deleted again (top-k) or never written on this rank
            if self._recorded.get(path) == mtime:
                continue
            self._recorded[path] = mtime
            metrics = numbers({monitor: score}) if monitor else {}
            self.experiment.log_checkpoint(step=step, path=path, metrics=metrics, log_metrics=False)

    @never_raises
    def finalize(self, status: str) -> None:
        if self._run is not None and not self._run.finished:
            self._run.finish(_FINAL_STATUS.get(status, "finished"))

    @property
    def save_dir(self) -> str | None:
        return None
