"""County lines as arrays (hundreds active, thousands over a run): owner group, kind (exported to a county market
outside the force area, or internal to a West Midlands local authority), the exporting LA, the market it serves,
runners, and the weeks it opened and closed. Arrays grow by doubling."""

from __future__ import annotations

import numpy as np

EXPORTED, INTERNAL = 0, 1

_FIELDS = {
    "owner": np.int32,
    "kind": np.int8,
    "la": np.int8,
    "market": np.int16,
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

    def _grow(self, need: int) -> None:
        size = self.owner.size
        while size < need:
            size *= 2
        for name in _FIELDS:
            old = getattr(self, name)
            new = np.zeros(size, dtype=old.dtype)
            new[: old.size] = old
            setattr(self, name, new)

    def open_many(self, week: int, **fields: np.ndarray) -> np.ndarray:
        """Open len(owner) lines at once; `fields` gives owner, kind, la, market, runners, children, vulnerable."""
        k = len(fields["owner"])
        if self.n + k > self.owner.size:
            self._grow(self.n + k)
        idx = np.arange(self.n, self.n + k)
        for name, values in fields.items():
            getattr(self, name)[idx] = values
        self.active[idx], self.opened[idx], self.closed[idx] = True, week, -1
        self.n += k
        return idx

    def close(self, idx: np.ndarray, week: int) -> None:
        self.active[idx] = False
        self.closed[idx] = week

    def active_idx(self) -> np.ndarray:
        return np.flatnonzero(self.active[: self.n])
