from __future__ import annotations

import threading

from runwatch.system.protocol import Sample
from runwatch.system.sampler import SystemSampler


class Fixed:
    def __init__(self, *samples: Sample) -> None:
        self.samples = list(samples)
        self.closed = False

    def collect(self) -> list[Sample]:
        return self.samples

    def close(self) -> None:
        self.closed = True


class Broken:
    def collect(self) -> list[Sample]:
        raise RuntimeError("bug in a collector")


def test_sample_once_when_one_collector_raises_then_others_still_recorded() -> None:
    got: list[list[Sample]] = []
    good = Fixed(Sample("sys.cpu.util_percent", 5.0, "percent"))
    sampler = SystemSampler([Broken(), good], got.append, interval=60)
    sampler.sample_once()
    sampler.sample_once()
    assert got == [good.samples, good.samples]


def test_start_when_interval_short_then_samples_arrive_and_stop_closes_collectors() -> None:
    arrived = threading.Event()
    collector = Fixed(Sample("sys.cpu.util_percent", 5.0, "percent"))
    sampler = SystemSampler([collector], lambda samples: arrived.set(), interval=0.01)
    sampler.start()
    assert arrived.wait(5)
    sampler.stop(5)
    assert collector.closed
