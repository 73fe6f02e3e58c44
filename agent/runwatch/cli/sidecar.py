"""`runwatch agent --run-id ID`: system metrics for a run, from outside the training process.

For hosts where the training code cannot be touched, or where one sampler should serve many
processes. It samples this host every `interval` seconds into the run's metric_points (same
names as the in-process sampler) until stopped, and never writes the run's `runs` row: the
training process owns the run's status.
"""

from __future__ import annotations

import threading

from runwatch.config import ClickHouseTarget, Identity
from runwatch.system.protocol import Collector
from runwatch.system.sampler import SystemSampler
from runwatch.write.pipeline import Pipeline, Tunables


def run_sidecar(
    identity: Identity,
    target: ClickHouseTarget,
    tunables: Tunables,
    collectors: list[Collector],
    *,
    interval: float,
    stop: threading.Event,
    finish_timeout: float = 10.0,
) -> dict[str, int]:
    pipeline = Pipeline(identity, target, tunables)
    sampler = SystemSampler(collectors, pipeline.record_samples, interval=interval)
    pipeline.start()
    sampler.start()
    try:
        while not stop.wait(1.0):
            pass
    finally:
        sampler.stop(timeout=5.0)
        pipeline.writer.stop(finish_timeout)
    stats = pipeline.writer.stats
    return {"stored_points": stats.stored_points, "spooled_points": stats.spooled_points,
            "dropped_points": pipeline.dropped_points}
