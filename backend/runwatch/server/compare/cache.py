"""Built runs tables and group answers, kept while the data they were built from is unchanged.

Building the runs table of 10,000 runs costs ~0.3 s of CPU (the runs join in ClickHouse,
decoding and flattening 10,000 configs here); asking whether anything changed costs one small
query over `runs`, `run_stats` and the rollup without FINAL (`queries.data_version`). A
table is reused while that answer is the same *and* no run's shown status can have changed
with the clock alone: a running run turns stale `active_window` after its last activity and
crashed `crash_after` after its last heartbeat, so each table carries the earliest such
instant (`table.status_expiry`) and is rebuilt from then on. So a reused table equals what a
fresh build would return.

On a live system some run changes every poll and whole tables rarely survive: the rows of
every run are then kept too (`kept.KeptRows`, per summaries, runs and windows, whatever the
filter and sort) and only the runs whose `runs` or `run_stats` rows changed, that are new, or
whose status flipped with the clock are re-read and merged; filtering and sorting the kept
rows (sort keys kept per row) is what remains. A run's flattened config is kept by its config
text (`ConfigCache`) for full builds.

A group answer depends only on its runs' points: it is kept under the version of those runs
in `run_stats` (points stored, last insert), so a chart of finished runs is computed once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from runwatch.server.compare import queries as cq
from runwatch.server.compare import table as tbl
from runwatch.server.compare.flatten import flatten
from runwatch.server.compare.kept import KeptRows, Scope
from runwatch.server.query.clients import ClientPool

V = TypeVar("V")


class _Lru(Generic[V]):
    """A bounded map, least recently used out first; thread-safe."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class ConfigCache:
    """config_json text → its flattened `config.` cells (shared, never mutated)."""

    def __init__(self, size: int = 200_000) -> None:
        self._lru: _Lru[dict[str, Any]] = _Lru(size)

    def __call__(self, text: str) -> dict[str, Any]:
        found = self._lru.get(text)
        if found is None:
            found = flatten(tbl.load_config(text), "config")
            self._lru.put(text, found)
        return found


class CompareCache:
    def __init__(self, tables: int = 32, groups: int = 64, configs: int = 200_000,
                 kept_rows: int = 8) -> None:
        self.configs = ConfigCache(configs)
        self._tables: _Lru[tuple[tuple[Any, ...], tbl.Table]] = _Lru(tables)
        self._kept: _Lru[KeptRows] = _Lru(kept_rows)
        self._groups: _Lru[tuple[tuple[Any, ...], list[bytes]]] = _Lru(groups)
        # Tables made (not reused), and how many of them from patched rows: tests and the
        # benchmark read them.
        self.builds = 0
        self.patches = 0

    def table(self, pool: ClientPool, active_ms: int, crash_ms: int, *, filter_text: str = "",
              sort: Sequence[str] = (), wanted: Sequence[tbl.Summary] = (),
              run_ids: Sequence[str] | None = None) -> tbl.Table:
        """tbl.build_table's answer: the same table built earlier when nothing it shows changed,
        or one made from the kept rows with the changed runs re-read."""
        version, now_ms = _data_version(pool)
        scope = Scope(tuple(wanted), None if run_ids is None else tuple(run_ids), active_ms,
                      crash_ms)
        key = (filter_text, tuple(sort), scope)
        found = self._tables.get(key)
        if found is not None and found[0] == version and now_ms < found[1].status_expiry:
            return found[1]
        rows = self._kept.get(scope)
        if rows is None:
            rows = KeptRows.build(pool, scope, version, self.configs)
        elif rows.version != version or now_ms >= rows.expiry:
            rows = rows.patched(pool, version, now_ms, self.configs)
            self.patches += 1
        table = rows.table(filter_text, sort)
        self._kept.put(scope, rows)
        self.builds += 1
        self._tables.put(key, (version, table))
        return table

    def groups(self, pool: ClientPool, key: tuple[Any, ...], run_ids: Sequence[str],
               build: Callable[[], list[bytes]]) -> list[bytes]:
        """`build()`'s answer, or the one kept for `key` while `run_ids` stored nothing new."""
        if not run_ids:
            return build()
        version = tuple(pool.query(*cq.runs_version(run_ids)).result_rows[0])
        found = self._groups.get(key)
        if found is not None and found[0] == version:
            return found[1]
        answer = build()
        self._groups.put(key, (version, answer))
        return answer


def _data_version(pool: ClientPool) -> tuple[tuple[Any, ...], int]:
    row = pool.query(*cq.data_version()).result_rows[0]
    return tuple(row[:-1]), int(row[-1])
