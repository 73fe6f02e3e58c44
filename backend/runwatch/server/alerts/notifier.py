"""Notifications: one daemon thread and one bounded queue per channel.

A channel that is slow, hangs or fails holds up only its own queue: rule evaluation and the
poller only ever `offer()` (never block; when a queue is full the oldest job is dropped and
counted), and the other channels have threads of their own. Each POST has a timeout; a
connection error, a 5xx or a 429 is retried with exponential backoff and full jitter (a 429's
Retry-After is honoured), up to `retries` times; any other 4xx is final. Delivery is reported
back through `on_delivered(alert_id, channel, state)`, on the channel's thread.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from runwatch.server.alerts.config import Channel
from runwatch.server.alerts.model import Alert
from runwatch.server.alerts.payloads import BUILDERS

log = logging.getLogger(__name__)

Delivered = Callable[[str, str, str], None]


@dataclass(frozen=True)
class Job:
    alert: Alert
    test: bool = False


@dataclass
class ChannelStats:
    sent: int = 0
    failed: int = 0
    retries: int = 0
    dropped: int = 0
    last_error: str | None = None


class ChannelWorker:
    def __init__(self, channel: Channel, on_delivered: Delivered | None, dashboard_url: str,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.channel = channel
        self.stats = ChannelStats()
        self._on_delivered = on_delivered
        self._dashboard_url = dashboard_url
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=channel.queue_size)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._idle = threading.Condition()
        self._busy = 0
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(timeout=channel.timeout_sec, transport=transport,
                                    headers={"User-Agent": "runwatch-alerts",
                                             **channel.headers})

    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, daemon=True,
                                            name=f"runwatch-notify-{self.channel.name}")
            self._thread.start()

    def offer(self, job: Job) -> None:
        with self._idle:
            self._busy += 1
        while True:
            try:
                self._queue.put_nowait(job)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                    self.stats.dropped += 1
                    with self._idle:
                        self._busy -= 1
                except queue.Empty:
                    pass

    def flush(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def stop(self, timeout: float = 5.0) -> bool:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        self._client.close()
        return thread is None or not thread.is_alive()

    def deliver(self, job: Job) -> bool:
        """POST the job, retrying; True when the receiver accepted it (2xx)."""
        body = BUILDERS[self.channel.type](job.alert, test=job.test,
                                           dashboard_url=self._dashboard_url)
        c = self.channel
        for attempt in range(c.retries + 1):
            if self._stop.is_set() and attempt:
                return False
            wait: float | None = None
            try:
                response = self._client.post(c.url, json=body)
                if response.is_success:
                    self.stats.sent += 1
                    return True
                error = f"HTTP {response.status_code}"
                if response.status_code == 429:
                    wait = _retry_after(response)
                elif response.status_code < 500:
                    self._failed(f"{error}: {response.text[:200]}")
                    return False
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            if attempt == c.retries:
                self._failed(error)
                return False
            self.stats.retries += 1
            if wait is None:
                wait = random.uniform(0, min(c.backoff_max_sec, c.backoff_sec * 2 ** attempt))
            if self._stop.wait(wait):
                return False
        return False

    def _failed(self, error: str) -> None:
        self.stats.failed += 1
        self.stats.last_error = error
        log.warning("alert channel %s (%s): %s", self.channel.name, self.channel.type, error)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                if self.deliver(job) and self._on_delivered is not None and not job.test:
                    self._on_delivered(job.alert.alert_id, self.channel.name, job.alert.state)
            except Exception:
                log.exception("alert channel %s: unexpected error", self.channel.name)
            finally:
                with self._idle:
                    self._busy -= 1
                    self._idle.notify_all()
            if self._stop.is_set():
                return


def _retry_after(response: httpx.Response) -> float:
    header = response.headers.get("Retry-After")
    try:
        return min(60.0, max(0.0, float(header))) if header else 1.0
    except ValueError:
        return 1.0


class Notifier:
    def __init__(self, channels: Sequence[Channel], on_delivered: Delivered | None = None,
                 dashboard_url: str = "") -> None:
        self.workers = {c.name: ChannelWorker(c, on_delivered, dashboard_url) for c in channels}

    def start(self) -> None:
        for worker in self.workers.values():
            worker.start()

    def send(self, alert: Alert, channels: Sequence[str]) -> None:
        for name in channels:
            worker = self.workers.get(name)
            if worker is not None:
                worker.offer(Job(alert))

    def flush(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        return all(w.flush(max(0.0, deadline - time.monotonic())) for w in self.workers.values())

    def stop(self, timeout: float = 5.0) -> bool:
        return all([w.stop(timeout) for w in self.workers.values()])
