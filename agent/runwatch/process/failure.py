"""Why a run failed, from the exception that ended it: what the `runs` row records.

Pure: the class name decides, so `torch.cuda.OutOfMemoryError` (and any framework's
`OutOfMemoryError`, or a RuntimeError whose message says "CUDA out of memory", what torch
raised before 1.13) is `oom` without importing torch.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass

_MESSAGE_MAX = 2000


@dataclass(frozen=True, slots=True)
class Failure:
    reason: str  # exception | oom | keyboard_interrupt | signal | exit_code
    type: str
    message: str


def _signal_name(code: int) -> str | None:
    try:
        return signal.Signals(code - 128).name if code > 128 else None
    except ValueError:
        return None


def classify(exc: BaseException) -> Failure:
    kind = type(exc)
    name = kind.__name__
    qualified = name if kind.__module__ in ("builtins", "__main__") else f"{kind.__module__}.{name}"
    message = str(exc)[:_MESSAGE_MAX]
    if isinstance(exc, KeyboardInterrupt):
        return Failure("keyboard_interrupt", qualified, message or "interrupted (Ctrl-C / SIGINT)")
    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else 1
        signame = _signal_name(code)
        if signame is not None:
            return Failure("signal", qualified, f"exit code {code} ({signame})")
        return Failure("exit_code", qualified, f"exit code {exc.code}")
    if name == "OutOfMemoryError" or "out of memory" in message.lower() and "cuda" in message.lower():
        return Failure("oom", qualified, message)
    return Failure("exception", qualified, message)
