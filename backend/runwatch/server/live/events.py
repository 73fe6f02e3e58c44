"""Cache events as SSE frames, and the per-client filter (`?run_id=&metric_prefix=`).

An event is encoded once, in the poller's thread, for the clients without a filter (nearly
all of them); a filtered client re-encodes only the series it asked for. `prev_version` of a
filtered client's delta is the last version that client was sent, so the chain it sees has
no holes even when it skipped events that had nothing for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from runwatch.server.live import sse_encoding as enc
from runwatch.server.live.cache import Delta, RunInfo, RunsMeta, SeriesChange, SeriesState, Snapshot
from runwatch.server.live.series import Points, SeriesKey


@dataclass(frozen=True)
class StreamFilter:
    run_ids: frozenset[str] | None = None
    metric_prefix: str | None = None

    @property
    def is_everything(self) -> bool:
        return self.run_ids is None and not self.metric_prefix

    def wants(self, key: SeriesKey) -> bool:
        if self.run_ids is not None and key.run_id not in self.run_ids:
            return False
        return not self.metric_prefix or key.metric.startswith(self.metric_prefix)

    def wants_run(self, run: RunInfo) -> bool:
        return self.run_ids is None or run.get("run_id") in self.run_ids


EVERYTHING = StreamFilter()


@dataclass(frozen=True)
class StreamEvent:
    """One published event with its frame for unfiltered clients."""

    kind: Literal["delta", "runs_meta", "alert"]
    version: int
    prev_version: int
    frame: bytes
    source: Delta | RunsMeta | None = field(repr=False)

    @property
    def versioned(self) -> bool:
        """False for notices (`alert`): outside the version chain, never in the ring."""
        return self.source is not None

    @staticmethod
    def notice(kind: Literal["alert"], body: bytes) -> StreamEvent:
        return StreamEvent(kind, -1, -1, enc.frame(kind, body), None)

    @property
    def nbytes(self) -> int:
        return len(self.frame)

    @staticmethod
    def of(event: Delta | RunsMeta) -> StreamEvent:
        if isinstance(event, Delta):
            return StreamEvent("delta", event.version, event.prev_version,
                               delta_frame(event, EVERYTHING, event.prev_version), event)
        return StreamEvent("runs_meta", event.version, event.prev_version,
                           runs_meta_frame(event, EVERYTHING), event)

    def frame_for(self, flt: StreamFilter, prev_version: int) -> bytes | None:
        """The frame a client with `flt` gets, or None when nothing in it is for that client."""
        if self.source is None or (flt.is_everything and prev_version == self.prev_version):
            return self.frame
        if isinstance(self.source, Delta):
            wanted = [c for c in self.source.changes if flt.wants(c.key)]
            if not wanted:
                return None
            return delta_frame(Delta(self.version, prev_version, tuple(wanted)), flt, prev_version)
        return runs_meta_frame(self.source, flt)


def series_change_json(key: SeriesKey, unit: str, points: Points, replace: bool) -> bytes:
    return enc.series_json(
        run_id=key.run_id, metric=key.metric, host=key.host, rank=key.rank, device=key.device,
        unit=unit, step=points.step, time=points.time, value=points.value, replace=replace,
    )


def runs_json(runs: Iterable[RunInfo], flt: StreamFilter) -> bytes:
    return enc.dumps([dict(run) for run in runs if flt.wants_run(run)])


def delta_frame(delta: Delta, flt: StreamFilter, prev_version: int) -> bytes:
    changes: Sequence[SeriesChange] = delta.changes
    body = enc.delta_json(
        delta.version, prev_version,
        (series_change_json(c.key, c.unit, c.points, c.replace) for c in changes if flt.wants(c.key)),
    )
    return enc.frame("delta", body, id=delta.version)


def runs_meta_frame(meta: RunsMeta, flt: StreamFilter) -> bytes:
    return enc.frame("runs_meta", enc.runs_meta_json(meta.version, runs_json(meta.runs, flt)),
                     id=meta.version)


def snapshot_frame(snapshot: Snapshot, flt: StreamFilter, retry_ms: int | None = None) -> bytes:
    series: Iterable[SeriesState] = (s for s in snapshot.series if flt.wants(s.key))
    body = enc.snapshot_json(
        snapshot.version, snapshot.max_points, runs_json(snapshot.runs, flt),
        (series_change_json(s.key, s.unit, s.points, True) for s in series),
    )
    return enc.frame("snapshot", body, id=snapshot.version, retry_ms=retry_ms)
