"""Host and process statistics from psutil: CPU, load, memory, swap, disk and network rates.

Each family is read on its own, so one that fails (no disk counters in a container, no
swap) costs only its own metrics. Rates are counter deltas over the injected clock; a counter
that went backwards (a reset) yields no rate that round.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from runwatch.system.protocol import Sample

log = logging.getLogger(__name__)


class PsutilCollector:
    def __init__(
        self,
        ps: Any = None,
        *,
        pid: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        disk_path: str | None = None,
    ) -> None:
        """disk_path: the file system whose free fraction is `sys.disk.free_frac` (the run's
        working directory, where checkpoints usually go); None: not reported."""
        self._disk_path = disk_path
        if ps is None:
            import psutil

            ps = psutil
        self._ps = ps
        self._clock = clock
        self._failed: set[str] = set()
        self._process = self._guard("process", lambda: ps.Process(pid)) if pid is not None else None
        self._guard("cpu", lambda: ps.cpu_percent(interval=None))  # primes the next reading
        process = self._process
        if process is not None:
            self._guard("process", lambda: process.cpu_percent(interval=None))
        self._last_time = clock()
        self._disk = self._guard("disk", ps.disk_io_counters)
        self._net = self._guard("net", ps.net_io_counters)

    def _guard(self, family: str, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except Exception as exc:
            if family not in self._failed:
                self._failed.add(family)
                log.info("runwatch: system metrics: %s unavailable (%s)", family, exc)
            return None

    def collect(self) -> list[Sample]:
        ps = self._ps
        now = self._clock()
        elapsed = now - self._last_time
        self._last_time = now
        out: list[Sample] = []

        cpu = self._guard("cpu", lambda: ps.cpu_percent(interval=None))
        if cpu is not None:
            out.append(Sample("sys.cpu.util_percent", float(cpu), "percent"))
        load = self._guard("load", ps.getloadavg)
        if load is not None:
            out.append(Sample("sys.cpu.load_avg_1m", float(load[0]), ""))
        memory = self._guard("memory", ps.virtual_memory)
        if memory is not None:
            out += (
                Sample("sys.mem.used_bytes", float(memory.used), "bytes"),
                Sample("sys.mem.available_bytes", float(memory.available), "bytes"),
                Sample("sys.mem.util_percent", float(memory.percent), "percent"),
            )
        swap = self._guard("swap", ps.swap_memory)
        if swap is not None:
            out.append(Sample("sys.swap.used_bytes", float(swap.used), "bytes"))
        if self._process is not None:
            process = self._process
            rss = self._guard("process", lambda: process.memory_info().rss)
            if rss is not None:
                out.append(Sample("sys.proc.rss_bytes", float(rss), "bytes"))
            proc_cpu = self._guard("process", lambda: process.cpu_percent(interval=None))
            if proc_cpu is not None:
                out.append(Sample("sys.proc.cpu_percent", float(proc_cpu), "percent"))

        disk = self._guard("disk", ps.disk_io_counters)
        if disk is not None and self._disk is not None and elapsed > 0:
            out += _rates(
                (("sys.disk.read_bytes_per_s", disk.read_bytes, self._disk.read_bytes),
                 ("sys.disk.write_bytes_per_s", disk.write_bytes, self._disk.write_bytes)),
                elapsed,
            )
        self._disk = disk
        if self._disk_path is not None:
            path = self._disk_path
            usage = self._guard("disk_usage", lambda: ps.disk_usage(path))
            if usage is not None and usage.total:
                out.append(Sample("sys.disk.free_frac", usage.free / usage.total, "ratio"))
        net = self._guard("net", ps.net_io_counters)
        if net is not None and self._net is not None and elapsed > 0:
            out += _rates(
                (("sys.net.rx_bytes_per_s", net.bytes_recv, self._net.bytes_recv),
                 ("sys.net.tx_bytes_per_s", net.bytes_sent, self._net.bytes_sent)),
                elapsed,
            )
        self._net = net
        return out


def _rates(counters: tuple[tuple[str, int, int], ...], elapsed: float) -> list[Sample]:
    return [
        Sample(name, (now - before) / elapsed, "bytes/s")
        for name, now, before in counters
        if now >= before
    ]
