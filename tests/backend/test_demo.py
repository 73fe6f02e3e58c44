"""The demo's runs: every tab and state within a minute, and honest final statuses."""

from __future__ import annotations

import math
import random
import threading
from typing import Any

from runwatch.server.demo import BASE_STEPS_PER_SEC, demo_specs, simulate, train_loss


class _RecordingRun:
    def __init__(self) -> None:
        self.logged: list[tuple[int, dict[str, Any]]] = []
        self.checkpoints: list[int] = []
        self.lines: list[str] = []

    def log(self, data: dict[str, Any], step: int) -> None:
        self.logged.append((step, data))

    def log_checkpoint(self, *, step: int, **_: Any) -> None:
        self.checkpoints.append(step)

    def log_text(self, text: str, **_: Any) -> None:
        self.lines.extend(text.splitlines())


def _seconds(steps: int) -> float:
    return steps / BASE_STEPS_PER_SEC


def test_within_a_minute_a_run_finishes_one_diverges_past_1e6_to_nan_and_every_tab_has_data() -> None:
    long, short, diverging = demo_specs(3, 50_000, seed=1)
    assert long.total_steps == 50_000 and _seconds(short.total_steps) < 60
    assert diverging.diverges_at is not None
    losses = [train_loss(diverging, s, random.Random(0)) for s in range(diverging.total_steps)]
    first_nan = next(s for s, v in enumerate(losses) if math.isnan(v))
    assert _seconds(first_nan) < 60
    assert max(v for v in losses[:first_nan]) > 1e5

    run = _RecordingRun()
    status = simulate(short, run, threading.Event(), speed=0)  # type: ignore[arg-type]
    assert status == "finished"
    names = {name for _, data in run.logged for name in data}
    assert {"train/loss", "val/loss", "model/weight_norm"} <= names
    first_val = min(s for s, data in run.logged if "val/loss" in data)
    assert _seconds(first_val) < 10 and _seconds(min(run.checkpoints)) < 30


def test_a_run_stopped_before_its_last_step_ends_failed_not_finished() -> None:
    stop = threading.Event()
    stop.set()
    spec = demo_specs(1, 50_000)[0]
    assert simulate(spec, _RecordingRun(), stop, speed=0) == "failed"  # type: ignore[arg-type]


def test_a_diverging_run_ends_failed() -> None:
    spec = demo_specs(3, 50_000)[2]
    assert simulate(spec, _RecordingRun(), threading.Event(), speed=0) == "failed"  # type: ignore[arg-type]
