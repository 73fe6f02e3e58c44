"""Console capture of real scripts (subprocesses) into the real embedded ClickHouse."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.clickhouse import EmbeddedClickHouse

REPO = Path(__file__).resolve().parents[2]

PRELUDE = """
import os, subprocess, sys, time
from runwatch import Run
run = Run(project="console", run_id={run_id!r}, host={host!r}, port={port}, database={database!r},
          environ={{}}, system_metrics=False, flush_interval=0.05, spool_dir={spool!r},
          capture_output={capture}, **{extra})
"""


def run_script(server: EmbeddedClickHouse, database: str, tmp_path: Path, body: str, *,
               capture: bool = True, extra: dict[str, Any] | None = None,
               timeout: float = 120) -> tuple[str, subprocess.CompletedProcess[bytes]]:
    run_id = f"console-{uuid.uuid4().hex[:8]}"
    script = PRELUDE.format(run_id=run_id, host=server.host, port=server.port, database=database,
                            spool=str(tmp_path / "spool"), capture=capture, extra=extra or {})
    script += textwrap.dedent(body)
    env = {**os.environ, "RUNWATCH_CAPTURE_OUTPUT": "1"}
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env,
                            capture_output=True, timeout=timeout)
    assert result.returncode == 0, result.stderr.decode()
    return run_id, result


def lines(server: EmbeddedClickHouse, database: str, run_id: str) -> list[tuple[str, str]]:
    client = server.client(database=database)
    try:
        rows = client.query("SELECT stream, line FROM run_logs WHERE run_id = {r:String} "
                            "ORDER BY seq", parameters={"r": run_id}).result_rows
        return [(stream, line) for stream, line in rows]
    finally:
        client.close()


SOURCES = """
print("from print", flush=True)
os.write(1, b"from os.write\\n")
subprocess.run([sys.executable, "-c", "print('from a child process')"], check=True)
print("\\x1b[31mred\\x1b[0m", flush=True)
print("to stderr", file=sys.stderr, flush=True)
pid = os.fork()
if pid == 0:  # a forked child: its output still reaches the parent's capture
    os.write(1, b"from a forked child\\n")
    os._exit(0)
os.waitpid(pid, 0)
for i in range(3):
    print(f"line {i}", flush=True)
run.finish()
print("after finish", flush=True)
"""


def test_capture_stores_every_line_from_python_c_and_children_in_order_once_terminal_unchanged(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    run_id, captured = run_script(clickhouse_server, database, tmp_path, SOURCES)
    _, plain = run_script(clickhouse_server, database, tmp_path, SOURCES, capture=False)
    assert captured.stdout == plain.stdout  # what the terminal shows is unchanged
    assert captured.stderr == plain.stderr
    stored = lines(clickhouse_server, database, run_id)
    stdout = [line for stream, line in stored if stream == "stdout"]
    assert stdout == ["from print", "from os.write", "from a child process", "\x1b[31mred\x1b[0m",
                      "from a forked child", "line 0", "line 1", "line 2"]
    assert [line for stream, line in stored if stream == "stderr"] == ["to stderr"]
    assert captured.stdout.endswith(b"line 2\nafter finish\n")  # the fds were given back


def test_a_tqdm_bar_is_stored_as_its_final_line(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    run_id, result = run_script(clickhouse_server, database, tmp_path, """
        from tqdm import tqdm
        for _ in tqdm(range(300), file=sys.stderr, mininterval=0, miniters=1, ascii=True):
            time.sleep(0.001)
        print("done", flush=True)
        run.finish()
    """)
    assert result.stderr.count(b"\r") > 100  # the terminal saw every redraw
    stored = lines(clickhouse_server, database, run_id)
    bars = [line for stream, line in stored if stream == "stderr"]
    assert len(bars) == 1 and "300/300" in bars[0] and "\r" not in bars[0]
    assert ("stdout", "done") in stored


def _dropped(stored: list[tuple[str, str]]) -> int:
    return sum(int(m.group(1)) for stream, line in stored if stream == "runwatch"
               for m in [re.match(r"\[runwatch\] (\d+) lines dropped", line)] if m)


FLOOD = """
start = time.monotonic()
n = 0
for tick in range({ticks}):
    for _ in range(100):
        print(f"line {{n}}")
        n += 1
    sys.stdout.flush()
    delay = start + (tick + 1) / 100 - time.monotonic()
    if delay > 0:
        time.sleep(delay)
