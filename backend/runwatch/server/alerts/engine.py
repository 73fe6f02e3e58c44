"""The alert lifecycle, driven from the poller thread: signals → firing/resolved alerts,
stored, published as `alert` SSE events and handed to the notifier.

- De-duplication: one firing alert per (rule, run, series); a signal for a key already firing
  changes nothing.
- Restart: before the first evaluation the alerts fired within the cache horizon are read
  back; the firing ones resume (the evaluator is seeded with them) and are neither fired nor
  notified again.
- Throttle, per (rule, run): after a firing notification, further ones within `throttle_sec`
  are stored and shown but not sent; a resolved message is sent only for a notified firing.
- One writer: rows are written here only (delivery reports from channel threads are queued
  and written on the next cycle), so a late "notified" row can never undo a "resolved" one.
  A failed write is kept and retried next cycle.
"""

from __future__ import annotations

import logging
import queue
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runwatch.server.alerts.config import AlertsConfig
from runwatch.server.alerts.evaluator import Evaluator, Signal
from runwatch.server.alerts.model import Alert, AlertKey
from runwatch.server.alerts.notifier import Notifier
from runwatch.server.alerts.rules import RUN_KINDS
from runwatch.server.alerts.store import AlertStore

log = logging.getLogger(__name__)

PublishAlert = Callable[[Alert], None]
_KEEP_RESOLVED = 2000


