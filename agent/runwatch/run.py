"""`Run`: what a training script holds. Two lines to use, nothing to pay per step.

    run = Run(project="vision", config={"lr": 3e-4})
    run.log({"train/loss": loss, "train/lr": lr}, step=step)

`log()` never raises into training and never blocks on I/O: it copies the values into the
columnar buffer and returns (see buffer.py for the step rules). A background writer stores
them in ClickHouse (writer.py), spooling to disk when ClickHouse is away (spool.py); a sampler
thread adds system metrics every `system_interval` seconds (system/). The run's metadata goes to
the `runs` table at start ('running') and at the end ('finished' or 'failed').

Settings are resolved here, once: explicit arguments, else the environment (CH_*, RANK,
LOCAL_RANK, RUNWATCH_RUN_ID, RUNWATCH_SPOOL_DIR), else defaults. Nothing below reads os.environ.
"""

from __future__ import annotations

import itertools
import json
import logging
import math
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from runwatch.config import default_spool_dir, resolve_identity, resolve_target
from runwatch.metadata import RunMetadata
from runwatch.process import lifecycle, signals
from runwatch.process.console import ConsoleCapture
from runwatch.process.failure import Failure, classify
from runwatch.process.heartbeat import Heartbeat
from runwatch.system.protocol import Collector
from runwatch.system.sampler import SystemSampler
from runwatch.values import MetricWarning, OncePerKey
from runwatch.write.pipeline import Pipeline, Tunables
from runwatch.write.rows import LogRow
from runwatch.write.transport import Transport

log = logging.getLogger(__name__)

_STATUSES = ("finished", "failed")
_OFF = ("0", "false", "no", "off")


