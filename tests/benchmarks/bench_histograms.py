"""Benchmark: histograms, console capture and their storage (issue 11).

    .venv/bin/python tests/benchmarks/bench_histograms.py [--quick]

1. `run.log({"h": Histogram(values)})` for 1 M and 10 M float32 elements, numpy and torch (CPU),
   against a plain `numpy.histogram(values, bins=64)` of the same array (median of 5).
2. Console capture: a loop printing 200,000 lines to stdout (a file), with capture on (rate
   limit out of the way, every line stored) and off; µs per line, as a fresh subprocess each.
3. Storage per console line and per histogram row in ClickHouse (after OPTIMIZE FINAL), and the
   histogram table's array codecs against alternatives on the same rows.

Everything runs against the embedded ClickHouse server. Prints markdown tables and writes them
to test-artifacts/bench_histograms.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.support.clickhouse import EmbeddedClickHouse  # noqa: E402

ARTIFACTS = REPO / "test-artifacts"


def median_ms(fn: Any, repeat: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def bench_log_cost(server: EmbeddedClickHouse, database: str, repeat: int) -> list[str]:
    import numpy as np
    import torch

    from runwatch import Histogram, Run

    run = Run(project="bench", host=server.host, port=server.port, database=database, environ={},
              system_metrics=False, capture_output=False, spool=False)
    rows = ["| elements | input | `log(Histogram(x))` | `numpy.histogram(x, 64)` | ratio |",
            "| ---: | --- | ---: | ---: | ---: |"]
    rng = np.random.default_rng(0)
    step = 0
    for n in (1_000_000, 10_000_000):
        array = rng.standard_normal(n, dtype=np.float32)
        tensor = torch.from_numpy(array.copy())
        floor = median_ms(lambda a=array: np.histogram(a, bins=64), repeat)
        for label, values in (("numpy float32", array), ("torch float32 (CPU)", tensor)):
            def log(values: Any = values) -> None:
                nonlocal step
                run.log({"h": Histogram(values)}, step=step)
                step += 1
            cost = median_ms(log, repeat)
            rows.append(f"| {n:,} | {label} | {cost:.1f} ms | {floor:.1f} ms | {cost / floor:.2f}× |")
    assert run.flush(60)
    run.finish()
    return rows


CAPTURE = """
import sys, time
from runwatch import Run
run = Run(project="bench", host={host!r}, port={port}, database={database!r}, environ={{}},
          system_metrics=False, spool=False, capture_output={capture},
          console_max_lines_per_sec=1e9, console_burst_lines=10**9)
n = {lines}
start = time.perf_counter()
for i in range(n):
    print(f"step {{i:7d}} | loss {{1.0 / (i + 1):.6f}} | lr 3.0e-04 | {{9000 + i % 977}} samples/s")
