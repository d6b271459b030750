"""Reusing one uniform draw for a chain of decisions, so each person uses a fixed number of random numbers
per process per week whatever happens (common random numbers across scenarios)."""

from __future__ import annotations

import numpy as np


def split(v: np.ndarray, p) -> tuple[np.ndarray, np.ndarray]:
    """Decide `v < p` and return a fresh uniform for the next decision.

    Given the outcome, the rescaled value is again uniform on [0, 1) and independent of the outcome.
    `p` is a scalar or an array like `v`; use float64 draws, as each split spends a few bits of precision.
    """
    if np.ndim(p) == 0:
        if p <= 0.0:
            return np.zeros(v.shape, dtype=bool), v
        if p >= 1.0:
            return np.ones(v.shape, dtype=bool), v
        below = v < p
        with np.errstate(over="ignore"):  # tiny p: v / p overflows only where it is not used
            return below, np.where(below, v / p, (v - p) / (1.0 - p))
    p = np.asarray(p, dtype=np.float64)
    below = v < p
    # Where p is 0 (or 1) the outcome is certain and v passes on unchanged; a tiny p overflows only where unused.
    with np.errstate(over="ignore"):
        return below, np.where(below, v / np.where(p > 0, p, 1.0), (v - p) / np.where(p < 1, 1.0 - p, 1.0))
