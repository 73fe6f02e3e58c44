"""System metrics: collectors (psutil, NVML) behind one protocol, and the sampler thread."""

from __future__ import annotations

from runwatch.system.protocol import NO_DEVICE, Collector, Sample
from runwatch.system.sampler import SystemSampler


def default_collectors(pid: int | None, *, gpu: bool = True,
                       disk_path: str | None = None) -> list[Collector]:
    """psutil for the host (and process `pid`, and the free space of `disk_path`), plus NVML
    when this host has NVIDIA GPUs."""
    from runwatch.system.nvml_collector import open_nvml
    from runwatch.system.psutil_collector import PsutilCollector

    collectors: list[Collector] = [PsutilCollector(pid=pid, disk_path=disk_path)]
    if gpu:
        nvml = open_nvml()
        if nvml is not None:
            collectors.append(nvml)
    return collectors


__all__ = ["NO_DEVICE", "Collector", "Sample", "SystemSampler", "default_collectors"]
