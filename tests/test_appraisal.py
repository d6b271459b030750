"""The appraisal (Green Book lines, perspectives, discounting, prices) and the PSA (distributions, designs, EVPPI),
checked against hand calculations on made-up runs, then end to end through `drugsim compare`."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from scipy import stats

from drugsim import appraisal, psa
from drugsim.calendar import Calendar
from drugsim.metrics import INDEX, METRICS
from drugsim.parameters import defaults, parameter_table

CAL = Calendar(dt.date(2026, 1, 1), dt.date(2028, 12, 31))
PERIOD = ("2026-01-01", "2028-12-31")


def runs(**weekly) -> np.ndarray:
    """A made-up run: each named metric constant per week, in one local authority."""
    a = np.zeros((CAL.n_weeks, len(METRICS), 7))
    for name, value in weekly.items():
        a[:, INDEX[name], 0] = value
    return a


def year_weights():
    """Each week's share of its days in each year of the period, written out."""
    years = list(range(2026, 2029))
    return years, np.stack([CAL.period_weights(f"{y}-01-01", f"{y}-12-31") for y in years])


def pair(base: dict, alt: dict, settings=None, **p):
    params = defaults() | p
    return appraisal.appraise_pair(runs(**base), runs(**alt), params, CAL, PERIOD, settings or appraisal.Settings())


def test_spending_is_a_cashable_cost_discounted_at_the_rate_for_money():
    out = pair({}, {"spend_total_gbp": 1000.0}, discount_rate_per_year=0.035)
    years, w = year_weights()
    per_year = w @ np.full(CAL.n_weeks, 1000.0)
    expected = -(per_year * 1.035 ** -np.arange(len(years))).sum()
    assert out["public:intervention_spend"] == pytest.approx(expected)
    assert out["public:cashable"] == pytest.approx(expected)
    assert out["public:cost"] == pytest.approx(-expected)
    assert out["societal:intervention_spend"] == out["public:intervention_spend"]


def test_lives_count_only_for_society_at_the_health_rate_and_in_the_price_year():
    base, alt = {"drug_deaths": 0.02}, {"drug_deaths": 0.0}
    p = dict(health_discount_rate_per_year=0.015, qalys_lost_per_drug_death=17.0)
    out = pair(base, alt, **p)
    years, w = year_weights()
    deaths = w @ np.full(CAL.n_weeks, 0.02)
    qalys = (deaths * 1.015 ** -np.arange(len(years))).sum() * 17
    assert out["qalys_gained"] == pytest.approx(qalys)
    assert out["public:lives"] == 0
    value = parameter_table()["qaly_value_gbp"].value * appraisal.uprate("qaly_value_gbp", 2024)
    assert out["societal:lives"] == pytest.approx(qalys * value)
    vpf = pair(base, alt, appraisal.Settings(life_value="vpf"), **p)
    assert vpf["societal:lives"] > out["societal:lives"]  # £2.1m a death against 17 QALYs at £70,000


def test_crime_by_survivors_is_its_own_line_and_the_lines_add_up():
    # The option averts a death a week from the start; active OCUs offend at £500 of crime a week each.
    base = {"drug_deaths": 1.0, "ocu_active": 100.0, "crime_cost_gbp": 50_000.0}
    alt = {"drug_deaths": 0.0, "ocu_active": 100.0, "crime_cost_gbp": 50_000.0}
    out = pair(base, alt)
    assert out["societal:crime_by_survivors"] < 0
    # Crime in the two runs is equal, so the "other" line offsets the survivors' line exactly.
    assert out["societal:crime_other"] == pytest.approx(-out["societal:crime_by_survivors"])
    share = defaults()["crime_cost_public_share"]
    assert out["public:crime_by_survivors"] == pytest.approx(share * out["societal:crime_by_survivors"])
    for view in appraisal.PERSPECTIVES:
        lines = sum(out[f"{view}:{name}"] for name in appraisal.LINE_NAMES)
        assert out[f"{view}:npv"] == pytest.approx(lines)
        assert out[f"{view}:cashable"] + out[f"{view}:non_cashable"] == pytest.approx(lines)
    # Week k has k+1 survivors, each committing £500 of crime a week; discounting is by year.
    years, w = year_weights()
    weekly = np.arange(1, CAL.n_weeks + 1) * 500.0
    expected = -((w @ weekly) * (1 + defaults()["discount_rate_per_year"]) ** -np.arange(len(years))).sum()
    factor = appraisal.uprate("acq_crime_unit_cost_gbp", 2024)
    assert out["societal:crime_by_survivors"] == pytest.approx(expected * factor)


