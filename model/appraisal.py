"""Appraisal in the manner of HM Treasury's Green Book: each effect of an option against the base as its own line,
priced in one price year, discounted, and summed from two perspectives side by side.

- **Public sector**: the money that leaves or stays in public budgets. Intervention spend and treatment spend are
  *cashable* (the cash changes hands); police and criminal justice time, prison places and NHS capacity freed are
  *non-cashable* (the capacity is released, not the money). Of the costs of crime, violence and exploitation, only
  the public sector's response share counts here.
- **Societal**: the public sector, plus victims' costs (the rest of the costs of crime, violence and exploitation),
  lives (QALYs lost to drug deaths at the Green Book value of a QALY, or the value of a prevented fatality as an
  alternative), and the lost output of a criminal record.

Every effect is its own line, so nothing is hidden in a total: in particular, acquisitive crime committed by people
who are alive because of the option ("crime by survivors") is a line of its own, apart from the rest of the change
in crime. Survivors are taken to offend at the average active OCU's weekly rate in the option's run, week by week
from the week each extra person survived (the model cannot follow one person across two runs); the rest of the
change in crime is the option's effect on offending itself.

Prices: every unit cost is converted from its source's price year to the appraisal's price year with HM Treasury's
GDP deflator (`data/deflators.csv`). Discounting: effects in the n-th year after the first year of the period are
divided by (1 + r)^n, with r the Green Book's social time preference rate for money and its health rate for QALYs
and the value of life. All rates and values are parameter-table rows (group `appraisal`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from drugsim.appraisal_options import LIFE_VALUES, PERSPECTIVES
from drugsim.calendar import WEEKS_PER_YEAR, Calendar
from drugsim.costs import criminal_justice_cost
from drugsim.metrics import INDEX
from drugsim.parameters import DATA_DIR
from drugsim.stats import CONFIDENCE, mean_interval, ratio_interval

#: The prices the model's spending is in. Intervention costs are set as today's costs (a HAT place, an O2R worker,
#: a rehab bed, a year of CLTF funding; their sources run from 2019-20 to 2025 and their table ranges are wide), so
#: all spending is taken to be in 2024-25 prices and uprated from there like every other line.
SPEND_PRICE_YEAR = 2024


@dataclass(frozen=True)
class Line:
    """One effect of an option, as a benefit (positive when the option is better than the base).

    `public` is the share of the line that falls on public budgets: 1 for spending, a parameter for the costs
    of crime (the police and justice response), 0 for what only society bears (lives, lost output)."""

    name: str
    label: str
    cashable: bool
    health: bool  # discounted at the health rate (QALYs and lives), else at the rate for money
    price_year_of: str | int  # the parameter whose source sets this line's price year, or the year itself
    public: str | float  # the public sector's share: a number, or the parameter holding it


LINES = (
    # name, label, cashable, health (discount rate), price year of, public share
    Line("intervention_spend", "Intervention spending (more spending is negative)", True, False, SPEND_PRICE_YEAR, 1.0),
    Line("treatment_spend", "Treatment and rehab spending", True, False, SPEND_PRICE_YEAR, 1.0),
    Line(
        "health_care",
        "NHS and social care for people who use drugs",
        False,
        False,
        "health_cost_per_ocu_gbp_per_year",
        1.0,
    ),
    Line("criminal_justice", "Police and courts for possession offences", False, False, "", 1.0),
    Line(
        "crime_other",
        "Acquisitive crime: the option's effect on offending",
        False,
        False,
        "acq_crime_unit_cost_gbp",
        "crime_cost_public_share",
    ),
    Line(
        "crime_by_survivors",
        "Acquisitive crime by people alive because of the option",
        False,
        False,
        "acq_crime_unit_cost_gbp",
        "crime_cost_public_share",
    ),
    Line(
        "violence",
        "Drug-market violence",
        False,
        False,
        "violence_with_injury_cost_gbp",
        "violence_cost_public_share",
    ),
    Line(
        "exploitation",
        "Exploitation of runners and children",
        False,
        False,
        "exploitation_cost_per_person_year_gbp",
        "exploitation_cost_public_share",
    ),
    Line("lives", "Lives: drug deaths averted, valued (QALYs or VPF)", False, True, "qaly_value_gbp", 0.0),
    Line(
        "quality_of_life",
        "Quality of life: person-years in treatment rather than using",
        False,
        True,
        "qaly_value_gbp",
        0.0,
    ),
    Line("criminal_records", "Criminal records: lost earnings", False, False, "criminal_record_output_loss_gbp", 0.0),
)
LINE_NAMES = tuple(line.name for line in LINES)
_BY_NAME = {line.name: line for line in LINES}


@dataclass(frozen=True)
class Settings:
    """The appraisal's choices (what a reviewer may ask to change; the values themselves are table parameters)."""

    price_year: int = 2024
    life_value: str = "qaly"

    def __post_init__(self):
        years = deflators()
        if self.price_year not in years:
            raise ValueError(f"price year {self.price_year}: the GDP deflator covers {min(years)}-{max(years)}")
        if self.life_value not in LIFE_VALUES:
            raise ValueError(f"life value {self.life_value!r}: use one of {', '.join(LIFE_VALUES)}")


