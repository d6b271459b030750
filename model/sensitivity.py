"""Sensitivity analysis: which assumptions drive an answer.

Three established methods over the parameter table's plausible ranges (low-high):
- **oat**: one at a time, each parameter at its low and its high value with the others at the scenario's values;
  the swing (outcome at high minus at low) ranks them, drawn as a tornado chart. 2P + 1 design points.
- **morris**: the elementary-effects screening design of Morris (1991) with the mu* of Campolongo et al. (2007),
  from SALib: r trajectories of P + 1 points; mu* ranks influence, sigma flags interactions and non-linearity.
- **sobol**: variance-based first-order (S1) and total (ST) indices from a Saltelli design, from SALib:
  N (P + 2) points; for a cluster (`--dask`) at scale.

The outcome is a metric's force-wide total over a period (flows summed, stocks averaged), or the difference between
a scenario and a base run with the same parameters and seed (deaths averted by HAT, say), because the policy
question is usually about the difference. Every design point uses the same seeds (common random numbers), so a
parameter the outcome does not depend on moves it by nothing, and effects are not swamped by run-to-run noise.
Design points run on the ensemble runner (all local cores, or a Dask cluster); each returns only its outcome.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from drugsim.compare import period_weeks, totals
from drugsim.ensemble import Run, run_ensemble
from drugsim.metrics import METRICS
from drugsim.parameters import parameter_table
from drugsim.scenario import ResolvedScenario
from drugsim.stats import mean_interval

METHODS = ("oat", "morris", "sobol")
#: The index each method ranks parameters by.
RANK_BY = {"oat": "abs_swing", "morris": "mu_star", "sobol": "ST"}
CONFIDENCE = 0.90
MORRIS_LEVELS = 4


class SensitivityError(ValueError):
    """A sensitivity request that cannot run (unknown parameter or outcome, bad design size)."""


@dataclass(frozen=True)
class Outcome:
    """What is measured: a metric's total over [start, end], optionally as `scenario - against`."""

    metric: str
    start: str
    end: str
    against: ResolvedScenario | None = None

    def describe(self, scenario: str) -> str:
        what = f"{self.metric} ({METRICS[self.metric].meaning.lower()}), {self.start} to {self.end}"
        return f"{what}: {scenario} minus {self.against.name}" if self.against else f"{what}: {scenario}"


@dataclass(frozen=True)
class _Total:
    """Picklable reducer: the force-wide total of one metric over a week mask (runs in the worker)."""

    metric: str
    weeks: np.ndarray

    def __call__(self, results: np.ndarray) -> np.ndarray:
        return np.array([totals(results, self.weeks, (self.metric,))[self.metric]])


def choose_parameters(names: list[str] | None = None, groups: list[str] | None = None) -> list[str]:
    """Parameter names to vary: the given names and groups, or every parameter with a range (the default)."""
    table = parameter_table()
    if not names and not groups:
        return [n for n, p in table.items() if p.high > p.low]
    unknown = [n for n in names or [] if n not in table]
    if unknown:
        raise SensitivityError(f"unknown parameter(s): {', '.join(unknown)} (see `drugsim parameters`)")
    known_groups = {p.group for p in table.values()}
    bad = [g for g in groups or [] if g not in known_groups]
    if bad:
        raise SensitivityError(f"unknown group(s): {', '.join(bad)}; groups are {', '.join(sorted(known_groups))}")
    chosen = list(dict.fromkeys([*(names or []), *(n for n, p in table.items() if p.group in (groups or []))]))
    flat = [n for n in chosen if table[n].high <= table[n].low]
    if flat:
        raise SensitivityError(f"parameter(s) with no range to vary: {', '.join(flat)}")
    return chosen


def problem(names: list[str]) -> dict:
    """The SALib problem: each parameter over its plausible range."""
    table = parameter_table()
    return {"num_vars": len(names), "names": list(names), "bounds": [[table[n].low, table[n].high] for n in names]}


def check_size(method: str, n: int) -> None:
    """Refuse an unknown method or a design size it cannot use (before any run)."""
    if method not in METHODS:
        raise SensitivityError(f"method {method!r}: choose one of {', '.join(METHODS)}")
    if method == "morris" and n < 2:
        raise SensitivityError(f"--n {n}: Morris needs at least 2 trajectories")
    if method == "sobol" and (n < 2 or n & (n - 1)):
        raise SensitivityError(f"--n {n}: Sobol's base sample size must be a power of two (e.g. 64, 128, 256)")


def design(method: str, names: list[str], scenario: ResolvedScenario, n: int, seed: int) -> np.ndarray:
    """Design points (rows) x parameters (columns).

    oat: the scenario's values, then each parameter at its low and high. morris: `n` trajectories.
    sobol: a Saltelli design with base sample size `n` (a power of two).
    """
    prob = problem(names)
    if method == "oat":
        centre = np.array([scenario.params[x] for x in names])
        rows = [centre]
        for i, (lo, hi) in enumerate(prob["bounds"]):
            for v in (lo, hi):
                row = centre.copy()
                row[i] = v
                rows.append(row)
        return np.array(rows)
    check_size(method, n)
    if method == "morris":
        return morris_sample.sample(prob, N=n, num_levels=MORRIS_LEVELS, seed=seed)
    return sobol_sample.sample(prob, N=n, calc_second_order=False, seed=seed)


