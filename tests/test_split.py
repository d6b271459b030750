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
