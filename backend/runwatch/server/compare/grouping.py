"""Group by: one line per group of runs, the mean across its runs at each step and a band.

Runs are put into groups here, by the values of one or two table columns (config keys,
project, tags, host...; a run without the key is in the group "—"); the aggregation is one
`GROUP BY group, step` in ClickHouse over full-resolution points; only its result is
decimated: LTTB over the mean, and the band's min/max/std widened over the steps each kept
point stands for, so a spike of one run still shows in its group's band.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from runwatch.server.compare import queries as cq
from runwatch.server.live.sse_encoding import sanitize, values_json
from runwatch.server.query.clients import ClientPool
from runwatch.server.query.decimate import lttb_indices
from runwatch.server.query.metric_queries import Window

MISSING = "—"


@dataclass
class Group:
    key: dict[str, Any]
    runs: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return ", ".join(f"{k.removeprefix('config.')}={_label(v)}" for k, v in self.key.items())


def _label(value: Any) -> str:
    if value is None:
        return MISSING
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def assign(rows: Sequence[Mapping[str, Any]], by: Sequence[str]) -> list[Group]:
    """Groups in order of first appearance (rows come most recently active first)."""
    groups: dict[str, Group] = {}
    for row in rows:
        key = {column: row.get(column) for column in by}
        ident = orjson.dumps(sanitize(key), option=orjson.OPT_SORT_KEYS).decode()
        groups.setdefault(ident, Group(key)).runs.append(str(row["run_id"]))
    return list(groups.values())


def read_groups(pool: ClientPool, metric: str, groups: Sequence[Group], window: Window,
                max_points: int) -> list[bytes]:
    run_ids = [r for g in groups for r in g.runs]
    numbers = [i + 1 for i, g in enumerate(groups) for _ in g.runs]
    if not run_ids:
        return []
    rows = pool.query_np(*cq.grouped(metric, run_ids, numbers, window))
    out = []
    g_col = rows["g"] if len(rows) else np.empty(0, dtype=np.uint32)
    for i, group in enumerate(groups, start=1):
        part = rows[g_col == i]
        part = part[np.argsort(part["step"], kind="stable")]
        out.append(_group_json(group, part, max_points))
    return out


def _group_json(group: Group, part: Any, max_points: int) -> bytes:
    mean = np.ascontiguousarray(part["mean"], dtype=np.float64)
    lo = np.ascontiguousarray(part["lo"], dtype=np.float64)
    hi = np.ascontiguousarray(part["hi"], dtype=np.float64)
    sd = np.ascontiguousarray(part["sd"], dtype=np.float64)
    n = np.ascontiguousarray(part["n"], dtype=np.int64)
    step = np.ascontiguousarray(part["step"], dtype=np.int64)
    t = np.ascontiguousarray(part["t"], dtype=np.int64)
    keep = lttb_indices(mean, max_points)
    if keep.size < mean.size:
        lo = np.fmin.reduceat(lo, keep)
        hi = np.fmax.reduceat(hi, keep)
        sd = np.fmax.reduceat(sd, keep)
        n = np.maximum.reduceat(n, keep)
        mean, step, t = mean[keep], step[keep], t[keep]
    head = orjson.dumps({"key": sanitize(group.key), "label": group.label, "runs": group.runs,
                         "size": len(group.runs)})
    return b"".join((
        head[:-1],
        b',"step":', orjson.dumps(step, option=orjson.OPT_SERIALIZE_NUMPY),
        b',"time":', orjson.dumps(t, option=orjson.OPT_SERIALIZE_NUMPY),
        b',"mean":', values_json(mean), b',"min":', values_json(lo), b',"max":', values_json(hi),
        b',"std":', values_json(sd),
        b',"count":', orjson.dumps(n, option=orjson.OPT_SERIALIZE_NUMPY), b"}",
    ))
