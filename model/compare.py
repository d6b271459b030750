"""Scenario comparison and economics: totals over a period per run, paired differences against the base with 90%
intervals, and the economic measures (spend, costs avoided, net social benefit, cost per death and per crime
averted, return per £1) as outcomes in the same table.

Intervals are for the mean difference: a Student t-interval over paired runs for differences, and a bootstrap
over runs for ratios. They narrow as runs are added; with calibration draws they carry parameter uncertainty too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from drugsim.calendar import WEEKS_PER_YEAR, Calendar
from drugsim.metrics import INDEX, METRICS
from drugsim.parameters import AREAS
from drugsim.population import ETH_NAMES
from drugsim.scenario import ResolvedScenario
from drugsim.stats import mean_interval, ratio_interval

#: Costs to society whose fall is a benefit (each priced by unit costs in the parameter table).
COSTS_AVOIDED = (
    "crime_cost_gbp",
    "health_cost_gbp",
    "cj_cost_gbp",
    "death_cost_gbp",
    "violence_cost_gbp",
    "exploitation_cost_gbp",
)
#: Outcomes compared by default (stocks are averaged over the period, flows summed).
OUTCOMES = (
    "drug_deaths",
    "overdoses",
    "acquisitive_crimes",
    "possession_charges",
    "possession_cautions",
    "criminal_records",
    "community_resolutions",
    "cars_referrals",
    "in_treatment",
    "in_hat",
    "in_rehab",
    "active_county_lines",
    "active_lines_exported",
    "active_lines_internal",
    "runners_exploited",
    "children_exploited",
    "runners_recruited_exploited",
    "nrm_referrals",
    "serious_violence_offences",
    "sharp_object_admissions",
    "type1_outcomes",
    "trafficking_offences",
    "market_revenue_gbp",
    *COSTS_AVOIDED,
    "treatment_cost_gbp",
    "spend_total_gbp",
)
#: Public spending: interventions and treatment places.
SPENDING = ("spend_total_gbp", "treatment_cost_gbp")
ECONOMICS = {
    "intervention_spend_gbp": "Extra public spending: interventions and treatment (GBP)",
    "costs_avoided_gbp": "Costs of crime, health, criminal justice, deaths, violence and exploitation avoided (GBP)",
    "net_benefit_gbp": "Net social benefit: costs avoided minus extra spending (GBP)",
    "cost_per_death_averted_gbp": "Extra spending per drug death averted (GBP)",
    "cost_per_crime_averted_gbp": "Extra spending per acquisitive crime averted (GBP)",
    "return_per_gbp": "Costs avoided per £1 of extra spending",
}
#: Periods a year for the time-series frequencies (pandas offset aliases) that charts use.
PERIODS_PER_YEAR = {"MS": 12, "QS": 4, "YS": 1}


def period_weeks(scenario: ResolvedScenario, start: str, end: str) -> np.ndarray:
    """Each week's share of its days inside the period (see `Calendar.period_weights`)."""
    return Calendar(scenario.start, scenario.end).period_weights(start, end)


def totals(results: np.ndarray, weeks: np.ndarray, outcomes=OUTCOMES) -> dict[str, float]:
    """Force-wide totals over a period given as week weights (`period_weeks`): flows summed, stocks averaged."""
    return {m: float(area_totals(results, weeks, m).sum()) for m in outcomes}


def area_totals(results: np.ndarray, weeks: np.ndarray, metric: str) -> np.ndarray:
    """Totals by local authority over a period given as week weights (flows: the weighted sum, each week counted
    for its days inside the period; stocks: the weighted mean). A boolean mask counts its weeks whole."""
    w = np.asarray(weeks, dtype=float)
    block = results[:, INDEX[metric]]
    total = w @ block
    return total / w.sum() if METRICS[metric].kind == "stock" else total


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


def compare(per_run: dict[str, pd.DataFrame], base: str, period: tuple[str, str]) -> pd.DataFrame:
    """The comparison table: one row per scenario and outcome (economic measures included).

    Args:
        per_run: for each scenario, a DataFrame of per-run totals (rows aligned: same seed and draw).
        base: the base scenario's name.
        period: (start, end) ISO dates, for the record.
    """
    b = per_run[base]
    rows = []
    for name, alt in per_run.items():
        for outcome in OUTCOMES:
            mean, lo, hi = mean_interval(alt[outcome] - b[outcome])
            rows.append(
                dict(
                    scenario=name,
                    outcome=outcome,
                    unit=METRICS[outcome].unit,
                    base_value=b[outcome].mean(),
                    scenario_value=alt[outcome].mean(),
                    diff_mean=mean,
                    diff_low=lo,
                    diff_high=hi,
                )
            )
        econ = _economics(b, alt)
        for outcome in ("intervention_spend_gbp", "costs_avoided_gbp", "net_benefit_gbp"):
            mean, lo, hi = mean_interval(econ[outcome])
            rows.append(
                dict(
                    scenario=name,
                    outcome=outcome,
                    unit="GBP",
                    base_value=0.0,
                    scenario_value=mean,
                    diff_mean=mean,
                    diff_low=lo,
                    diff_high=hi,
                )
            )
        spend = econ["intervention_spend_gbp"].to_numpy()
        for outcome, num, den, unit in (
            ("cost_per_death_averted_gbp", spend, econ["_deaths"].to_numpy(), "GBP"),
            ("cost_per_crime_averted_gbp", spend, econ["_crimes"].to_numpy(), "GBP"),
            ("return_per_gbp", econ["costs_avoided_gbp"].to_numpy(), spend, "ratio"),
        ):
            mean, lo, hi = ratio_interval(num, den) if name != base else (float("nan"),) * 3
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