class AlertEngine:
    def __init__(self, config: AlertsConfig, store: AlertStore, notifier: Notifier,
                 publish: PublishAlert | None = None, *, horizon_days: float = 7.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.rules = {r.name: r for r in config.effective_rules()}
        self.evaluator = Evaluator(list(self.rules.values()))
        self._all_channels = tuple(c.name for c in config.channels)
        self._store = store
        self._notifier = notifier
        self._publish = publish
        self._horizon_days = horizon_days
        self._clock = clock
        self._loaded = False
        self._firing: dict[AlertKey, Alert] = {}
        self._by_id: OrderedDict[str, Alert] = OrderedDict()  # firing + recently resolved
        self._unwritten: dict[str, Alert] = {}
        self._unwritten_view: tuple[Alert, ...] = ()  # its values, for readers in other threads
        self._delivered: queue.SimpleQueue[tuple[str, str, str]] = queue.SimpleQueue()
        self._last_sent: dict[tuple[str, str], float] = {}
        self._throttled: set[str] = set()
        self._runs: list[Mapping[str, Any]] = []
        self._projects: dict[str, str] = {}
        self.eval_ms: list[float] = []

    # --- wiring -----------------------------------------------------------------------------

    def delivered(self, alert_id: str, channel: str, state: str) -> None:
        """From a channel's thread: `channel` accepted the notification of `alert_id`."""
        if state == "firing":
            self._delivered.put((alert_id, channel, state))

    def firing(self) -> list[Alert]:
        return list(self._firing.values())

    def unwritten(self) -> tuple[Alert, ...]:
        """From any thread: the alerts changed here and not in the `alerts` table yet, each
        in its newest state. An alert that fires while a page connects — after its live event
        went out, before the row is written — is seen by that page only through this
        (GET /alerts adds it to what the table holds)."""
        return self._unwritten_view

    # --- called by the poller, in its thread ------------------------------------------------

    def ready(self) -> bool:
        """Load what the store knows (once); False while ClickHouse cannot be read."""
        if not self._loaded:
            alerts = self._store.recent(self._horizon_days)
            latest: dict[AlertKey, Alert] = {}
            for alert in sorted(alerts, key=lambda a: a.fired_at_ms):
                latest[alert.key] = alert
            self._firing = {k: a for k, a in latest.items() if a.state == "firing"}
            for a in self._firing.values():
                self._remember(a)
            done = [k for k, a in latest.items() if a.kind in RUN_KINDS]
            self.evaluator.seed(((k, a.fired_at_ms) for k, a in self._firing.items()), done)
            self._loaded = True
            log.info("alerts: %d rules, %d channels, %d alerts still firing", len(self.rules),
                     len(self._all_channels), len(self._firing))
        return True

    def observe_runs(self, runs: Sequence[Mapping[str, Any]]) -> None:
        self._runs = list(runs)
        self._projects = {str(r["run_id"]): str(r.get("project", "")) for r in runs}

    def observe_points(self, rows: Any) -> None:
        if not self.ready():
            return
        began = time.perf_counter()
        signals = self.evaluator.points(rows, self._projects)
        self.eval_ms.append((time.perf_counter() - began) * 1000)
        del self.eval_ms[:-300]
        self._apply(signals)

    def end_cycle(self) -> None:
        if not self.ready():
            return
        now = int(self._clock() * 1000)
        self._apply(self.evaluator.runs(self._runs, now))
        self._drain_delivered()
        self._flush_writes(now)

    # --- lifecycle ---------------------------------------------------------------------------

    def _apply(self, signals: Sequence[Signal]) -> None:
        for s in signals:
            if s.active:
                if s.key not in self._firing:
                    self._fire(s)
            else:
                alert = self._firing.pop(s.key, None)
                if alert is not None:
                    self._resolve(alert, s)

    def _fire(self, s: Signal) -> None:
        rule = s.rule
        run = self._projects.get(s.run_id, "")
        alert = Alert(rule=rule.name, kind=rule.kind, run_id=s.run_id, series=s.series,
                      fired_at_ms=s.at_ms, message=s.message, project=run, metric=s.metric,
                      host=s.host, rank=s.rank, device=s.device, step=s.step, value=s.value,
                      severity=rule.severity)
        self._firing[alert.key] = alert
        self._changed(alert)
        channels = self._channels(rule.channels)
        if not channels:
            return
        now = self._clock()
        throttle = rule.throttle_sec if rule.throttle_sec is not None else \
            self.config.settings.throttle_sec
        last = self._last_sent.get((rule.name, s.run_id))
        if last is not None and now - last < throttle:
            self._throttled.add(alert.alert_id)
            return
        self._last_sent[(rule.name, s.run_id)] = now
        self._notifier.send(alert, channels)

    def _resolve(self, alert: Alert, s: Signal) -> None:
        done = alert.resolved(max(s.at_ms, alert.fired_at_ms), s.message)
        self._changed(done)
        if alert.alert_id in self._throttled:
            self._throttled.discard(alert.alert_id)
            return
        rule = self.rules.get(alert.rule)
        channels = self._channels(rule.channels if rule is not None else ())
        if channels and not _quiet_resolution(s.message):
            self._notifier.send(done, channels)

    def _channels(self, wanted: Sequence[str] | None) -> tuple[str, ...]:
        return self._all_channels if wanted is None else tuple(wanted)

    def _changed(self, alert: Alert) -> None:
        self._remember(alert)
        self._unwritten[alert.alert_id] = alert
        self._unwritten_view = tuple(self._unwritten.values())
        if self._publish is not None:
            self._publish(alert)

    def _remember(self, alert: Alert) -> None:
        self._by_id[alert.alert_id] = alert
        self._by_id.move_to_end(alert.alert_id)
        while len(self._by_id) > _KEEP_RESOLVED + len(self._firing):
            self._by_id.popitem(last=False)

    def _drain_delivered(self) -> None:
        while True:
            try:
                alert_id, channel, _ = self._delivered.get_nowait()
            except queue.Empty:
                return
            alert = self._by_id.get(alert_id)
            if alert is None:
                continue
            updated = alert.with_notified(channel)
            self._by_id[alert_id] = updated
            if updated.key in self._firing and self._firing[updated.key].alert_id == alert_id:
                self._firing[updated.key] = updated
            self._unwritten[alert_id] = updated
            self._unwritten_view = tuple(self._unwritten.values())

    def _flush_writes(self, now_ms: int) -> None:
        if not self._unwritten:
            return
        rows = list(self._unwritten.values())
        self._store.write(rows, now_ms)  # raises into the poller's cycle: retried next time
        for a in rows:
            if self._unwritten.get(a.alert_id) is a:
                del self._unwritten[a.alert_id]
        self._unwritten_view = tuple(self._unwritten.values())


def _quiet_resolution(message: str) -> bool:
    """Resolutions nobody needs paging about: the run simply ended, or an event aged out."""
    return message == "expired" or message.endswith("no longer watched")
