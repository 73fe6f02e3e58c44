"""A fake of nvidia-ml-py's `pynvml` module for a multi-GPU host with no GPU.

It follows the real module (nvidia-ml-py 13.x, `pynvml.py`) where the collector can tell:

- the NVML_* constants it uses have the real values;
- `NVMLError` maps an error code to a subclass in `__new__`, and the subclasses
  (`NVMLError_NotSupported`, `NVMLError_LibraryNotFound`, ...) are generated from the
  NVML_ERROR_* names by the same `_extractNVMLErrorsAsClasses` code as the real module, so
  `NVMLError(NVML_ERROR_NOT_SUPPORTED)` is an `NVMLError_NotSupported` and `str()` gives the
  real message;
- every call before `nvmlInit()` (or after the last `nvmlShutdown()`) raises
  NVMLError_Uninitialized; `nvmlInit()` without a driver raises NVMLError_LibraryNotFound or
  NVMLError_DriverNotLoaded, as the real one does;
- results are the real ctypes structures (`c_nvmlUtilization_t` .gpu/.memory,
  `c_nvmlMemory_t` .total/.free/.used, v2 with a version), power is in milliwatts, clocks in
  MHz, temperatures in °C, throttle/event reasons a bitmask, ECC counts integers;
- a bad device index or sensor raises NVMLError_InvalidArgument.

`FakePynvml(gpus=[FakeGpu(...), ...])` is one host; pass it where the collector takes the
pynvml module, or put it in `sys.modules["pynvml"]`. A `FakeGpu` lists the functions it does
not support (consumer GPUs: ECC, sometimes power or clock reasons), and can be `lost`;
`driver_missing` lists functions an older driver lacks; `OldFakePynvml` is an nvidia-ml-py
without the newer `...ClocksEventReasons` name.
"""

from __future__ import annotations

import string
import sys
from ctypes import Structure, c_uint, c_ulonglong
from dataclasses import dataclass, field
from typing import Any

NVML_SUCCESS = 0
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_INVALID_ARGUMENT = 2
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NO_PERMISSION = 4
NVML_ERROR_ALREADY_INITIALIZED = 5
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_INSUFFICIENT_SIZE = 7
NVML_ERROR_INSUFFICIENT_POWER = 8
NVML_ERROR_DRIVER_NOT_LOADED = 9
NVML_ERROR_TIMEOUT = 10
NVML_ERROR_IRQ_ISSUE = 11
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_FUNCTION_NOT_FOUND = 13
NVML_ERROR_CORRUPTED_INFOROM = 14
NVML_ERROR_GPU_IS_LOST = 15
NVML_ERROR_RESET_REQUIRED = 16
NVML_ERROR_OPERATING_SYSTEM = 17
NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18
NVML_ERROR_IN_USE = 19
NVML_ERROR_MEMORY = 20
NVML_ERROR_NO_DATA = 21
NVML_ERROR_UNKNOWN = 999

NVML_TEMPERATURE_GPU = 0
NVML_CLOCK_GRAPHICS = 0
NVML_CLOCK_SM = 1
NVML_CLOCK_MEM = 2
NVML_MEMORY_ERROR_TYPE_CORRECTED = 0
NVML_MEMORY_ERROR_TYPE_UNCORRECTED = 1
NVML_VOLATILE_ECC = 0
NVML_AGGREGATE_ECC = 1
nvmlMemory_v2 = 0x02000028

nvmlClocksEventReasonGpuIdle = 0x1
nvmlClocksEventReasonSwPowerCap = 0x4
nvmlClocksEventReasonHwSlowdown = 0x8
nvmlClocksEventReasonSwThermalSlowdown = 0x20
nvmlClocksThrottleReasonGpuIdle = 0x1
nvmlClocksThrottleReasonSwPowerCap = 0x4


