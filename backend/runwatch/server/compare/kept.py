"""Every row of a runs table, kept between builds and patched: only changed runs are re-read.

On a live system some run changes every poll (a heartbeat, a status, a point), and rebuilding
10,000 rows for it costs ~0.4 s of CPU. `KeptRows` holds all the rows of one (summaries, runs,
windows) choice, unfiltered, in the runs query's order, with what patching needs per run:

- its version (`queries.row_versions`: a hash of its `runs` and `run_stats` rows, no FINAL);
- the instant its shown status would flip with the clock alone (`table.flip_instant`);
- its activity (the runs query's order: most recently active first, then run_id);
- its flattened config (the config columns' kinds are counted per key and type);
- sort keys per column, computed when a sort first asks for them.

`patched()` asks for the versions, re-reads the runs whose version moved, that are new or whose
status flipped since (cells, config, summaries: the runs query and the summary aggregate
restricted to those run_ids) and merges them; a run gone from the versions is dropped. Rows are
never changed in place (a table handed out earlier keeps its own), so a patched table is what
a fresh build returns: tests/compare/test_cache.py compares them field by field.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runwatch.server.compare import queries as cq
from runwatch.server.compare import table as tbl
from runwatch.server.query.clients import ClientPool

_Key = tuple[float, str]


@dataclass(frozen=True)
class Scope:
    """What a KeptRows holds: the same for every filter and sort of it."""
    wanted: tuple[tbl.Summary, ...]
    run_ids: tuple[str, ...] | None
    active_ms: int
    crash_ms: int


@dataclass
class KeptRows:
    scope: Scope
    version: tuple[Any, ...]  # the data_version it was read at
    rows: dict[str, dict[str, Any]]  # run_id → cells, in the runs query's order
    versions: dict[str, int]
    flips: dict[str, float]  # only the runs whose status can flip (running, stale)
    order: dict[str, _Key]
    configs: dict[str, dict[str, Any]]
    kinds: Counter[tuple[str, type]]
    expiry: float
    _sort_keys: dict[str, dict[str, tbl.SortKey | None]] = field(default_factory=dict)

    @classmethod
    def build(cls, pool: ClientPool, scope: Scope, version: tuple[Any, ...],
              flatten_config: Callable[[str], dict[str, Any]]) -> KeptRows:
        versions = _versions(pool, scope)
        read = _read(pool, scope, scope.run_ids, flatten_config)
        kept = cls(scope, version, {}, versions, {}, {}, {}, Counter(), math.inf)
        kept._merge(read, ())
        return kept

    def patched(self, pool: ClientPool, version: tuple[Any, ...], now_ms: int,
                flatten_config: Callable[[str], dict[str, Any]]) -> KeptRows:
        """These rows as a fresh read would find them now, re-reading only the changed runs."""
        versions = _versions(pool, self.scope)
        changed = [r for r, v in versions.items() if self.versions.get(r) != v]
        changed += [r for r, t in self.flips.items() if t <= now_ms and versions.get(r) == self.versions[r]]
        gone = [r for r in self.versions if r not in versions]
        read = _read(pool, self.scope, changed, flatten_config) if changed else None
        kept = KeptRows(self.scope, version, dict(self.rows), versions, dict(self.flips),
                        dict(self.order), dict(self.configs), Counter(self.kinds), math.inf,
                        {c: dict(keys) for c, keys in self._sort_keys.items()})
        kept._merge(read, [*changed, *gone])
        return kept

    def _merge(self, read: tbl.Read | None, replaced: Sequence[str]) -> None:
        for run_id in replaced:
            if run_id in self.rows:
                del self.rows[run_id]
                self.flips.pop(run_id, None)
                del self.order[run_id]
                self.kinds.subtract(_kinds(self.configs.pop(run_id)))
                for keys in self._sort_keys.values():
                    keys.pop(run_id, None)
        if read is not None:
            for row, config, activity, flip in zip(read.rows, read.configs, read.activity,
                                                   read.flips, strict=True):
                run_id = row["run_id"]
                self.rows[run_id] = row
                self.order[run_id] = (-activity, run_id)
                self.configs[run_id] = config
                self.kinds.update(_kinds(config))
                if flip < math.inf:
                    self.flips[run_id] = flip
                for column, keys in self._sort_keys.items():
                    keys[run_id] = tbl.sort_key(row.get(column))
            if replaced:  # merged in at their place in the runs query's order
                self.rows = {r: self.rows[r] for r in sorted(self.rows, key=self.order.__getitem__)}
        self.kinds = +self.kinds  # drops the kinds no run has any more
        self.expiry = min(self.flips.values(), default=math.inf)

    def table(self, filter_text: str, sort: Sequence[str]) -> tbl.Table:
        """tbl.build_table's answer for these rows. Raises as it does."""
        config_types: dict[str, set[type]] = {}
        for key, kind in self.kinds:
            config_types.setdefault(key, set()).add(kind)
        return tbl.select(list(self.rows.values()), config_types, self.scope.wanted, filter_text,
                          sort, self.expiry, self._key_of)

    def _key_of(self, column: str) -> Callable[[dict[str, Any]], tbl.SortKey | None]:
        keys = self._sort_keys.get(column)
        if keys is None:
            keys = {r: tbl.sort_key(row.get(column)) for r, row in self.rows.items()}
            self._sort_keys[column] = keys
        return lambda row: keys[row["run_id"]]


def _versions(pool: ClientPool, scope: Scope) -> dict[str, int]:
    result = pool.get().query(*cq.row_versions(scope.run_ids), column_oriented=True)
    if not result.result_columns:
        return {}
    ids, versions = result.result_columns
    return dict(zip(ids, versions, strict=True))


def _read(pool: ClientPool, scope: Scope, run_ids: Sequence[str] | None,
          flatten_config: Callable[[str], dict[str, Any]]) -> tbl.Read:
    read = tbl.read(pool, scope.active_ms, run_ids, crash_ms=scope.crash_ms,
                    flatten_config=flatten_config)
    tbl.add_summaries(pool, read.rows, scope.wanted, these_runs_only=run_ids is not None)
    return read


def _kinds(config: dict[str, Any]) -> Counter[tuple[str, type]]:
    return Counter((key, type(value)) for key, value in config.items())
