"""Storing imported runs exactly once, through the agent's own encoder and transport.

Two guards make a second import of the same source store nothing:
- every insert's deduplication token is a hash of the run id and the Native body, so a batch
  sent again (a retry, a rerun after Ctrl-C) is dropped by ClickHouse while it is inside the
  table's deduplication window (sql/001: the last 10,000 inserts);
- before inserting, the store asks what the run already holds: a metric with as many stored
  points as the source has is skipped whole, and otherwise the stored (step, event_time) keys
  are loaded and only the points not among them are sent. That covers a rerun after the
  window has passed, and a source that grew (a TensorBoard run that kept training).
The `runs` row is written after the run's points, so a run whose row is there was imported
whole; an identical stored row is not written again.

Each insert is one Native block of at most `batch_points` rows, which ClickHouse stores
atomically: an interrupted import leaves whole batches, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from runwatch.config import NO_DEVICE, ClickHouseTarget
from runwatch.importers.source import Series, SourceRun
from runwatch.metadata import config_json
from runwatch.write.batch import Batch
from runwatch.write.buffer import Chunk
from runwatch.write.encode import (
    METRIC_COLUMN_NAMES,
    METRIC_POINTS,
    RUN_COLUMN_NAMES,
    RUNS,
    PointEncoder,
    RunRow,
    encode_run_rows,
)
from runwatch.write.registry import MetricRegistry
from runwatch.write.transport import ClickHouseTransport, Transport, TransportError


class StoreError(RuntimeError):
    """ClickHouse did not take a batch after the retries; what was stored before is whole."""


@dataclass(frozen=True, slots=True)
class StoreOutcome:
    stored: int  # points inserted now
    present: int  # points the run already held
    row_written: bool


def _millis(times: array[float]) -> array[int]:
    # Exactly the encoder's conversion, so the keys compare equal to what is stored.
    return array("q", (int(t * 1000.0) for t in times))


class ImportStore:
    def __init__(
        self,
        target: ClickHouseTarget,
        *,
        batch_points: int = 200_000,
        transport: Transport | None = None,
        retries: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.target = target
        self.batch_points = max(1, batch_points)
        self.transport = transport or ClickHouseTransport(target, async_insert=False)
        self.retries = retries
        self._sleep = sleep
        self._client: Any = None

    # -- reading what is there ----------------------------------------------------------

    def _query(self, sql: str, parameters: dict[str, Any]) -> list[tuple[Any, ...]]:
        try:
            if self._client is None:
                import clickhouse_connect

                t = self.target
                self._client = clickhouse_connect.get_client(
                    host=t.host, port=t.port, interface=t.protocol, username=t.user,
                    password=t.password, database=t.database, autogenerate_session_id=False,
                    connect_timeout=3, query_retries=1,
                )
            return list(self._client.query(sql, parameters=parameters).result_rows)
        except Exception as exc:  # the driver raises several kinds; all mean "not now"
            text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
            raise StoreError(f"ClickHouse at {self.target.describe()}: {text}") from None

    def check(self) -> None:
        """StoreError now, before any source is read, when the tables cannot be reached."""
        try:
            self._query("SELECT 1 FROM metric_points LIMIT 0", {})
        except StoreError as exc:
            missing = "UNKNOWN_DATABASE" in str(exc) or "UNKNOWN_TABLE" in str(exc)
            raise StoreError(f"{exc}{' (`runwatch migrate` creates the schema)' if missing else ''}") from None

    def stored_counts(self, run_id: str) -> dict[str, int]:
        rows = self._query(
            "SELECT metric, count() FROM metric_points WHERE run_id = {run:String} GROUP BY metric",
            {"run": run_id},
        )
        return {str(metric): int(count) for metric, count in rows}

    def stored_keys(self, run_id: str, metric: str) -> set[tuple[int, int]]:
        rows = self._query(
            "SELECT step, toUnixTimestamp64Milli(event_time) FROM metric_points "
            "WHERE run_id = {run:String} AND metric = {metric:String}",
            {"run": run_id, "metric": metric},
        )
        return {(int(step), int(ms)) for step, ms in rows}

    def stored_row(self, run_id: str) -> tuple[Any, ...] | None:
        rows = self._query(
            "SELECT project, name, config_json, tags, host, user, git_commit, env_json, status, "
            "toUnixTimestamp64Milli(started_at), toUnixTimestamp64Milli(finished_at), "
            "toUnixTimestamp64Milli(updated_at) FROM runs FINAL WHERE run_id = {run:String}",
            {"run": run_id},
        )
        return tuple(rows[0]) if rows else None

    # -- writing ------------------------------------------------------------------------

    def store(self, run: SourceRun, on_batch: Callable[[int], None] = lambda points: None) -> StoreOutcome:
        counts = self.stored_counts(run.run_id)
        registry = MetricRegistry(NO_DEVICE)
        encoder = PointEncoder(registry, run_id=run.run_id, host=run.host, rank=0)
        pending: list[Chunk] = []
        pending_points = stored = present = 0
        for metric in sorted(run.series):
            series = self._missing(run.run_id, metric, run.series[metric], counts.get(metric, 0))
            present += len(run.series[metric]) - len(series)
            if not len(series):
                continue
            sid = registry.schema((registry.metric_id(metric) or 0,))
            start = 0
            while start < len(series):
                end = start + self.batch_points - pending_points  # batches hold batch_points
                steps = series.steps[start:end]
                pending.append(Chunk(values=series.values[start:end], times=series.times[start:end],
                                     steps=steps, sids=array("I", [sid]) * len(steps)))
                pending_points += len(steps)
                start = end
                if pending_points >= self.batch_points:
                    stored += self._send_points(run.run_id, encoder, pending, on_batch)
                    pending, pending_points = [], 0
        if pending:
            stored += self._send_points(run.run_id, encoder, pending, on_batch)
        row = self.run_row(run)
        row_written = self._row_differs(row)
        if row_written:
            body = encode_run_rows([row])
            self._insert(Batch(RUNS, RUN_COLUMN_NAMES, body, 0, self.target.database,
                               token=_token(run.run_id, body)))
        return StoreOutcome(stored=stored, present=present, row_written=row_written)

    def _missing(self, run_id: str, metric: str, series: Series, stored: int) -> Series:
        if stored == 0:
            return series
        if stored == len(series):
            return Series()
        keys = self.stored_keys(run_id, metric)
        missing = Series()
        millis = _millis(series.times)
        for step, ms, t, value in zip(series.steps, millis, series.times, series.values, strict=True):
            if (step, ms) not in keys:
                missing.steps.append(step)
                missing.times.append(t)
                missing.values.append(value)
        return missing

    def _send_points(self, run_id: str, encoder: PointEncoder, chunks: list[Chunk],
                     on_batch: Callable[[int], None]) -> int:
        body, rows = encoder.encode(chunks)
        self._insert(Batch(METRIC_POINTS, METRIC_COLUMN_NAMES, body, rows, self.target.database,
                           token=_token(run_id, body)))
        on_batch(rows)
        return rows

    def _insert(self, batch: Batch) -> None:
        delay = 0.5
        for attempt in range(self.retries + 1):
            try:
                self.transport.insert(batch)
                return
            except TransportError as exc:
                if attempt == self.retries:
                    raise StoreError(f"ClickHouse at {self.target.describe()}: {exc}") from exc
                self._sleep(delay)
                delay *= 2

    def run_row(self, run: SourceRun) -> RunRow:
        span = run.time_range_ms()
        started = run.started_ms if run.started_ms is not None else (span[0] if span else 0)
        finished = run.finished_ms
        if finished is None and run.status != "running" and span is not None:
            finished = span[1]
        # Deterministic (not the import's clock): an unchanged source gives an equal row.
        updated = max(started, finished or 0, span[1] if span else 0)
        env = {"imported_from": run.kind, "source": run.source}
        return RunRow(
            run_id=run.run_id, project=run.project, name=run.name,
            config_json=config_json(run.config), tags=tuple(run.tags), host=run.host,
            user=run.user, git_commit=run.git_commit, git_dirty=False,
            env_json=json.dumps(env, sort_keys=True), status=run.status,
            started_at_ms=started, finished_at_ms=finished, updated_at_ms=updated,
        )

    def _row_differs(self, row: RunRow) -> bool:
        stored = self.stored_row(row.run_id)
        wanted = (row.project, row.name, row.config_json, list(row.tags), row.host, row.user,
                  row.git_commit, row.env_json, row.status, row.started_at_ms,
                  row.finished_at_ms, row.updated_at_ms)
        return stored is None or (*stored[:3], list(stored[3]), *stored[4:]) != wanted

    def close(self) -> None:
        self.transport.close()
        client, self._client = self._client, None
        if client is not None:
            client.close()


def _token(run_id: str, body: bytes) -> str:
    return "import-" + hashlib.sha256(run_id.encode() + b"\0" + body).hexdigest()[:40]