def test_discounting_starts_in_the_period_s_first_year_whatever_the_run_s_weeks():
    # The baseline's weeks start on Tuesdays: one straddles New Year 2026. Year 0 must still be 2026, each year
    # must hold its days (a leap year 366), and nothing may fall outside the period.
    cal = Calendar(dt.date(2019, 1, 1), dt.date(2030, 12, 31))
    a, b = np.zeros((cal.n_weeks, len(METRICS), 1)), np.zeros((cal.n_weeks, len(METRICS), 1))
    b[:, INDEX["drug_deaths"]] = 1.0
    steps = appraisal.breakdown(b, a, defaults(), cal, ("2026-01-01", "2030-12-31"), appraisal.Settings())
    lives = steps[steps.line == "lives"].set_index("year")
    assert list(lives.index) == [2026, 2027, 2028, 2029, 2030]
    assert lives.discount[2026] == 1.0
    np.testing.assert_allclose(lives.value, [365 / 7, 365 / 7, 366 / 7, 365 / 7, 365 / 7])


def test_spending_and_benefits_share_a_price_base():
    # The benefit-cost ratio cannot depend on the year prices are quoted in.
    base, alt = {"drug_deaths": 0.2, "crime_cost_gbp": 1000.0, "ocu_active": 100.0}, {"spend_total_gbp": 20_000.0}
    ratios = []
    for year in (2020, 2024, 2030):
        out = pair(base, alt, appraisal.Settings(price_year=year))
        ratios.append(out["societal:benefit"] / out["societal:cost"])
    np.testing.assert_allclose(ratios, ratios[0])


def test_uprating_follows_the_gdp_deflator():
    index = appraisal.deflators()
    assert appraisal.uprate("violence_with_injury_cost_gbp", 2015) == pytest.approx(1.0)
    assert appraisal.uprate("violence_with_injury_cost_gbp", 2024) == pytest.approx(index[2024] / index[2015])
    assert appraisal.uprate("violence_with_injury_cost_gbp", 2024) > 1
    for name in appraisal.price_years():
        assert name in parameter_table(), f"price_years.csv names unknown parameter {name}"
    for line in appraisal.LINES:
        assert line.price_year_of in ("", *appraisal.price_years(), *appraisal.deflators())
    with pytest.raises(ValueError, match="price year 1990"):
        appraisal.Settings(price_year=1990)


# The PSA


def test_distributions_follow_the_evidence_grade():
    table = parameter_table()
    assert psa.evidence_grade(table["qaly_value_gbp"]) == "A"
    assert psa.evidence_grade(table["community_resolution_cost_gbp"]) == "U"
    assert psa.evidence_grade(table["qalys_lost_per_drug_death"]) == "C"  # derived from an A-grade proxy: C
    assert psa.evidence_grade(table["custody_blocks"]) in ("report", "A", "B")
    by_name = {u.name: u for u in psa.uncertain_parameters()}
    assert "qaly_value_gbp" not in by_name  # a convention: no range
    assert not any(table[n].calibrate for n in by_name)  # the calibration's draws carry those
    u = np.linspace(0.001, 0.999, 999)
    weak = by_name["community_resolution_cost_gbp"]  # grade U: uniform
    assert weak.distribution == "uniform"
    np.testing.assert_allclose(weak.quantile(u), weak.low + u * (weak.high - weak.low))
    strong = next(p for p in by_name.values() if p.grade in ("A", "B") and p.low < p.value < p.high)
    x = strong.quantile(u)
    assert strong.low <= x.min() and x.max() <= strong.high
    # PERT puts its mode at the table value.
    hist, edges = np.histogram(x, bins=10)
    assert edges[hist.argmax()] <= strong.value <= edges[hist.argmax() + 1] + (edges[1] - edges[0])


