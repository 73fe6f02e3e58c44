"""What may be logged: metric names and values, and the once-per-key warnings about the rest.

The hot path (`PointBuffer.append`) converts values with `struct.pack("<Nd", ...)`, which
accepts exactly what C's `PyFloat_AsDouble` accepts: Python ints, floats and bools, numpy
scalars, 0-d torch tensors (anything with `__float__` or `__index__`), never a string.
`coerce_value` is the same rule for the slow path, so a value is accepted or refused the same
way on both paths. NaN and ±Inf are numbers and are kept as they are.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

MAX_NAME_LENGTH = 200
# Letters, digits and the punctuation people put in metric names ("val/acc@1", "loss (ema)",
# "sys.gpu.0.util_percent"); no control characters, quotes, commas or backslashes.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-./:@%+=#()\[\] ]*$")
RESERVED_NAMES = frozenset({"checkpoint"})
RESERVED_PREFIXES = ("agent.",)


class MetricWarning(RuntimeWarning):
    """A logged key was skipped (bad name or a value that is not a number)."""


def name_problem(name: object, *, internal: bool = False) -> str | None:
    """Why `name` cannot be a metric name, or None when it can."""
    if not isinstance(name, str):
        return f"metric names are strings, got {type(name).__name__}"
    if not name or len(name) > MAX_NAME_LENGTH:
        return f"metric names are 1-{MAX_NAME_LENGTH} characters long"
    if name != name.strip() or not _NAME.match(name):
        return (
            "metric names start with a letter, digit or '_' and use only letters, digits, "
            "spaces and _-./:@%+=#()[]"
        )
    if not internal and (name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES)):
        return "this name is reserved for the agent (use log_checkpoint for checkpoints)"
    return None


def coerce_value(value: Any) -> float | None:
    """`value` as a float, or None when it is not a number (strings are never numbers)."""
    if isinstance(value, str | bytes | bytearray):
        return None
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        # RuntimeError: a torch tensor with more than one element.
        return None


def value_problem(value: Any) -> str:
    return f"value of type {type(value).__name__} is not a number"


class OncePerKey:
    """Emit one `MetricWarning` per key for the life of the owner; later ones are counted."""

    def __init__(self, *, stacklevel: int = 4) -> None:
        self._seen: set[str] = set()
        self.suppressed = 0
        self._stacklevel = stacklevel

    def warn(self, key: object, reason: str) -> None:
        label = key if isinstance(key, str) else repr(key)
        if label in self._seen:
            self.suppressed += 1
            return
        self._seen.add(label)
        warnings.warn(
            f"runwatch: not logging {label!r}: {reason}", MetricWarning, stacklevel=self._stacklevel
        )
