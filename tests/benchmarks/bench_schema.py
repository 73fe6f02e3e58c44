"""Storage cost of metric_points: the schema's codecs against ClickHouse's default (LZ4).

Generates realistic rows inside the engine (INSERT ... SELECT FROM numbers(), so the benchmark
measures storage, not Python): loss-like training curves with noise, warm-up and a spike, an lr
schedule, throughput; integer-valued system series (utilisation %, memory bytes, temperatures)
and a float power series, each at its own cadence. Then it merges the parts and reads
system.columns. Prints bytes per row for each variant and each column.

    .venv/bin/python tests/benchmarks/bench_schema.py [--rows 12000000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from pathlib import Path

from chdb import state

from runwatch.server.migrate import load_migrations

# Training: 8 metrics per run, one point per step every ~250 ms. System: 16 series per run,
# one sample every 2 s. 60 runs of 15,000 steps give 7.2 M + 4.8 M = 12 M rows.
TRAINING_METRICS = ["train/loss", "train/lr", "train/grad_norm", "train/throughput",
                    "train/acc", "val/loss", "val/acc", "model/weight_norm"]
SYSTEM_METRICS = ["sys.cpu.util_percent", "sys.mem.used_bytes", "sys.net.rx_bytes_per_s",
                  "sys.disk.read_bytes_per_s"] + [
    f"sys.gpu.{g}.{m}" for g in range(4) for m in ("util_percent", "mem_used_bytes", "temp_c")]


def schema_variants() -> dict[str, str]:
    """The schema's DDL, and the same table with every CODEC clause removed (default LZ4)."""
    ddl = next(m for m in load_migrations() if m.name.endswith("metric_points")).statements()[0]
    default = re.sub(r"\s*CODEC\([^()]*(\([^()]*\))?[^()]*\)", "", ddl)
    zstd_only = ddl.replace("Float64 CODEC(Gorilla, ZSTD(1))", "Float64 CODEC(ZSTD(1))")
    assert zstd_only != ddl, "the value column's codec changed: update this variant"
    return {
        "runwatch schema": ddl,
        "value ZSTD(1) without Gorilla": zstd_only,
        "default codecs (LZ4)": default,
    }


def insert_realistic_rows(conn: state.Connection, table: str, runs: int, steps: int) -> None:
    start_ms = 1_760_000_000_000
    columns = "event_time, run_id, host, rank, device, step, metric, value, unit, ingested_at"
    # ingested_at: the agent flushes every 500 ms, so rows arrive in half-second batches.
    conn.query(f"""
        INSERT INTO {table} ({columns})
        SELECT
            fromUnixTimestamp64Milli(toInt64(t0 + s * 250 + cityHash64(r, s) % 40)),
            concat('run-', toString(r)), concat('node-', toString(r % 8)), 0, 65535, s, m,
            -- Metrics come from float32 tensors (`loss.item()`), so they carry float32 precision.
            toFloat64(toFloat32(multiIf(
                m = 'train/loss', 2.3 * exp(-s / 3000) + 0.25 + 0.04 * randNormal(0, 1) + if(s % 7919 = 0, 3, 0),
                m = 'train/lr', 3e-4 * least(1.0, s / 500) * (0.5 + 0.5 * cos(pi() * s / {steps})),
                m = 'train/grad_norm', abs(1.5 * exp(-s / 5000) + 0.3 * randNormal(0, 1)),
                m = 'train/throughput', round(1200 + 40 * randNormal(0, 1), 1),
                m = 'train/acc', 1 - 0.9 * exp(-s / 4000) + 0.01 * randNormal(0, 1),
                m = 'val/loss', 2.4 * exp(-s / 3200) + 0.3 + 0.02 * randNormal(0, 1),
                m = 'val/acc', 1 - 0.9 * exp(-s / 4200) + 0.005 * randNormal(0, 1),
                10 + s / 10000 + 0.001 * randNormal(0, 1)))),
            '',
            fromUnixTimestamp64Milli(toInt64(intDiv(t0 + s * 250, 500) * 500 + 520))
        FROM (
            SELECT intDiv(number, {steps}) AS r, number % {steps} AS s, {start_ms} + r * 3600000 AS t0
            FROM numbers({runs * steps})
        )
        ARRAY JOIN {TRAINING_METRICS!r} AS m
    """)
    samples = steps // 3
    conn.query(f"""
        INSERT INTO {table} ({columns})
        SELECT
            fromUnixTimestamp64Milli(toInt64(t0 + i * 2000 + cityHash64(r, i) % 30)),
            concat('run-', toString(r)), concat('node-', toString(r % 8)), 0,
            if(startsWith(m, 'sys.gpu.'), toUInt16(extract(m, 'sys\\.gpu\\.(\\d+)\\.')), 65535),
            0, m,
            multiIf(
                endsWith(m, 'util_percent'), least(100, greatest(0, round(92 + 6 * randNormal(0, 1)))),
                m = 'sys.mem.used_bytes', intDiv(toUInt64(180e9 + 1e9 * sin(i / 300)), 4096) * 4096,
                endsWith(m, 'mem_used_bytes'), intDiv(toUInt64(60e9 + 2e8 * sin(i / 50)), 1048576) * 1048576,
                endsWith(m, 'temp_c'), round(71 + 3 * sin(i / 200) + randNormal(0, 0.5)),
                toUInt64(abs(5e7 + 1e7 * randNormal(0, 1)))),
            multiIf(endsWith(m, 'percent'), '%', endsWith(m, 'bytes'), 'bytes', endsWith(m, 'temp_c'), 'C', 'bytes/s'),
            fromUnixTimestamp64Milli(toInt64(intDiv(t0 + i * 2000, 500) * 500 + 530))
        FROM (
            SELECT intDiv(number, {samples}) AS r, number % {samples} AS i, {start_ms} + r * 3600000 AS t0
            FROM numbers({runs * samples})
        )
        ARRAY JOIN {SYSTEM_METRICS!r} AS m
    """)


