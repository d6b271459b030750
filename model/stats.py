"""The statistics every comparison uses, in one place, on scipy: the interval of a mean of paired differences and
bootstrap intervals of ratios of means. Comparisons, budgets, sensitivity analysis and the tests all call these.

The interval of a mean over paired runs says how sure we are of the *average* difference given the model and its
inputs; it narrows as runs are added. It is not a prediction interval and does not carry parameter uncertainty
beyond what the runs themselves sample.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

#: Two-sided confidence of every interval drugsim reports (5th to 95th).
CONFIDENCE = 0.90
#: Bootstrap resamples for intervals of ratios.
RESAMPLES = 2000


def mean_interval(d, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean of `d` (one value per paired run) with its Student t confidence interval; NaN bounds with one run.
    If every run gives the same value the interval is that value: the outcome did not vary."""
    d = np.asarray(d, dtype=float)
    n = d.size
    mean = float(d.mean()) if n else float("nan")
    if n < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf(0.5 + confidence / 2, n - 1) * d.std(ddof=1) / np.sqrt(n)
    return mean, float(mean - half), float(mean + half)


def _bootstrap(data, statistic, **kwargs):
    """scipy's bootstrap; only its resamples are used (percentiles taken here, ignoring undefined ratios), so its
    warning that a degenerate sample has no BCa interval does not apply."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", stats.DegenerateDataWarning)
        return stats.bootstrap(data, statistic, **kwargs)


def _ratio_of_means(num, den, axis=-1):
    n, d = np.mean(num, axis=axis), np.mean(den, axis=axis)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > 0, n / np.where(d > 0, d, 1.0), np.nan)


def ratio_interval(num, den, seed: int = 0, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Ratio of means (e.g. spend per death averted) with a paired percentile-bootstrap interval (runs resampled
    together). NaN where the denominator's mean is not positive; resamples whose denominator is not positive are
    left out of the interval (the ratio is undefined there)."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if den.mean() <= 0:
        return float("nan"), float("nan"), float("nan")
    point = float(num.mean() / den.mean())
    if num.size < 2:
        return point, float("nan"), float("nan")
    res = _bootstrap(
        (num, den),
        _ratio_of_means,
        paired=True,
        vectorized=True,
        n_resamples=RESAMPLES,
        method="percentile",
        confidence_level=confidence,
        random_state=np.random.default_rng(seed),
    )
    tail = 100 * (1 - confidence) / 2
    lo, hi = np.nanpercentile(res.bootstrap_distribution, [tail, 100 - tail])
    return point, float(lo), float(hi)


def ratio_gap_low(num_a, den_a, num_b, den_b, seed: int = 0, confidence: float = CONFIDENCE) -> float:
    """Lower bound of (ratio of means a) - (ratio of means b), the four series resampled together (paired runs)."""
    data = tuple(np.asarray(x, dtype=float) for x in (num_a, den_a, num_b, den_b))

    def gap(na, da, nb, db, axis=-1):
        return _ratio_of_means(na, da, axis) - _ratio_of_means(nb, db, axis)

    res = _bootstrap(
        data,
        gap,
        paired=True,
        vectorized=True,
        n_resamples=RESAMPLES,
        method="percentile",
        random_state=np.random.default_rng(seed),
    )
    dist = res.bootstrap_distribution[np.isfinite(res.bootstrap_distribution)]
    return float(np.percentile(dist, 100 * (1 - confidence) / 2)) if dist.size else 0.0
