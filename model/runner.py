"""Running a scenario: one seed (`run_one`), several seeds into a tidy frame (`run_scenario`)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from drugsim.calendar import Calendar
from drugsim.metrics import NAMES
from drugsim.parameters import AREAS, FORCE_AREA, geography
from drugsim.scenario import ResolvedScenario, load_scenario

AREA_LABELS: tuple[str, ...] = (*geography().names, FORCE_AREA)


def run_one(scenario: ResolvedScenario, seed: int) -> np.ndarray:
    """Run one seed; returns the (weeks, metrics, LAs) array of weekly values."""
    from drugsim.model import DrugMarketModel

    return DrugMarketModel(scenario, seed=seed).run()


def tidy(scenario: ResolvedScenario, seed: int, results: np.ndarray) -> pd.DataFrame:
    """Long format: scenario, seed, week (ISO date of the week's start), area, metric, value.

    `area` is one of the 7 local authorities or "West Midlands" (the sum over them).
    """
    n_weeks, n_metrics, _ = results.shape
    values = np.concatenate([results, results.sum(axis=2, keepdims=True)], axis=2)
    n_areas = len(AREA_LABELS)
    weeks = [d.isoformat() for d in (Calendar(scenario.start, scenario.end).week_start(k) for k in range(n_weeks))]
    per_week = n_metrics * n_areas
    return pd.DataFrame(
        {
            "scenario": pd.Categorical.from_codes(np.zeros(values.size, dtype=np.int8), [scenario.name]),
            "seed": np.full(values.size, seed, dtype=np.int64),
            "week": pd.Categorical.from_codes(np.repeat(np.arange(n_weeks), per_week), weeks),
            "area": pd.Categorical.from_codes(np.tile(np.arange(n_areas), n_weeks * n_metrics), AREA_LABELS),
            "metric": pd.Categorical.from_codes(np.tile(np.repeat(np.arange(n_metrics), n_areas), n_weeks), NAMES),
            "value": values.reshape(-1),
        }
    )


def run_scenario(scenario: ResolvedScenario | str | Path, seeds: Iterable[int] = (0,)) -> pd.DataFrame:
    """Run a scenario for each seed and return one tidy DataFrame.

    Args:
        scenario: a resolved scenario or the path of a scenario TOML file.
        seeds: the seeds to run (each gives the same results on any machine).

    Example:
        >>> df = run_scenario("scenarios/baseline.toml", seeds=[0, 1])
        >>> df[(df.metric == "drug_deaths") & (df.area == "West Midlands")].groupby("seed").value.sum()
    """
    if not isinstance(scenario, ResolvedScenario):
        scenario = load_scenario(scenario)
    frames = [tidy(scenario, s, run_one(scenario, s)) for s in seeds]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]


__all__ = ["run_one", "run_scenario", "tidy", "AREAS", "AREA_LABELS"]
