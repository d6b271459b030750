"""County lines as arrays (hundreds active, thousands over a run): owner, exporting LA, county market,
runners, and the weeks a line opened and closed. Arrays grow by doubling."""

from __future__ import annotations

import numpy as np

_FIELDS = {
    "owner": np.int32,
    "la": np.int8,
    "county": np.int16,
    "active": bool,
    "opened": np.int32,
    "closed": np.int32,
    "runners": np.int16,
    "children": np.int16,
    "vulnerable": np.int16,
}


class CountyLines:
    def __init__(self, capacity: int = 1024):
        self.n = 0
        for name, dtype in _FIELDS.items():
            setattr(self, name, np.zeros(capacity, dtype=dtype))

    def _grow(self) -> None:
        for name in _FIELDS:
            old = getattr(self, name)
            new = np.zeros(old.size * 2, dtype=old.dtype)
            new[: old.size] = old
            setattr(self, name, new)

    def open(self, owner: int, la: int, county: int, week: int, runners: int, children: int, vulnerable: int) -> int:
        if self.n == self.owner.size:
            self._grow()
        i = self.n
        self.owner[i], self.la[i], self.county[i] = owner, la, county
        self.active[i], self.opened[i], self.closed[i] = True, week, -1
        self.runners[i], self.children[i], self.vulnerable[i] = runners, children, vulnerable
        self.n += 1
        return i

    def close(self, idx: np.ndarray, week: int) -> None:
        self.active[idx] = False
        self.closed[idx] = week

    def active_idx(self) -> np.ndarray:
        return np.flatnonzero(self.active[: self.n])