sys.stdout.flush()
loop = time.perf_counter() - start
run.finish()
sys.stderr.write(f"RESULT {{loop}} {{run.run_id}}\\n")
"""


def bench_capture(server: EmbeddedClickHouse, database: str, lines: int, repeat: int) -> tuple[list[str], str]:
    results: dict[bool, list[float]] = {True: [], False: []}
    run_id = ""
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(repeat):
            for capture in (False, True):
                out = Path(tmp) / "out.txt"
                script = CAPTURE.format(host=server.host, port=server.port, database=database,
                                        capture=capture, lines=lines)
                with out.open("wb") as sink:
                    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, stdout=sink,
                                          stderr=subprocess.PIPE, text=True, check=True)
                _, loop, rid = done.stderr.strip().splitlines()[-1].split()
                results[capture].append(float(loop))
                assert sum(1 for _ in out.open()) == lines
                if capture:
                    run_id = rid
    off, on = statistics.median(results[False]), statistics.median(results[True])
    rows = ["| print loop, 200k lines to a file | total | per line |", "| --- | ---: | ---: |",
            f"| capture off | {off * 1000:.0f} ms | {off / lines * 1e6:.2f} µs |",
            f"| capture on (every line stored) | {on * 1000:.0f} ms | {on / lines * 1e6:.2f} µs |",
            f"| overhead | {(on - off) * 1000:.0f} ms | {(on - off) / lines * 1e6:.2f} µs ({(on / off - 1) * 100:.0f} %) |"]
    return rows, run_id


def bench_storage(client: Any, database: str, run_id: str, lines: int) -> list[str]:
    stored = client.query(f"SELECT count() FROM {database}.run_logs WHERE run_id = {{r:String}}", parameters={"r": run_id}).result_rows[0][0]
    assert stored == lines, (stored, lines)
    rows = ["| table | rows | compressed | bytes/row | uncompressed bytes/row |", "| --- | ---: | ---: | ---: | ---: |"]
    for table in ("run_logs", "histograms"):
        client.command(f"OPTIMIZE TABLE {database}.{table} FINAL")
        n, compressed, raw = client.query(
            "SELECT sum(rows), sum(data_compressed_bytes), sum(data_uncompressed_bytes) FROM system.parts "
            "WHERE database = {d:String} AND table = {t:String} AND active", parameters={"d": database, "t": table}).result_rows[0]
        rows.append(f"| {table} | {n:,} | {compressed:,} B | {compressed / max(n, 1):.1f} | {raw / max(n, 1):.1f} |")
    return rows


def bench_codecs(client: Any, database: str) -> list[str]:
    """edges/counts of ~2,000 demo-like histograms under alternative codecs."""
    client.command(f"""CREATE TABLE {database}.h_source ENGINE = Memory AS
        SELECT intDiv(number, 4) AS step, toString(number % 4) AS metric,
               arrayMap(i -> (-3 - step / 500) + i * (6 + step / 250) / 64, range(65)) AS edges,
               arrayMap(i -> toFloat64(round(50000 * exp(-pow((i - 32) / (8 + number % 4), 2)) + (cityHash64(number, i) % 50))), range(64)) AS counts
        FROM numbers(2000)""")
    rows = ["| codec on edges and counts | compressed (the part) | bytes/histogram |", "| --- | ---: | ---: |"]
    for number, codec in enumerate(("NONE", "LZ4", "ZSTD(1)", "ZSTD(3)", "Gorilla, ZSTD(1)", "Delta, ZSTD(3)")):
        name = f"h_codec_{number}"
        client.command(f"""CREATE TABLE {database}.{name} (step UInt64, metric String,
            edges Array(Float64) CODEC({codec}), counts Array(Float64) CODEC({codec}))
            ENGINE = MergeTree ORDER BY (metric, step)""")
        client.command(f"INSERT INTO {database}.{name} SELECT step, metric, edges, counts FROM {database}.h_source")
        client.command(f"OPTIMIZE TABLE {database}.{name} FINAL")
        # the whole part (step and metric are the same in every variant, and tiny)
        size = client.query("SELECT sum(data_compressed_bytes) FROM system.parts WHERE "
                            "database = {d:String} AND table = {t:String} AND active",
                            parameters={"d": database, "t": name}).result_rows[0][0]
        rows.append(f"| {codec} | {size:,} B | {size / 2000:.0f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 3 if args.quick else 5
    lines = 200_000
    from runwatch.server.migrate import apply_schema

    with tempfile.TemporaryDirectory() as data, EmbeddedClickHouse(Path(data) / "ch") as server:
        client = server.client()
        database = "bench_histograms"
        apply_schema(client, database)
        sections = [
            ("log() of a histogram vs numpy.histogram", bench_log_cost(server, database, repeat)),
        ]
        capture_rows, run_id = bench_capture(server, database, lines, 3 if args.quick else 5)
        sections.append(("Console capture overhead", capture_rows))
        sections.append(("Storage per row (after OPTIMIZE FINAL)", bench_storage(client, database, run_id, lines)))
        sections.append(("histograms: array codecs, 2,000 rows of 64 bins", bench_codecs(client, database)))
        client.close()
    text = "\n\n".join(f"### {title}\n\n" + "\n".join(rows) for title, rows in sections)
    print(text)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench_histograms.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
