"""One poll's rows grouped by series, for the evaluator: numpy columns plus the few
per-series lookups the rules need (a series' identity, the groups of known series)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from runwatch.server.alerts.model import AlertKey, series_label

_KEY_FIELDS = ("run_id", "metric", "host", "rank", "device")

Raw = tuple[str, str, str, int, int]  # (run_id, metric, host, rank, device) of a series


def _factorize(values: list[Any]) -> tuple[dict[Any, int], npt.NDArray[np.intp]]:
    """Each distinct value's code (in order of appearance) and each value's code, by
    hashing (no sort of strings)."""
    codes = {v: i for i, v in enumerate(dict.fromkeys(values))}
    inverse = np.fromiter(map(codes.__getitem__, values), dtype=np.intp, count=len(values))
    return codes, inverse


class Groups:
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
        self._metric_code, self.metric_of_group = _factorize(self.metric[self.starts].tolist())
        self._run_code, self.run_of_group = _factorize(self.run[self.starts].tolist())
        self.metrics = list(self._metric_code)
        self.runs = list(self._run_code)
        self._pairs: tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]] | None = None

    def raw(self, groups: Sequence[int] | npt.NDArray[np.intp]) -> list[Raw]:
        s = self.starts[np.asarray(groups, dtype=np.intp)]
        return list(zip(self.run[s].tolist(), self.metric[s].tolist(), self.host[s].tolist(),
                        self.rank[s].tolist(), self.device[s].tolist(), strict=True))

    def groups_of(self, raws: Iterable[Raw]) -> list[int]:
        """Groups of these series present in this poll. The few series looked up (the
        rule's active alerts) are found by their (run, metric) code in a sorted array; a
        dict over every series of the poll cost most of a cycle to build."""
        if self._pairs is None:
            pair = self.run_of_group * len(self.metrics) + self.metric_of_group
            order = np.argsort(pair, kind="stable")
            self._pairs = (pair[order], order)
        sorted_pair, order = self._pairs
        found = []
        for run, metric, host, rank, device in raws:
            run_code, metric_code = self._run_code.get(run), self._metric_code.get(metric)
            if run_code is None or metric_code is None:
                continue
            code = run_code * len(self.metrics) + metric_code
            lo, hi = np.searchsorted(sorted_pair, [code, code + 1])
            for group in order[lo:hi].tolist():  # series of this run and metric
                s = self.starts[group]
                if self.host[s] == host and self.rank[s] == rank and self.device[s] == device:
                    found.append(group)
                    break
        return found

    def point(self, i: int) -> dict[str, Any]:
        return {"metric": str(self.metric[i]), "host": str(self.host[i]),
                "rank": int(self.rank[i]), "device": int(self.device[i]),
                "step": int(self.step[i]), "value": float(self.value[i])}


def alert_key(rule: str, raw: Raw) -> AlertKey:
    return (rule, str(raw[0]), series_label(str(raw[1]), str(raw[2]), int(raw[3]), int(raw[4])))


def raw_of(key: AlertKey) -> Raw | None:
    """The series of a stored key (its label is metric|host|rank|device)."""
    parts = key[2].rsplit("|", 3)
    if len(parts) != 4:
        return None
    try:
        return (key[1], parts[0], parts[1], int(parts[2]), int(parts[3]))
    except ValueError:
        return None