class NVMLError(Exception):
    """As in pynvml: `NVMLError(code)` builds the subclass registered for `code`."""

    _valClassMapping: dict[int, type[NVMLError]] = {}
    _errcode_to_string = {
        NVML_ERROR_UNINITIALIZED: "Uninitialized",
        NVML_ERROR_INVALID_ARGUMENT: "Invalid Argument",
        NVML_ERROR_NOT_SUPPORTED: "Not Supported",
        NVML_ERROR_NO_PERMISSION: "Insufficient Permissions",
        NVML_ERROR_ALREADY_INITIALIZED: "Already Initialized",
        NVML_ERROR_NOT_FOUND: "Not Found",
        NVML_ERROR_INSUFFICIENT_SIZE: "Insufficient Size",
        NVML_ERROR_INSUFFICIENT_POWER: "Insufficient External Power",
        NVML_ERROR_DRIVER_NOT_LOADED: "Driver Not Loaded",
        NVML_ERROR_TIMEOUT: "Timeout",
        NVML_ERROR_IRQ_ISSUE: "Interrupt Request Issue",
        NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
        NVML_ERROR_FUNCTION_NOT_FOUND: "Function Not Found",
        NVML_ERROR_CORRUPTED_INFOROM: "Corrupted infoROM",
        NVML_ERROR_GPU_IS_LOST: "GPU is lost",
        NVML_ERROR_RESET_REQUIRED: "GPU requires restart",
        NVML_ERROR_OPERATING_SYSTEM: "The operating system has blocked the request.",
        NVML_ERROR_LIB_RM_VERSION_MISMATCH: "RM has detected an NVML/RM version mismatch.",
        NVML_ERROR_MEMORY: "Insufficient Memory",
        NVML_ERROR_UNKNOWN: "Unknown Error",
    }

    value: int

    def __new__(typ, value: int) -> NVMLError:
        if typ == NVMLError:
            typ = NVMLError._valClassMapping.get(value, typ)
        obj = Exception.__new__(typ)
        obj.value = value
        return obj

    def __str__(self) -> str:
        return NVMLError._errcode_to_string.get(self.value, f"NVML Error with code {self.value}")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NVMLError) and self.value == other.value

    __hash__ = Exception.__hash__


def _extractNVMLErrorsAsClasses() -> None:
    this_module = sys.modules[__name__]
    nvmlErrorsNames = [x for x in dir(this_module) if x.startswith("NVML_ERROR_")]
    for err_name in nvmlErrorsNames:
        class_name = "NVMLError_" + string.capwords(
            err_name.replace("NVML_ERROR_", ""), "_"
        ).replace("_", "")
        err_val = getattr(this_module, err_name)

        def gen_new(val: int) -> Any:
            def new(typ: type[NVMLError], *args: Any) -> NVMLError:
                return NVMLError.__new__(typ, val)

            return new

        new_error_class = type(class_name, (NVMLError,), {"__new__": gen_new(err_val)})
        new_error_class.__module__ = __name__
        setattr(this_module, class_name, new_error_class)
        NVMLError._valClassMapping[err_val] = new_error_class


_extractNVMLErrorsAsClasses()

# Named for type checkers and readers; the real objects were generated just above.
NVMLError_NotSupported: type[NVMLError] = NVMLError._valClassMapping[NVML_ERROR_NOT_SUPPORTED]
NVMLError_Uninitialized: type[NVMLError] = NVMLError._valClassMapping[NVML_ERROR_UNINITIALIZED]
NVMLError_LibraryNotFound: type[NVMLError] = NVMLError._valClassMapping[NVML_ERROR_LIBRARY_NOT_FOUND]
NVMLError_DriverNotLoaded: type[NVMLError] = NVMLError._valClassMapping[NVML_ERROR_DRIVER_NOT_LOADED]
NVMLError_FunctionNotFound: type[NVMLError] = NVMLError._valClassMapping[NVML_ERROR_FUNCTION_NOT_FOUND]
NVMLError_GpuIsLost: type[NVMLError] = NVMLError._valClassMapping[NVML_ERROR_GPU_IS_LOST]
NVMLError_InvalidArgument: type[NVMLError] = NVMLError._valClassMapping[NVML_ERROR_INVALID_ARGUMENT]


