"""Portfolio optimisation under a budget: how much of each lever to buy, together, for the most of an objective.

A portfolio is a dose of each lever (`DOSES`: HAT places, officers carrying naloxone, take-home naloxone, more
years of County Lines Taskforce funding, O2R staff, Divert's options), applied to the base scenario from 2026.
Optuna's TPE sampler proposes portfolios; each is run on the same PSA draws and seeds as the base (common random
numbers), appraised (`drugsim.appraisal`), and scored by the mean of the chosen objective over the draws, subject to
its mean extra public spending over the period staying within the budget (Optuna's constraint handling: a
portfolio over budget is infeasible, not merely penalised). A portfolio whose committed spend alone exceeds the
budget is refused before it is run.

The result: the best portfolio within the budget; the efficient frontier (the portfolios tried that no other beats
on both spend and objective); and, for the best few within budget, the probability that each is the best, i.e.
the share of PSA draws in which it has the highest objective among them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from drugsim.appraisal_options import OBJECTIVES
from drugsim.costs import committed_spend
from drugsim.parameters import geography
from drugsim.scenario import ResolvedScenario, with_changes

#: When a portfolio's doses begin (the policy window the product informs: funding from 2026).
FROM = dt.date(2026, 4, 1)


def _split(total: float, column: str, whole: bool = True) -> dict[str, float]:
    """A force-wide amount split across the local authorities in proportion to a geography column."""
    share = geography().column(column)
    share = share / share.sum()
    amounts = share * total
    if whole:  # largest remainders, so the parts add up to the whole
        floor = np.floor(amounts)
        extra = int(round(total - floor.sum()))
        floor[np.argsort(-(amounts - floor))[:extra]] += 1
        amounts = floor
    return {area: float(a) for area, a in zip(_ids(), amounts, strict=True)}


def _ids() -> list[str]:
    return list(geography().ids)


def _hat(base: ResolvedScenario, places: float) -> dict:
    if places <= 0:
        return {}
    places_by_area = {a: int(v) for a, v in _split(places, "ocu_count").items()}
    return {"hat": {"enabled": True, "start": FROM, "places": places_by_area}}


def _more_on_schedule(base: ResolvedScenario, intervention: str, extra: float, column: str, whole: bool) -> dict:
    """The base's schedule of officers or staff, plus `extra` from April 2026 split across the areas in
    proportion to a geography column (each area's level is its last scheduled amount plus its share)."""
    if extra <= 0:
        return {}
    schedule = base.interventions[intervention].schedule
    level = {a: 0.0 for a in _ids()}
    for entry in sorted(schedule, key=lambda e: e.date):
        level[entry.area] = entry.amount
    old = [{"date": e.date, "area": e.area, "amount": e.amount} for e in schedule]
    add = [
        {"date": FROM, "area": a, "amount": int(level[a] + v) if whole else level[a] + v}
        for a, v in _split(extra, column).items()
        if v > 0
    ]
    return {intervention: {"schedule": old + add}}


def _officers(base: ResolvedScenario, extra: float) -> dict:
    return _more_on_schedule(base, "naloxone_officers", extra, "population_2019", whole=True)


def _take_home(base: ResolvedScenario, on: float) -> dict:
    if on < 0.5:
        return {}
    coverage = {a: 0.8 for a in _ids()}  # as the library's naloxone_take_home: staff in 80% of hostels
    return {"naloxone_take_home": {"start": FROM}, "naloxone_hostels": {"start": FROM, "coverage": coverage}}


def _cltf(base: ResolvedScenario, years: float) -> dict:
    if years <= 0:
        return {}
    end = base.interventions["cltf"].end
    new_end = min(end + dt.timedelta(days=round(365.25 * years)), base.end)
    return {"cltf": {"end": new_end}}


def _o2r(base: ResolvedScenario, extra: float) -> dict:
    return _more_on_schedule(base, "o2r", extra, "ocu_count", whole=False)


def _divert(base: ResolvedScenario, share: float) -> dict:
    return {"divert": {"pwits_eligible_share": float(share)}} if share > 0 else {}


@dataclass(frozen=True)
class Dose:
    """One lever's dose: its range and step, and what a dose changes in the base scenario's interventions."""

    name: str
    label: str
    low: float
    high: float
    step: float
    changes: Callable[[ResolvedScenario, float], dict]


DOSES = (
    Dose("hat_places", "Heroin-assisted treatment places (force-wide, split by OCUs)", 0, 600, 50, _hat),
    Dose("naloxone_officers", "More officers carrying naloxone (split by population)", 0, 3000, 250, _officers),
    Dose("take_home_naloxone", "Take-home naloxone and hostel provision (0 no, 1 yes)", 0, 1, 1, _take_home),
    Dose("cltf_years", "Years of CLTF funding beyond April 2026", 0, 4.75, 0.25, _cltf),
    Dose("o2r_staff", "More Offender to Rehab staff (split by OCUs)", 0, 12, 1, _o2r),
    Dose("divert_pwits_share", "Share of possession-with-intent cases Divert may take", 0, 1, 0.25, _divert),
)


def portfolio(base: ResolvedScenario, doses: dict[str, float], name: str = "portfolio") -> ResolvedScenario:
    """The base scenario with each lever at its dose (a dose of zero leaves the lever as the base has it)."""
    changes: dict = {}
    for dose in DOSES:
        changes.update(dose.changes(base, doses.get(dose.name, 0.0)))
    return with_changes(base, {"interventions": changes}, name=name)


def committed(base: ResolvedScenario, scenario: ResolvedScenario, start: str, end: str) -> float:
    """Extra spending a portfolio commits in advance over the period (places, staff, funding), against the base,
    each calendar year counted for its days inside the period: known before any run, so a portfolio already over
    budget need not be run."""
    extra = committed_spend(scenario).sum(axis=1) - committed_spend(base).sum(axis=1)
    total = 0.0
    for year, value in extra.items():
        first, last = max(f"{year}-01-01", start), min(f"{year}-12-31", end)
        if first <= last:
            days = (dt.date.fromisoformat(last) - dt.date.fromisoformat(first)).days + 1
            total += value * days / (dt.date(year + 1, 1, 1) - dt.date(year, 1, 1)).days
    return float(total)


def label(doses: dict[str, float]) -> str:
    """A portfolio in words, e.g. 'hat_places 300 + cltf_years 2.5' ('nothing' when every dose is zero)."""
    parts = [f"{d.name} {doses[d.name]:g}" for d in DOSES if doses.get(d.name, 0) > 0]
    return " + ".join(parts) or "nothing"


def frontier(trials: pd.DataFrame, objective: str) -> pd.DataFrame:
    """The efficient frontier: the portfolios tried that no other tried portfolio beats on both spend (lower) and
    the objective (higher), in order of spend."""
    t = trials.sort_values(["spend_gbp", objective], ascending=[True, False])
    best, keep = -np.inf, []
    for i, row in t.iterrows():
        if row[objective] > best:
            keep.append(i)
            best = row[objective]
    return t.loc[keep].reset_index(drop=True)


def probability_best(per_draw: dict[str, np.ndarray]) -> dict[str, float]:
    """For each candidate, the share of PSA draws in which its objective is the highest of the candidates."""
    names = list(per_draw)
    values = np.stack([per_draw[n] for n in names])
    best = np.argmax(values, axis=0)
    return {n: float((best == i).mean()) for i, n in enumerate(names)}


@dataclass
class Search:
    """What a portfolio search needs: the base, the PSA draws every portfolio is run on, where runs go, and the
    budget, objective and period."""

    base: ResolvedScenario
    draws: pd.DataFrame
    budget: float
    objective: str
    period: tuple[str, str]
    run: Callable[[list[ResolvedScenario]], list[list[np.ndarray]]]  # scenarios -> per scenario, runs in draw order
    settings: object = None


def optimise(search: Search, trials: int, seed: int = 0, progress: Callable[[int, int], None] | None = None):
    """Search portfolios with Optuna; returns (every portfolio tried, one row each; per-draw objective values of
    each portfolio run)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = search.base
    score = scorer(search)
    rows: dict[str, dict] = {}
    per_draw: dict[str, np.ndarray] = {}

    def evaluate(doses: dict[str, float]) -> dict:
        key = label(doses)
        if key in rows:
            return rows[key]
        scenario = portfolio(base, doses, name=f"portfolio_{len(rows)}")
        row = {"portfolio": key, **doses, "committed_gbp": committed(base, scenario, *search.period)}
        if row["committed_gbp"] > search.budget:  # over budget before any use-based spend: not run
            row |= {"spend_gbp": row["committed_gbp"], "objective": np.nan, "low": np.nan, "high": np.nan, "run": False}
        else:
            spend, values = score(scenario)
            per_draw[key] = values
            lo, hi = np.percentile(values, [5, 95])
            row |= {
                "spend_gbp": float(spend.mean()),
                "objective": float(values.mean()),
                "low": lo,
                "high": hi,
                "run": True,
            }
        row["within_budget"] = row["spend_gbp"] <= search.budget
        rows[key] = row
        if progress:
            progress(len(rows), trials)
        return row

    def trial_value(trial) -> float:
        doses = {d.name: trial.suggest_float(d.name, d.low, d.high, step=d.step) for d in DOSES}
        row = evaluate(doses)
        trial.set_constraint("over_budget_gbp", row["spend_gbp"] - search.budget)  # feasible when <= 0
        return row["objective"] if row["run"] else 0.0

    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(10, trials))
    study = optuna.create_study(direction="maximize", sampler=sampler)
    # Start from nothing and from each lever alone at its middle dose, so every lever is seen early.
    study.enqueue_trial({d.name: d.low for d in DOSES})
    for d in DOSES:
        middle = d.low + math.ceil((d.high - d.low) / 2 / d.step) * d.step  # a switch (0 or 1) is tried on
        study.enqueue_trial({e.name: (middle if e is d else e.low) for e in DOSES})
    study.optimize(trial_value, n_trials=trials)
    table = pd.DataFrame(list(rows.values())).rename(columns={"objective": search.objective})
    return table, per_draw


def scorer(search: Search) -> Callable[[ResolvedScenario], tuple[np.ndarray, np.ndarray]]:
    """A function giving a portfolio's extra spending and objective on each of the search's draws (the base is run
    once, when the scorer is made)."""
    from drugsim import appraisal
    from drugsim.calendar import Calendar
    from drugsim.compare import SPENDING, period_weeks, totals

    base = search.base
    settings = search.settings or appraisal.Settings()
    column = OBJECTIVES[search.objective][0]
    cal = Calendar(base.start, base.end)
    weeks = period_weeks(base, *search.period)
    params = [{**base.params, **row} for row in search.draws.to_dict(orient="records")]
    (base_runs,) = search.run([base])
    base_spend = np.array([sum(totals(a, weeks, SPENDING).values()) for a in base_runs])

    def score(scenario: ResolvedScenario) -> tuple[np.ndarray, np.ndarray]:
        (arrays,) = search.run([scenario])
        spend = np.array([sum(totals(a, weeks, SPENDING).values()) for a in arrays]) - base_spend
        values = np.array(
            [
                appraisal.appraise_pair(b, a, p, cal, search.period, settings)[column]
                for b, a, p in zip(base_runs, arrays, params, strict=True)
            ]
        )
        return spend, values

    return score


#: How many of the best portfolios within budget are re-run on fresh draws to say which is best.
LEADERS = 5


def decide(table: pd.DataFrame, fresh: Search, top: int = LEADERS) -> pd.DataFrame:
    """The portfolios tried, best first within the budget. The best few are run again on fresh PSA draws and
    seeds (`fresh`): choosing on the same draws that score a choice flatters it, so the confirmed objective and
    P(best) among them come from the fresh draws."""
    objective = fresh.objective
    fits = table[table.within_budget & table.run].sort_values(objective, ascending=False).head(top)
    score = scorer(fresh) if len(fits) else None
    confirmed: dict[str, np.ndarray] = {}
    for _, row in fits.iterrows():
        doses = {d.name: row[d.name] for d in DOSES}
        confirmed[row.portfolio] = score(portfolio(fresh.base, doses, name=f"leader_{len(confirmed)}"))[1]
    chances = probability_best(confirmed) if confirmed else {}
    out = table.assign(
        confirmed=table.portfolio.map({k: float(v.mean()) for k, v in confirmed.items()}),
        confirmed_low=table.portfolio.map({k: float(np.percentile(v, 5)) for k, v in confirmed.items()}),
        confirmed_high=table.portfolio.map({k: float(np.percentile(v, 95)) for k, v in confirmed.items()}),
        p_best=table.portfolio.map(chances),
    )
    out = out.sort_values(["confirmed", objective], ascending=[False, False], na_position="last")
    return out.sort_values("within_budget", ascending=False, kind="stable").reset_index(drop=True)
