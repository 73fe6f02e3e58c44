"""Per-GPU statistics from NVML (nvidia-ml-py's `pynvml`), one query family at a time.

The families (utilisation, memory, temperature, power, SM clock, throttle reasons, ECC
errors) are asked separately for each GPU. A family that answers NVMLError_NotSupported or
NVMLError_FunctionNotFound (common on consumer GPUs and older drivers) is not asked again on
that GPU, and nothing else is lost; any other NVMLError skips that family for one round.
Names carry the GPU index and the unit (`sys.gpu.0.power_watts`); the index is also the
sample's `device`.

`open_nvml` is the probe: no pynvml, no driver, or no GPU gives None and one log line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from runwatch.system.protocol import Sample

log = logging.getLogger(__name__)

Family = Callable[[Any, int, Any], list[Sample]]


def _utilization(nvml: Any, index: int, handle: Any) -> list[Sample]:
    rates = nvml.nvmlDeviceGetUtilizationRates(handle)
    return [
        Sample(f"sys.gpu.{index}.util_percent", float(rates.gpu), "percent", index),
        Sample(f"sys.gpu.{index}.mem_util_percent", float(rates.memory), "percent", index),
    ]


def _memory(nvml: Any, index: int, handle: Any) -> list[Sample]:
    memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    samples = [
        Sample(f"sys.gpu.{index}.mem_used_bytes", float(memory.used), "bytes", index),
        Sample(f"sys.gpu.{index}.mem_total_bytes", float(memory.total), "bytes", index),
    ]
    if memory.total:  # the fraction the default "gpu-memory" alert watches (near OOM)
        samples.append(Sample(f"sys.gpu.{index}.mem_used_frac", memory.used / memory.total,
                              "ratio", index))
    return samples


def _temperature(nvml: Any, index: int, handle: Any) -> list[Sample]:
    celsius = nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU)
    return [Sample(f"sys.gpu.{index}.temperature_celsius", float(celsius), "celsius", index)]


def _power(nvml: Any, index: int, handle: Any) -> list[Sample]:
    milliwatts = nvml.nvmlDeviceGetPowerUsage(handle)
    return [Sample(f"sys.gpu.{index}.power_watts", milliwatts / 1000.0, "watts", index)]


def _sm_clock(nvml: Any, index: int, handle: Any) -> list[Sample]:
    mhz = nvml.nvmlDeviceGetClockInfo(handle, nvml.NVML_CLOCK_SM)
    return [Sample(f"sys.gpu.{index}.sm_clock_mhz", float(mhz), "MHz", index)]


def _throttle(nvml: Any, index: int, handle: Any) -> list[Sample]:
    # "Clocks event reasons" is the current name; "throttle reasons" the one older drivers know.
    reasons = None
    newer = getattr(nvml, "nvmlDeviceGetCurrentClocksEventReasons", None)
    if newer is not None:
        try:
            reasons = newer(handle)
        except nvml.NVMLError as exc:
            if not _is(nvml, exc, "NVMLError_FunctionNotFound"):
                raise
    if reasons is None:
        reasons = nvml.nvmlDeviceGetCurrentClocksThrottleReasons(handle)
    return [Sample(f"sys.gpu.{index}.throttle_reasons", float(reasons), "bitmask", index)]


def _ecc(nvml: Any, index: int, handle: Any) -> list[Sample]:
    uncorrected = nvml.nvmlDeviceGetTotalEccErrors(
        handle, nvml.NVML_MEMORY_ERROR_TYPE_UNCORRECTED, nvml.NVML_VOLATILE_ECC
    )
    corrected = nvml.nvmlDeviceGetTotalEccErrors(
        handle, nvml.NVML_MEMORY_ERROR_TYPE_CORRECTED, nvml.NVML_VOLATILE_ECC
    )
    return [
        Sample(f"sys.gpu.{index}.ecc_uncorrected_errors", float(uncorrected), "count", index),
        Sample(f"sys.gpu.{index}.ecc_corrected_errors", float(corrected), "count", index),
    ]


FAMILIES: dict[str, Family] = {
    "utilization": _utilization,
    "memory": _memory,
    "temperature": _temperature,
    "power": _power,
    "sm_clock": _sm_clock,
    "throttle": _throttle,
    "ecc": _ecc,
}

_PERMANENT = ("NVMLError_NotSupported", "NVMLError_FunctionNotFound")


def _is(nvml: Any, exc: BaseException, class_name: str) -> bool:
    cls = getattr(nvml, class_name, None)
    return isinstance(cls, type) and isinstance(exc, cls)


class NvmlCollector:
    def __init__(self, nvml: Any) -> None:
        """`nvml` is an initialised pynvml module (or a fake with the same API)."""
        self._nvml = nvml
        count = nvml.nvmlDeviceGetCount()
        self.handles = [(i, nvml.nvmlDeviceGetHandleByIndex(i)) for i in range(count)]
        self.unsupported: set[tuple[int, str]] = set()

    def collect(self) -> list[Sample]:
        nvml = self._nvml
        out: list[Sample] = []
        for index, handle in self.handles:
            for family, read in FAMILIES.items():
                if (index, family) in self.unsupported:
                    continue
                try:
                    out += read(nvml, index, handle)
                except nvml.NVMLError as exc:
                    if any(_is(nvml, exc, name) for name in _PERMANENT):
                        self.unsupported.add((index, family))
                        log.debug("runwatch: GPU %d does not support %s (%s)", index, family, exc)
                except AttributeError:  # this pynvml has no such function
                    self.unsupported.add((index, family))
        return out

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a lost GPU's library may refuse; no matter
            self._nvml.nvmlShutdown()


def open_nvml(nvml: Any = None) -> NvmlCollector | None:
    """An NvmlCollector for this host's GPUs, or None (logged once) when there are none."""
    if nvml is None:
        try:
            import pynvml

            nvml = pynvml
        except ImportError:
            log.info("runwatch: nvidia-ml-py not installed; GPU metrics off")
            return None
    try:
        nvml.nvmlInit()
    except Exception as exc:  # NVMLError_LibraryNotFound / DriverNotLoaded / ...
        log.info("runwatch: no NVIDIA driver (%s); GPU metrics off", exc)
        return None
    try:
        collector = NvmlCollector(nvml)
    except Exception as exc:
        log.info("runwatch: NVML cannot list GPUs (%s); GPU metrics off", exc)
        with contextlib.suppress(Exception):
            nvml.nvmlShutdown()
        return None
    if not collector.handles:
        log.info("runwatch: no GPUs; GPU metrics off")
        collector.close()
        return None
    return collector
