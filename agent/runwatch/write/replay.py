"""Replaying spooled batches from another process: `runwatch agent --replay DIR`.

Each spool directory under DIR is locked (a directory still held by a live training process
is skipped and reported) and its batches are sent oldest first with their original tokens,
so a batch that had reached ClickHouse before the crash is not stored twice. A batch is deleted
only after ClickHouse confirms it. ClickHouse errors are retried with backoff until `timeout`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from runwatch.write.spool import SetAside, Spool, SpoolError, spool_directories
from runwatch.write.transport import Transport

log = logging.getLogger(__name__)


@dataclass
class ReplayReport:
    sent_batches: int = 0
    sent_points: int = 0
    busy: list[Path] = field(default_factory=list)  # held by a live process
    left: dict[Path, int] = field(default_factory=dict)  # batches still there, per directory
    corrupt: dict[Path, SetAside] = field(default_factory=dict)  # set aside, unrecoverable

    @property
    def complete(self) -> bool:
        return not self.busy and not any(self.left.values()) and not self.corrupt


def replay(
    root: Path,
    transport: Transport,
    *,
    timeout: float = 60.0,
    database: str | None = None,
    retry_initial: float = 0.1,
    retry_max: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_batch: Callable[[int], None] = lambda points: None,
) -> ReplayReport:
    report = ReplayReport()
    deadline = clock() + timeout
    for directory in spool_directories(root):
        spool = Spool(directory, max_bytes=1 << 62)
        try:
            spool.open()
        except SpoolError:
            report.busy.append(directory)
            continue
        try:
            delay = retry_initial
            while (batch := spool.oldest()) is not None:
                if database is not None:
                    batch = replace(batch, database=database)
                try:
                    transport.insert(batch)
                except Exception as exc:
                    if clock() + delay > deadline:
                        log.error("runwatch replay: giving up on %s: %s", directory, exc)
                        break
                    log.warning("runwatch replay: %s; retrying in %.1f s", exc, delay)
                    sleep(random.uniform(delay / 2, delay))
                    delay = min(retry_max, delay * 2)
                    continue
                spool.pop()
                delay = retry_initial
                report.sent_batches += 1
                report.sent_points += batch.points
                on_batch(batch.points)
            report.left[directory] = len(spool)
            if (aside := spool.set_aside()).batches:
                report.corrupt[directory] = aside
        finally:
            spool.close()
    transport.close()
    return report
