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
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from runwatch.server.alerts.model import AlertKey, series_label
from runwatch.server.alerts.rules import POINT_KINDS, RUN_KINDS, Rule
from runwatch.server.live.sse_encoding import float_label

_OPS: dict[str, Callable[[Any, Any], Any]] = {
    ">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le,
    "==": operator.eq, "!=": operator.ne,
}
_KEY_FIELDS = ("run_id", "metric", "host", "rank", "device")
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


class _Groups:
    """One poll's rows grouped by series (rows arrive sorted by series, step, time)."""

    def __init__(self, rows: Any) -> None:
        n = len(rows)
        change = np.zeros(n, dtype=np.bool_)
        change[0] = True
        for name in _KEY_FIELDS:
            column = rows[name]
            change[1:] |= column[1:] != column[:-1]
        self.starts = np.flatnonzero(change)
        self.stops = np.r_[self.starts[1:], n]
        self.of_row = np.cumsum(change) - 1
        self.run = rows["run_id"]
        self.metric = rows["metric"]
        self.host = rows["host"]
        self.rank = rows["rank"]
        self.device = rows["device"]
        self.step = rows["step"]
        self.value = np.asarray(rows["value"], dtype=np.float64)
        self.time = np.asarray(rows["t"], dtype=np.int64)
        self.ingested = np.asarray(rows["ing"], dtype=np.int64)
        self.finite = np.isfinite(self.value)
        self.metrics, self.metric_of_group = np.unique(self.metric[self.starts], return_inverse=True)
        self.runs, self.run_of_group = np.unique(self.run[self.starts], return_inverse=True)
        self._index: dict[AlertKey, int] | None = None

    def key(self, rule: str, g: int) -> AlertKey:
        i = int(self.starts[g])
        return (rule, str(self.run[i]), series_label(str(self.metric[i]), str(self.host[i]),
                                                     int(self.rank[i]), int(self.device[i])))

    def group_of(self, rule: str, keys: Iterable[AlertKey]) -> list[int]:
        """Groups of these keys present in this poll (an index is built on first use)."""
        if self._index is None:
            s = self.starts
            labels = [series_label(m, h, r, d) for m, h, r, d in zip(
                self.metric[s].tolist(), self.host[s].tolist(), self.rank[s].tolist(),
                self.device[s].tolist(), strict=True)]
            self._index = {("", str(run), label): g for g, (run, label) in
                           enumerate(zip(self.run[s].tolist(), labels, strict=True))}
        found = (self._index.get(("", k[1], k[2])) for k in keys)
        return [g for g in found if g is not None]

    def point(self, i: int) -> dict[str, Any]:
        return {"metric": str(self.metric[i]), "host": str(self.host[i]),
                "rank": int(self.rank[i]), "device": int(self.device[i]),
                "step": int(self.step[i]), "value": float(self.value[i])}


