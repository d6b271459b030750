"""Reusing one uniform draw for a chain of decisions, so each person uses a fixed number of random numbers
per process per week whatever happens (common random numbers across scenarios)."""

from __future__ import annotations

import numpy as np


def split(v: np.ndarray, p) -> tuple[np.ndarray, np.ndarray]:
    """Decide `v < p` and return a fresh uniform for the next decision.

    Given the outcome, the rescaled value is again uniform on [0, 1) and independent of the outcome.
    Use float64 draws: each split spends a few bits of precision.
    """
    p = np.broadcast_to(np.asarray(p, dtype=np.float64), np.shape(v))
    below = v < p
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = np.where(below, v / p, (v - p) / (1.0 - p))
    return below, np.nan_to_num(rest, nan=0.0, posinf=0.0)
