"""What each channel type is sent. Pure functions: an alert (and its state) in, a JSON body out.

- webhook: the alert itself (model.Alert.to_json: rule, kind, state, run_id, metric, step,
  value with non-finite values as "NaN"/"Infinity"/"-Infinity", message, ...) plus `title`,
  `test` and `dashboard_url`;
- slack: an incoming-webhook message: `text` (the notification fallback Slack requires when
  `blocks` are given) and `blocks` (a header, a mrkdwn section, fields, a context line);
- discord: an execute-webhook body: `content` (≤ 2000 chars), `username`, one embed with
  `title` (≤ 256), `description` (≤ 4096), `color`, `fields` (name ≤ 256, value ≤ 1024,
  ≤ 25 of them) and an ISO-8601 `timestamp`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from runwatch.server.alerts.model import Alert
from runwatch.server.live.sse_encoding import float_label

_COLOURS = {"critical": 0xE5484D, "warning": 0xF5A623, "info": 0x3E63DD, "resolved": 0x30A46C}
_ICONS = {"firing": "🔴", "resolved": "✅"}


def title(alert: Alert) -> str:
    state = "RESOLVED" if alert.state == "resolved" else alert.severity.upper()
    return f"[{state}] {alert.rule} on run {alert.run_id}"


def body_text(alert: Alert) -> str:
    if alert.state == "resolved":
        why = f" ({alert.resolve_message})" if alert.resolve_message else ""
        return f"Resolved{why}: {alert.message}"
    return alert.message


def _value_text(alert: Alert) -> str:
    label = float_label(alert.value)
    return label if isinstance(label, str) else f"{label:g}"


def _fields(alert: Alert) -> list[tuple[str, str]]:
    fields = [("Run", alert.run_id), ("Rule", f"{alert.rule} ({alert.kind})")]
    if alert.project:
        fields.append(("Project", alert.project))
    if alert.metric:
        fields.append(("Metric", alert.metric))
    if alert.step is not None:
        fields.append(("Step", str(alert.step)))
    if alert.metric:
        fields.append(("Value", _value_text(alert)))
    return fields


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def webhook(alert: Alert, *, test: bool = False, dashboard_url: str = "") -> dict[str, Any]:
    return {**alert.to_json(), "title": title(alert), "message": body_text(alert),
            "test": test, "dashboard_url": dashboard_url or None}


def slack(alert: Alert, *, test: bool = False, dashboard_url: str = "") -> dict[str, Any]:
    icon = _ICONS.get(alert.state, "")
    head = f"{icon} {title(alert)}".strip()
    text = f"{head}: {body_text(alert)}"
    context = f"runwatch{' · test message' if test else ''}"
    if dashboard_url:
        context += f" · <{dashboard_url}|open the dashboard>"
    return {
        "text": _clip(text, 3000),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": _clip(head, 150),
                                        "emoji": True}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _clip(body_text(alert), 3000)},
             "fields": [{"type": "mrkdwn", "text": _clip(f"*{name}*\n{value}", 2000)}
                        for name, value in _fields(alert)][:10]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]},
        ],
    }


def discord(alert: Alert, *, test: bool = False, dashboard_url: str = "") -> dict[str, Any]:
    colour = _COLOURS["resolved"] if alert.state == "resolved" else _COLOURS[alert.severity]
    at = alert.resolved_at_ms if alert.state == "resolved" and alert.resolved_at_ms else \
        alert.fired_at_ms
    embed: dict[str, Any] = {
        "title": _clip(title(alert), 256),
        "description": _clip(body_text(alert), 4096),
        "color": colour,
        "fields": [{"name": _clip(n, 256), "value": _clip(v, 1024), "inline": True}
                   for n, v in _fields(alert)][:25],
        "timestamp": dt.datetime.fromtimestamp(at / 1000, dt.UTC).isoformat(),
        "footer": {"text": "runwatch" + (" · test message" if test else "")},
    }
    if dashboard_url:
        embed["url"] = dashboard_url
    return {"content": _clip(f"{_ICONS.get(alert.state, '')} {title(alert)}".strip(), 2000),
            "username": "runwatch", "embeds": [embed],
            "allowed_mentions": {"parse": []}}


BUILDERS = {"webhook": webhook, "slack": slack, "discord": discord}