def _nvmlCheckReturn(ret: int) -> int:
    if ret != NVML_SUCCESS:
        raise NVMLError(ret)
    return ret


class c_nvmlUtilization_t(Structure):
    _fields_ = [("gpu", c_uint), ("memory", c_uint)]


class c_nvmlMemory_t(Structure):
    _fields_ = [("total", c_ulonglong), ("free", c_ulonglong), ("used", c_ulonglong)]


class c_nvmlMemory_v2_t(Structure):
    _fields_ = [("version", c_uint), ("total", c_ulonglong), ("reserved", c_ulonglong),
                ("free", c_ulonglong), ("used", c_ulonglong)]


@dataclass
class FakeGpu:
    name: str = "NVIDIA A100-SXM4-80GB"
    util_gpu: int = 97
    util_memory: int = 41
    mem_total: int = 85_899_345_920
    mem_used: int = 61_203_283_968
    temperature: int = 64
    power_mw: int = 312_456
    sm_clock_mhz: int = 1410
    event_reasons: int = 0x4  # SwPowerCap
    ecc_uncorrected: int = 0
    ecc_corrected: int = 3
    unsupported: frozenset[str] = frozenset()  # nvml function names answering NotSupported
    lost: bool = False  # every call answers NVMLError_GpuIsLost


class _Handle:
    """Stands for the real module's c_nvmlDevice_t (an opaque pointer)."""

    def __init__(self, index: int) -> None:
        self.index = index

    def __repr__(self) -> str:
        return f"<fake c_nvmlDevice_t {self.index}>"


