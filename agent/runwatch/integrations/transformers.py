"""Hugging Face Transformers: a `TrainerCallback` that records into a runwatch run.

    from runwatch.integrations.transformers import RunwatchCallback
    trainer = Trainer(..., callbacks=[RunwatchCallback(project="nlp")])

- `on_log` → `Run.log` at `state.global_step`, named as W&B's callback names them:
  `eval_loss` → `eval/loss`, `test_x` → `test/x`, anything else `train/<key>`;
- `on_train_begin`: TrainingArguments (`args`) and the model's config (`model`) as the run's config;
- `on_save` → `Run.log_checkpoint(step, <output_dir>/checkpoint-<step>, latest eval metrics)`;
- `on_train_end` finishes the run. When training raises, the run is marked failed at exit
  (the agent's atexit hook sees the uncaught exception), or by `finish(status="failed")`.

Only the main process (`state.is_world_process_zero`) records, as the Trainer's own loggers do.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from transformers import TrainerCallback

from runwatch.integrations._common import never_raises, numbers
from runwatch.run import Run


def metric_name(key: str) -> str:
    for prefix in ("eval", "test"):
        if key.startswith(f"{prefix}_"):
            return f"{prefix}/{key[len(prefix) + 1:]}"
    return f"train/{key}"


def _to_dict(obj: Any) -> dict[str, Any]:
    to_dict = getattr(obj, "to_dict", None)
    return dict(to_dict()) if callable(to_dict) else {}


class RunwatchCallback(TrainerCallback):
    def __init__(self, project: str = "", name: str | None = None,
                 config: Mapping[str, Any] | None = None, tags: tuple[str, ...] = (),
                 **run_options: Any) -> None:
        """Arguments as `runwatch.Run(...)`; the run starts with training."""
        self._project = project
        self._run_name = name
        self._config = dict(config or {})
        self._tags = tuple(tags)
        self._run_options = run_options
        self.run: Run | None = None
        self._last_eval: dict[str, float] = {}

    @never_raises
    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       **kwargs: Any) -> None:
        if not state.is_world_process_zero:
            return
        config = {**self._config, "args": _to_dict(args)}
        model_config = _to_dict(getattr(model, "config", None))
        if model_config:
            config["model"] = model_config
        if self.run is None or self.run.finished:
            self.run = Run(project=self._project, name=self._run_name or getattr(args, "run_name", None),
                           config=config, tags=self._tags, **self._run_options)
        else:
            self.run.update_config(config)

    @never_raises
    def on_log(self, args: Any, state: Any, control: Any, logs: Mapping[str, Any] | None = None,
               **kwargs: Any) -> None:
        if self.run is None or not state.is_world_process_zero:
            return
        values = numbers(logs, rename=metric_name)
        self._last_eval.update({k: v for k, v in values.items() if k.startswith("eval/")})
        self.run.log(values, step=int(state.global_step))

    @never_raises
    def on_save(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is None or not state.is_world_process_zero:
            return
        step = int(state.global_step)
        path = os.path.join(args.output_dir, f"checkpoint-{step}")
        size = sum(entry.stat().st_size for entry in os.scandir(path) if entry.is_file()) \
            if os.path.isdir(path) else None
        self.run.log_checkpoint(step=step, path=path, size_bytes=size, metrics=self._last_eval,
                                log_metrics=False)

    @never_raises
    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self.run is not None and state.is_world_process_zero:
            self.run.finish("finished")
