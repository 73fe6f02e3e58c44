"""`runwatch demo`: simulated training runs, sent through the real agent.

Each run is a thread with its own `Run`, so the demo exercises exactly what a training script
does: warm-up then cosine learning rate, a loss that falls with noise (and one spike), grad
norm, throughput, an evaluation every `eval_every` steps, a checkpoint every `checkpoint_every`
steps, real system metrics of this machine plus a simulated GPU (this machine may have none),
and `total_steps` in the config so the dashboard can show progress.

The demo shows every tab and state within its first minute (at speed 1, 20 steps/s): evals
every 50 steps, checkpoints from step 250, model metrics from the start; with two or more runs
the second is short and ends `finished` after ~45 s; with three or more the last one's
learning rate is too high: its loss passes 1e6 and turns NaN ~35 s in and the run ends
`failed`. The first keeps training (live) for `steps`. A run ends `finished` only when it ran
all its steps: stopped early (Ctrl-C, SIGTERM) it ends `failed`.

At a live pace (speed > 0) each run starts again as a new run `restart_after` seconds after it
ended (`runwatch demo --restart-after`, 5 min), so a wall monitor left on the demo keeps showing live runs, a finish and
a divergence every few minutes rather than one short burst. Not faster: ended runs stay on
Progress for 24 h, and a faster cycle would bury the wall in them. At speed 0 (fill a database
as fast as possible) every run runs once and the demo ends.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from runwatch.histogram import Histogram
from runwatch.media import Image
from runwatch.run import Run
from runwatch.system.protocol import Collector, Sample

BASE_STEPS_PER_SEC = 20.0
_LRS = (3e-4, 1e-3, 6e-3, 1e-4, 2e-3)


@dataclass(frozen=True, slots=True)
class DemoSpec:
    name: str
    lr: float
    batch_size: int
    total_steps: int
    seed: int
    spike_at: int
    diverges_at: int | None = None
    eval_every: int = 50
    checkpoint_every: int = 250
    diverge_steps: int = 300  # from diverges_at to NaN

    @property
    def warmup(self) -> int:
        return max(1, self.total_steps // 20)


SHORT_RUN_STEPS = 900
DIVERGES_AT = 400


def demo_specs(runs: int, steps: int, seed: int = 0, label: str = "") -> list[DemoSpec]:
    """`label` tells apart the runs of separate demo sessions, whose names would repeat."""
    rng = random.Random(seed)
    specs = []
    for i in range(runs):
        lr = _LRS[i % len(_LRS)] * (1 + i // len(_LRS))
        diverges = i == runs - 1 and runs >= 3
        total = min(steps, SHORT_RUN_STEPS) if i == 1 else steps
        specs.append(
            DemoSpec(
                name=f"resnet50-lr{lr:g}-{label}{i}",
                lr=lr,
                batch_size=(256, 512, 128)[i % 3],
                total_steps=total,
                seed=rng.randrange(1 << 30),
                spike_at=int(min(total, 2000) * rng.uniform(0.3, 0.5)),
                diverges_at=min(DIVERGES_AT, total // 2) if diverges else None,
                diverge_steps=max(10, min(300, total // 4)),
                eval_every=max(5, min(50, total // 20)),
                checkpoint_every=max(10, min(250, total // 4)),
            )
        )
    return specs


def learning_rate(spec: DemoSpec, step: int) -> float:
    if step < spec.warmup:
        return spec.lr * (step + 1) / spec.warmup
    progress = (step - spec.warmup) / max(1, spec.total_steps - spec.warmup)
    return spec.lr * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def train_loss(spec: DemoSpec, step: int, rng: random.Random) -> float:
    if spec.diverges_at is not None and step >= spec.diverges_at:
        # grows past 1e6, then NaN, within diverge_steps
        grown = 2.0 * math.exp(min(50.0, 14 * (step - spec.diverges_at) / spec.diverge_steps))
        return math.nan if grown > 1e6 else grown
    floor = 0.25 + 0.05 / (spec.lr * 1e3)
    loss = floor + (2.3 - floor) * math.exp(-step / (spec.total_steps / 6))
    if spec.spike_at <= step < spec.spike_at + 60:
        loss *= 1 + 1.5 * math.exp(-(step - spec.spike_at) / 12)
    return loss * (1 + rng.gauss(0, 0.03))


class SimulatedGpu:
    """A GPU that is busy while its run trains (a Collector, like the NVML one)."""

    def __init__(self, index: int, busy: Callable[[], bool], seed: int) -> None:
        self.index = index
        self._busy = busy
        self._rng = random.Random(seed)

    def collect(self) -> list[Sample]:
        i, rng = self.index, self._rng
        util = min(100.0, max(0.0, rng.gauss(96, 2))) if self._busy() else rng.uniform(0, 3)
        return [
            Sample(f"sys.gpu.{i}.util_percent", util, "percent", i),
            Sample(f"sys.gpu.{i}.mem_used_bytes", 61.5e9 + rng.gauss(0, 2e8), "bytes", i),
            Sample(f"sys.gpu.{i}.mem_total_bytes", 80e9, "bytes", i),
            Sample(f"sys.gpu.{i}.temperature_celsius", 45 + util * 0.3 + rng.gauss(0, 1), "celsius", i),
            Sample(f"sys.gpu.{i}.power_watts", 90 + util * 3.1 + rng.gauss(0, 8), "watts", i),
            Sample(f"sys.gpu.{i}.sm_clock_mhz", 1980.0 if util > 50 else 345.0, "MHz", i),
        ]


def model_metrics(spec: DemoSpec, step: int, loss: float, rng: random.Random) -> dict[str, float]:
    """What a model-health callback logs: weight norm, update/weight ratio, activations."""
    progress = step / max(1, spec.total_steps)
    blowup = 1.0 if math.isfinite(loss) and loss < 5 else min(1e6, loss if math.isfinite(loss) else 1e6)
    return {
        "model/weight_norm": 40 + 12 * math.sqrt(progress) + rng.gauss(0, 0.05) + blowup - 1,
        "model/update_ratio": spec.lr * 3 * (1 - 0.7 * progress) * blowup * (1 + rng.gauss(0, 0.05)),
        "model/activation_mean": 0.5 + 0.1 * math.exp(-3 * progress) + rng.gauss(0, 0.005),
        "model/dead_relu_fraction": 0.02 + 0.05 * progress + abs(rng.gauss(0, 0.002)),
    }


def simulate(spec: DemoSpec, run: Run, stop: threading.Event, speed: float) -> str:
    """Train `spec` into `run` until done or `stop`; returns the final status: 'finished'
    only after the last step, 'failed' when the loss went NaN or the demo was stopped."""
    rng = random.Random(spec.seed)
    interval = 1.0 / (BASE_STEPS_PER_SEC * speed) if speed > 0 else 0.0
    next_tick = time.monotonic()
    for step in range(spec.total_steps):
        if stop.is_set():
            return "failed"
        loss = train_loss(spec, step, rng)
        throughput = spec.batch_size * rng.gauss(9.5, 0.2)
        run.log(
            {
                "train/loss": loss,
                "train/lr": learning_rate(spec, step),
                "train/grad_norm": abs(rng.gauss(1.0, 0.15)) * (1 + 5 * (loss > 3)),
                "train/samples_per_sec": throughput,
                "train/step_time_ms": 1000 * spec.batch_size / throughput,
                "train/epoch": step / 500,
            },
            step=step,
        )
        if step % 10 == 0:
            run.log(model_metrics(spec, step, loss, rng), step=step)
        if math.isnan(loss):
            run.log_text(f"step {step}: loss is NaN, stopping", stream="stderr")
            return "failed"
        if step % spec.eval_every == 0:
            log_distributions(run, step, loss, rng)
        if step and step % spec.eval_every == 0:
            val_loss = loss * 1.08 + abs(rng.gauss(0, 0.01))
            run.log({"val/loss": val_loss, "val/acc": max(0.0, 1 - val_loss / 2.5)}, step=step)
        if step and step % spec.checkpoint_every == 0:
            run.log_checkpoint(
                step=step, path=f"checkpoints/{spec.name}/step_{step:07d}.pt",
                size_bytes=102_503_389, metrics={"val/loss": loss * 1.08},
            )
        if interval:
            next_tick += interval
            delay = next_tick - time.monotonic()
            if delay > 0 and stop.wait(delay):
                return "failed"
    return "finished"


def log_distributions(run: Run, step: int, loss: float, rng: random.Random) -> None:
    """What a training loop prints and bins every few steps: a console line, weight and
    gradient histograms that drift and widen, and now and then a sample image."""
    spread = 0.05 + 0.4 * step / 1000 if math.isfinite(loss) else 5.0
    run.log({
        "weights/layer1": Histogram([rng.gauss(0.01 * step / 100, spread) for _ in range(2000)]),
        "grad/layer1": Histogram([rng.gauss(0, 0.1) * (1 + min(loss, 10)) for _ in range(2000)]),
    }, step=step)
    run.log_text(f"step {step:6d} | loss {loss:8.4f} | \x1b[32mok\x1b[0m")
    if step % 250 == 0:
        run.log({"samples": sample_image(step)}, step=step)


def sample_image(step: int) -> Image:
    """A 48×48 RGB picture that changes with the step (no numpy needed)."""
    from runwatch.media import encode_png

    size = 48
    pixels = bytes(
        value for y in range(size) for x in range(size)
        for value in ((x * 5 + step) % 256, (y * 5) % 256, (x * y + step // 10) % 256)
    )
    return Image.from_bytes(encode_png(pixels, size, size, 3), caption=f"step {step}")


def restarted(spec: DemoSpec, generation: int) -> DemoSpec:
    """The spec of a slot's `generation`-th restart: a new name (a new run) and new noise."""
    if generation == 0:
        return spec
    return replace(spec, name=f"{spec.name}-r{generation}", seed=spec.seed + generation)


