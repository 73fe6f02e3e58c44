"""The `runwatch` command as a user types it: migrate, sql, and `up` starting and stopping it all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import pytest

from runwatch.server.migrate import load_migrations
from tests.support.clickhouse import REPO_ROOT, EmbeddedClickHouse, free_port
from tests.support.waiting import wait_for


def runwatch(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "runwatch", *args], env=env, cwd=REPO_ROOT,
        capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture
def env_for(clickhouse_server: EmbeddedClickHouse) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CH_")}
    env.update(CH_HOST="127.0.0.1", CH_PORT=str(clickhouse_server.port),
               CH_DATABASE=f"cli_{uuid.uuid4().hex[:10]}")
    return env


@pytest.fixture
def migrated_env(env_for: dict[str, str]) -> dict[str, str]:
    assert runwatch("migrate", env=env_for).returncode == 0
    return env_for


def test_migrate_twice_is_a_noop_the_second_time(env_for: dict[str, str]) -> None:
    first = runwatch("migrate", env=env_for)
    second = runwatch("migrate", env=env_for)
    assert first.returncode == 0, first.stderr
    assert "applied to" in first.stdout and "001_metric_points" in first.stdout
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == f"{env_for['CH_DATABASE']}: schema is up to date"


def test_sql_prints_the_result_as_a_table(migrated_env: dict[str, str]) -> None:
    result = runwatch("sql", "SELECT 40 + 2 AS answer, 'ok' AS word", env=migrated_env)
    assert result.returncode == 0, result.stderr
    assert "answer" in result.stdout and "42" in result.stdout and "ok" in result.stdout


def test_sql_prints_any_format_asked_for(migrated_env: dict[str, str]) -> None:
    result = runwatch("sql", "SELECT number, number * 2 FROM numbers(3)", "--format", "TSV", env=migrated_env)
    assert result.stdout == "0\t0\n1\t2\n2\t4\n"


def test_sql_reads_the_statement_from_stdin_with_a_dash(migrated_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "runwatch", "sql", "-", "-f", "CSV"], input="SELECT 'from stdin'",
        env=migrated_env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert result.stdout == '"from stdin"\n'


@pytest.mark.parametrize(
    ("query", "code"),
    [("SELEC 1", "Code: 62"), ("SELECT * FROM no_such_table", "Code: 60"), ("SELECT unknownFn(1)", "Code: 46")],
)
def test_sql_with_bad_sql_exits_non_zero_with_the_servers_message_and_no_traceback(
    migrated_env: dict[str, str], query: str, code: str
) -> None:
    result = runwatch("sql", query, env=migrated_env)
    assert result.returncode == 1
    assert result.stderr.startswith(f"runwatch sql: {code}.")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_sql_against_an_unreachable_clickhouse_says_where_it_looked(env_for: dict[str, str]) -> None:
    env_for["CH_PORT"] = str(free_port())
    result = runwatch("sql", "SELECT 1", env=env_for)
    assert result.returncode == 2
    assert f"cannot reach ClickHouse at http://127.0.0.1:{env_for['CH_PORT']}" in result.stderr
    assert "Traceback" not in result.stderr


def test_sql_before_migrate_names_the_missing_database_and_the_fix(env_for: dict[str, str]) -> None:
    result = runwatch("sql", "SELECT 1", env=env_for)
    assert result.returncode == 2
    assert "Code: 81" in result.stderr and "runwatch migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_is_reported_without_a_traceback(env_for: dict[str, str]) -> None:
    env_for["CH_PORT"] = "not-a-port"
    result = runwatch("sql", "SELECT 1", env=env_for)
    assert result.returncode == 2
    assert "CH_PORT" in result.stderr
    assert "Traceback" not in result.stderr


def _get(url: str) -> int:
    with urllib.request.urlopen(url, timeout=2) as response:
        return int(response.status)


@pytest.mark.slow
def test_up_serves_dashboard_and_clickhouse_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port, ch_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CH_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "runwatch", "up", "--demo", "--demo-runs", "1",
         "--data-dir", str(tmp_path / "data"), "--port", str(port), "--ch-port", str(ch_port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:  # until the supervisor says every part answers
            lines.append(line)
            if line.startswith("runwatch is up"):
                break
        assert _get(f"http://127.0.0.1:{port}/health") == 200
        assert _get(f"http://127.0.0.1:{ch_port}/ping") == 200
        assert _get(f"http://127.0.0.1:{port}/") == 200
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        output = "".join(lines) + rest
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "runwatch is up" in output
    for url in (f"http://127.0.0.1:{port}/health", f"http://127.0.0.1:{ch_port}/ping"):
        with pytest.raises(OSError):
            _get(url)


@pytest.mark.parametrize(("command", "missing", "extra"), [
    (["sql", "SELECT 1"], "pydantic", "server"),
    (["serve"], "fastapi", "server"),
    (["clickhouse", "--data-dir", "unused"], "chdb", "embedded"),
])
def test_a_command_whose_extra_is_not_installed_says_which_to_install(
    command: list[str], missing: str, extra: str
) -> None:
    # As on a training box with only the agent's dependencies: the module cannot be imported.
    script = (f"import sys; sys.modules[{missing!r}] = None; from runwatch.cli import main; "
              f"sys.exit(main({command!r}))")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"pip install 'runwatch[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_clickhouse_command_applies_the_schema_once_listening_so_agents_can_insert(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CH_")}
    env["CH_DATABASE"] = "from_env"
    process = subprocess.Popen(
        [sys.executable, "-m", "runwatch", "clickhouse", "--data-dir", str(tmp_path / "data"),
         "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        server = EmbeddedClickHouse(tmp_path / "data", port=port)

        def applied() -> int:
            try:
                return int(server.client().query(
                    "SELECT count() FROM from_env.schema_migrations FINAL").result_rows[0][0])
            except Exception:  # not listening yet, or the table not created yet
                return 0

        wait_for(lambda: applied() == len(load_migrations()), 60, "the schema in CH_DATABASE")
        tables = {row[0] for row in server.client().query(
            "SELECT name FROM system.tables WHERE database = 'from_env'").result_rows}
        assert {"metric_points", "runs", "run_stats", "metric_rollup_1m"} <= tables
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output


def test_sql_runs_insert_values_and_the_row_is_stored(migrated_env: dict[str, str]) -> None:
    created = runwatch("sql", "CREATE TABLE notes (id UInt32, text String) ENGINE = MergeTree ORDER BY id",
                       env=migrated_env)
    inserted = runwatch("sql", "INSERT INTO notes VALUES (7, 'seven'), (8, 'eight')", env=migrated_env)
    read = runwatch("sql", "SELECT id, text FROM notes ORDER BY id", "-f", "TSV", env=migrated_env)
    assert created.returncode == 0, created.stderr
    assert inserted.returncode == 0, inserted.stderr
    assert read.stdout == "7\tseven\n8\teight\n"


def test_sql_keeps_a_format_the_statement_names(migrated_env: dict[str, str]) -> None:
    result = runwatch("sql", "SELECT 1 AS one FORMAT JSONEachRow", env=migrated_env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"one":1}\n'


def test_sql_against_a_wrong_port_prints_one_line_and_no_library_warnings(env_for: dict[str, str]) -> None:
    env_for["CH_PORT"] = str(free_port())
    result = runwatch("sql", "SELECT 1", env=env_for)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "connection refused" in result.stderr
    assert "WARNING" not in result.stderr

def test_logs_prints_the_tail_greps_and_follows_new_lines(
    migrated_env: dict[str, str], clickhouse_server: EmbeddedClickHouse, tmp_path: Path
) -> None:
    from runwatch import Run

    run = Run(project="cli", host="127.0.0.1", port=clickhouse_server.port,
              database=migrated_env["CH_DATABASE"], environ={}, spool_dir=tmp_path,
              system_metrics=False, capture_output=False, flush_interval=0.05)
    run.log_text("epoch 1 done\nCUDA out of memory\nepoch 2 done")
    assert run.flush(30)
    assert runwatch("logs", run.run_id, env=migrated_env).stdout.splitlines() == [
        "epoch 1 done", "CUDA out of memory", "epoch 2 done"]
    assert runwatch("logs", run.run_id, "--grep", "epoch", "-n", "1", env=migrated_env).stdout == "epoch 2 done\n"
    unknown = runwatch("logs", "no-such-run", env=migrated_env)
    assert unknown.returncode == 1 and "no run 'no-such-run'" in unknown.stderr
    follow = subprocess.Popen([sys.executable, "-m", "runwatch", "logs", run.run_id, "--follow",
                               "--interval", "0.1"], env=migrated_env, cwd=REPO_ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert follow.stdout is not None
        assert [follow.stdout.readline() for _ in range(3)][-1] == "epoch 2 done\n"
        run.log_text("epoch 3 done")
        assert run.flush(30)
        assert follow.stdout.readline() == "epoch 3 done\n"
    finally:
        follow.kill()
        follow.wait(10)
        run.finish()
