"""What the integrations share: a guard that keeps runwatch errors out of training, and the
mapping of a framework's metric dictionary to loggable numbers."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping
from typing import Any, ParamSpec, TypeVar

from runwatch.values import coerce_value

P = ParamSpec("P")
R = TypeVar("R")


class IntegrationWarning(RuntimeWarning):
    """A framework callback could not record something; training went on."""


def never_raises(method: Callable[P, R | None]) -> Callable[P, R | None]:
    """Run `method`; on any error warn once per method name and return None.

    A tracker that takes a training run down with it is worse than no tracker."""
    warned: set[str] = set()

    @functools.wraps(method)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if method.__qualname__ not in warned:
                warned.add(method.__qualname__)
                warnings.warn(f"runwatch: {method.__qualname__} failed, training continues: "
                              f"{exc!r}", IntegrationWarning, stacklevel=2)
            return None

    return guarded


def numbers(logs: Mapping[str, Any] | None, rename: Callable[[str], str] = str) -> dict[str, float]:
    """The numeric entries of `logs` (framework dicts also carry strings and lists), renamed."""
    out: dict[str, float] = {}
    for key, value in (logs or {}).items():
        number = coerce_value(value)
        if number is not None:
            out[rename(str(key))] = number
    return out
