"""Scenario comparison and economics: totals over a period per run, paired differences against the base with 90%
intervals, and the economic measures (spend, costs avoided, net social benefit, cost per death and per crime
averted, return per £1) as outcomes in the same table.

Two kinds of interval, named in the table's `interval` column:

- with a probabilistic sensitivity analysis (each run draws every uncertain parameter, `drugsim.psa`), `diff_low`
  and `diff_high` are the 5th and 95th percentiles of the paired differences across draws: a prediction interval
  that carries what we do not know about the parameters as well as run-to-run chance. It does not narrow as runs
  are added. This is the default for the headline numbers;
- with parameters fixed, they are the interval of the mean difference (a Student t-interval over paired runs),
  which says how sure we are of the average difference *given* the parameters, and narrows as runs are added.

`mean_low`-`mean_high` is always the interval of the mean, and `p_better` the share of paired runs in which the
scenario is better than the base (in the outcome's better direction).
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


#: The two kinds of interval (see the module's docstring).
INTERVALS = {
    True: "PSA 90% prediction interval (parameters and chance)",
    False: "90% interval of the mean (parameters fixed)",
}


def difference(d, better: str | None, psa: bool) -> dict[str, float]:
    """A difference's mean, headline interval, interval of the mean, and share of runs in which it is better."""
    d = np.asarray(d, dtype=float)
    mean, mlo, mhi = mean_interval(d)
    lo, hi = np.percentile(d, [5, 95]) if psa and d.size > 1 else (mlo, mhi)
    sign = {"lower": -1, "higher": 1}.get(better or "", 0)
    return dict(
        diff_mean=mean,
        diff_low=float(lo),
        diff_high=float(hi),
        mean_low=mlo,
        mean_high=mhi,
        p_better=float((sign * d > 0).mean()) if sign else float("nan"),
    )


def compare(per_run: dict[str, pd.DataFrame], base: str, period: tuple[str, str], psa: bool = False) -> pd.DataFrame:
    """The comparison table: one row per scenario and outcome (economic measures included).

    Args:
        per_run: for each scenario, a DataFrame of per-run totals (rows aligned: same seed and draw).
        base: the base scenario's name.
        period: (start, end) ISO dates, for the record.
        psa: the runs are PSA draws: the headline interval is the prediction interval across draws.
    """
    b = per_run[base]
    rows = []
    for name, alt in per_run.items():
        for outcome in OUTCOMES:
            rows.append(
                dict(
                    scenario=name,
                    outcome=outcome,
                    unit=METRICS[outcome].unit,
                    base_value=b[outcome].mean(),
                    scenario_value=alt[outcome].mean(),
                    **difference(alt[outcome] - b[outcome], METRICS[outcome].better, psa),
                )
            )
        econ = _economics(b, alt)
        for outcome in ("intervention_spend_gbp", "costs_avoided_gbp", "net_benefit_gbp"):
            better = {"intervention_spend_gbp": "lower"}.get(outcome, "higher")
            d = difference(econ[outcome], better, psa)
            rows.append(
                dict(
                    scenario=name,
                    outcome=outcome,
                    unit="GBP",
                    base_value=0.0,
                    scenario_value=d["diff_mean"],
                    **d,
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
                    mean_low=lo,
                    mean_high=hi,
                    p_better=float("nan"),
                )
            )
    table = pd.DataFrame(rows)
    table.insert(2, "period", f"{period[0]} to {period[1]}")
    table["runs"] = len(b)
    table["interval"] = INTERVALS[psa]
    return table


def paired_totals(scenarios, runs, results, start: str, end: str) -> dict[str, pd.DataFrame]:
    """Per scenario, a DataFrame of per-run totals over the period (rows in run order: paired across scenarios)."""
    return {
        s.name: pd.DataFrame([totals(results[r.key], period_weeks(s, start, end)) for r in runs if r.scenario is s])
        for s in scenarios
    }


def per_scenario(scenarios, runs, results):
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
        arrays = per_scenario(scenarios, runs, results)[s.name]
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
        for s, arrays in zip(scenarios, per_scenario(scenarios, runs, results).values(), strict=True)
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
        for s, arrays in zip(scenarios, per_scenario(scenarios, runs, results).values(), strict=True)
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