def n_runs(method: str, n_params: int, n: int, seeds: int, paired: bool) -> int:
    points = {"oat": 2 * n_params + 1, "morris": n * (n_params + 1), "sobol": n * (n_params + 2)}[method]
    return points * seeds * (2 if paired else 1)


def evaluate(
    scenario: ResolvedScenario,
    names: list[str],
    X: np.ndarray,
    outcome: Outcome,
    seeds: list[int],
    pool=None,
    store=None,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """The outcome at every design point for every seed: an array (points, seeds).

    Each point's values replace the scenario's resolved parameters (so the design holds even where a scenario sets
    a parameter itself); with `outcome.against`, the base runs with the same values and seed.
    """
    runs: list[tuple[Run, Run | None]] = []
    for row in X:
        values = dict(zip(names, map(float, row), strict=True))
        alt = dataclasses.replace(scenario, params={**scenario.params, **values})
        base = None
        if outcome.against is not None:
            base = dataclasses.replace(outcome.against, params={**outcome.against.params, **values})
        for seed in seeds:
            runs.append((Run(alt, seed), Run(base, seed) if base else None))
    unique = {r.key: r for pair in runs for r in pair if r is not None}  # OAT's centre point may repeat
    reduce = _Total(outcome.metric, period_weeks(scenario, outcome.start, outcome.end))
    results = run_ensemble(list(unique.values()), pool, store, progress=progress, reduce=reduce)
    y = np.array([results[a.key][0] - (results[b.key][0] if b else 0.0) for a, b in runs])
    return y.reshape(len(X), len(seeds))


def analyse(method: str, names: list[str], X: np.ndarray, Y: np.ndarray, seed: int) -> pd.DataFrame:
    """Tidy table of indices with 90% intervals, ranked by influence.

    Columns: parameter, index, value, low, high, rank (1 = most influential, by RANK_BY[method]).
    """
    prob = problem(names)
    y = Y.mean(axis=1)
    rows = []
    if method == "oat":
        for i, name in enumerate(names):
            lo_runs, hi_runs = Y[1 + 2 * i], Y[2 + 2 * i]
            swing = mean_interval(hi_runs - lo_runs)
            rows += [
                dict(parameter=name, index="at_low", value=lo_runs.mean(), low=np.nan, high=np.nan),
                dict(parameter=name, index="at_high", value=hi_runs.mean(), low=np.nan, high=np.nan),
                dict(parameter=name, index="swing", value=swing[0], low=swing[1], high=swing[2]),
                dict(parameter=name, index="abs_swing", value=abs(swing[0]), low=np.nan, high=np.nan),
            ]
        rows.append(dict(parameter="(scenario values)", index="centre", value=Y[0].mean(), low=np.nan, high=np.nan))
    elif method == "morris":
        r = morris_analyze.analyze(
            prob, X, y, conf_level=CONFIDENCE, num_resamples=1000, num_levels=MORRIS_LEVELS, seed=seed
        )
        for i, name in enumerate(names):
            c = r["mu_star_conf"][i]
            rows += [
                dict(
                    parameter=name,
                    index="mu_star",
                    value=r["mu_star"][i],
                    low=r["mu_star"][i] - c,
                    high=r["mu_star"][i] + c,
                ),
                dict(parameter=name, index="mu", value=r["mu"][i], low=np.nan, high=np.nan),
                dict(parameter=name, index="sigma", value=r["sigma"][i], low=np.nan, high=np.nan),
            ]
    else:
        r = sobol_analyze.analyze(
            prob, y, calc_second_order=False, conf_level=CONFIDENCE, num_resamples=1000, seed=seed
        )
        for i, name in enumerate(names):
            for k in ("S1", "ST"):
                c = r[f"{k}_conf"][i]
                rows.append(dict(parameter=name, index=k, value=r[k][i], low=r[k][i] - c, high=r[k][i] + c))
    table = pd.DataFrame(rows)
    key = table[table["index"] == RANK_BY[method]].set_index("parameter")["value"]
    order = key.abs().sort_values(ascending=False, kind="stable")
    table["rank"] = table.parameter.map({p: i + 1 for i, p in enumerate(order.index)}).astype("Int64")
    return table.sort_values(["rank", "index"], na_position="last").reset_index(drop=True)


def ranking(table: pd.DataFrame, method: str) -> pd.DataFrame:
    """One row per parameter in rank order, with the ranking index, its interval, and the table's meaning/source."""
    t = parameter_table()
    r = table[table["index"] == RANK_BY[method]].sort_values("rank")
    if method == "oat":
        swing = table[table["index"] == "swing"].set_index("parameter")
        r = swing.loc[r.parameter].reset_index().assign(rank=r["rank"].to_numpy())
    return r.assign(
        meaning=r.parameter.map(lambda n: t[n].meaning),
        range=r.parameter.map(lambda n: f"{t[n].low:g}-{t[n].high:g} {t[n].unit}"),
        source=r.parameter.map(lambda n: t[n].source),
    ).reset_index(drop=True)


def summary(table: pd.DataFrame, method: str, outcome_text: str, n_evaluations: int, top: int = 5) -> str:
    """A short plain-language account: the parameters that matter most, and those that do not."""
    r = ranking(table, method)
    index = RANK_BY[method]
    values = r["value"].abs()
    lead = values.iloc[0] if len(values) else 0.0
    negligible = r[values <= 0.01 * lead] if lead > 0 else r
    name = {"oat": "swing (outcome at high minus at low)", "morris": "Morris mu*", "sobol": "total Sobol index ST"}
    lines = [
        f"# Sensitivity of {outcome_text}",
        "",
        f"Method: {method} over the parameter table's plausible ranges ({len(r)} parameters, {n_evaluations} "
        f"model runs); ranked by {name[method]}; intervals are {CONFIDENCE:.0%}.",
        "",
        "## The assumptions that matter most",
        "",
    ]
    for row in r[values > 0.01 * lead].head(top).itertuples():
        ci = f" ({row.low:,.3g} to {row.high:,.3g})" if np.isfinite(row.low) else ""
        lines.append(
            f"{row.rank}. `{row.parameter}` ({row.range}): {index if method != 'oat' else 'swing'} "
            f"{row.value:,.3g}{ci}. {row.meaning}. Source: {row.source}."
        )
    lines += [
        "",
        "## Assumptions that barely matter for this outcome",
        "",
        f"{len(negligible)} of {len(r)} parameters have an index under 1% of the largest"
        + (": " + ", ".join(f"`{p}`" for p in negligible.parameter.head(25)) if len(negligible) else "")
        + (" and others (see indices.csv)." if len(negligible) > 25 else "."),
        "",
        "## How to read it",
        "",
        {
            "oat": "Each parameter moved alone from the low to the high end of its range, the others held at the "
            "scenario's values. It misses interactions; Morris or Sobol catch them.",
            "morris": "mu* is the mean absolute change in the outcome per move of a parameter across its range, "
            "averaged over trajectories through the whole parameter space; a large sigma beside mu* means the "
            "effect depends on other parameters (interaction) or is not linear.",
            "sobol": "ST is the share of the outcome's variance a parameter accounts for, alone or with others; S1 "
            "alone. Indices near zero mean the parameter could be fixed anywhere in its range.",
        }[method],
        "Ranges are the table's plausible ranges, not probability distributions: the ranking says which ranges "
        "matter, so which evidence would narrow the answer most.",
    ]
    if method == "oat" and not np.isfinite(r["low"]).any():
        lines.append(
            "These swings come from one seed per design point. Every point shares its random numbers, so a "
            "parameter that does not act on the outcome scores exactly zero, but swings of a few events can be "
            "run-to-run noise: run with --seeds 3 or more for 90% intervals on each swing."
        )
    return "\n".join(lines) + "\n"


@dataclass
class Result:
    """A finished sensitivity analysis."""

    method: str
    names: list[str]
    X: np.ndarray
    Y: np.ndarray
    table: pd.DataFrame
    ranked: pd.DataFrame
    outcome_text: str
    runs: int


def default_n(method: str, n: int | None) -> int:
    """The design size: Morris 10 trajectories, Sobol a base sample of 64, unless given."""
    return n or {"oat": 0, "morris": 10, "sobol": 64}.get(method, 0)


def run(
    scenario: ResolvedScenario,
    outcome: Outcome,
    method: str = "morris",
    names: list[str] | None = None,
    n: int | None = None,
    seeds: list[int] = (0,),
    seed: int = 1,
    pool=None,
    store=None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    """Design, evaluate and analyse in one call (the command line and the app both use this).

    Example:
        >>> r = run(load_scenario("scenarios/baseline.toml"), Outcome("drug_deaths", "2026-01-01", "2030-12-31"),
        ...         "oat", names=["overdose_rate_per_year", "hat_cost_per_place_year_gbp"])
        >>> r.ranked[["parameter", "value"]]
    """
    if outcome.metric not in METRICS:
        raise SensitivityError(f"outcome {outcome.metric!r} is not a metric")
    names = list(names or choose_parameters())
    n = default_n(method, n)
    X = design(method, names, scenario, n, seed)
    Y = evaluate(scenario, names, X, outcome, list(seeds), pool, store, progress)
    table = analyse(method, names, X, Y, seed)
    total = n_runs(method, len(names), n, len(seeds), outcome.against is not None)
    return Result(method, names, X, Y, table, ranking(table, method), outcome.describe(scenario.name), total)