OpenRun = Callable[[DemoSpec], tuple[Run, threading.Event]]


def run_slot(spec: DemoSpec, open_run: OpenRun, stop: threading.Event, speed: float,
             restart_after: float) -> list[tuple[str, str]]:
    """Trains `spec` into runs from `open_run` (a run and the event its GPU reads as busy),
    again `restart_after` s after each end while not stopped (once when it is 0 or speed is
    0); returns (run id, final status) of each."""
    ended: list[tuple[str, str]] = []
    for generation in itertools.count():
        current = restarted(spec, generation)
        run, training = open_run(current)
        training.set()
        status = "failed"
        try:
            status = simulate(current, run, stop, speed)
        finally:
            training.clear()
            run.finish(status)
        ended.append((run.run_id, status))
        if restart_after <= 0 or speed <= 0 or stop.wait(restart_after):
            return ended
    return ended


def run_demo(
    *,
    runs: int,
    steps: int,
    speed: float,
    project: str,
    stop: threading.Event,
    run_options: dict[str, Any],
    system_metrics: bool = True,
    restart_after: float,
) -> list[str]:
    """Start `runs` simulated runs concurrently (restarting them, see the module docstring);
    returns the ids of every run once all ended."""
    started = time.time()
    specs = demo_specs(runs, steps, seed=int(started), label=time.strftime("%H%M-", time.localtime(started)))

    def open_run(spec: DemoSpec) -> tuple[Run, threading.Event]:
        training = threading.Event()
        collectors: list[Collector] = [SimulatedGpu(0, training.is_set, spec.seed)]
        if system_metrics:
            from runwatch.system.psutil_collector import PsutilCollector

            collectors.append(PsutilCollector())
        run = Run(
            project=project, name=spec.name,
            config={"lr": spec.lr, "batch_size": spec.batch_size, "total_steps": spec.total_steps,
                    "optimizer": "adamw", "model": "resnet50", "warmup_steps": spec.warmup,
                    # read by the page to label GPU cards: this machine may have no GPU
                    "simulated_gpu": True},
            tags=["demo", "diverges" if spec.diverges_at else "baseline"],
            collectors=collectors, **{"capture_output": False, **run_options},
        )
        return run, training

    results: list[list[tuple[str, str]]] = [[] for _ in specs]
    threads = []
    for index, spec in enumerate(specs):
        def slot(index: int = index, spec: DemoSpec = spec) -> None:
            results[index] = run_slot(spec, open_run, stop, speed, restart_after)

        thread = threading.Thread(target=slot, name=f"demo-{index}", daemon=True)
        threads.append(thread)
        thread.start()
    for thread in threads:
        while thread.is_alive():
            thread.join(0.5)
    return [run_id for ended in results for run_id, _ in ended]
