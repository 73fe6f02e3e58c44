"""Nested config → one level of dotted keys, the shape a table column and a diff need.

Dicts nest with dots (`optimizer.lr`). A list of scalars is one value (a sweep over
`layers: [64, 128]` compares the lists whole); a list holding dicts or lists is indexed
(`blocks.0.width`) so that what differs inside it is visible. An empty dict stays a value
(`{}`), so a key that is present but empty does not vanish from a diff.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def flatten(value: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    _walk(dict(value) if type(value) is not dict else value, prefix, out)
    return out


_NESTED = (dict, list, tuple)


def _walk(value: Any, key: str, out: dict[str, Any]) -> None:
    # Concrete types, not the collections ABCs: at 10,000 runs the ABC checks were most of
    # the runs table's Python time. Configs come from JSON (dict, list) or Python (+ tuple).
    kind = type(value)
    if kind is dict and value:
        for k, v in value.items():
            _walk(v, f"{key}.{k}" if key else str(k), out)
    elif (kind is list or kind is tuple) and any(type(v) in _NESTED for v in value):
        for i, v in enumerate(value):
            _walk(v, f"{key}.{i}" if key else str(i), out)
    elif key:
        out[key] = list(value) if kind is tuple else value
