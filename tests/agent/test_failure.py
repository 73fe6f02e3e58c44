"""The failure reason the agent records, from the exception that ended the run."""

from __future__ import annotations

import pytest

from runwatch.failure import Failure, classify


class OutOfMemoryError(RuntimeError):
    """Named like torch.cuda.OutOfMemoryError."""


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (ValueError("bad shape"), Failure("exception", "ValueError", "bad shape")),
        (OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"),
         Failure("oom", f"{__name__}.OutOfMemoryError",
                 "CUDA out of memory. Tried to allocate 2.00 GiB")),
        (RuntimeError("CUDA out of memory. Tried to allocate 20.00 MiB"),
         Failure("oom", "RuntimeError", "CUDA out of memory. Tried to allocate 20.00 MiB")),
        (RuntimeError("host ran out of memory"), Failure("exception", "RuntimeError",
                                                         "host ran out of memory")),
        (KeyboardInterrupt(), Failure("keyboard_interrupt", "KeyboardInterrupt",
                                      "interrupted (Ctrl-C / SIGINT)")),
        (SystemExit(143), Failure("signal", "SystemExit", "exit code 143 (SIGTERM)")),
        (SystemExit(3), Failure("exit_code", "SystemExit", "exit code 3")),
        (SystemExit("fatal: no data"), Failure("exit_code", "SystemExit", "exit code fatal: no data")),
    ],
)
def test_classify(exc: BaseException, expected: Failure) -> None:
    assert classify(exc) == expected


def test_classify_cuts_a_huge_message() -> None:
    assert len(classify(ValueError("x" * 10_000)).message) == 2000
