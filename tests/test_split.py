"""The uniform-reuse helper: outcomes have the right probability and the passed-on value is uniform and
independent of the outcome."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from drugsim.processes.split import split


@given(st.floats(0.0, 1.0))
def test_split_outcome_probability_and_fresh_uniform(p):
    v = np.random.default_rng(0).random(200_000)
    below, rest = split(v, p)
    assert abs(below.mean() - p) < 0.01
    assert rest.min() >= 0 and rest.max() < 1
    for part in (rest[below], rest[~below]):
        if part.size > 2000:  # uniform on both branches: independent of the outcome
            assert abs(part.mean() - 0.5) < 0.03 and abs(np.mean(part < 0.25) - 0.25) < 0.03


def test_split_with_per_element_probabilities_including_zero_and_one():
    v = np.array([0.1, 0.5, 0.9, 0.3])
    below, rest = split(v, np.array([0.0, 1.0, 0.5, 0.6]))
    assert below.tolist() == [False, True, False, True]
    np.testing.assert_allclose(rest, [0.1, 0.5, 0.8, 0.5])


def test_split_at_the_edges_is_finite_and_raises_no_floating_point_error():
    """A tiny p (where v >= p, v / p would overflow), a p of 0 or 1 beside others, p just below 1: each branch is
    computed only where it is finite, so no overflow, division by zero or invalid value, and the passed-on value
    stays in [0, 1)."""
    v = np.array([0.0, 0.2, 0.7, 0.999999])
    edges = (1e-300, 5e-324, 1 - 2**-53, np.array([0.0, 1.0, 1e-300, 1 - 2**-53]), np.full(4, 1e-300))
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        for p in edges:
            below, rest = split(v, p)
            assert below.tolist() == (v < p).tolist()
            assert np.isfinite(rest).all() and rest.min() >= 0 and rest.max() < 1
