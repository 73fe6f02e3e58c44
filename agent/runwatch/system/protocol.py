"""The one-method protocol every system collector implements, and what it returns."""

from __future__ import annotations

from typing import NamedTuple, Protocol

NO_DEVICE = 65535


class Sample(NamedTuple):
    name: str  # sys.<family>.<what>_<unit>, e.g. sys.gpu.0.mem_used_bytes
    value: float
    unit: str
    device: int = NO_DEVICE  # the GPU index for per-GPU metrics


class Collector(Protocol):
    def collect(self) -> list[Sample]:
        """One reading of everything this source offers; never raises for a missing reading."""
        ...
