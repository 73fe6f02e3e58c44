"""Rolling windows of the spike rule: the last `width` finite values of each series."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from runwatch.server.alerts.batch import Raw, alert_key
from runwatch.server.alerts.model import AlertKey


class Windows:
    """Spike windows of one rule: a ring of the last `width` finite values per series, as one
    matrix, so a poll's medians and MADs are two numpy calls however many series there are."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.slots: dict[Raw, int] = {}
        self.keys: list[AlertKey] = []
        self.values = np.full((64, width), np.nan)
        self.count = np.zeros(64, dtype=np.int64)
        self.pos = np.zeros(64, dtype=np.int64)

    def slot(self, raw: Raw, rule: str) -> int:
        slot = self.slots.get(raw)
        if slot is None:
            slot = self.slots[raw] = len(self.keys)
            self.keys.append(alert_key(rule, raw))
            if slot >= len(self.count):
                grow = len(self.count)
                self.values = np.vstack((self.values, np.full((grow, self.width), np.nan)))
                self.count = np.r_[self.count, np.zeros(grow, dtype=np.int64)]
                self.pos = np.r_[self.pos, np.zeros(grow, dtype=np.int64)]
        return slot

    def stats(self, slots: npt.NDArray[np.intp]) -> tuple[npt.NDArray[np.float64], ...]:
        """Median and MAD of each slot's window (NaN-padded while it fills: NaN sorts last,
        so the middle of the first `count` sorted values is the median)."""
        window = self.values[slots]
        count = self.count[slots]
        rows = np.arange(len(slots))
        lo, hi = np.maximum(count - 1, 0) // 2, count // 2
        ordered = np.sort(window, axis=1)
        median = (ordered[rows, lo] + ordered[rows, np.minimum(hi, self.width - 1)]) / 2
        deviation = np.sort(np.abs(window - median[:, None]), axis=1)
        mad = (deviation[rows, lo] + deviation[rows, np.minimum(hi, self.width - 1)]) / 2
        return median, mad

    def push(self, slots: npt.NDArray[np.intp], values: npt.NDArray[np.float64]) -> None:
        self.values[slots, self.pos[slots]] = values
        self.pos[slots] = (self.pos[slots] + 1) % self.width
        self.count[slots] = np.minimum(self.count[slots] + 1, self.width)
