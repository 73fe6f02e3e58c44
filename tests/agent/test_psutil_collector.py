from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

from runwatch.system.psutil_collector import PsutilCollector


class FakePsutil:
    """The slice of psutil the collector reads, with values a test sets."""

    def __init__(self) -> None:
        self.cpu = 37.5
        self.disk: Any = SimpleNamespace(read_bytes=1_000, write_bytes=5_000)
        self.net = SimpleNamespace(bytes_recv=10_000, bytes_sent=20_000)
        self.broken: set[str] = set()

    def _maybe_fail(self, family: str) -> None:
        if family in self.broken:
            raise OSError(f"{family} unavailable")

    def cpu_percent(self, interval: float | None = None) -> float:
        self._maybe_fail("cpu")
        return self.cpu

    def getloadavg(self) -> tuple[float, float, float]:
        return (1.5, 1.0, 0.5)

    def virtual_memory(self) -> Any:
        return SimpleNamespace(used=8 << 30, available=24 << 30, percent=25.0)

    def swap_memory(self) -> Any:
        self._maybe_fail("swap")
        return SimpleNamespace(used=1 << 20)

    def disk_io_counters(self) -> Any:
        self._maybe_fail("disk")
        return self.disk

    def net_io_counters(self) -> Any:
        return self.net

    def Process(self, pid: int) -> Any:  # noqa: N802 - psutil's name
        return SimpleNamespace(memory_info=lambda: SimpleNamespace(rss=123_456_789),
                               cpu_percent=lambda interval=None: 12.5)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_collect_when_counters_advance_then_exact_values_and_rates() -> None:
    ps, clock = FakePsutil(), Clock()
    collector = PsutilCollector(ps, pid=1, clock=clock)
    clock.now += 2.0
    ps.disk = SimpleNamespace(read_bytes=3_000, write_bytes=5_000)
    ps.net = SimpleNamespace(bytes_recv=30_000, bytes_sent=20_400)
    samples = {s.name: (s.value, s.unit, s.device) for s in collector.collect()}
    assert samples == {
        "sys.cpu.util_percent": (37.5, "percent", 65535),
        "sys.cpu.load_avg_1m": (1.5, "", 65535),
        "sys.mem.used_bytes": (float(8 << 30), "bytes", 65535),
        "sys.mem.available_bytes": (float(24 << 30), "bytes", 65535),
        "sys.mem.util_percent": (25.0, "percent", 65535),
        "sys.swap.used_bytes": (float(1 << 20), "bytes", 65535),
        "sys.proc.rss_bytes": (123_456_789.0, "bytes", 65535),
        "sys.proc.cpu_percent": (12.5, "percent", 65535),
        "sys.disk.read_bytes_per_s": (1_000.0, "bytes/s", 65535),
        "sys.disk.write_bytes_per_s": (0.0, "bytes/s", 65535),
        "sys.net.rx_bytes_per_s": (10_000.0, "bytes/s", 65535),
        "sys.net.tx_bytes_per_s": (200.0, "bytes/s", 65535),
    }


def test_collect_when_one_family_fails_then_the_others_still_report() -> None:
    ps, clock = FakePsutil(), Clock()
    collector = PsutilCollector(ps, pid=None, clock=clock)
    ps.broken = {"cpu", "swap", "disk"}
    clock.now += 1.0
    names = {s.name for s in collector.collect()}
    assert "sys.cpu.util_percent" not in names and "sys.swap.used_bytes" not in names
    assert "sys.disk.read_bytes_per_s" not in names
    assert {"sys.mem.used_bytes", "sys.net.rx_bytes_per_s", "sys.cpu.load_avg_1m"} <= names
    assert not any(name.startswith("sys.proc.") for name in names)


def test_collect_when_counter_reset_then_no_negative_rate() -> None:
    ps, clock = FakePsutil(), Clock()
    collector = PsutilCollector(ps, pid=None, clock=clock)
    clock.now += 1.0
    ps.net = SimpleNamespace(bytes_recv=5, bytes_sent=20_000)
    samples = {s.name: s.value for s in collector.collect()}
    assert "sys.net.rx_bytes_per_s" not in samples
    assert samples["sys.net.tx_bytes_per_s"] == 0.0


def test_collect_when_real_psutil_on_this_machine_then_cpu_and_memory_present() -> None:
    collector = PsutilCollector(pid=os.getpid())
    names = {s.name for s in collector.collect()}
    assert {"sys.cpu.util_percent", "sys.mem.used_bytes", "sys.proc.rss_bytes"} <= names


def test_collect_with_a_disk_path_reports_its_free_fraction() -> None:
    class WithUsage(FakePsutil):
        def disk_usage(self, path: str) -> Any:
            assert path == "/data"
            return SimpleNamespace(total=1_000, used=970, free=30)

    collector = PsutilCollector(WithUsage(), clock=Clock(), disk_path="/data")
    samples = {s.name: (s.value, s.unit) for s in collector.collect()}
    assert samples["sys.disk.free_frac"] == (0.03, "ratio")
