from __future__ import annotations

import logging

import pytest

from runwatch.system.nvml_collector import NvmlCollector, open_nvml
from runwatch.system.protocol import Sample
from tests.agent import fake_pynvml
from tests.agent.fake_pynvml import FakeGpu, FakePynvml, OldFakePynvml


def by_name(samples: list[Sample]) -> dict[str, tuple[float, str, int]]:
    return {s.name: (s.value, s.unit, s.device) for s in samples}


def test_fake_when_error_built_from_code_then_subclass_like_real_module() -> None:
    error = fake_pynvml.NVMLError(fake_pynvml.NVML_ERROR_NOT_SUPPORTED)
    assert type(error) is fake_pynvml.NVMLError_NotSupported
    assert isinstance(error, fake_pynvml.NVMLError)
    assert str(error) == "Not Supported"
    assert fake_pynvml.NVMLError_NotSupported() == error  # type: ignore[call-arg]


def test_fake_has_the_same_error_names_and_constants_as_the_real_module() -> None:
    import pynvml as real  # nvidia-ml-py is one of the agent's three dependencies

    for name in ("NVMLError_NotSupported", "NVMLError_LibraryNotFound", "NVMLError_DriverNotLoaded",
                 "NVMLError_FunctionNotFound", "NVMLError_GpuIsLost", "NVMLError_Uninitialized"):
        assert issubclass(getattr(real, name), real.NVMLError)
        assert issubclass(getattr(fake_pynvml, name), fake_pynvml.NVMLError)
        assert str(getattr(real, name)()) == str(getattr(fake_pynvml, name)())
    for name in ("NVML_TEMPERATURE_GPU", "NVML_CLOCK_SM", "NVML_MEMORY_ERROR_TYPE_UNCORRECTED",
                 "NVML_MEMORY_ERROR_TYPE_CORRECTED", "NVML_VOLATILE_ECC", "NVML_ERROR_NOT_SUPPORTED",
                 "NVML_ERROR_LIBRARY_NOT_FOUND", "NVML_ERROR_DRIVER_NOT_LOADED", "nvmlMemory_v2"):
        assert getattr(real, name) == getattr(fake_pynvml, name), name
    assert [f for f, _ in real.c_nvmlUtilization_t._fields_] == ["gpu", "memory"]
    assert [f for f, _ in real.c_nvmlMemory_t._fields_] == ["total", "free", "used"]


def test_fake_when_called_before_init_then_uninitialized() -> None:
    nvml = FakePynvml(gpus=[FakeGpu()])
    with pytest.raises(fake_pynvml.NVMLError_Uninitialized):
        nvml.nvmlDeviceGetCount()


def test_collect_when_two_gpus_then_every_family_per_device_with_units() -> None:
    nvml = FakePynvml(gpus=[FakeGpu(), FakeGpu(util_gpu=12, power_mw=85_000, temperature=41)])
    collector = open_nvml(nvml)
    assert collector is not None
    samples = by_name(collector.collect())
    assert samples["sys.gpu.0.util_percent"] == (97.0, "percent", 0)
    assert samples["sys.gpu.0.mem_util_percent"] == (41.0, "percent", 0)
    assert samples["sys.gpu.0.mem_used_bytes"] == (61_203_283_968.0, "bytes", 0)
    assert samples["sys.gpu.0.mem_total_bytes"] == (85_899_345_920.0, "bytes", 0)
    assert samples["sys.gpu.0.mem_used_frac"] == (61_203_283_968 / 85_899_345_920, "ratio", 0)
    assert samples["sys.gpu.0.temperature_celsius"] == (64.0, "celsius", 0)
    assert samples["sys.gpu.0.power_watts"] == (312.456, "watts", 0)
    assert samples["sys.gpu.0.sm_clock_mhz"] == (1410.0, "MHz", 0)
    assert samples["sys.gpu.0.throttle_reasons"] == (4.0, "bitmask", 0)
    assert samples["sys.gpu.0.ecc_uncorrected_errors"] == (0.0, "count", 0)
    assert samples["sys.gpu.0.ecc_corrected_errors"] == (3.0, "count", 0)
    assert samples["sys.gpu.1.util_percent"] == (12.0, "percent", 1)
    assert samples["sys.gpu.1.power_watts"] == (85.0, "watts", 1)
    assert samples["sys.gpu.1.temperature_celsius"] == (41.0, "celsius", 1)
    assert len(samples) == 22  # 11 per GPU


