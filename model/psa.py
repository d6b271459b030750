"""Probabilistic sensitivity analysis (PSA): what the model's answers are once we admit what we do not know.

Every parameter with a plausible range in the table is uncertain. Its distribution is chosen from that range and
the strength of its evidence (the grade in its source):

- grade A or B, or a figure read from the force's own reports: a PERT distribution on the range with its mode at
  the table value and the classic weight 4 (most mass near the value, the range as the tails);
- grade C, or derived arithmetic: PERT with weight 2 (flatter: the value is a guess informed by evidence);
- grade U, an assumption or "not found": uniform on the range (the range is all we know).

The fitted (calibrated) parameters are not drawn independently: each PSA draw takes one of the calibration's
accepted draws, so the fitted set keeps its joint shape. Parameters that a compared scenario sets itself are that
scenario's choice, not an uncertainty, and are left alone.

Draws are a Latin hypercube (or a scrambled Sobol sequence) over the uncertain parameters, mapped through each
distribution's quantile function; draw i is paired with seed i, and every compared scenario uses the same draws
(common random numbers), so differences carry parameter uncertainty without extra noise.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from drugsim.calibrate import FITTED_NAME
from drugsim.parameters import Parameter, parameter_table

#: PERT weights by evidence strength (4 is the classic PERT; 2 flatter; 0 would be uniform).
PERT_WEIGHT = {"A": 4.0, "B": 4.0, "report": 4.0, "C": 2.0}
SAMPLERS = ("lhs", "sobol")

_GRADE = re.compile(r"grade ([ABCU])\b")
_WEAK = re.compile(r"not found|assum", re.I)
_DERIVED = re.compile(r"^\s*derived", re.I)
_REPORT = re.compile(r"20\d\d-\d\d_[a-z]+_[a-z-]+ §")


def evidence_grade(p: Parameter) -> str:
    """A, B, C or U from the parameter's source text (the weakest grade it cites: a value derived from an A-grade
    figure is no better than its derivation); 'report' for a figure read from the force's own reports; C for any
    other source that states no grade."""
    found = _GRADE.findall(p.source)
    if found:
        return max(found)
    if _WEAK.search(p.source):
        return "U"
    if _REPORT.search(p.source) and not _DERIVED.match(p.source):
        return "report"
    return "C"


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter and its distribution."""

    name: str
    group: str
    value: float
    low: float
    high: float
    grade: str
    whole: bool  # a count the model uses whole (blocks, beds, groups): drawn values are rounded

    @property
    def distribution(self) -> str:
        w = PERT_WEIGHT.get(self.grade)
        return "uniform" if w is None else f"PERT (weight {w:g})"

    def quantile(self, u: np.ndarray, widen: float = 1.0) -> np.ndarray:
        """Values at probabilities `u`. `widen` stretches the range about the table value (1 = the table's range),
        clipped at the parameter's physical limits: a what-if for knowing less than the table says."""
        lo = self.value - widen * (self.value - self.low)
        hi = self.value + widen * (self.high - self.value)
        hard_lo, hard_hi = parameter_table()[self.name].hard_bounds
        lo, hi = max(lo, hard_lo), min(hi, hard_hi)
        w = PERT_WEIGHT.get(self.grade)
        if w is None or hi <= lo:
            x = lo + u * (hi - lo)
        else:
            mode = min(max(self.value, lo), hi)
            a = 1 + w * (mode - lo) / (hi - lo)
            b = 1 + w * (hi - mode) / (hi - lo)
            x = lo + (hi - lo) * stats.beta.ppf(u, a, b)
        return np.round(x) if self.whole else x


def _whole(p: Parameter) -> bool:
    return p.unit == "count" and all(float(v).is_integer() for v in (p.value, p.low, p.high))


def uncertain_parameters(exclude=()) -> list[Uncertain]:
    """Every parameter with a range that is neither fitted (calibration draws carry those) nor in `exclude`."""
    return [
        Uncertain(p.name, p.group, p.value, p.low, p.high, evidence_grade(p), _whole(p))
        for p in parameter_table().values()
        if p.high > p.low and not p.calibrate and p.name not in set(exclude)
    ]


def scenario_choices(scenarios) -> set[str]:
    """Parameters any of the scenarios sets itself, through what it extends, or through this session's edits:
    choices, not uncertainties. The calibration's fitted values (which the baseline extends) are not choices
    unless a scenario changes one."""
    chosen = set()
    for s in scenarios:
        fitted: dict = {}
        for _, text in s.files:
            doc = tomllib.loads(text)
            if doc.get("scenario", {}).get("name") == FITTED_NAME:
                fitted |= doc.get("parameters", {})
        chosen |= {k for k, v in s.raw.get("parameters", {}).items() if not (k in fitted and fitted[k] == v)}
    return chosen


def sample(
    n: int,
    params: list[Uncertain],
    seed: int = 0,
    sampler: str = "lhs",
    widen: float = 1.0,
    fitted: list[dict[str, float]] | None = None,
) -> pd.DataFrame:
    """`n` PSA draws: one row per draw, one column per parameter (the uncertain ones, then the fitted ones taken
    from calibration draw i mod M when `fitted` is given)."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler {sampler!r}: use one of {', '.join(SAMPLERS)}")
    d = len(params)
    if sampler == "lhs":
        u = qmc.LatinHypercube(d=d, seed=np.random.default_rng(seed)).random(n)
    else:
        with warnings.catch_warnings():  # any n is fine here: the first n points are the same for every n
            warnings.filterwarnings("ignore", message="The balance properties of Sobol")
            u = qmc.Sobol(d=d, scramble=True, seed=np.random.default_rng(seed)).random(n)
    frame = pd.DataFrame({p.name: p.quantile(u[:, j], widen) for j, p in enumerate(params)})
    if fitted:
        frame = pd.concat([frame, pd.DataFrame([fitted[i % len(fitted)] for i in range(n)])], axis=1)
    return frame


def draw_dicts(frame: pd.DataFrame) -> list[dict[str, float]]:
    """The draws as parameter overrides, one dict per run."""
    return [{k: float(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def draw_keys(frame: pd.DataFrame) -> list[str]:
    """A short hash of each draw's parameter values: what names a PSA run in a store of finished runs."""
    return [
        "psa" + hashlib.sha256(json.dumps(row, sort_keys=True).encode()).hexdigest()[:12]
        for row in frame.round(12).to_dict(orient="records")
    ]


