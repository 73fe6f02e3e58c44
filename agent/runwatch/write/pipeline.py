"""The points' way out of a process: registry -> buffer -> writer (-> spool) -> ClickHouse.

`Pipeline` wires the pieces for one process of one run and is shared by `Run` (which adds the
public API, run metadata, the system sampler and the process-life hooks) and the sidecar (which
only samples system metrics).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from runwatch.config import ClickHouseTarget, Identity
from runwatch.system.protocol import Sample
from runwatch.values import OncePerKey
from runwatch.write.batch import Batch
from runwatch.write.buffer import Chunk, PointBuffer
from runwatch.write.encode import (
    METRIC_COLUMN_NAMES,
    METRIC_POINTS,
    RUN_COLUMN_NAMES,
    RUNS,
    PointEncoder,
    RunRow,
    encode_run_rows,
)
from runwatch.write.encode_rows import (
    HISTOGRAM_COLUMNS,
    HISTOGRAMS,
    LOG_COLUMNS,
    MEDIA,
    MEDIA_COLUMNS,
    RUN_LOGS,
    encode_histograms,
    encode_logs,
    encode_media,
)
from runwatch.write.registry import MetricRegistry
from runwatch.write.rows import RichRows
from runwatch.write.spool import Spool
from runwatch.write.transport import ClickHouseTransport, Transport
from runwatch.write.writer import Writer


@dataclass(frozen=True, slots=True)
class Tunables:
    flush_interval: float = 0.5
    batch_size: int = 200_000  # points that wake the writer early
    max_batch_points: int = 1_000_000  # points per insert at most
    buffer_capacity: int = 12_000_000  # points held in memory at most (~10.6 bytes each)
    spool: bool = True
    spool_dir: Path | None = None  # root; this process uses <root>/<run_id>/<host>-<pid>-<ms>
    spool_max_bytes: int = 1 << 30
    spool_after: float = 3.0  # seconds of outage before batches go to disk
    spool_fsync: bool = True
    max_pending_bytes: int = 64 << 20
    retry_initial: float = 0.05
    retry_max: float = 2.0
    async_insert: bool | None = None  # None: async for small batches, plain for large ones
    compression: str | None = None
    insert_timeout: float = 30.0
    max_image_bytes: int = 2_000_000
    max_batch_rows: int = 50_000  # histogram / console-line rows per insert at most
    max_batch_bytes: int = 32 << 20  # image bytes per insert at most


class Pipeline:
    def __init__(
        self,
        identity: Identity,
        target: ClickHouseTarget,
        tunables: Tunables,
        *,
        transport_factory: Callable[[], Transport] | None = None,
        warnings: OncePerKey | None = None,
    ) -> None:
        self.identity = identity
        self.target = target
        self.tunables = tunables
        self.registry = MetricRegistry(identity.device)
        self.writer: Writer  # set below; the buffer's seal callback wakes it
        self.buffer = PointBuffer(
            self.registry,
            chunk_points=tunables.batch_size,
            capacity=tunables.buffer_capacity,
            on_sealed=self._wake_writer,
            warnings=warnings,
        )
        self.rich = RichRows(max_image_bytes=tunables.max_image_bytes, warnings=warnings)
        self.buffer.rich = self.rich
        self.encoder = PointEncoder(
            self.registry, run_id=identity.run_id, host=identity.host, rank=identity.rank
        )
        self.spool = self._make_spool()
        self.writer = Writer(
            self._drain,
            transport_factory or self._default_transport,
            spool=self.spool,
            flush_interval=tunables.flush_interval,
            spool_after=tunables.spool_after,
            retry_initial=tunables.retry_initial,
            retry_max=tunables.retry_max,
            max_pending_bytes=tunables.max_pending_bytes,
            on_cycle=self._report_counters,
            name=f"runwatch-writer-{identity.run_id}",
            backlog=self.buffer,
        )
        self._reported = (0, 0)
        self.on_first_drop: Callable[[int], None] = lambda dropped: None

    def _make_spool(self) -> Spool | None:
        if not self.tunables.spool or self.tunables.spool_dir is None:
            return None
        process = f"{self.identity.host}-{os.getpid()}-{time.time_ns() // 1_000_000}"
        return Spool(
            self.tunables.spool_dir / self.identity.run_id / process,
            max_bytes=self.tunables.spool_max_bytes,
            fsync=self.tunables.spool_fsync,
        )

    def _default_transport(self) -> Transport:
        return ClickHouseTransport(
            self.target,
            async_insert=self.tunables.async_insert,
            compression=self.tunables.compression,
            timeout=self.tunables.insert_timeout,
        )

    def _wake_writer(self) -> None:
        self.writer.wake()

    def start(self) -> None:
        self.writer.start()

    # -- batches ------------------------------------------------------------------------

    def _drain(self) -> list[Batch]:
        chunks = self.buffer.take(self.tunables.max_batch_points)
        batches: list[Batch] = []
        group: list[Chunk] = []
        points = 0
        for chunk in chunks:
            group.append(chunk)
            points += chunk.points
            if points >= self.tunables.max_batch_points:
                batches.append(self._batch(group))
                group, points = [], 0
        if group:
            batches.append(self._batch(group))
        return batches + self._rich_batches()

    def _rich_batches(self) -> list[Batch]:
        """The histograms, console lines and images buffered since the last drain."""
        ident = self.identity
        database = self.target.database
        limit = self.tunables.max_batch_rows
        batches: list[Batch] = []
        histograms = self.rich.histograms.take()
        for i in range(0, len(histograms), limit):
            part = histograms[i : i + limit]
            batches.append(Batch(HISTOGRAMS, HISTOGRAM_COLUMNS, encode_histograms(part, run_id=ident.run_id, host=ident.host, rank=ident.rank),
                                 len(part), database))
        lines = self.rich.logs.take()
        for i in range(0, len(lines), limit):
            part_lines = lines[i : i + limit]
            batches.append(Batch(RUN_LOGS, LOG_COLUMNS, encode_logs(part_lines, run_id=ident.run_id, host=ident.host, rank=ident.rank),
                                 len(part_lines), database))
        media = self.rich.media.take()
        start = size = 0
        for i, row in enumerate(media):
            size += row.image.size
            if size >= self.tunables.max_batch_bytes or i == len(media) - 1:
                part_media = media[start : i + 1]
                batches.append(Batch(MEDIA, MEDIA_COLUMNS, encode_media(part_media, run_id=ident.run_id, host=ident.host, rank=ident.rank),
                                     len(part_media), database))
                start, size = i + 1, 0
        return batches

    def _batch(self, chunks: list[Chunk]) -> Batch:
        body, rows = self.encoder.encode(chunks)
        return Batch(METRIC_POINTS, METRIC_COLUMN_NAMES, body, rows, self.target.database)

    def submit_run_row(self, row: RunRow) -> None:
        self.writer.submit(
            Batch(RUNS, RUN_COLUMN_NAMES, encode_run_rows([row]), 0, self.target.database)
        )

    # -- the agent's own points ---------------------------------------------------------

    def record_samples(self, samples: list[Sample]) -> None:
        by_device: dict[int, list[tuple[str, float, str]]] = {}
        for sample in samples:
            by_device.setdefault(sample.device, []).append((sample.name, sample.value, sample.unit))
        for device, points in by_device.items():
            self.buffer.append_internal(points, device=device)

    @property
    def dropped_points(self) -> int:
        return self.buffer.dropped + self.rich.dropped + self.writer.stats.dropped_points

    def _report_counters(self) -> None:
        counters = (self.dropped_points, self.writer.stats.spooled_points)
        if counters == self._reported:
            return
        if counters[0] and not self._reported[0]:
            self.on_first_drop(counters[0])
        self._reported = counters
        self.buffer.append_internal(
            [("agent.points_dropped", float(counters[0]), "count"),
             ("agent.points_spooled", float(counters[1]), "count")],
            device=65535,
        )

    def forget_after_fork(self) -> None:
        self.registry.reset_after_fork()
        self.buffer.reset_after_fork()
        self.rich.reset_after_fork()
        self.writer.forget_after_fork()
        self.spool = None