def test_latin_hypercube_stratifies_and_widening_widens():
    params = psa.uncertain_parameters()
    frame = psa.sample(50, params, seed=3)
    assert frame.shape == (50, len(params))
    uniform = next(p for p in params if p.grade == "U" and not p.whole)
    strata = np.floor((frame[uniform.name] - uniform.low) / (uniform.high - uniform.low) * 50)
    assert sorted(strata.astype(int)) == list(range(50))  # one draw in each fiftieth of the range
    wide = psa.sample(50, params, seed=3, widen=2.0)
    narrow = psa.sample(50, params, seed=3, widen=0.5)
    assert wide[uniform.name].std() > frame[uniform.name].std() > narrow[uniform.name].std()
    for p in params:
        lo, hi = parameter_table()[p.name].hard_bounds
        assert wide[p.name].between(lo, hi).all(), p.name
    whole = next(p for p in params if p.whole)
    assert (frame[whole.name] % 1 == 0).all()
    sobol = psa.sample(64, params, seed=3, sampler="sobol")
    assert stats.kstest((sobol[uniform.name] - uniform.low) / (uniform.high - uniform.low), "uniform").pvalue > 0.05


def test_evppi_finds_the_group_that_decides():
    rng = np.random.default_rng(0)
    n = 2000
    draws = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    # Option 1 beats the base when a > 0; b is irrelevant; noise cannot be resolved by research.
    nb = pd.DataFrame({"base": 0.0, "option": 1000 * draws.a + rng.normal(0, 300, n)})
    out = psa.evppi(nb, draws, {"decides": ["a"], "irrelevant": ["b"]}).set_index("group")
    evpi = out.loc["all parameters (EVPI)", "evppi_gbp"]
    # E[max(0, 1000 a)] = 1000 / sqrt(2 pi) for a standard normal a.
    assert out.loc["decides", "evppi_gbp"] == pytest.approx(1000 / np.sqrt(2 * np.pi), rel=0.1)
    assert out.loc["irrelevant", "evppi_gbp"] < 0.05 * out.loc["decides", "evppi_gbp"]
    # The shuffled fits measure the regression's own bias, which the reported value has taken off.
    assert out.loc["irrelevant", "null_gbp"] >= 0 and out.loc["decides", "raw_gbp"] >= out.loc["decides", "evppi_gbp"]
    assert out.loc["decides", "evppi_gbp"] <= evpi
    # Too few draws for a group's parameters: not estimated, rather than fitted to noise.
    few = psa.evppi(nb.head(8), draws.head(8), {"decides": ["a"], "both": ["a", "b"]}).set_index("group")
    assert few.loc["both", "terms"] == "not estimated" and np.isnan(few.loc["both", "evppi_gbp"])


def test_ceac_sums_to_one_and_moves_with_the_threshold():
    frame = pd.DataFrame({"qalys_gained": [1.0, 2.0, 0.5, 1.5], "net_public_cost": [30_000.0, 50_000, 20_000, 40_000]})
    curve = appraisal.ceac({"option": frame}, "base", thresholds=[0, 35_000, 100_000])
    totals = curve.groupby("threshold_gbp_per_qaly").probability_best.sum()
    np.testing.assert_allclose(totals, 1.0)
    option = curve[curve.scenario == "option"].set_index("threshold_gbp_per_qaly").probability_best
    assert option[0] == 0 and option[100_000] == 1 and option[35_000] == 0.75


