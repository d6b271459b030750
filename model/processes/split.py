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
        # With 0 < p < 1 the branch for v >= p is finite everywhere (1 - p is at least 2**-53): compute it for
        # all, then divide by p only where v < p (a tiny p would overflow where that is unused). The arrays are
        # small (tens of rows) and this is a hot path, so the fewer numpy calls the better.
        out = v - p
        out /= 1.0 - p
        return below, np.divide(v, p, where=below, out=out)
    p = np.asarray(p, dtype=np.float64)
    below = v < p
    # Each branch divided only where it holds: there v < p means p > 0 and v >= p means p < 1, so neither divides
    # by 0 or overflows, and a p of 0 or 1 passes v on unchanged.
    out = np.divide(v, p, where=below, out=np.empty(v.shape))
    return below, np.divide(v - p, 1.0 - p, where=~below, out=out)