def measure(conn: state.Connection, table: str) -> tuple[int, dict[str, int]]:
    conn.query(f"OPTIMIZE TABLE {table} FINAL")
    rows = int(conn.query(f"SELECT count() FROM {table}", "CSV").bytes())
    out = conn.query(
        "SELECT name, data_compressed_bytes FROM system.columns "
        f"WHERE database = currentDatabase() AND table = '{table}' ORDER BY position",
        "TSV",
    ).bytes().decode()
    columns = {name: int(size) for name, size in (line.split("\t") for line in out.splitlines())}
    return rows, columns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--steps", type=int, default=15_000)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="runwatch-bench-schema-"))
    conn = state.connect(str(workdir / "db"))
    results = {}
    try:
        for label, ddl in schema_variants().items():
            table = f"metric_points_{len(results)}"
            conn.query(ddl.replace("metric_points", table, 1))
            # Wide parts keep one file per column, so system.columns can say what each costs;
            # the compression is the same as in the compact parts small inserts make.
            conn.query(f"ALTER TABLE {table} MODIFY SETTING min_bytes_for_wide_part = 0")
            started = time.perf_counter()
            insert_realistic_rows(conn, table, args.runs, args.steps)
            rows, columns = measure(conn, table)
            results[label] = (rows, columns, time.perf_counter() - started)
        names = list(next(iter(results.values()))[1])
        print(f"\nmetric_points storage, {next(iter(results.values()))[0]:,} rows "
              f"({args.runs} runs: {len(TRAINING_METRICS)} training metrics x {args.steps} steps, "
              f"{len(SYSTEM_METRICS)} system series x {args.steps // 3} samples)\n")
        header = "| column | " + " | ".join(results) + " |"
        print(header)
        print("|" + " --- |" * (len(results) + 1))
        for name in names:
            cells = [f"{cols[name] / rows:.3f}" for rows, cols, _ in results.values()]
            print(f"| {name} | " + " | ".join(cells) + " |")
        totals = [sum(cols.values()) / rows for rows, cols, _ in results.values()]
        print("| **total bytes/row** | " + " | ".join(f"**{t:.2f}**" for t in totals) + " |")
        print(f"\nratio default / runwatch: {totals[-1] / totals[0]:.1f}x smaller with the schema's codecs")
    finally:
        conn.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