def test_collect_when_some_calls_not_supported_then_only_those_missing_and_not_asked_again() -> None:
    consumer = FakeGpu(unsupported=frozenset({"nvmlDeviceGetTotalEccErrors",
                                              "nvmlDeviceGetPowerUsage"}))
    nvml = FakePynvml(gpus=[FakeGpu(), consumer])
    collector = NvmlCollector(_initialised(nvml))
    first = by_name(collector.collect())
    assert "sys.gpu.1.power_watts" not in first
    assert "sys.gpu.1.ecc_uncorrected_errors" not in first
    assert "sys.gpu.0.power_watts" in first and "sys.gpu.0.ecc_corrected_errors" in first
    assert "sys.gpu.1.util_percent" in first and "sys.gpu.1.temperature_celsius" in first
    assert len(first) == 22 - 3
    nvml.calls.clear()
    second = by_name(collector.collect())
    assert second.keys() == first.keys()
    assert nvml.calls.count("nvmlDeviceGetPowerUsage") == 1  # GPU 0 only
    assert nvml.calls.count("nvmlDeviceGetTotalEccErrors") == 2  # GPU 0: both counters


def test_collect_when_gpu_lost_then_that_gpu_skipped_this_round_and_tried_again() -> None:
    nvml = FakePynvml(gpus=[FakeGpu(), FakeGpu(lost=True)])
    collector = NvmlCollector(_initialised(nvml))
    assert {s.device for s in collector.collect()} == {0}
    nvml.gpus[1].lost = False
    assert {s.device for s in collector.collect()} == {0, 1}


def test_collect_when_pynvml_lacks_event_reasons_then_throttle_reasons_used() -> None:
    nvml = OldFakePynvml(gpus=[FakeGpu(event_reasons=0x20)])
    collector = NvmlCollector(_initialised(nvml))
    assert by_name(collector.collect())["sys.gpu.0.throttle_reasons"] == (32.0, "bitmask", 0)
    assert "nvmlDeviceGetCurrentClocksThrottleReasons" in nvml.calls


def test_collect_when_driver_lacks_event_reasons_then_throttle_reasons_used() -> None:
    nvml = FakePynvml(gpus=[FakeGpu()],
                      driver_missing=frozenset({"nvmlDeviceGetCurrentClocksEventReasons"}))
    collector = NvmlCollector(_initialised(nvml))
    assert by_name(collector.collect())["sys.gpu.0.throttle_reasons"] == (4.0, "bitmask", 0)


@pytest.mark.parametrize(
    ("code", "message"),
    [(fake_pynvml.NVML_ERROR_LIBRARY_NOT_FOUND, "NVML Shared Library Not Found"),
     (fake_pynvml.NVML_ERROR_DRIVER_NOT_LOADED, "Driver Not Loaded")],
)
def test_open_nvml_when_no_driver_then_none_and_one_log_line(
    code: int, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="runwatch.system.nvml_collector")
    assert open_nvml(FakePynvml(gpus=[FakeGpu()], init_error=code)) is None
    assert [r.getMessage() for r in caplog.records] == [
        f"runwatch: no NVIDIA driver ({message}); GPU metrics off"]


def test_open_nvml_when_driver_but_no_gpu_then_none_and_library_shut_down() -> None:
    nvml = FakePynvml(gpus=[])
    assert open_nvml(nvml) is None
    assert nvml.calls[-1] == "nvmlShutdown"


def test_open_nvml_when_real_module_on_this_gpu_less_machine_then_none() -> None:
    import pynvml  # noqa: F401  (installed: the real module, with no driver behind it)

    assert open_nvml() is None


def _initialised(nvml: FakePynvml) -> FakePynvml:
    nvml.nvmlInit()
    return nvml