# End to end: `drugsim compare` runs a PSA by default


def compare(tmp_path, name: str, *args: str) -> dict[str, pd.DataFrame]:
    out = tmp_path / name
    cmd = [sys.executable, "-m", "drugsim.cli", "compare", *args, "--period", "2026-2027", "--out", str(out), "-q"]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    return {
        f: pd.read_csv(out / f"{f}.csv")
        for f in ("comparison", "appraisal", "ceac", "evppi", "psa_draws", "appraisal_runs")
    }


@pytest.mark.slow
def test_compare_gives_each_perspective_its_lines_p_better_and_evppi(tmp_path):
    got = compare(tmp_path, "psa", "baseline", "naloxone_take_home", "no_divert", "--psa", "5")
    c = got["comparison"]
    assert c.interval.str.startswith("PSA").all()
    for scenario, outcome in (("naloxone_take_home", "drug_deaths"), ("no_divert", "criminal_records")):
        row = c[(c.scenario == scenario) & (c.outcome == outcome)].iloc[0]
        assert row.diff_low < row.diff_high, f"{scenario} {outcome}: a degenerate interval"
        assert 0 <= row.p_better <= 1
    # Naloxone cannot change county lines: that difference is truly zero in every draw.
    lines = c[(c.scenario == "naloxone_take_home") & (c.outcome == "active_county_lines")].iloc[0]
    assert lines.diff_low == lines.diff_high == 0
    a = got["appraisal"]
    for view in ("public", "societal"):
        measures = set(a[(a.scenario == "naloxone_take_home") & (a.perspective == view)].measure)
        assert {"npv", "cashable", "non_cashable", "crime_by_survivors", "lives", "benefit_cost_ratio"} <= measures
    assert "cost_per_qaly_gbp" in set(a.measure)
    survivors = a[(a.scenario == "naloxone_take_home") & (a.measure == "crime_by_survivors")]
    assert (survivors["mean"] < 0).all()  # people alive because of naloxone commit crime: a cost
    assert got["evppi"].group.iloc[0] == "all parameters (EVPI)" and len(got["evppi"]) > 5
    assert len(got["psa_draws"]) == 5
    runs = got["appraisal_runs"]
    assert len(runs) == 10 and set(runs.scenario) == {"naloxone_take_home", "no_divert"}
    mean = a[(a.scenario == "no_divert") & (a.perspective == "societal") & (a.measure == "npv")]["mean"].iloc[0]
    assert runs[runs.scenario == "no_divert"]["societal:npv"].mean() == pytest.approx(mean)
    assert set(got["ceac"].scenario) == {"baseline", "naloxone_take_home", "no_divert"}


@pytest.mark.slow
def test_intervals_widen_when_the_ranges_widen(tmp_path):
    def spread(widen: str) -> float:
        c = compare(tmp_path, f"w{widen}", "baseline", "naloxone_take_home", "--psa", "8", "--widen", widen)[
            "comparison"
        ]
        row = c[(c.scenario == "naloxone_take_home") & (c.outcome == "drug_deaths")].iloc[0]
        return row.diff_high - row.diff_low

    assert spread("2") > 1.5 * spread("0.25")


def test_a_scenario_s_own_settings_are_choices_but_the_fitted_values_are_not():
    from drugsim.scenario import load_scenario, with_changes

    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    assert psa.scenario_choices([base]) == set()  # it extends the fitted values: those stay uncertain
    fitted = next(p.name for p in parameter_table().values() if p.calibrate)
    edited = with_changes(base, {"parameters": {"overdose_rate_per_year": 0.2, fitted: 0.123}})
    assert psa.scenario_choices([base, edited]) == {"overdose_rate_per_year", fitted}
