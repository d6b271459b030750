"""The statistics module: intervals agree with scipy's own and with textbook values, and behave at the edges."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from drugsim.stats import mean_interval, ratio_gap_low, ratio_interval


def test_mean_interval_is_the_student_t_interval():
    d = np.array([3.0, 5.0, 4.0, 6.0, 2.0])
    mean, lo, hi = mean_interval(d)
    expected = sps.t.interval(0.9, len(d) - 1, loc=d.mean(), scale=sps.sem(d))
    assert mean == 4.0 and (lo, hi) == pytest.approx(expected)
    # 90% two-sided with 4 degrees of freedom: t = 2.132 (any printed table)
    assert hi - mean == pytest.approx(2.132 * d.std(ddof=1) / np.sqrt(5), rel=1e-3)


def test_mean_interval_edges():
    assert np.isnan(mean_interval([1.0])[1])
    assert mean_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)  # no variation: the interval is the value


def test_ratio_interval_holds_the_ratio_and_is_reproducible():
    rng = np.random.default_rng(1)
    den = rng.normal(10, 2, 30)
    num = 3 * den + rng.normal(0, 1, 30)
    point, lo, hi = ratio_interval(num, den)
    assert lo < point < hi and lo < 3 < hi
    assert ratio_interval(num, den) == (point, lo, hi)


def test_ratio_interval_is_undefined_without_a_positive_denominator():
    assert all(np.isnan(ratio_interval([1.0, 2.0], [-1.0, 0.0])))


def test_ratio_gap_low_separates_a_clear_winner():
    rng = np.random.default_rng(2)
    den = rng.normal(10, 1, 20)
    assert ratio_gap_low(5 * den, den, 2 * den + rng.normal(0, 1, 20), den) > 0
    assert ratio_gap_low(2 * den, den, 2 * den + rng.normal(0, 1, 20), den) < 0.5