@cache
def deflators() -> dict[int, float]:
    """HM Treasury's GDP deflator at market prices, by year (`data/deflators.csv`)."""
    with open(DATA_DIR / "deflators.csv", newline="") as f:
        return {int(r["year"]): float(r["index"]) for r in csv.DictReader(row for row in f if not row.startswith("#"))}


@cache
def price_years() -> dict[str, int]:
    """The price year of each unit cost (`data/price_years.csv`): the year whose prices its source is in."""
    with open(DATA_DIR / "price_years.csv", newline="") as f:
        return {
            r["parameter"]: int(r["price_year"]) for r in csv.DictReader(row for row in f if not row.startswith("#"))
        }


def uprate(source: str | int, to_year: int) -> float:
    """The factor that takes a cost from its price year (a parameter's, from `price_years.csv`, or a year) to
    `to_year` prices; 1 for a line already priced unit cost by unit cost ("")."""
    if source == "":
        return 1.0
    index = deflators()
    return index[to_year] / index[source if isinstance(source, int) else price_years()[source]]


def _force(results: np.ndarray, metric: str) -> np.ndarray:
    """A metric's weekly force-wide values (weeks,)."""
    return results[:, INDEX[metric]].sum(axis=1)


def _yearly(weekly: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return weights @ weekly


def _criminal_justice(results: np.ndarray, p: dict[str, float], price_year: int) -> np.ndarray:
    """A run's weekly police and court cost of possession offences, each unit cost in the appraisal's price year.
    Prison places are left out: in the model a sentence follows an arrest for acquisitive crime, whose justice
    response is already in the public share of the cost of crime."""
    return criminal_justice_cost(
        *(_force(results, m) for m in ("possession_charges", "possession_cautions", "community_resolutions")),
        0.0,
        p,
        price=lambda name: uprate(name, price_year),
    )


def by_survivors_weekly(base: np.ndarray, alt: np.ndarray, metric: str) -> np.ndarray:
    """The part of an offending metric (`crime_cost_gbp`, `acquisitive_crimes`) in the option's run that people
    alive because of the option account for, week by week: the extra people alive (drug deaths averted since the
    start of the run: an earlier life saved counts) at the average active OCU's weekly value."""
    survivors = np.cumsum(_force(base, "drug_deaths") - _force(alt, "drug_deaths"))
    active = _force(alt, "ocu_active")
    per_active = np.divide(_force(alt, metric), active, out=np.zeros_like(active), where=active > 0)
    return survivors * per_active


#: The stocks counted as in treatment for quality of life.
IN_TREATMENT = ("in_treatment", "in_hat", "in_rehab")


def line_values(
    base: np.ndarray, alt: np.ndarray, p: dict[str, float], weights: np.ndarray, price_year: int
) -> dict[str, np.ndarray]:
    """Each line's benefit by year (undiscounted; at its source's prices except criminal justice, whose unit
    costs are priced one by one) for one pair of runs. `weights` is (years, weeks): each week's share in each
    year of the appraisal period. `lives` and `quality_of_life` are in QALYs (or deaths), priced by the caller."""

    def saved(metric):
        return _yearly(_force(base, metric) - _force(alt, metric), weights)

    deaths_averted = _force(base, "drug_deaths") - _force(alt, "drug_deaths")
    by_survivors = -_yearly(by_survivors_weekly(base, alt, "crime_cost_gbp"), weights)  # their crime is a cost
    records = saved("criminal_records")
    return {
        "intervention_spend": saved("spend_total_gbp"),
        "treatment_spend": saved("treatment_cost_gbp"),
        "health_care": saved("health_cost_gbp"),
        "criminal_justice": _yearly(
            _criminal_justice(base, p, price_year) - _criminal_justice(alt, p, price_year), weights
        ),
        "crime_other": saved("crime_cost_gbp") - by_survivors,
        "crime_by_survivors": by_survivors,
        "violence": saved("violence_cost_gbp"),
        "exploitation": saved("exploitation_cost_gbp"),
        "lives": _yearly(deaths_averted, weights),  # deaths; priced in `appraise_pair`
        # Person-years in treatment gained (a stock: each week is 1/52.18 of a year), times the utility gained.
        "quality_of_life": -sum(saved(m) for m in IN_TREATMENT) / WEEKS_PER_YEAR * p["treatment_utility_gain"],
        "criminal_records": records * p["criminal_record_output_loss_gbp"],
    }


def _share(line: Line, p: dict[str, float]) -> float:
    return float(line.public) if isinstance(line.public, float) else p[line.public]


@cache
def _year_weights(cal: Calendar, period: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """The calendar years of the period and each week's share of its days in each year's part of the period
    (years, weeks); the same for every pair of runs. Year 0 of discounting is the period's first year."""
    start, end = period
    years = np.arange(int(start[:4]), int(end[:4]) + 1)
    weights = np.stack([cal.period_weights(max(f"{y}-01-01", start), min(f"{y}-12-31", end)) for y in years])
    return years, weights


def breakdown(
    base: np.ndarray, alt: np.ndarray, p: dict[str, float], cal: Calendar, period: tuple[str, str], settings: Settings
) -> pd.DataFrame:
    """Every line, year by year, for one pair of runs, with each step of its arithmetic: the quantity or value at
    its source's prices, the unit value (a QALY's, a death's), the uprating factor to the price year, the discount
    factor, the public share, and the present value in each perspective. What `appraise_pair` sums; what a
    reviewer checks by hand (docs/appraisal.md)."""
    years, weights = _year_weights(cal, period)
    t = years - years[0]
    discount = {
        False: (1 + p["discount_rate_per_year"]) ** -t,
        True: (1 + p["health_discount_rate_per_year"]) ** -t,
    }
    raw = line_values(base, alt, p, weights, settings.price_year)
    if settings.life_value == "qaly":
        per_death, source = p["qalys_lost_per_drug_death"] * p["qaly_value_gbp"], "qaly_value_gbp"
    else:
        per_death, source = p["value_of_prevented_fatality_gbp"], "value_of_prevented_fatality_gbp"
    unit = {"lives": per_death, "quality_of_life": p["qaly_value_gbp"]}
    rows = []
    for line in LINES:
        factor = uprate(source if line.name == "lives" else line.price_year_of, settings.price_year)
        share = _share(line, p)
        for year, value, d in zip(years, raw[line.name], discount[line.health], strict=True):
            pv = value * unit.get(line.name, 1.0) * factor * d
            rows.append(
                dict(
                    line=line.name,
                    year=int(year),
                    value=value,
                    unit_value=unit.get(line.name, 1.0),
                    uprate=factor,
                    discount=d,
                    public_share=share,
                    public=pv * share,
                    societal=pv,
                )
            )
    return pd.DataFrame(rows)


def appraise_pair(
    base: np.ndarray, alt: np.ndarray, p: dict[str, float], cal: Calendar, period: tuple[str, str], settings: Settings
) -> dict[str, float]:
    """Present values for one pair of runs: every line in each perspective, and the measures built from them."""
    steps = breakdown(base, alt, p, cal, period, settings)
    by_line = steps.groupby("line", sort=False)[["public", "societal"]].sum()
    out: dict[str, float] = {}
    for line in LINES:
        out[f"public:{line.name}"] = float(by_line.loc[line.name, "public"])
        out[f"societal:{line.name}"] = float(by_line.loc[line.name, "societal"])
    health = steps[steps.line == "lives"]
    qol = steps[steps.line == "quality_of_life"]
    qalys = float((health.value * health.discount).sum()) * p["qalys_lost_per_drug_death"]
    qalys += float((qol.value * qol.discount).sum())
    for view in PERSPECTIVES:
        lines = {line.name: out[f"{view}:{line.name}"] for line in LINES}
        spend = -(lines["intervention_spend"] + lines["treatment_spend"])
        out[f"{view}:npv"] = sum(lines.values())
        out[f"{view}:cost"] = spend
        out[f"{view}:benefit"] = out[f"{view}:npv"] + spend
        out[f"{view}:cashable"] = sum(v for k, v in lines.items() if _line(k).cashable)
        out[f"{view}:non_cashable"] = sum(v for k, v in lines.items() if not _line(k).cashable)
    out["qalys_gained"] = qalys
    out["deaths_averted"] = float(health.value.sum())
    # The public sector's net cost: spending less the savings it makes (what a cost per QALY divides).
    out["net_public_cost"] = -out["public:npv"]
    return out


def _line(name: str) -> Line:
    return _BY_NAME[name]


#: Measures for which less is better (a cost); for every other measure and line, more is better.
LOWER_IS_BETTER = ("cost", "net_public_cost")

MEASURES = {
    "npv": "Net present value (GBP)",
    "cost": "Present value of extra public spending: interventions and treatment (GBP)",
    "benefit": "Present value of everything else: savings and values gained (GBP)",
    "cashable": "Cashable: net change in cash spent (GBP; negative is a net cash cost)",
    "non_cashable": "Non-cashable: capacity released and values gained (GBP)",
    "qalys_gained": "QALYs gained: lives and quality of life, discounted at the health rate",
    "deaths_averted": "Drug deaths averted in the period",
    "net_public_cost": "The public sector's net cost: minus its NPV (GBP)",
    "benefit_cost_ratio": "Benefit over cost (ratio of means)",
    "cost_per_qaly_gbp": "The public sector's net cost per QALY gained (GBP; negative: dominant)",
    "spend_per_death_averted_gbp": "Extra spending per drug death averted (GBP)",
}


def meaning(measure: str) -> str:
    """What a measure or line of the appraisal table means, in words."""
    return MEASURES.get(measure) or _line(measure).label


def appraise(
    per_run: dict[str, list[np.ndarray]],
    params: list[dict[str, float]],
    base: str,
    cal: Calendar,
    period: tuple[str, str],
    settings: Settings = Settings(),
) -> dict[str, pd.DataFrame]:
    """Per-run appraisal of each scenario against the base: a frame per scenario, one row per paired run.

    `params[i]` holds the parameter values run i used (a PSA draw merged into the table's values)."""
    b = per_run[base]
    return {
        name: pd.DataFrame([appraise_pair(b[i], runs[i], params[i], cal, period, settings) for i in range(len(runs))])
        for name, runs in per_run.items()
        if name != base
    }


def summary(per_scenario: dict[str, pd.DataFrame], psa: bool) -> pd.DataFrame:
    """The appraisal table: for each scenario, perspective and measure (the lines included), the mean over runs,
    the 5th-95th percentile across runs (with a PSA: the prediction interval carrying parameter uncertainty),
    the interval of the mean, and the probability that the value is positive (the option better than the base).
    Ratios (benefit-cost ratio, cost per QALY, cost per death averted) are ratios of means with a bootstrap
    interval."""
    tail = 100 * (1 - CONFIDENCE) / 2
    rows = []
    for name, frame in per_scenario.items():
        for column in frame.columns:
            view, _, measure = column.rpartition(":")
            values = frame[column].to_numpy()
            mean, mlo, mhi = mean_interval(values)
            lo, hi = np.percentile(values, [tail, 100 - tail])
            rows.append(
                dict(
                    scenario=name,
                    perspective=view or "both",
                    measure=measure,
                    kind="line" if measure in LINE_NAMES else "total",
                    mean=mean,
                    low=lo,
                    high=hi,
                    mean_low=mlo,
                    mean_high=mhi,
                    p_better=float(((values < 0) if measure in LOWER_IS_BETTER else (values > 0)).mean()),
                )
            )
        for view in PERSPECTIVES:
            cost, benefit = frame[f"{view}:cost"].to_numpy(), frame[f"{view}:benefit"].to_numpy()
            for measure, num, den in (
                ("benefit_cost_ratio", benefit, cost),
                ("cost_per_qaly_gbp", frame["net_public_cost"].to_numpy(), frame["qalys_gained"].to_numpy()),
                ("spend_per_death_averted_gbp", cost, frame["deaths_averted"].to_numpy()),
            ):
                if measure != "benefit_cost_ratio" and view == "societal":
                    continue  # the cost per QALY and per death are the public sector's
                point, lo, hi = ratio_interval(num, den)
                rows.append(
                    dict(
                        scenario=name,
                        perspective=view,
                        measure=measure,
                        kind="ratio",
                        mean=point,
                        low=lo,
                        high=hi,
                        mean_low=lo,
                        mean_high=hi,
                        p_better=float("nan"),
                        interval="bootstrap 90% interval of the ratio of means",
                    )
                )
    table = pd.DataFrame(rows)
    table.insert(4, "meaning", table.measure.map(meaning))
    table["interval"] = table.get("interval", pd.Series(index=table.index, dtype=object)).fillna(
        "PSA 90% prediction interval" if psa else "5th-95th percentile of runs (parameters fixed)"
    )
    return table


def ceac(per_scenario: dict[str, pd.DataFrame], base: str, thresholds=None) -> pd.DataFrame:
    """Cost-effectiveness acceptability curves: for each willingness to pay per QALY, the share of PSA draws in
    which each option (the base included, at zero) has the highest net monetary benefit, λ x QALYs gained minus
    the public sector's net cost."""
    thresholds = np.arange(0, 100_001, 5_000) if thresholds is None else np.asarray(thresholds, dtype=float)
    names = [base, *per_scenario]
    qalys = np.stack(
        [np.zeros(len(next(iter(per_scenario.values()))))] + [f["qalys_gained"] for f in per_scenario.values()]
    )
    cost = np.stack([np.zeros(qalys.shape[1])] + [f["net_public_cost"] for f in per_scenario.values()])
    rows = []
    for lam in thresholds:
        best = np.argmax(lam * qalys - cost, axis=0)
        for i, name in enumerate(names):
            rows.append(dict(threshold_gbp_per_qaly=lam, scenario=name, probability_best=float((best == i).mean())))
    return pd.DataFrame(rows)


#: The measures a headline shows, in order (the lines are in the full table).
HEADLINE = (
    ("public", "cost"),
    ("public", "cashable"),
    ("public", "non_cashable"),
    ("public", "npv"),
    ("societal", "crime_by_survivors"),
    ("societal", "lives"),
    ("societal", "npv"),
    ("public", "benefit_cost_ratio"),
    ("societal", "benefit_cost_ratio"),
    ("public", "cost_per_qaly_gbp"),
    ("public", "spend_per_death_averted_gbp"),
)


def headline(table: pd.DataFrame) -> pd.DataFrame:
    """The appraisal's headline as text cells, one row per measure and one column per scenario: money in £m,
    ratios as they are, each with its interval and, for money, the probability it is positive."""

    def cell(r, measure: str) -> str:
        if measure == "cost_per_qaly_gbp" and r["mean"] < 0:
            return "dominant: saves public money and gains QALYs"
        if measure.endswith("_gbp"):
            return f"£{r['mean']:,.0f} [{r.low:,.0f}, {r.high:,.0f}]"
        if r.kind == "ratio":
            return f"{r['mean']:,.2f} [{r.low:,.2f}, {r.high:,.2f}]"
        return f"{r['mean'] / 1e6:,.2f} [{r.low / 1e6:,.2f}, {r.high / 1e6:,.2f}] P(better)={r.p_better:.2f}"

    keep = table.set_index(["perspective", "measure"])
    out = {}
    for name, rows in keep.groupby("scenario"):
        out[name] = {
            f"{view}: {measure}": cell(rows.loc[(view, measure)], measure)
            for view, measure in HEADLINE
            if (view, measure) in rows.index
        }
    return pd.DataFrame(out)
