"""Metric names interned to small integers, and the key sets ("schemas") logged together.

`log({"train/loss": .., "train/lr": ..})` is stored as one schema id per call plus the values,
so the hot path does one dict lookup for the whole key tuple instead of one per key. A schema
also fixes the device of its points (the run's device for training metrics, the GPU index for
per-GPU system metrics). Names and schemas only grow; readers index the lists without a lock.

Bounds: at most `max_names` names (more are refused with a warning) and `max_schemas` cached
key tuples; past that, calls are stored as one single-key schema per key, which is bounded by
the number of names.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Schema:
    sid: int
    ids: tuple[int, ...]
    device: int

    @property
    def size(self) -> int:
        return len(self.ids)


class MetricRegistry:
    def __init__(self, device: int, *, max_names: int = 100_000, max_schemas: int = 10_000) -> None:
        self.device = device
        self.max_names = max_names
        self.max_schemas = max_schemas
        self.names: list[str] = []
        self.units: list[str] = []
        self.schemas: list[Schema] = []
        self.sizes: list[int] = []  # schemas[i].size, as a list for C-level map()
        # The hot path's lookup: a key tuple exactly as logged -> (schema id, values packer).
        self.user_schemas: dict[tuple[Any, ...], tuple[int, Callable[..., bytes]]] = {}
        self._ids: dict[str, int] = {}
        self._by_ids: dict[tuple[tuple[int, ...], int], int] = {}
        self._lock = threading.Lock()

    def reset_after_fork(self) -> None:
        self._lock = threading.Lock()

    def metric_id(self, name: str, unit: str = "") -> int | None:
        """The id of `name` (registering it with `unit`), or None when the table is full."""
        found = self._ids.get(name)
        if found is not None:
            return found
        with self._lock:
            found = self._ids.get(name)
            if found is not None:
                return found
            if len(self.names) >= self.max_names:
                return None
            self.names.append(name)
            self.units.append(unit)
            self._ids[name] = len(self.names) - 1
            return len(self.names) - 1

    def schema(self, ids: tuple[int, ...], device: int | None = None) -> int:
        """The schema id for these metric ids on `device` (default: the run's device)."""
        key = (ids, self.device if device is None else device)
        found = self._by_ids.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._by_ids.get(key)
            if found is None:
                found = len(self.schemas)
                self.schemas.append(Schema(found, ids, key[1]))
                self.sizes.append(len(ids))
                self._by_ids[key] = found
            return found

    def remember_user_keys(self, names: tuple[str, ...], sid: int, keys: tuple[Any, ...]) -> bool:
        """Let the hot path map `keys` (exactly as logged) straight to `sid` and the packer of
        its values; False once the cache is full."""
        if len(self.user_schemas) >= self.max_schemas:
            return False
        self.user_schemas[keys] = (sid, struct.Struct(f"<{len(names)}d").pack)
        return True

    def can_cache(self) -> bool:
        return len(self.user_schemas) < self.max_schemas and len(self.schemas) < 4 * self.max_schemas
