"""Rules → signals: which (rule, run, series) conditions became true or false.

Cost is what matters here: it runs in the poller thread after every metrics poll. Each rule
is matched once per distinct metric name (memoised), then evaluated on whole numpy columns of
the poll's rows; Python only walks the few series a rule actually concerns (a triggering
point, a pending `for`, an active alert, a spike window). A poll with nothing wrong costs a
handful of vectorised operations per rule.

The evaluator remembers which conditions are active and emits a Signal only on a change, so
the lifecycle (engine.py) never sees the same firing twice. `seed()` restores that memory
from the alerts table after a restart.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from runwatch.server.alerts.batch import Groups, Raw, alert_key, raw_of
from runwatch.server.alerts.model import AlertKey
from runwatch.server.alerts.rules import POINT_KINDS, RUN_KINDS, Rule
from runwatch.server.alerts.windows import Windows
from runwatch.server.live.sse_encoding import float_label

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne,
}
_LIVE = ("running", "stale")  # stored 'running' and not crashed
RUN_EXPIRE_SEC = 3600.0  # run_failed / run_crashed alerts resolve on their own after this


def is_training_metric(metric: str) -> bool:
    return not (metric.startswith("sys.") or metric.startswith("agent."))


@dataclass(frozen=True)
class Signal:
    rule: Rule
    run_id: str
    series: str
    active: bool
    at_ms: int
    message: str
    metric: str = ""
    host: str = ""
    rank: int = 0
    device: int = 65535
    step: int | None = None
    value: float = math.nan

    @property
    def key(self) -> AlertKey:
        return (self.rule.name, self.run_id, self.series)


class Evaluator:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(r for r in rules if r.enabled)
        self._point_rules = [r for r in self.rules if r.kind in POINT_KINDS]
        self._matches: dict[str, dict[str, bool]] = {r.name: {} for r in self.rules}
        self._active: dict[str, set[AlertKey]] = {r.name: set() for r in self.rules}
        # threshold: per rule, when each series' condition became true
        self._since: dict[str, dict[AlertKey, int]] = {}
        self._windows: dict[str, Windows] = {}
        self._raws: dict[AlertKey, Raw] = {}
        self._fired_at: dict[AlertKey, int] = {}
        self._done: set[AlertKey] = set()  # run rules that fired; again only after clearing
        self._last_training: dict[str, int] = {}  # run -> ingested_at (ms) of its last point

    # --- memory -----------------------------------------------------------------------------

    def seed(self, keys: Iterable[tuple[AlertKey, int]], done: Iterable[AlertKey] = ()) -> None:
        """Conditions already firing (key, fired_at ms), and run rules that already fired."""
        for key, fired in keys:
            if key[0] in self._active:
                self._active[key[0]].add(key)
                self._fired_at[key] = fired
        self._done.update(done)

    def active_count(self) -> int:
        return sum(len(keys) for keys in self._active.values())

    def _change(self, signal: Signal, out: list[Signal]) -> None:
        active = self._active[signal.rule.name]
        if signal.active == (signal.key in active):
            return
        if signal.active:
            active.add(signal.key)
            self._fired_at[signal.key] = signal.at_ms
        else:
            active.discard(signal.key)
            self._fired_at.pop(signal.key, None)
            if signal.key not in self._since.get(signal.rule.name, {}):
                self._raws.pop(signal.key, None)
        out.append(signal)

    # --- points -----------------------------------------------------------------------------

    def points(self, rows: Any, projects: Mapping[str, str]) -> list[Signal]:
        if len(rows) == 0:
            return []
        groups = Groups(rows)
        self._note_training(groups)
        out: list[Signal] = []
        for rule in self._point_rules:
            gm = self._group_mask(rule, groups, projects)
            if gm is None:
                continue
            if rule.kind == "nonfinite":
                self._nonfinite(rule, groups, gm, out)
            elif rule.kind == "threshold":
                self._threshold(rule, groups, gm, out)
            else:
                self._spike(rule, groups, gm, out)
        return out

    def _group_mask(self, rule: Rule, g: Groups, projects: Mapping[str, str]
                    ) -> npt.NDArray[np.bool_] | None:
        memo = self._matches[rule.name]
        by_metric = np.fromiter(
            (memo[m] if m in memo else memo.setdefault(m, rule.matches_metric(m))
             for m in g.metrics), dtype=np.bool_, count=len(g.metrics))
        if not by_metric.any():
            return None
        mask = by_metric[g.metric_of_group]
        if rule.project is not None or rule.except_projects:
            by_run = np.fromiter((rule.applies_to_project(projects.get(str(r), ""))
                                  for r in g.runs), dtype=np.bool_, count=len(g.runs))
            mask &= by_run[g.run_of_group]
        return mask if mask.any() else None

    def _note_training(self, g: Groups) -> None:
        training = np.fromiter((is_training_metric(str(m)) for m in g.metrics),
                               dtype=np.bool_, count=len(g.metrics))[g.metric_of_group]
        if not training.any():
            return
        newest = np.maximum.reduceat(g.ingested, g.starts)
        per_run = np.full(len(g.runs), -1, dtype=np.int64)
        np.maximum.at(per_run, g.run_of_group[training], newest[training])
        for run, at in zip(g.runs, per_run.tolist(), strict=True):
            if at >= 0 and at > self._last_training.get(str(run), -1):
                self._last_training[str(run)] = at

    def _signal(self, rule: Rule, key: AlertKey, active: bool, at: int, message: str,
                point: dict[str, Any]) -> Signal:
        return Signal(rule, key[1], key[2], active, at, message, **point)

    def _candidates(self, g: Groups, gm: npt.NDArray[np.bool_], trigger: npt.NDArray[np.bool_],
                    active: Iterable[Raw], pending: Iterable[Raw] = ()) -> list[int]:
        """Groups worth a Python look: a triggering row where the alert is not active, or a
        clearing row where it is active or pending. The rest is decided here, in numpy (a
        series already firing whose rows all still trigger changes nothing)."""
        rows = gm[g.of_row]
        any_on = np.logical_or.reduceat(rows & trigger, g.starts)
        any_off = np.logical_or.reduceat(rows & ~trigger, g.starts)
        active, pending = list(active), list(pending)
        firing = set(g.groups_of(active)) if active else set()
        waiting = set(g.groups_of(pending)) if pending else set()
        todo = {x for x in np.flatnonzero(any_on).tolist() if x not in firing}
        todo.update(x for x in firing | waiting if any_off[x])
        return sorted(x for x in todo if gm[x])

    def _raws_of(self, keys: Iterable[AlertKey]) -> list[Raw]:
        found = ((self._raws.get(k) or raw_of(k)) for k in keys)
        return [r for r in found if r is not None]

    def _nonfinite(self, rule: Rule, g: Groups, gm: npt.NDArray[np.bool_],
                   out: list[Signal]) -> None:
        active = self._active[rule.name]
        for grp in self._candidates(g, gm, ~g.finite, self._raws_of(active)):
            raw = g.raw([grp])[0]
            key = alert_key(rule.name, raw)
            self._raws[key] = raw
            for i in range(int(g.starts[grp]), int(g.stops[grp])):
                finite = bool(g.finite[i])
                if finite == (key not in active):
                    continue
                point = g.point(i)
                label = float_label(point["value"])
                message = (f"{point['metric']} is {label} at step {point['step']}" if not finite
                           else f"{point['metric']} is finite again at step {point['step']}")
                self._change(self._signal(rule, key, not finite, int(g.time[i]), message, point),
                             out)

    def _threshold(self, rule: Rule, g: Groups, gm: npt.NDArray[np.bool_],
                   out: list[Signal]) -> None:
        assert rule.value is not None
        with np.errstate(invalid="ignore"):
            cond = _OPS[rule.op](g.value, rule.value)
        active = self._active[rule.name]
        since = self._since.setdefault(rule.name, {})
        hold_ms = int(rule.for_sec * 1000)
        for grp in self._candidates(g, gm, cond, self._raws_of(active),
                                    self._raws_of(k for k in since if k not in active)):
            raw = g.raw([grp])[0]
            key = alert_key(rule.name, raw)
            self._raws[key] = raw
            for i in range(int(g.starts[grp]), int(g.stops[grp])):
                t = int(g.time[i])
                if cond[i]:
                    start = since.setdefault(key, t)
                    if t - start >= hold_ms and key not in active:
                        p = g.point(i)
                        held = f" for {(t - start) / 1000:.0f}s" if hold_ms else ""
                        message = (f"{p['metric']} = {p['value']:g} {rule.op} {rule.value:g}"
                                   f"{held}" + _where(p))
                        self._change(self._signal(rule, key, True, t, message, p), out)
                else:
                    since.pop(key, None)
                    if key in active:
                        p = g.point(i)
                        message = f"{p['metric']} = {p['value']:g}, back within the limit"
                        self._change(self._signal(rule, key, False, t, message, p), out)

    def _spike(self, rule: Rule, g: Groups, gm: npt.NDArray[np.bool_],
               out: list[Signal]) -> None:
        windows = self._windows.get(rule.name)
        if windows is None:
            windows = self._windows[rule.name] = Windows(rule.window)
        groups = np.flatnonzero(gm)
        slot_of = np.full(len(g.starts), -1, dtype=np.intp)
        slot_of[groups] = [windows.slot(raw, rule.name) for raw in g.raw(groups)]
        rows = np.flatnonzero(gm[g.of_row] & g.finite)
        if not len(rows):
            return
        owner = g.of_row[rows]
        rank = np.arange(len(rows)) - np.searchsorted(owner, owner, side="left")
        active = self._active[rule.name]
        for j in range(int(rank.max()) + 1):  # one round per point of a series in this poll
            sel = rows[rank == j]
            slots = slot_of[g.of_row[sel]]
            values = g.value[sel]
            median, mad = windows.stats(slots)
            with np.errstate(invalid="ignore"):
                spike = (windows.count[slots] >= rule.min_points) & (mad > 0) & (
                    np.abs(values - median) > rule.k * mad)
            windows.push(slots, values)
            was = np.fromiter((windows.keys[s] in active for s in slots.tolist()),
                              dtype=np.bool_, count=len(slots))
            for n in np.flatnonzero(spike != was).tolist():
                i, key = int(sel[n]), windows.keys[int(slots[n])]
                p = g.point(i)
                if spike[n]:
                    ratio = abs(p["value"] - median[n]) / mad[n]
                    message = (f"{p['metric']} = {p['value']:g} at step {p['step']}: "
                               f"{ratio:.1f}× MAD from the median {median[n]:g}")
                else:
                    message = f"{p['metric']} back near its median at step {p['step']}"
                self._change(self._signal(rule, key, bool(spike[n]), int(g.time[i]), message, p),
                             out)

    # --- runs -------------------------------------------------------------------------------

    def runs(self, runs: Sequence[Mapping[str, Any]], now_ms: int) -> list[Signal]:
        """Run rules, stalled runs, and point alerts of runs that ended."""
        out: list[Signal] = []
        by_id = {str(r["run_id"]): r for r in runs}
        for rule in self.rules:
            if rule.kind in RUN_KINDS or rule.kind == "stalled":
                for run in runs:
                    if rule.applies_to_project(str(run.get("project", ""))):
                        self._run_rule(rule, run, now_ms, out)
            elif self._active[rule.name]:
                for key in list(self._active[rule.name]):
                    ended = by_id.get(key[1])
                    if ended is not None and ended["status"] not in _LIVE:
                        message = f"run {ended['status']}; no longer watched"
                        self._change(Signal(rule, key[1], key[2], False, now_ms, message), out)
        return out

    def _run_rule(self, rule: Rule, run: Mapping[str, Any], now_ms: int,
                  out: list[Signal]) -> None:
        run_id, status = str(run["run_id"]), str(run["status"])
        key: AlertKey = (rule.name, run_id, "")
        active = key in self._active[rule.name]
        if rule.kind == "stalled":
            last = self._last_training.setdefault(run_id, now_ms)
            quiet = (now_ms - last) / 1000
            stalled = status in _LIVE and quiet > rule.for_sec
            if stalled != active:
                message = (f"no training point for {quiet:.0f}s" if stalled
                           else "training points again" if status in _LIVE else f"run {status}")
                self._change(Signal(rule, run_id, "", stalled, now_ms, message), out)
            return
        wanted = "failed" if rule.kind == "run_failed" else "crashed"
        if status != wanted:
            self._done.discard(key)
            if active:
                self._change(Signal(rule, run_id, "", False, now_ms, f"run is {status}"), out)
            return
        if active and now_ms - self._fired_at.get(key, now_ms) > RUN_EXPIRE_SEC * 1000:
            self._change(Signal(rule, run_id, "", False, now_ms, "expired"), out)
            return
        if not active and key not in self._done:
            self._done.add(key)
            self._change(Signal(rule, run_id, "", True, now_ms, _run_message(run, wanted)), out)


def _where(p: Mapping[str, Any]) -> str:
    parts = []
    if p["host"]:
        parts.append(f"host {p['host']}")
    if p["rank"]:
        parts.append(f"rank {p['rank']}")
    if p["device"] != 65535:
        parts.append(f"GPU {p['device']}")
    return f" ({', '.join(parts)})" if parts else ""


def _run_message(run: Mapping[str, Any], status: str) -> str:
    name = str(run.get("name") or run["run_id"])
    if status == "crashed":
        return f"run {name} crashed: its process stopped sending heartbeats"
    failure: Mapping[str, Any] = run.get("failure") or {}
    if failure.get("reason") == "oom":
        return f"run {name} failed: out of memory (oom): {failure.get('type')}: {failure.get('message')}"
    if failure:
        return f"run {name} failed ({failure.get('reason')}): {failure.get('type')}: {failure.get('message')}"
    return f"run {name} failed"
