"""Scenario comparison and economics: totals over a period per run, paired differences against the base with 90%
intervals, and the economic measures (spend, costs avoided, net social benefit, cost per death and per crime
averted, return per £1) as outcomes in the same table.

Intervals are for the mean difference: a Student t-interval over paired runs for differences, and a bootstrap
over runs for ratios. They narrow as runs are added; with calibration draws they carry parameter uncertainty too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.calendar import Calendar
from model.metrics import INDEX, METRICS
from model.scenario import ResolvedScenario

#: Outcomes compared by default (stocks are averaged over the period, flows summed).
OUTCOMES = (
    "drug_deaths",
    "overdoses",
    "acquisitive_crimes",
    "possession_charges",
    "possession_cautions",
    "community_resolutions",
    "cars_referrals",
    "in_treatment",
    "in_hat",
    "in_rehab",
    "active_county_lines",
    "runners_exploited",
    "children_exploited",
    "nrm_referrals",
    "type1_outcomes",
    "trafficking_offences",
    "market_revenue_gbp",
    "crime_cost_gbp",
    "health_cost_gbp",
    "cj_cost_gbp",
    "death_cost_gbp",
    "treatment_cost_gbp",
    "spend_total_gbp",
)
#: Costs to society whose fall is a benefit (each priced by unit costs in the parameter table).
COSTS_AVOIDED = ("crime_cost_gbp", "health_cost_gbp", "cj_cost_gbp", "death_cost_gbp")
#: Public spending: interventions and treatment places.
SPENDING = ("spend_total_gbp", "treatment_cost_gbp")
ECONOMICS = {
    "intervention_spend_gbp": "Extra public spending: interventions and treatment (GBP)",
    "costs_avoided_gbp": "Costs of crime, health, criminal justice and deaths avoided (GBP)",
    "net_benefit_gbp": "Net social benefit: costs avoided minus extra spending (GBP)",
    "cost_per_death_averted_gbp": "Extra spending per drug death averted (GBP)",
    "cost_per_crime_averted_gbp": "Extra spending per acquisitive crime averted (GBP)",
    "return_per_gbp": "Costs avoided per £1 of extra spending",
}
_T95 = {
    1: 6.314,
    2: 2.920,
    3: 2.353,
    4: 2.132,
    5: 2.015,
    6: 1.943,
    7: 1.895,
    8: 1.860,
    9: 1.833,
    10: 1.812,
    12: 1.782,
    15: 1.753,
    20: 1.725,
    30: 1.697,
    60: 1.671,
}
BOOTSTRAP = 2000


def t95(df: int) -> float:
    """Two-sided 90% Student t quantile (conservative between tabulated degrees of freedom)."""
    if df <= 0:
        return float("nan")
    below = [k for k in _T95 if k <= df]
    return _T95[max(below)] if df < 60 else 1.645


def period_weeks(scenario: ResolvedScenario, start: str, end: str) -> np.ndarray:
    starts = Calendar(scenario.start, scenario.end).week_starts()
    return (starts >= np.datetime64(start)) & (starts <= np.datetime64(end))


def totals(results: np.ndarray, weeks: np.ndarray, outcomes=OUTCOMES) -> dict[str, float]:
    """Force-wide totals over the chosen weeks: flows summed, stocks averaged."""
    out = {}
    for m in outcomes:
        series = results[weeks, INDEX[m]].sum(axis=1)
        out[m] = float(series.mean() if METRICS[m].kind == "stock" else series.sum())
    return out


def _economics(base: pd.DataFrame, alt: pd.DataFrame) -> pd.DataFrame:
    """Per-run economic measures of `alt` against `base` (rows are paired runs)."""
    spend = sum(alt[c] - base[c] for c in SPENDING)
    avoided = sum(base[c] - alt[c] for c in COSTS_AVOIDED)
    deaths = base["drug_deaths"] - alt["drug_deaths"]
    crimes = base["acquisitive_crimes"] - alt["acquisitive_crimes"]
    return pd.DataFrame(
        {
            "intervention_spend_gbp": spend,
            "costs_avoided_gbp": avoided,
            "net_benefit_gbp": avoided - spend,
            "_deaths": deaths,
            "_crimes": crimes,
        }
    )


def _ratio(num: np.ndarray, den: np.ndarray, rng: np.random.Generator) -> tuple[float, float, float]:
    """Ratio of means with a bootstrap 90% interval; NaN where the denominator's mean is not positive."""
    if den.mean() <= 0:
        return float("nan"), float("nan"), float("nan")
    idx = rng.integers(0, len(num), (BOOTSTRAP, len(num)))
    d = den[idx].mean(axis=1)
    r = np.where(d > 0, num[idx].mean(axis=1) / np.where(d > 0, d, 1), np.nan)
    lo, hi = np.nanpercentile(r, [5, 95])
    return float(num.mean() / den.mean()), float(lo), float(hi)


