"""The failure reason the agent records: from the exception that ended the run, and from
SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from runwatch.process.failure import Failure, classify
from tests.support.clickhouse import EmbeddedClickHouse

REPO = Path(__file__).resolve().parents[2]


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


@pytest.mark.parametrize("with_block", [True, False])
def test_sigterm_is_recorded_as_signal_and_the_points_are_stored(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path, with_block: bool
) -> None:
    body = ("with run:\n    while True:\n        run.log({'loss': 1.0}); time.sleep(0.01)"
            if with_block else "while True:\n    run.log({'loss': 1.0}); time.sleep(0.01)")
    script = textwrap.dedent(f"""
        import sys, time
        from runwatch import Run
        run = Run(project="p", run_id="sigterm", host={clickhouse_server.host!r},
                  port={clickhouse_server.port}, database={database!r}, system_metrics=False,
                  spool_dir={str(tmp_path)!r}, flush_interval=60)
        run.log({{"loss": 1.0}}, step=0)
        print("ready", flush=True)
    """) + body + "\n"
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 143
    client = clickhouse_server.client(database=database)
    row = client.query("SELECT status, failure_reason, failure_type, failure_message "
                       "FROM runs FINAL WHERE run_id = 'sigterm'").result_rows
    assert row == [("failed", "signal", "SystemExit", "exit code 143 (SIGTERM)")]
    stored = client.query("SELECT count() FROM metric_points WHERE run_id = 'sigterm'").result_rows
    assert stored[0][0] > 1  # flushed on the way out, although flush_interval is 60 s


def test_a_handler_of_the_users_is_never_replaced() -> None:
    from runwatch.process import signals as rw_signals

    def mine(signum: int, frame: object) -> None:
        pass

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        assert rw_signals.hold() is False
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        signal.signal(signal.SIGTERM, previous)
