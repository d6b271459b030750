"""Baseline orders of magnitude before calibration (the reports' figures; calibration tightens them)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shorten, total

from drugsim.metrics import INDEX
from drugsim.runner import run_one


@pytest.fixture(scope="module")
def runs(baseline):
    s = shorten(baseline, "2024-12-31")
    return s, [run_one(s, seed) for seed in range(3)]


def mean_total(runs, metric, start, end):
    s, rs = runs
    return np.mean([total(s, r, metric, start, end) for r in rs])


def mean_stock(runs, metric, start, end):
    s, rs = runs
    from drugsim.calendar import Calendar

    starts = Calendar(s.start, s.end).week_starts()
    sel = (starts >= np.datetime64(start)) & (starts <= np.datetime64(end))
    return np.mean([r[sel, INDEX[metric]].sum(axis=1).mean() for r in rs])


def test_about_22500_ocus(runs):
    assert 20_000 <= mean_stock(runs, "ocu_active", "2019-01-01", "2019-12-31") <= 25_000
    assert 18_000 <= mean_stock(runs, "ocu_active", "2024-01-01", "2024-12-31") <= 27_000


def test_deaths_of_the_order_of_100_to_250_a_year(runs):
    for year in range(2019, 2025):
        deaths = mean_total(runs, "drug_deaths", f"{year}-01-01", f"{year}-12-31")
        assert 80 <= deaths <= 250, (year, deaths)


def test_divert_referrals_of_the_order_of_3000_a_year_from_2021(runs):
    for year in (2021, 2022, 2023):
        assert 2_000 <= mean_total(runs, "divert_referrals", f"{year}-01-01", f"{year}-12-31") <= 4_500


def test_possession_outcomes_of_the_reports_order(runs):
    # Jul-Dec 2019: 674 charges, 161 cautions; Jul-Dec 2021: 198 and 33 (2023-02_... §22).
    assert 400 <= mean_total(runs, "possession_charges", "2019-07-01", "2019-12-31") <= 1_000
    assert 80 <= mean_total(runs, "possession_cautions", "2019-07-01", "2019-12-31") <= 300
    assert 100 <= mean_total(runs, "possession_charges", "2021-07-01", "2021-12-31") <= 400


def test_county_lines_and_type1_outcomes_of_the_reports_order(runs):
    assert 80 <= mean_stock(runs, "active_county_lines", "2019-01-01", "2022-03-31") <= 400
    # 174 Type 1 outcomes from April 2022 to early 2023 (2023-02_... §9).
    assert 80 <= mean_total(runs, "type1_outcomes", "2022-04-01", "2023-01-31") <= 350
    assert mean_total(runs, "type1_outcomes", "2019-01-01", "2022-03-31") == 0


def test_cars_and_trafficking_of_the_reports_order(runs):
    # CARS 2,517 (2021) and 4,189 (2022); trafficking offences about 2,200 a year (2023-02_... §13, §27).
    assert 1_000 <= mean_total(runs, "cars_referrals", "2021-01-01", "2021-12-31") <= 5_000
    assert 2_000 <= mean_total(runs, "cars_referrals", "2022-01-01", "2022-12-31") <= 8_000
    assert 1_000 <= mean_total(runs, "trafficking_offences", "2022-01-01", "2022-12-31") <= 4_000


def test_market_worth_of_the_order_of_188m(runs):
    assert 120e6 <= mean_total(runs, "market_revenue_gbp", "2019-01-01", "2019-12-31") <= 280e6


def test_crime_cost_per_untreated_user_matches_the_report(runs):
    s, rs = runs
    cost = mean_total(runs, "crime_cost_gbp", "2019-01-01", "2019-12-31")
    assert 0.4e9 <= cost <= 1.4e9  # within the ~£1.4bn total cost of OCUs (2020-02_... §6)
