"""The demo's runs: every tab and state within a minute, and honest final statuses."""

from __future__ import annotations

import math
import random
import threading
from typing import Any

from runwatch.server.demo import BASE_STEPS_PER_SEC, demo_specs, run_slot, simulate, train_loss


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


class _Opened:
    """open_run for run_slot: hands out recording runs and notes their names and ends."""

    def __init__(self, stop_after: int, stop: threading.Event) -> None:
        self.names: list[str] = []
        self.finished: list[str] = []
        self._stop_after = stop_after
        self._stop = stop

    def __call__(self, spec: Any) -> tuple[Any, threading.Event]:
        self.names.append(spec.name)
        opened = self

        class Run(_RecordingRun):
            run_id = f"id-{len(opened.names)}"

            def finish(self, status: str) -> None:
                opened.finished.append(status)
                if len(opened.finished) >= opened._stop_after:
                    opened._stop.set()

        return Run(), threading.Event()


def test_a_short_run_that_ended_starts_again_as_a_new_run_until_the_demo_stops() -> None:
    stop = threading.Event()
    opened = _Opened(stop_after=3, stop=stop)
    short = demo_specs(2, 300, seed=1)[1]
    # speed 100: 2,000 steps/s, so each 300-step run takes ~0.15 s
    ended = run_slot(short, opened, stop, speed=100, restart_after=0.01)
    assert [status for _, status in ended] == ["finished"] * 3
    assert len(set(opened.names)) == 3 and opened.names[0] == short.name
    assert [run_id for run_id, _ in ended] == ["id-1", "id-2", "id-3"]


def test_at_speed_0_or_restart_after_0_each_run_runs_once() -> None:
    for speed, restart_after in ((0.0, 60.0), (100.0, 0.0)):
        opened = _Opened(stop_after=99, stop=threading.Event())
        ended = run_slot(demo_specs(2, 300)[1], opened, threading.Event(), speed=speed,
                         restart_after=restart_after)
        assert len(ended) == 1 and ended[0][1] == "finished"
