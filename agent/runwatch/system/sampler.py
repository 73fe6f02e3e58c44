"""The sampler thread: asks every collector every `interval` seconds and hands the samples on.

A collector that raises (a bug, or a source the probe did not foresee) is logged once and
skipped that round; the others still report.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from runwatch.system.protocol import Collector, Sample

log = logging.getLogger(__name__)


class SystemSampler:
    def __init__(
        self,
        collectors: Sequence[Collector],
        sink: Callable[[list[Sample]], None],
        *,
        interval: float = 2.0,
        name: str = "runwatch-sampler",
    ) -> None:
        self.collectors = list(collectors)
        self._sink = sink
        self.interval = interval
        self._name = name
        self._stop = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._failed: set[int] = set()

    def start(self) -> None:
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float | None = None, *, final_sample: bool = True) -> None:
        """End the thread; by default take one last sample, so that even a run shorter than
        `interval` has its system metrics."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        if final_sample and thread is not None and not thread.is_alive():
            self.sample_once()
        self._thread = None
        for collector in self.collectors:
            close = getattr(collector, "close", None)
            if callable(close):
                close()

    def flush(self, timeout: float | None = None) -> bool:
        """Nothing is held between rounds: the samples are in the run's buffer already."""
        return True

    def forget_after_fork(self) -> None:
        self._thread = None
        self._stop = threading.Event()
        self._start_lock = threading.Lock()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample_once()

    def sample_once(self) -> list[Sample]:
        samples: list[Sample] = []
        for position, collector in enumerate(self.collectors):
            try:
                samples += collector.collect()
            except Exception:
                if position not in self._failed:
                    self._failed.add(position)
                    log.exception("runwatch: collector %r failed", collector)
        if samples:
            try:
                self._sink(samples)
            except Exception:
                log.exception("runwatch: could not record system samples")
        return samples
