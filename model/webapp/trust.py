"""How far to trust the model, in plain words: overall, and outcome by outcome, from the calibration report's own
tables (`calibration/fit_table.csv` and `report_summary.json`, written by `drugsim calibrate`). Fitting targets
are figures published up to 2022, which the fit used; holdout targets are figures first published in the 2025
report, which it never saw, so they test the model's projections."""

from __future__ import annotations

import json
from functools import cache

import pandas as pd

from drugsim.metrics import METRICS
from drugsim.targets import CALIBRATION_DIR

#: The calibration targets that speak to each headline outcome (metric names in the fit table). An outcome not
#: listed is checked only by targets on its own metric, if any.
EVIDENCE_FOR = {
    "drug_deaths": ("drug_deaths",),
    "acquisitive_crimes": ("acquisitive_crimes_recorded", "crime_cost_gbp+health_cost_gbp+death_cost_gbp"),
    "active_county_lines": (
        "active_county_lines",
        "type1_outcomes",
        "trafficking_offences",
        "supply_charges",
        "nrm_referrals",
        "safeguarding_referrals",
        "ocg_disruptions",
    ),
    "criminal_records": ("possession_charges", "possession_cautions", "community_resolutions", "divert_referrals"),
}


@cache
def fit_table() -> pd.DataFrame:
    return pd.read_csv(CALIBRATION_DIR / "fit_table.csv")


@cache
def summary() -> dict:
    return json.loads((CALIBRATION_DIR / "report_summary.json").read_text())


def _name(metric: str) -> str:
    """A target's metric in words; a difference of two metrics (`a-b`) reads "a, less b"."""
    first, _, less = metric.partition("-")
    words = METRICS[first].meaning if first in METRICS else first.replace("_", " ")
    if less in METRICS:
        words += ", less " + METRICS[less].meaning[0].lower() + METRICS[less].meaning[1:]
    return words


def misses(use: str = "holdout") -> list[str]:
    """Each missed target, in words: what it is, when, and by how much the model was off."""
    t = fit_table()
    t = t[(t.use == use) & ~t.within]
    return [f"{_name(r.metric)} ({r.start[:7]} to {r.end[:7]}): {r.relative_error:+.0%}" for r in t.itertuples()]


def overall() -> str:
    """The model's record against the reports, in two sentences."""
    s = summary()
    share = s["holdout_within"] / s["holdout_n"] if s["holdout_n"] else float("nan")
    return (
        f"Fitted to figures published up to 2022, the model reproduces {s['fitting_within']} of "
        f"{s['fitting_n']} of them within their tolerances. Of the {s['holdout_n']} figures first published in 2025, "
        f"which it never saw, it reproduces {s['holdout_within']} ({share:.0%}): its projections of the outcomes "
        "below deserve the most caution."
    )


def outcome_line(outcome: str) -> str:
    """One line beside an outcome: how the model did on the published figures that bear on it."""
    t = fit_table()
    rows = t[t.metric.isin(EVIDENCE_FOR.get(outcome, (outcome,)))]
    if rows.empty:
        return "Not checked against a published figure: the model's reasoning, not a measurement."
    parts = []
    for use, words in (("fitting", "fitted"), ("holdout", "2025 holdout")):
        r = rows[rows.use == use]
        if len(r):
            worst = r.loc[r.relative_error.abs().idxmax()]
            miss = "" if r.within.all() else f", worst {worst.relative_error:+.0%}"
            parts.append(f"{words} {int(r.within.sum())} of {len(r)} met{miss}")
    return "Against the reports: " + "; ".join(parts) + "."
