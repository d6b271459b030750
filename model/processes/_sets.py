"""Set operations on the small index arrays a week produces (hundreds to thousands of rows).

`np.unique` and `np.union1d` hash before they sort, which costs several times more than a plain sort on arrays this
size; these give the same sorted, distinct rows.
"""

from __future__ import annotations

import numpy as np


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """The distinct values of `a`, sorted (as `np.unique(a)`)."""
    a = np.sort(a)
    if a.size < 2:
        return a
    keep = np.empty(a.size, dtype=bool)
    keep[0] = True
    np.not_equal(a[1:], a[:-1], out=keep[1:])
    return a[keep]


def union(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The distinct values in either array, sorted (as `np.union1d(a, b)`)."""
    return sorted_unique(np.concatenate([a, b]))
