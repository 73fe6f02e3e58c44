"""Embedded server: what one small request costs, as runwatch's backend and a user's own
clickhouse-connect client ask it.

Against a `python -m runwatch.server.embedded` subprocess holding 10,000 runs (the compare
benchmark's load: runs, run_stats, the per-minute rollup), each over HTTP, median of 40:

1. `SELECT 1` from a client without a session (runwatch's backend and agent) and from
   clickhouse-connect's default client, which sends a session_id and eight URL settings with
   every request;
2. a summary over the rollup (`min` of a SimpleAggregateFunction column, the runs table's
   summary cells) and the runs query for one run (FINAL, the join with run_stats), at
   client_protocol_version 54405 (what clickhouse-connect asks) and at revision 0.

To compare with an earlier commit, run it with that checkout's packages first on the path:

    .venv/bin/python tests/benchmarks/bench_embedded_requests.py
    git worktree add /tmp/before <commit>
    PYTHONPATH=/tmp/before/backend:/tmp/before/agent .venv/bin/python tests/benchmarks/bench_embedded_requests.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import clickhouse_connect

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

import runwatch.server.embedded  # noqa: E402
from runwatch.server.compare import queries as cq  # noqa: E402
from runwatch.server.compare import table as tbl  # noqa: E402
from runwatch.server.query import queries  # noqa: E402
from tests.benchmarks.bench_compare import load, median_ms  # noqa: E402
from tests.support.clickhouse import EmbeddedClickHouse  # noqa: E402


def main() -> int:
    print(f"server code: {Path(runwatch.server.embedded.__file__).parent}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="runwatch-bench-requests-"))
    try:
        with EmbeddedClickHouse(work / "clickhouse") as ch:
            load(ch, "bench")
            plain = clickhouse_connect.get_client(host=ch.host, port=ch.port, database="bench",
                                                  autogenerate_session_id=False)
            session = clickhouse_connect.get_client(host=ch.host, port=ch.port, database="bench")
            revision0 = clickhouse_connect.get_client(host=ch.host, port=ch.port, database="bench",
                                                      autogenerate_session_id=False)
            revision0.protocol_version = 0
            summary = cq.summaries(["val/loss"], ["min"], ["run-5"])
            one_run = queries.runs_page(queries.RunsFilter(run_ids=["run-5"]), tbl.ALL_RUNS, 0,
                                        300_000, 45_000)
            rows = [
                ("SELECT 1, no session", lambda: plain.query("SELECT 1")),
                ("SELECT 1, clickhouse-connect's default client (a session)", lambda: session.query("SELECT 1")),
                ("summary over the rollup (SimpleAggregateFunction), revision 54405",
                 lambda: plain.query(summary.sql, parameters=summary.params)),
                ("the same, revision 0", lambda: revision0.query(summary.sql, parameters=summary.params)),
                ("runs query for one run, revision 54405",
                 lambda: plain.query(one_run.sql, parameters=one_run.params)),
                ("the same, revision 0", lambda: revision0.query(one_run.sql, parameters=one_run.params)),
            ]
            print("\n| request | median |\n| --- | --- |")
            for name, fn in rows:
                print(f"| {name} | {median_ms(fn, 40):.1f} ms |", flush=True)
            print(f"\nload {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