def _per_scenario(scenarios, runs, results):
    """For each scenario, its runs' result arrays in run order (paired across scenarios)."""
    return {s.name: [results[r.key] for r in runs if r.scenario is s] for s in scenarios}


def bands(scenarios, runs, results, metric: str, freq: str = "QS", area: str | None = None) -> pd.DataFrame:
    """A metric over time for each scenario: mean of runs and the 5th-95th percentile band across runs.

    Stocks are averaged within each period of `freq` ("QS" quarters, "YS" years, "MS" months). Flows are given as
    the period's average week times the weeks in a standard period (13.04 a quarter), so that quarters holding 13
    or 14 model weeks compare fairly. `area` is a local authority name, or None for the force area.
    Columns: scenario, date, mean, low, high.
    """
    weeks_per_period = WEEKS_PER_YEAR / PERIODS_PER_YEAR[freq]
    rows = []
    cols = slice(None) if area is None else AREAS.index(area)
    for s in scenarios:
        arrays = _per_scenario(scenarios, runs, results)[s.name]
        weekly = np.stack([a[:, INDEX[metric], cols] for a in arrays])
        if weekly.ndim == 3:
            weekly = weekly.sum(axis=2)
        frame = pd.DataFrame(weekly.T, index=pd.DatetimeIndex(Calendar(s.start, s.end).week_starts()))
        grouped = frame.resample(freq)
        per_period = grouped.mean() if METRICS[metric].kind == "stock" else grouped.mean() * weeks_per_period
        values = per_period.to_numpy()
        lo, hi = np.percentile(values, [5, 95], axis=1)
        rows.append(
            pd.DataFrame(
                {"scenario": s.name, "date": per_period.index, "mean": values.mean(axis=1), "low": lo, "high": hi}
            )
        )
    return pd.concat(rows, ignore_index=True)


def by_area(scenarios, runs, results, metric: str, start: str, end: str) -> pd.DataFrame:
    """A metric's total over the period in each local authority, for each scenario, with the paired difference
    from the first scenario (the base) and its 90% interval. Columns: scenario, area, value, diff_mean,
    diff_low, diff_high."""
    per = {
        s.name: np.stack([area_totals(a, period_weeks(s, start, end), metric) for a in arrays])
        for s, arrays in zip(scenarios, _per_scenario(scenarios, runs, results).values(), strict=True)
    }
    base = per[scenarios[0].name]
    rows = []
    for name, values in per.items():
        for i, area in enumerate(AREAS):
            mean, lo, hi = mean_interval(values[:, i] - base[:, i])
            rows.append(
                dict(scenario=name, area=area, value=values[:, i].mean(), diff_mean=mean, diff_low=lo, diff_high=hi)
            )
    return pd.DataFrame(rows)


def by_ethnicity(scenarios, runs, results, start: str, end: str) -> pd.DataFrame:
    """Possession detections, charges and cautions by ethnic group over the period (mean of runs), the rates of
    charge and caution per 100 detections, and the paired differences in charges and cautions from the base."""
    kinds = ("possession_detections", "possession_charges", "possession_cautions")
    per = {  # scenario -> (group, kind) -> per-run totals
        s.name: {
            (e, k): np.array([area_totals(a, period_weeks(s, start, end), f"{k}_{e}").sum() for a in arrays])
            for e in ETH_NAMES
            for k in kinds
        }
        for s, arrays in zip(scenarios, _per_scenario(scenarios, runs, results).values(), strict=True)
    }
    base = per[scenarios[0].name]
    rows = []
    for name, totals_ in per.items():
        for e in ETH_NAMES:
            det = totals_[(e, "possession_detections")].mean()
            row = dict(scenario=name, group=e.replace("_", "/"), detections=det)
            for k, label in (("possession_charges", "charges"), ("possession_cautions", "cautions")):
                mean, lo, hi = mean_interval(totals_[(e, k)] - base[(e, k)])
                row |= {
                    label: totals_[(e, k)].mean(),
                    f"{label}_per_100_detections": 100 * totals_[(e, k)].mean() / det if det > 0 else float("nan"),
                    f"{label}_diff_mean": mean,
                    f"{label}_diff_low": lo,
                    f"{label}_diff_high": hi,
                }
            rows.append(row)
    return pd.DataFrame(rows)
