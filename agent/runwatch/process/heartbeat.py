"""The heartbeat thread: rewrites the run's `runs` row every `interval` seconds.

A process that dies without running Python's exit path (SIGKILL, the kernel's OOM killer, a
lost node) leaves status 'running'; its heartbeat stopping is what lets the dashboard say
'crashed' rather than 'slow'. One small row per interval, through the same writer (and spool)
as the points, so a heartbeat is never lost to an outage and never costs the training loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Heartbeat:
    def __init__(self, beat: Callable[[], None], interval: float, name: str) -> None:
        self._beat = beat
        self._interval = interval
        self._name = name
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.beats = 0

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> bool:
        self._stop.set()
        thread = self._thread
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def flush(self, timeout: float = 5.0) -> bool:
        """Nothing is buffered here: a beat is handed to the writer at once."""
        return True

    def pause(self) -> None:
        """Stop beating without finishing (tests: a process that hangs)."""
        self.stop()

    def forget_after_fork(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._beat()
                self.beats += 1
            except Exception:  # a heartbeat must never take the process down
                log.debug("heartbeat failed", exc_info=True)
