"""Scenarios that share their history: several scenarios of one seed run as one trunk and its branches.

A comparison's options usually change nothing until their policy starts (HAT in 2026, say), and with common
random numbers every process draws the same numbers in each scenario, so up to that week the runs are the
same run. `run_together` simulates that shared history once, then copies the model at each scenario's first
different week (`DrugMarketModel.branch`) and runs only the rest. The results are the same, bit for bit, as
separate runs (tested for every library scenario); only the time differs.

When two scenarios act alike is read from their interventions, which are pure functions of their settings,
the parameters and the week (`drugsim.interventions.base`): in a week the two act alike when the same
interventions are active in the same order, set the same levers and commit the same spend. Spend that depends
on use (`Intervention.use_spend`) reads only the model and the parameters, so it follows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from drugsim.calendar import Calendar
from drugsim.interventions import REGISTRY
from drugsim.levers import Levers
from drugsim.scenario import ResolvedScenario

#: `_week_by_week` of the scenarios seen lately, by their resolved hash: a worker compares the same base with each
#: option for every seed, and the Compare page its choices on every rerun.
_SEEN: dict[str, list[tuple]] = {}
_SEEN_MAX = 64


def _week_by_week(scenario: ResolvedScenario) -> list[tuple]:
    key = scenario.resolved_sha256
    if key not in _SEEN:
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.pop(next(iter(_SEEN)))
        _SEEN[key] = _acts(scenario)
    return _SEEN[key]


def _acts(scenario: ResolvedScenario) -> list[tuple]:
    """What the scenario's interventions do in each week: the active ones' names, the levers they set and the spend
    they commit, in a form that compares with ==."""
    cal = Calendar(scenario.start, scenario.end)
    params = dict(scenario.params)
    interventions = [REGISTRY[name](cfg, params, cal) for name, cfg in scenario.interventions.items()]
    levers = Levers()
    out = []
    for week in range(cal.n_weeks):
        levers.reset()
        active = [iv for iv in interventions if iv.active(week)]
        for iv in active:
            iv.apply(levers, week)
        settings = tuple(
            v.tobytes() if isinstance(v, np.ndarray) else v for v in dataclasses.astuple(levers)
        )  # arrays as bytes, so that == compares them exactly
        spend = tuple(iv.committed_spend(week).tobytes() for iv in active)
        out.append((tuple(iv.name for iv in active), settings, spend))
    return out


def weeks_alike(a: ResolvedScenario, b: ResolvedScenario) -> int:
    """How many weeks from the start the two scenarios' runs of any one seed are the same: 0 when their period or
    parameters differ, the whole run when they never act differently."""
    if (a.start, a.end) != (b.start, b.end) or a.params != b.params:
        return 0
    n = 0
    for x, y in zip(_week_by_week(a), _week_by_week(b), strict=True):
        if x != y:
            break
        n += 1
    return n


def cost_in_runs(scenarios: Sequence[ResolvedScenario]) -> float:
    """What one seed of these scenarios costs run together, in runs alone: the first scenario's whole run and each
    other's weeks after it leaves that history (so a time measured per run alone can be scaled to any comparison)."""
    if not scenarios:
        return 0.0
    n = Calendar(scenarios[0].start, scenarios[0].end).n_weeks
    return 1.0 + sum(1.0 - weeks_alike(scenarios[0], s) / n for s in scenarios[1:])


def run_together(scenarios: Sequence[ResolvedScenario], seed: int) -> list[np.ndarray]:
    """The (weeks, metrics, LAs) results of each scenario for `seed`, as `run_one` gives them, with the history
    the scenarios share with the first one simulated once."""
    from drugsim.model import DrugMarketModel

    if not scenarios:
        return []
    trunk_scenario, others = scenarios[0], scenarios[1:]
    alike = [weeks_alike(trunk_scenario, s) for s in others]
    trunk = DrugMarketModel(trunk_scenario, seed=seed)
    results: dict[int, np.ndarray] = {}
    # Branch off in order of the week each scenario leaves the trunk; those that never leave it take its results.
    for i in sorted(range(len(others)), key=lambda i: alike[i]):
        if alike[i] >= trunk.cal.n_weeks:
            continue
        if alike[i] == 0:
            results[i] = DrugMarketModel(others[i], seed=seed).run()
            continue
        while trunk.week < alike[i]:
            trunk.step()
        results[i] = trunk.branch(others[i]).run()
    first = trunk.run()
    return [first] + [results[i] if i in results else first.copy() for i in range(len(others))]


__all__ = ["cost_in_runs", "run_together", "weeks_alike"]
