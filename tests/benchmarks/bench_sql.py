"""SQL console benchmark: POST /sql end to end vs `runwatch sql`, and time to first byte.

Against the embedded ClickHouse (a subprocess) and a `runwatch serve` subprocess:

1. metric_points filled in the engine with INSERT ... SELECT FROM numbers(): --rows rows
   (100 runs x 20 metrics x steps). 100 M is the issue's size; on a shared 2-core machine the
   default is smaller (say which size you used).
2. The per-run max step (`SELECT run_id, max(step) FROM metric_points GROUP BY run_id`):
   median of 5 through POST /sql (whole body read) vs `runwatch sql` (a process, as a user runs it).
3. Time to the first byte and to the last byte of a streamed 1 M-row result through POST /sql.

    .venv/bin/python tests/benchmarks/bench_sql.py [--rows 100000000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runwatch.server.migrate import apply_schema  # noqa: E402
from tests.support.clickhouse import EmbeddedClickHouse, free_port  # noqa: E402

QUERY = "SELECT run_id, max(step) AS last_step FROM metric_points GROUP BY run_id ORDER BY run_id"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000_000)
    args = parser.parse_args()
    steps = max(1, args.rows // 2000)
    with tempfile.TemporaryDirectory() as tmp, EmbeddedClickHouse(Path(tmp) / "data") as server:
        client = server.client()
        apply_schema(client, "bench")
        began = time.monotonic()
        client.command(
            "INSERT INTO bench.metric_points (run_id, metric, step, value, event_time) "
            "SELECT concat('run-', toString(number % 100)), concat('m', toString(intDiv(number, 100) % 20)), "
            f"intDiv(number, 2000), number / 1e6, now64(3) FROM numbers({steps * 2000})",
            settings={"max_insert_block_size": 1_000_000})
        print(f"loaded {steps * 2000:,} rows in {time.monotonic() - began:.1f} s")
        env = {**os.environ, "CH_HOST": server.host, "CH_PORT": str(server.port), "CH_DATABASE": "bench",
               "RUNWATCH_SQL_MAX_RESULT_ROWS": "2000000", "RUNWATCH_SQL_MAX_EXECUTION_SEC": "600"}
        port = free_port()
        serve = subprocess.Popen([sys.executable, "-m", "runwatch.server.commands.serve", "--port", str(port)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(url + "/tabs", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.1)
            console, cli = [], []
            for _ in range(5):
                t = time.perf_counter()
                response = httpx.post(url + "/sql", json={"query": QUERY}, timeout=600)
                assert response.status_code == 200 and response.text.count("\n") == 103, response.text[:300]
                console.append(time.perf_counter() - t)
                t = time.perf_counter()
                subprocess.run([sys.executable, "-m", "runwatch", "sql", QUERY, "-f", "JSONCompactEachRowWithNamesAndTypes"],
                               env=env, check=True, stdout=subprocess.DEVNULL)
                cli.append(time.perf_counter() - t)
            print(f"per-run max step over {steps * 2000:,} rows: POST /sql median {statistics.median(console) * 1000:.0f} ms, "
                  f"runwatch sql median {statistics.median(cli) * 1000:.0f} ms")
            firsts, lasts, size = [], [], 0
            for _ in range(3):
                t = time.perf_counter()
                first = None
                size = 0
                with httpx.stream("POST", url + "/sql", json={"query": "SELECT number, number * 2 AS twice FROM numbers(1000000)"},
                                  timeout=600) as response:
                    for chunk in response.iter_bytes():
                        if first is None:
                            first = time.perf_counter() - t
                        size += len(chunk)
                lasts.append(time.perf_counter() - t)
                firsts.append(first or 0.0)
            print(f"1 M-row result ({size / 2**20:.1f} MiB): first byte median {statistics.median(firsts) * 1000:.0f} ms, "
                  f"last byte median {statistics.median(lasts) * 1000:.0f} ms")
        finally:
            serve.terminate()
            serve.wait(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