elapsed = time.monotonic() - start
run.finish()
print(f"elapsed {{elapsed:.3f}}", flush=True)
"""


@pytest.mark.slow
def test_ten_thousand_lines_a_second_for_ten_seconds_neither_blocks_nor_loses_lines_under_the_limit(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    run_id, result = run_script(clickhouse_server, database, tmp_path, FLOOD.format(ticks=1000),
                                extra={"console_max_lines_per_sec": 5000,
                                       "console_burst_lines": 5000})
    elapsed = float(result.stdout.rsplit(b"elapsed ", 1)[1])
    assert elapsed < 11.5  # the script kept its pace: capture did not block it
    assert result.stdout.count(b"\n") == 100_001  # the terminal got every line
    stored = lines(clickhouse_server, database, run_id)
    kept = [int(line.split()[1]) for stream, line in stored if stream == "stdout"]
    assert kept == sorted(set(kept))  # in order, once
    assert len(kept) >= 5000 * 10  # everything under the limit was stored
    assert len(kept) + _dropped(stored) == 100_000  # and what was over it is counted


def test_lines_under_the_rate_limit_are_all_stored(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    run_id, _ = run_script(clickhouse_server, database, tmp_path, FLOOD.format(ticks=100),
                           extra={"console_max_lines_per_sec": 20_000})
    stored = lines(clickhouse_server, database, run_id)
    assert [line for stream, line in stored if stream == "stdout"] == [f"line {n}" for n in range(10_000)]
    assert _dropped(stored) == 0


def test_a_very_long_line_is_cut_with_a_marker(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    run_id, result = run_script(clickhouse_server, database, tmp_path, """
        print("x" * 50_000, flush=True)
        run.finish()
    """, extra={"console_max_line_chars": 1000})
    assert result.stdout == b"x" * 50_000 + b"\n"
    ((stream, line),) = lines(clickhouse_server, database, run_id)
    assert line == "x" * 1000 + " …[runwatch: line cut, 49000 more characters]"


TTY = """
print("isatty", sys.stdout.isatty(), sys.stderr.isatty(), flush=True)
print("\\x1b[1mbold\\x1b[0m", flush=True)
for i in range(3):
    sys.stderr.write(f"\\r{i}/3")
    sys.stderr.flush()
sys.stderr.write("\\n")
run.finish()
"""


def _under_a_terminal(server: EmbeddedClickHouse, database: str, tmp_path: Path, capture: bool) -> tuple[str, bytes]:
    import pty

    run_id = f"console-{uuid.uuid4().hex[:8]}"
    script = PRELUDE.format(run_id=run_id, host=server.host, port=server.port, database=database,
                            spool=str(tmp_path / "spool"), capture=capture, extra={}) + TTY
    master, slave = pty.openpty()
    child = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdin=subprocess.DEVNULL,
                             stdout=slave, stderr=slave)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    assert child.wait(60) == 0, seen
    os.close(master)
    return run_id, seen


def test_under_a_terminal_the_script_still_sees_a_tty_and_the_output_is_unchanged(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    run_id, captured = _under_a_terminal(clickhouse_server, database, tmp_path, capture=True)
    _, plain = _under_a_terminal(clickhouse_server, database, tmp_path, capture=False)
    assert captured == plain
    assert b"isatty True True" in captured
    assert lines(clickhouse_server, database, run_id) == [
        ("stdout", "isatty True True"), ("stdout", "\x1b[1mbold\x1b[0m"), ("stderr", "2/3")]


def test_a_script_that_never_calls_finish_is_captured_to_its_last_line_at_exit(
    clickhouse_server: EmbeddedClickHouse, database: str, tmp_path: Path
) -> None:
    run_id, result = run_script(clickhouse_server, database, tmp_path, """
        import atexit
        # registered after the run's own exit hook, so it runs before it (atexit is LIFO)
        atexit.register(lambda: os.write(1, b"from an exit hook\\n"))
        print("last words", flush=True)
        print("stats", run.stats["console_lines"] >= 0, flush=True)
    """)
    assert result.stdout == b"last words\nstats True\nfrom an exit hook\n"
    assert lines(clickhouse_server, database, run_id) == [
        ("stdout", "last words"), ("stdout", "stats True"), ("stdout", "from an exit hook")]