def compare(per_run: dict[str, pd.DataFrame], base: str, period: tuple[str, str]) -> pd.DataFrame:
    """The comparison table: one row per scenario and outcome (economic measures included).

    Args:
        per_run: for each scenario, a DataFrame of per-run totals (rows aligned: same seed and draw).
        base: the base scenario's name.
        period: (start, end) ISO dates, for the record.
    """
    rng = np.random.default_rng(0)  # bootstrap resampling only; fixed so tables reproduce
    b = per_run[base]
    rows = []
    for name, alt in per_run.items():
        n = len(alt)
        for outcome in OUTCOMES:
            d = (alt[outcome] - b[outcome]).to_numpy()
            half = t95(n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
            rows.append(
                dict(
                    scenario=name,
                    outcome=outcome,
                    unit=METRICS[outcome].unit,
                    base_value=b[outcome].mean(),
                    scenario_value=alt[outcome].mean(),
                    diff_mean=d.mean(),
                    diff_low=d.mean() - half,
                    diff_high=d.mean() + half,
                )
            )
        econ = _economics(b, alt)
        for outcome in ("intervention_spend_gbp", "costs_avoided_gbp", "net_benefit_gbp"):
            d = econ[outcome].to_numpy()
            half = t95(n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
            rows.append(
                dict(
                    scenario=name,
                    outcome=outcome,
                    unit="GBP",
                    base_value=0.0,
                    scenario_value=d.mean(),
                    diff_mean=d.mean(),
                    diff_low=d.mean() - half,
                    diff_high=d.mean() + half,
                )
            )
        spend = econ["intervention_spend_gbp"].to_numpy()
        for outcome, num, den, unit in (
            ("cost_per_death_averted_gbp", spend, econ["_deaths"].to_numpy(), "GBP"),
            ("cost_per_crime_averted_gbp", spend, econ["_crimes"].to_numpy(), "GBP"),
            ("return_per_gbp", econ["costs_avoided_gbp"].to_numpy(), spend, "ratio"),
        ):
            mean, lo, hi = _ratio(num, den, rng) if name != base else (float("nan"),) * 3
            rows.append(
                dict(
                    scenario=name,
                    outcome=outcome,
                    unit=unit,
                    base_value=float("nan"),
                    scenario_value=mean,
                    diff_mean=mean,
                    diff_low=lo,
                    diff_high=hi,
                )
            )
    table = pd.DataFrame(rows)
    table.insert(2, "period", f"{period[0]} to {period[1]}")
    table["runs"] = len(b)
    return table


def paired_totals(scenarios, runs, results, start: str, end: str) -> dict[str, pd.DataFrame]:
    """Per scenario, a DataFrame of per-run totals over the period (rows in run order: paired across scenarios)."""
    return {
        s.name: pd.DataFrame([totals(results[r.key], period_weeks(s, start, end)) for r in runs if r.scenario is s])
        for s in scenarios
    }