def describe(params: list[Uncertain]) -> pd.DataFrame:
    """The PSA's parameters and distributions, for the docs and the results folder."""
    return pd.DataFrame(
        [
            dict(
                parameter=p.name,
                group=p.group,
                value=p.value,
                low=p.low,
                high=p.high,
                grade=p.grade,
                distribution=p.distribution + (", rounded" if p.whole else ""),
            )
            for p in params
        ]
    )


def _metamodel_terms(n: int, k: int) -> str:
    """Which metamodel `n` draws support for `k` parameters (five draws a term): linear and squared terms,
    linear terms only, or none (too few draws: EVPPI is not estimated rather than fitted to noise)."""
    if n >= 5 * (2 * k + 1):
        return "linear and squared"
    return "linear" if n >= 5 * (k + 1) else "not estimated"


def _metamodel_fit(y: np.ndarray, x: np.ndarray, terms: str) -> np.ndarray:
    """Fitted values of `y` on `x` by least squares (each column standardised): linear terms, and squared terms
    when asked (a second-order polynomial without interactions)."""
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    cols = [np.ones(len(y)), *x.T] + ([*(x**2 - 1).T] if terms == "linear and squared" else [])
    design = np.column_stack(cols)
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    return design @ coef


def evppi(
    net_benefit: pd.DataFrame, draws: pd.DataFrame, groups: dict[str, list[str]], null: int = 20, seed: int = 0
) -> pd.DataFrame:
    """The expected value of perfect information, overall (EVPI) and for each group of parameters (EVPPI), by
    the regression method of Strong, Oakley & Brennan (2014, Medical Decision Making 34:311): each option's net
    benefit is regressed on the group's parameters, and EVPPI = E[max over options of the fitted values] - max
    over options of E[net benefit].

    `net_benefit` has one column per option (the base included, at zero) and one row per PSA draw; `draws` the
    parameter values of the same draws. Each draw also has its own seed, so the model's run-to-run noise counts
    as uncertainty in the EVPI (it cannot be resolved by research); the regression removes it from EVPPI.

    A regression fitted to noisy net benefits finds some pattern in any parameters, and the maximum over options
    turns that into a positive EVPPI even for parameters that do not matter. So each group's EVPPI is reported
    net of its value when the group's draws are shuffled (`null` times; shuffled parameters carry no
    information, so what remains is the overfitting): `raw_gbp` is the uncorrected value and `null_gbp` the mean
    of the shuffled ones. Returns rows: group, parameters, terms, evppi_gbp, raw_gbp, null_gbp, share_of_evpi;
    the first row is the overall EVPI."""
    nb = net_benefit.to_numpy(dtype=float)
    best_on_average = nb.mean(axis=0).max()
    evpi = float(nb.max(axis=1).mean() - best_on_average)
    rows = [dict(group="all parameters (EVPI)", parameters=draws.shape[1], terms="", evppi_gbp=evpi, share_of_evpi=1.0)]
    rng = np.random.default_rng(seed)

    def value_of(x: np.ndarray, terms: str) -> float:
        fitted = np.column_stack([_metamodel_fit(nb[:, j], x, terms) for j in range(nb.shape[1])])
        return float(fitted.max(axis=1).mean() - fitted.mean(axis=0).max())

    for group, names in groups.items():
        cols = [n for n in names if n in draws and draws[n].std() > 0]
        if not cols:
            continue
        terms = _metamodel_terms(len(nb), len(cols))
        raw = base = value = np.nan
        if terms != "not estimated":
            x = draws[cols].to_numpy(dtype=float)
            raw = value_of(x, terms)
            base = float(np.mean([value_of(x[rng.permutation(len(x))], terms) for _ in range(null)]))
            value = max(0.0, raw - base)
        rows.append(
            dict(
                group=group,
                parameters=len(cols),
                terms=terms,
                evppi_gbp=value,
                raw_gbp=raw,
                null_gbp=base,
                share_of_evpi=value / evpi if evpi > 0 else np.nan,
            )
        )
    head, rest = rows[:1], sorted(rows[1:], key=lambda r: -np.nan_to_num(r["evppi_gbp"], nan=-1.0))
    return pd.DataFrame(head + rest)


def groups_of(frame: pd.DataFrame) -> dict[str, list[str]]:
    """The parameter table's groups (and the fitted parameters as one group), restricted to the drawn columns."""
    table = parameter_table()
    out: dict[str, list[str]] = {}
    for name in frame.columns:
        p = table[name]
        out.setdefault("fitted (calibration draws)" if p.calibrate else p.group, []).append(name)
    return out


def force_wide(results: np.ndarray) -> np.ndarray:
    """A run's results summed over local authorities, keeping every metric and week (weeks, metrics, 1): what a
    PSA keeps of each run, a seventh of the full array, enough for force-wide totals and the appraisal."""
    return results.sum(axis=2, keepdims=True)
