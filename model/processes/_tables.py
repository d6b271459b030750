"""Per-status multipliers: small lookup arrays indexed by `Status`, so a process applies them to every
person with one fancy-index instead of a branch per state."""

from __future__ import annotations

import numpy as np

from drugsim.population import Status


def by_status(**values: float) -> np.ndarray:
    """An array over `Status` with the given values (by lower-case name) and 0 elsewhere."""
    out = np.zeros(len(Status), dtype=np.float32)
    for name, v in values.items():
        out[Status[name.upper()]] = v
    return out


def in_status(*statuses: Status) -> np.ndarray:
    """A boolean array over `Status`, true for the given states: `in_status(...)[status]` tests membership with one
    fancy-index (cheaper than `np.isin` on the weekly arrays)."""
    out = np.zeros(len(Status), dtype=bool)
    out[list(statuses)] = True
    return out