class Run:
    """One process's part of a training run. All ranks of a run share its `run_id`."""

    def __init__(
        self,
        project: str = "",
        name: str | None = None,
        config: Mapping[str, Any] | None = None,
        tags: Sequence[str] = (),
        *,
        run_id: str | None = None,
        # where ClickHouse is (else CH_HOST, CH_PORT, ... else 127.0.0.1:8123)
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        user: str | None = None,
        password: str | None = None,
        protocol: str | None = None,
        # who this process is (else RANK / torch.distributed, LOCAL_RANK, the hostname)
        rank: int | None = None,
        device: int | None = None,
        hostname: str | None = None,
        # tunables
        flush_interval: float = 0.5,
        batch_size: int = 200_000,
        max_batch_points: int = 1_000_000,
        buffer_capacity: int = 12_000_000,
        spool: bool = True,
        spool_dir: str | os.PathLike[str] | None = None,
        spool_max_bytes: int = 1 << 30,
        spool_after: float = 3.0,
        retry_max: float = 2.0,
        async_insert: bool | None = None,
        compression: str | None = None,
        insert_timeout: float = 30.0,
        system_metrics: bool | None = None,
        system_interval: float = 2.0,
        collectors: Sequence[Collector] | None = None,
        exit_timeout: float = 10.0,
        capture_output: bool | None = None,
        console_max_lines_per_sec: float = 1_000.0,
        console_burst_lines: int = 10_000,
        console_max_line_chars: int = 16_384,
        max_image_bytes: int = 2_000_000,
        heartbeat_interval: float | None = 10.0,
        handle_sigterm: bool = True,
        register_run: bool | None = None,
        transport_factory: Callable[[], Transport] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        """Start the run: resolve settings, write the 'running' row, start the threads.

        run_id: else RUNWATCH_RUN_ID, else a new random id. host/port/database/user/password/
        protocol: where ClickHouse is (else CH_HOST, CH_PORT, ...). rank: else RANK, else
        torch.distributed's rank if initialised, else 0. device: the GPU the training metrics
        belong to (else LOCAL_RANK when set, else 65535). hostname: else this machine's.

        Tunables: flush_interval (s between sends), batch_size (points that wake the writer
        early), max_batch_points (per insert), buffer_capacity (points held in memory, ~10.6
        bytes each: a 10 M-point burst fits while ClickHouse catches up; beyond, the oldest
        are dropped and counted), spool/spool_dir/spool_max_bytes/spool_after (disk
        spool, default ~/.cache/runwatch/spool or RUNWATCH_SPOOL_DIR, 1 GiB, after 3 s of outage),
        retry_max (s, backoff cap), async_insert (None: for small batches), compression (None,
        'lz4', 'zstd', 'gzip'), insert_timeout (s), system_metrics (default: on in local rank 0
        or a single process), system_interval (s), collectors (replace the default psutil +
        NVML ones), heartbeat_interval (s between rewrites of the runs row that tell a live
        process from a vanished one; None: no heartbeat), handle_sigterm (while the run is
        open and SIGTERM has its default action, turn it into SystemExit(143) so the run
        flushes and records failure reason 'signal'; see signals.py), exit_timeout (s given to the flush at interpreter exit), register_run
        (write the runs row; default: rank 0 only), transport_factory (tests), environ (the
        environment to read instead of os.environ).
        """
        env = os.environ if environ is None else environ
        self.identity = resolve_identity(env, run_id=run_id, host=hostname, rank=rank, device=device)
        self.target = resolve_target(
            env, host=host, port=port, database=database, user=user, password=password,
            protocol=protocol,
        )
        self.project = project
        self.name = name or self.identity.run_id
        self.config: dict[str, Any] = dict(config or {})
        self.exit_timeout = exit_timeout
        self._warnings = OncePerKey(stacklevel=4)
        tunables = Tunables(
            flush_interval=flush_interval, batch_size=batch_size,
            max_batch_points=max_batch_points, buffer_capacity=buffer_capacity, spool=spool,
            spool_dir=Path(spool_dir) if spool_dir is not None else default_spool_dir(env),
            spool_max_bytes=spool_max_bytes, spool_after=spool_after, retry_max=retry_max,
            async_insert=async_insert, compression=compression, insert_timeout=insert_timeout,
            max_image_bytes=max_image_bytes,
        )
        self._pipeline = Pipeline(
            self.identity, self.target, tunables, transport_factory=transport_factory,
            warnings=self._warnings,
        )
        self._pipeline.on_first_drop = self._warn_dropped
        self._buffer = self._pipeline.buffer
        self._writer = self._pipeline.writer
        self._pid = os.getpid()
        self._accepting = True  # False once finished, and in a forked child
        self._finished = False
        self._finish_lock = threading.Lock()
        self.status = "running"

        # Rank 0 speaks for the run in the `runs` table; one sampler per host (local rank 0).
        self._register = self.identity.rank == 0 if register_run is None else register_run
        world = env.get("WORLD_SIZE")
        self._metadata = RunMetadata.collect(
            run_id=self.identity.run_id, project=project, name=self.name, config=self.config,
            tags=tags, host=self.identity.host, rank=self.identity.rank,
            world_size=int(world) if world and world.isdigit() else None, cwd=Path.cwd(),
            argv=sys.argv, modules=sys.modules,
        )
        if system_metrics is None:
            system_metrics = self.identity.local_rank in (None, 0)
        self._sampler: SystemSampler | None = None
        if system_metrics or collectors is not None:
            if collectors is None:
                from runwatch.system import default_collectors

                collectors = default_collectors(os.getpid(), disk_path=str(Path.cwd()))
            self._sampler = SystemSampler(
                collectors, self._pipeline.record_samples, interval=system_interval,
                name=f"runwatch-sampler-{self.identity.run_id}",
            )

        if capture_output is None:
            capture_output = env.get("RUNWATCH_CAPTURE_OUTPUT", "1").lower() not in _OFF
        self._console: ConsoleCapture | None = None
        if capture_output:
            self._console = ConsoleCapture(
                self._log_lines, max_line_chars=console_max_line_chars,
                max_lines_per_sec=console_max_lines_per_sec, burst_lines=console_burst_lines,
                name=f"runwatch-console-{self.identity.run_id}",
            )
        self._line_seq = itertools.count()

        self._row_lock = threading.Lock()  # the heartbeat and finish() both write the row
        self._heartbeat: Heartbeat | None = None
        if self._register and heartbeat_interval:
            self._heartbeat = Heartbeat(self._beat, heartbeat_interval,
                                        name=f"runwatch-heartbeat-{self.identity.run_id}")
        if self._register:
            self._pipeline.submit_run_row(self._metadata.row)
        self._pipeline.start()
        if self._console is not None and not self._console.start():
            log.info("runwatch: console not captured: %s", "; ".join(self._console.stats.errors))
            self._console = None
        if self._heartbeat is not None:
            self._heartbeat.start()
        if self._sampler is not None:
            self._sampler.start()
        self._holds_sigterm = handle_sigterm and signals.hold()
        lifecycle.track(self)

    # -- logging ------------------------------------------------------------------------

    @property
    def run_id(self) -> str:
        return self.identity.run_id

    @property
    def finished(self) -> bool:
        """True once finish() ran (or the `with` block ended)."""
        return self._finished

    @property
    def step(self) -> int:
        """The step the next `log()` without `step=` will use."""
        return self._buffer.next_step

    def log(self, data: Mapping[str, Any], step: int | None = None) -> None:
        """Record `data` (metric name -> number) at `step`; returns at once, never raises.

        Without `step`, the call takes the next implicit step (0, 1, 2, ...; an explicit
        `step=s` moves it past s, never back). Values: Python numbers and bools, numpy scalars, 0-d
        torch tensors; NaN and ±Inf are stored as they are. `Histogram(values)` and `Image(...)`
        (or a list of Images) go to the histograms and media tables at the same step. A key whose name is invalid or
        whose value is not a number is skipped, with one MetricWarning per key.
        """
        if not self._accepting:
            self._refused()
            return
        try:
            self._buffer.append(data, step)
        except Exception:
            try:
                self._buffer.append_slow(data, step)
            except Exception as exc:  # never into training
                self._warnings.warn("<log>", f"internal error: {exc!r}")

    def log_checkpoint(
        self,
        step: int,
        path: str | os.PathLike[str],
        size_bytes: int | None = None,
        metrics: Mapping[str, Any] | None = None,
        *,
        log_metrics: bool = True,
    ) -> None:
        """Record a checkpoint saved at `step`: a `checkpoint` row (value = size in bytes, NaN
        when unknown; tags_json = {"path", "size_bytes", "metrics"}), plus `metrics` logged
        as ordinary points at the same step unless `log_metrics=False` (a framework that
        logged them itself). The size is read from the file when not given."""
        if not self._accepting:
            self._refused()
            return
        try:
            if size_bytes is None:
                try:
                    size_bytes = os.stat(path).st_size
                except OSError:
                    size_bytes = None
            attached = {str(k): _json_number(v) for k, v in (metrics or {}).items()}
            tags = json.dumps(
                {"path": os.fspath(path), "size_bytes": size_bytes, "metrics": attached},
                allow_nan=False, separators=(",", ":"),
            )
            value = float(size_bytes) if size_bytes is not None else math.nan
            self._buffer.append_internal(
                [("checkpoint", value, "bytes")], device=self.identity.device,
                step=int(step), tags=[(0, tags)],
            )
            if metrics and log_metrics:
                self.log(metrics, step=step)
        except Exception as exc:
            self._warnings.warn("<log_checkpoint>", f"could not record checkpoint: {exc!r}")

    def log_text(self, text: str, stream: str = "log") -> None:
        """Store each line of `text` in run_logs as if the process had printed it (without
        printing it): for code that has its own logger, or a process without a console."""
        if not self._accepting:
            self._refused()
            return
        now = time.time()
        self._log_lines(stream, str(text).splitlines() or [""], now)

    def update_config(self, config: Mapping[str, Any]) -> None:
        """Merge `config` into the run's config and store the new runs row."""
        self.config.update(config)
        with self._row_lock:
            self._metadata = self._metadata.with_config(self.config)
            if self._register and self._accepting:
                self._pipeline.submit_run_row(self._metadata.row)

    # -- flushing and finishing -----------------------------------------------------------

    def flush(self, timeout: float | None = 30.0) -> bool:
        """Block until everything logged before this call is stored in ClickHouse (or, if it
        is unreachable, in the spool). False if `timeout` passed first."""
        if os.getpid() != self._pid:
            return True  # a forked child has nothing of its own to flush
        if not self._writer.running:
            return self._buffer.pending_points() == 0
        return self._writer.flush(timeout)

    def finish(self, status: str = "finished", timeout: float | None = 30.0,
               *, error: BaseException | None = None) -> None:
        """Flush, stop the threads and mark the run `status` ('finished' or 'failed').
        `error`: the exception that ended it, recorded as the failure reason (its type and
        message; 'oom' for an OutOfMemoryError). Idempotent; later `log()` calls are ignored."""
        if status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}, got {status!r}")
        with self._finish_lock:
            if self._finished or os.getpid() != self._pid:
                return
            self._finished = True
            self._accepting = False
        self.status = status
        if self._heartbeat is not None:
            self._heartbeat.stop()
        if self._sampler is not None:
            self._sampler.stop(timeout=5.0)
        if self._console is not None:
            self._console.stop(timeout=min(2.0, timeout if timeout is not None else 2.0))
        failure: Failure | None = classify(error) if error is not None else None
        if failure is not None and status == "finished":
            failure = None
        if self._register:
            with self._row_lock:
                self._pipeline.submit_run_row(self._metadata.finished(status, failure))
        self._writer.stop(timeout)
        if self._holds_sigterm:
            self._holds_sigterm = False
            signals.release()
        lifecycle.untrack(self)
        self._report_leftovers()

    def __enter__(self) -> Run:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        clean = exc_type is None or (
            isinstance(exc, SystemExit) and exc.code in (0, None)
        )
        self.finish("finished" if clean else "failed", error=None if clean else exc)

    @property
    def stats(self) -> dict[str, int]:
        writer = self._writer.stats
        spool = self._pipeline.spool
        return {
            "stored_points": writer.stored_points,
            "spooled_points": writer.spooled_points,
            "replayed_points": writer.replayed_points,
            "dropped_points": self._pipeline.dropped_points,
            "buffered_points": self._buffer.pending_points(),
            "pending_points": self._writer.pending_points(),
            "spool_points": spool.points if spool is not None else 0,
            "insert_failures": writer.failures,
            "console_lines": self._console.stats.lines if self._console is not None else 0,
            "console_lines_dropped": self._console.stats.dropped if self._console is not None else 0,
            "rows_dropped": self._pipeline.rich.dropped,  # histogram/line/image rows, buffer full
            "images_refused": self._pipeline.rich.refused_images,
        }

    def __repr__(self) -> str:
        return (f"Run(run_id={self.run_id!r}, project={self.project!r}, name={self.name!r}, "
                f"status={self.status!r}, target={self.target.describe()!r})")

    # -- process life -----------------------------------------------------------------------

    def _at_exit(self, failed: bool) -> None:
        if os.getpid() == self._pid and not self._finished:
            error = getattr(sys, "last_value", None) if failed else None
            if signals.received is not None:  # SystemExit leaves no sys.last_value
                failed, error = True, SystemExit(128 + signals.received)
            self.finish("failed" if failed else "finished", timeout=self.exit_timeout,
                        error=error if isinstance(error, BaseException) else None)

    def _beat(self) -> None:
        with self._row_lock:
            if self._finished:
                return
            self._metadata = self._metadata.heartbeat()
            self._pipeline.submit_run_row(self._metadata.row)

    def _after_fork_in_child(self) -> None:
        self._accepting = False
        self._finish_lock = threading.Lock()
        self._pipeline.forget_after_fork()
        if self._console is not None:
            self._console.forget_after_fork()
            self._console = None
        if self._heartbeat is not None:
            self._heartbeat.forget_after_fork()
        self._row_lock = threading.Lock()
        if self._holds_sigterm:
            self._holds_sigterm = False
            signals.forget_after_fork()
        if self._sampler is not None:
            self._sampler.forget_after_fork()
        self._warnings = OncePerKey(stacklevel=4)

    def _log_lines(self, stream: str, lines: list[str], now: float) -> None:
        """From the console reader thread (or log_text): captured lines, in order."""
        step = max(0, self._buffer.next_step - 1)
        seq = self._line_seq
        self._pipeline.rich.logs.extend([LogRow(now, stream, next(seq), step, line) for line in lines])

    def _refused(self) -> None:
        if os.getpid() != self._pid:
            reason = "this is a forked child of the process that created the run; create a Run here"
        else:
            reason = "the run is finished"
        self._warnings.warn("<log after finish>", f"log() ignored: {reason}")

    def _warn_dropped(self, dropped: int) -> None:
        log.warning(
            "runwatch: run %s dropped %d points (buffer and spool full); counted in "
            "agent.points_dropped", self.run_id, dropped,
        )

    def _report_leftovers(self) -> None:
        stats = self.stats
        left = stats["pending_points"] + stats["buffered_points"]
        spool = self._pipeline.spool
        messages = []
        if stats["spool_points"] and spool is not None:
            messages.append(
                f"{stats['spool_points']} points are not in ClickHouse yet but spooled in "
                f"{spool.directory}; send them with `runwatch agent --replay {spool.directory}`"
            )
        if left:
            messages.append(f"{left} points could not be stored or spooled before the deadline")
        if stats["dropped_points"]:
            messages.append(f"{stats['dropped_points']} points were dropped (buffer/spool full)")
        for message in messages:
            sys.stderr.write(f"runwatch: run {self.run_id}: {message}\n")


def _json_number(value: Any) -> float | int | str | None:
    """A metric value for tags_json: finite numbers as numbers, NaN/±Inf as strings."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        return None
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number


__all__ = ["MetricWarning", "Run"]