@dataclass
class FakePynvml:
    """One host's NVML. `init_error` is the NVML_ERROR_* code nvmlInit fails with, if any."""

    gpus: list[FakeGpu] = field(default_factory=list)
    init_error: int | None = None
    # functions this (older) driver lacks: NVMLError_FunctionNotFound, as from the real module
    driver_missing: frozenset[str] = frozenset()
    calls: list[str] = field(default_factory=list)
    _refcount: int = 0

    def __post_init__(self) -> None:
        module = sys.modules[__name__]
        for name in dir(module):
            if name.startswith(("NVML_", "NVMLError", "nvmlClocks", "nvmlMemory_", "c_nvml")):
                setattr(self, name, getattr(module, name))

    # -- library ------------------------------------------------------------------------

    def nvmlInit(self) -> None:
        self.nvmlInitWithFlags(0)

    def nvmlInitWithFlags(self, flags: int) -> None:
        self.calls.append("nvmlInit")
        if self.init_error is not None:
            _nvmlCheckReturn(self.init_error)
        self._refcount += 1

    def nvmlShutdown(self) -> None:
        self.calls.append("nvmlShutdown")
        self._check_init()
        self._refcount -= 1

    def nvmlErrorString(self, result: int) -> str:
        return NVMLError._errcode_to_string.get(result, "Unknown Error")

    def nvmlDeviceGetCount(self) -> int:
        self._check_init()
        return len(self.gpus)

    def nvmlDeviceGetHandleByIndex(self, index: int) -> _Handle:
        self._check_init()
        if not 0 <= index < len(self.gpus):
            _nvmlCheckReturn(NVML_ERROR_INVALID_ARGUMENT)
        return _Handle(index)

    # -- device queries -----------------------------------------------------------------

    def nvmlDeviceGetName(self, handle: _Handle) -> str:
        return self._gpu(handle, "nvmlDeviceGetName").name

    def nvmlDeviceGetUtilizationRates(self, handle: _Handle) -> c_nvmlUtilization_t:
        gpu = self._gpu(handle, "nvmlDeviceGetUtilizationRates")
        return c_nvmlUtilization_t(gpu.util_gpu, gpu.util_memory)

    def nvmlDeviceGetMemoryInfo(
        self, handle: _Handle, version: int | None = None
    ) -> c_nvmlMemory_t | c_nvmlMemory_v2_t:
        gpu = self._gpu(handle, "nvmlDeviceGetMemoryInfo")
        free = gpu.mem_total - gpu.mem_used
        if not version:
            return c_nvmlMemory_t(gpu.mem_total, free, gpu.mem_used)
        return c_nvmlMemory_v2_t(version, gpu.mem_total, 0, free, gpu.mem_used)

    def nvmlDeviceGetTemperature(self, handle: _Handle, sensor: int) -> int:
        gpu = self._gpu(handle, "nvmlDeviceGetTemperature")
        if sensor != NVML_TEMPERATURE_GPU:
            _nvmlCheckReturn(NVML_ERROR_INVALID_ARGUMENT)
        return gpu.temperature

    def nvmlDeviceGetPowerUsage(self, handle: _Handle) -> int:
        return self._gpu(handle, "nvmlDeviceGetPowerUsage").power_mw

    def nvmlDeviceGetClockInfo(self, handle: _Handle, type: int) -> int:
        gpu = self._gpu(handle, "nvmlDeviceGetClockInfo")
        if type not in (NVML_CLOCK_GRAPHICS, NVML_CLOCK_SM, NVML_CLOCK_MEM):
            _nvmlCheckReturn(NVML_ERROR_INVALID_ARGUMENT)
        return gpu.sm_clock_mhz if type == NVML_CLOCK_SM else 1593

    def nvmlDeviceGetCurrentClocksEventReasons(self, handle: _Handle) -> int:
        return self._gpu(handle, "nvmlDeviceGetCurrentClocksEventReasons").event_reasons

    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle: _Handle) -> int:
        return self._gpu(handle, "nvmlDeviceGetCurrentClocksThrottleReasons").event_reasons

    def nvmlDeviceGetTotalEccErrors(
        self, handle: _Handle, errorType: int, counterType: int
    ) -> int:
        gpu = self._gpu(handle, "nvmlDeviceGetTotalEccErrors")
        if errorType == NVML_MEMORY_ERROR_TYPE_UNCORRECTED:
            return gpu.ecc_uncorrected
        if errorType == NVML_MEMORY_ERROR_TYPE_CORRECTED:
            return gpu.ecc_corrected
        return _nvmlCheckReturn(NVML_ERROR_INVALID_ARGUMENT)

    # -- plumbing -----------------------------------------------------------------------

    def _check_init(self) -> None:
        if self._refcount <= 0:
            _nvmlCheckReturn(NVML_ERROR_UNINITIALIZED)

    def _gpu(self, handle: _Handle, function: str) -> FakeGpu:
        self.calls.append(function)
        self._check_init()
        if not isinstance(handle, _Handle) or not 0 <= handle.index < len(self.gpus):
            _nvmlCheckReturn(NVML_ERROR_INVALID_ARGUMENT)
        if function in self.driver_missing:
            _nvmlCheckReturn(NVML_ERROR_FUNCTION_NOT_FOUND)
        gpu = self.gpus[handle.index]
        if gpu.lost:
            _nvmlCheckReturn(NVML_ERROR_GPU_IS_LOST)
        if function in gpu.unsupported:
            _nvmlCheckReturn(NVML_ERROR_NOT_SUPPORTED)
        return gpu


class OldFakePynvml(FakePynvml):
    """An nvidia-ml-py from before the "clocks event reasons" names (< 12.535)."""

    @property
    def nvmlDeviceGetCurrentClocksEventReasons(self) -> Any:
        raise AttributeError("module 'pynvml' has no attribute 'nvmlDeviceGetCurrentClocksEventReasons'")