class Evaluator:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(r for r in rules if r.enabled)
        self._point_rules = [r for r in self.rules if r.kind in POINT_KINDS]
        self._matches: dict[str, dict[str, bool]] = {r.name: {} for r in self.rules}
        self._active: dict[str, set[AlertKey]] = {r.name: set() for r in self.rules}
        self._since: dict[AlertKey, int] = {}  # threshold: when the condition became true
        self._windows: dict[AlertKey, deque[float]] = {}
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
        out.append(signal)

    # --- points -----------------------------------------------------------------------------

    def points(self, rows: Any, projects: Mapping[str, str]) -> list[Signal]:
        if len(rows) == 0:
            return []
        groups = _Groups(rows)
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

    def _group_mask(self, rule: Rule, g: _Groups, projects: Mapping[str, str]
                    ) -> npt.NDArray[np.bool_] | None:
        memo = self._matches[rule.name]
        by_metric = np.fromiter(
            (memo[m] if m in memo else memo.setdefault(m, rule.matches_metric(m))
             for m in g.metrics.tolist()), dtype=np.bool_, count=len(g.metrics))
        if not by_metric.any():
            return None
        mask = by_metric[g.metric_of_group]
        if rule.project is not None or rule.except_projects:
            by_run = np.fromiter((rule.applies_to_project(projects.get(str(r), ""))
                                  for r in g.runs.tolist()), dtype=np.bool_, count=len(g.runs))
            mask &= by_run[g.run_of_group]
        return mask if mask.any() else None

    def _note_training(self, g: _Groups) -> None:
        training = np.fromiter((is_training_metric(str(m)) for m in g.metrics.tolist()),
                               dtype=np.bool_, count=len(g.metrics))[g.metric_of_group]
        if not training.any():
            return
        newest = np.maximum.reduceat(g.ingested, g.starts)
        per_run = np.full(len(g.runs), -1, dtype=np.int64)
        np.maximum.at(per_run, g.run_of_group[training], newest[training])
        for run, at in zip(g.runs.tolist(), per_run.tolist(), strict=True):
            if at >= 0 and at > self._last_training.get(str(run), -1):
                self._last_training[str(run)] = at

    def _signal(self, rule: Rule, key: AlertKey, active: bool, at: int, message: str,
                point: dict[str, Any]) -> Signal:
        return Signal(rule, key[1], key[2], active, at, message, **point)

    def _nonfinite(self, rule: Rule, g: _Groups, gm: npt.NDArray[np.bool_],
                   out: list[Signal]) -> None:
        rows = gm[g.of_row]
        bad = rows & ~g.finite
        todo = set(np.unique(g.of_row[bad]).tolist())
        if self._active[rule.name]:
            todo.update(g.group_of(rule.name, self._active[rule.name]))
        # (a rule of the same name may watch other projects' series)
        for grp in sorted(x for x in todo if gm[x]):
            key = g.key(rule.name, grp)
            start, stop = int(g.starts[grp]), int(g.stops[grp])
            for i in range(start, stop):
                finite = bool(g.finite[i])
                if finite == (key not in self._active[rule.name]):
                    continue
                point = g.point(i)
                label = float_label(point["value"])
                message = (f"{point['metric']} is {label} at step {point['step']}" if not finite
                           else f"{point['metric']} is finite again at step {point['step']}")
                self._change(self._signal(rule, key, not finite, int(g.time[i]), message, point),
                             out)

    def _threshold(self, rule: Rule, g: _Groups, gm: npt.NDArray[np.bool_],
                   out: list[Signal]) -> None:
        assert rule.value is not None
        with np.errstate(invalid="ignore"):
            cond = gm[g.of_row] & _OPS[rule.op](g.value, rule.value)
        todo = set(np.unique(g.of_row[cond]).tolist())
        tracked = [k for k in self._since if k[0] == rule.name] + list(self._active[rule.name])
        if tracked:
            todo.update(g.group_of(rule.name, tracked))
        hold_ms = int(rule.for_sec * 1000)
        for grp in sorted(x for x in todo if gm[x]):
            key = g.key(rule.name, grp)
            for i in range(int(g.starts[grp]), int(g.stops[grp])):
                t = int(g.time[i])
                if cond[i]:
                    since = self._since.setdefault(key, t)
                    if t - since >= hold_ms and key not in self._active[rule.name]:
                        p = g.point(i)
                        held = f" for {(t - since) / 1000:.0f}s" if hold_ms else ""
                        message = (f"{p['metric']} = {p['value']:g} {rule.op} {rule.value:g}"
                                   f"{held}" + _where(p))
                        self._change(self._signal(rule, key, True, t, message, p), out)
                else:
                    self._since.pop(key, None)
                    if key in self._active[rule.name]:
                        p = g.point(i)
                        message = f"{p['metric']} = {p['value']:g}, back within the limit"
                        self._change(self._signal(rule, key, False, t, message, p), out)

    def _spike(self, rule: Rule, g: _Groups, gm: npt.NDArray[np.bool_],
               out: list[Signal]) -> None:
        for grp in np.flatnonzero(gm).tolist():
            key = g.key(rule.name, grp)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = deque(maxlen=rule.window)
            for i in range(int(g.starts[grp]), int(g.stops[grp])):
                if not g.finite[i]:
                    continue
                v = float(g.value[i])
                spike, detail = False, ""
                if len(window) >= rule.min_points:
                    past = np.fromiter(window, dtype=np.float64, count=len(window))
                    median = float(np.median(past))
                    mad = float(np.median(np.abs(past - median)))
                    if mad > 0 and abs(v - median) > rule.k * mad:
                        spike = True
                        detail = f"{abs(v - median) / mad:.1f}× MAD from the median {median:g}"
                window.append(v)
                if spike == (key in self._active[rule.name]):
                    continue
                p = g.point(i)
                message = (f"{p['metric']} = {v:g} at step {p['step']}: {detail}" if spike
                           else f"{p['metric']} back near its median at step {p['step']}")
                self._change(self._signal(rule, key, spike, int(g.time[i]), message, p), out)

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
