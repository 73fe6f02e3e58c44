"""Keras 3 (any backend): a callback that records into a runwatch run.

    from runwatch.integrations.keras import RunwatchCallback
    model.fit(x, y, validation_data=..., callbacks=[RunwatchCallback(project="vision")])

- every batch: `train/<metric>` at the global batch step (Keras' running averages, as
  `History` and the progress bar show them);
- every epoch: the epoch's logs, `val_loss` → `val/loss`, `loss` → `epoch/loss`, plus `epoch`,
  at the step the epoch ended;
- `on_train_begin`: the optimizer's config and the model's name and parameter count join the
  run's config (`model.get_config()` can be megabytes for large functional models);
- checkpoints: pass the `keras.callbacks.ModelCheckpoint` you use as `checkpoints=` and list
  this callback after it; each file it writes becomes `Run.log_checkpoint(step, path,
  {monitor: value})` (Keras callbacks cannot see each other otherwise);
- `on_train_end` finishes the run; an exception in `fit` leaves it to the agent's atexit hook,
  which marks it failed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import keras

from runwatch.integrations._common import never_raises, numbers
from runwatch.run import Run


def epoch_metric_name(key: str) -> str:
    return f"val/{key[4:]}" if key.startswith("val_") else f"epoch/{key}"


class RunwatchCallback(keras.callbacks.Callback):  # type: ignore[misc]
    def __init__(self, project: str = "", name: str | None = None,
                 config: Mapping[str, Any] | None = None, tags: tuple[str, ...] = (),
                 log_batches: bool = True, checkpoints: Any = None, **run_options: Any) -> None:
        """Arguments as `runwatch.Run(...)`; the run starts with `fit`."""
        super().__init__()
        self._project = project
        self._run_name = name
        self._config = dict(config or {})
        self._tags = tuple(tags)
        self._log_batches = log_batches
        self._checkpoints = checkpoints
        self._saved: dict[str, int] = {}  # path -> mtime_ns already recorded
        self._run_options = run_options
        self.run: Run | None = None
        self.step = 0

    @never_raises
    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        config = dict(self._config)
        model = self.model
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None:
            config["optimizer"] = optimizer.get_config()
        config["model"] = {"name": model.name, "params": int(model.count_params()),
                           "backend": keras.backend.backend()}
        if self.run is None or self.run.finished:
            self.run = Run(project=self._project, name=self._run_name, config=config,
                           tags=self._tags, **self._run_options)
        else:
            self.run.update_config(config)

    @never_raises
    def on_train_batch_end(self, batch: int, logs: Mapping[str, Any] | None = None) -> None:
        self.step += 1
        if self.run is not None and self._log_batches:
            self.run.log(numbers(logs, rename=lambda k: f"train/{k}"), step=self.step)

    @never_raises
    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        if self.run is not None:
            values = numbers(logs, rename=epoch_metric_name)
            values["epoch"] = float(epoch + 1)
            self.run.log(values, step=self.step)
            self._record_checkpoint(epoch, logs or {})

    def _record_checkpoint(self, epoch: int, logs: Mapping[str, Any]) -> None:
        if self._checkpoints is None or self.run is None:
            return
        # ModelCheckpoint's documented filepath template: {epoch:02d}, {val_loss:.2f}, ...
        path = os.fspath(self._checkpoints.filepath).format(epoch=epoch + 1, **logs)
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            return  # not written this epoch (save_best_only, save_freq in batches)
        if self._saved.get(path) == mtime:
            return
        self._saved[path] = mtime
        monitor = getattr(self._checkpoints, "monitor", None)
        metrics = numbers({monitor: logs.get(monitor)}) if monitor else {}
        self.run.log_checkpoint(step=self.step, path=path, metrics=metrics, log_metrics=False)

    @never_raises
    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self.run is not None:
            self.run.finish("finished")
