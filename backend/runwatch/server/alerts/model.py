"""An alert: one firing episode of a rule for a run (and series), as held, stored and sent."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from runwatch.server.live.sse_encoding import float_label

# (rule, run_id, series): alerts are de-duplicated on this
AlertKey = tuple[str, str, str]


def series_label(metric: str, host: str, rank: int, device: int) -> str:
    return f"{metric}|{host}|{rank}|{device}"


@dataclass(frozen=True)
class Alert:
    rule: str
    kind: str
    run_id: str
    series: str
    fired_at_ms: int
    message: str
    project: str = ""
    metric: str = ""
    host: str = ""
    rank: int = 0
    device: int = 65535
    step: int | None = None
    value: float = math.nan
    severity: str = "warning"
    state: str = "firing"
    resolved_at_ms: int | None = None
    resolve_message: str = ""
    notified: tuple[str, ...] = ()
    alert_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def key(self) -> AlertKey:
        return (self.rule, self.run_id, self.series)

    def resolved(self, at_ms: int, why: str) -> Alert:
        return replace(self, state="resolved", resolved_at_ms=at_ms, resolve_message=why)

    def with_notified(self, channel: str) -> Alert:
        if channel in self.notified:
            return self
        return replace(self, notified=(*self.notified, channel))

    def to_json(self) -> dict[str, Any]:
        """The wire form (GET /alerts, the `alert` SSE event, the generic webhook):
        non-finite values as "NaN" / "Infinity" / "-Infinity"."""
        return {
            "alert_id": self.alert_id, "rule": self.rule, "kind": self.kind,
            "state": self.state, "severity": self.severity, "run_id": self.run_id,
            "project": self.project, "series": self.series, "metric": self.metric,
            "host": self.host, "rank": self.rank, "device": self.device, "step": self.step,
            "value": float_label(self.value), "message": self.message,
            "fired_at": self.fired_at_ms, "resolved_at": self.resolved_at_ms,
            "notified": list(self.notified),
        }
