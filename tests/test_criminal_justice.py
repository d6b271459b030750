"""Criminal-justice treatment routes: the Offending to Recovery pipeline (caseloads, assessment, beds, waiting
list) and arrest referral by route (custody block coverage, RADAR, conversion to treatment)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import paired_interval, paired_runs, shorten, total

from drugsim.calendar import WEEKS_PER_YEAR, Calendar
from drugsim.metrics import INDEX
from drugsim.model import DrugMarketModel
from drugsim.population import O2R_CHARITY_BED, O2R_REGULAR_BED, Status
from drugsim.runner import run_one
from drugsim.scenario import with_changes


def o2r(scenario, **settings):
    return with_changes(scenario, {"interventions": {"o2r": settings}})


def params(scenario, **values):
    return with_changes(scenario, {"parameters": values})


def mean_stock(scenario, results, metric, start, end):
    """Mean weekly force-wide value of a stock over the weeks starting in [start, end]."""
    weeks = Calendar(scenario.start, scenario.end).week_starts()
    sel = (weeks >= np.datetime64(start)) & (weeks <= np.datetime64(end))
    return float(results[sel, INDEX[metric]].sum(axis=1).mean())


# --- Offending to Recovery


def test_o2r_never_admits_beyond_its_beds_and_prices_each_bed(baseline):
    s = o2r(shorten(baseline, "2022-12-31"), charity_beds=1, regular_beds=1)
    m = DrugMarketModel(s, seed=3)
    pop = m.pop
    community = (Status.USING, Status.TREATMENT, Status.HAT)
    while m.running:
        before = pop.status.copy()
        m.step()
        o = pop.ocu
        resident = pop.o2r_client[o] & (pop.status[o] == Status.REHAB)
        assert np.count_nonzero(resident & (pop.o2r_bed[o] == O2R_CHARITY_BED)) <= 1
        assert np.count_nonzero(resident & (pop.o2r_bed[o] == O2R_REGULAR_BED)) <= 1
        # Waiting or in assessment means in the community: a client who left it (prison, death) this week, after
        # the O2R step, leaves the caseload at the next one.
        open_ = pop.o2r_stage[o] != 0
        left = open_ & ~np.isin(pop.status[o], community)
        assert np.isin(before[o][left], community).all()
    r = m.results
    admissions, charity = r[:, INDEX["o2r_admissions"]].sum(), r[:, INDEX["o2r_charity_admissions"]].sum()
    assert 0 < charity <= admissions
    # Two beds, stays of about rehab_mean_weeks: admissions are bounded by the bed-weeks available.
    years = len(r) / WEEKS_PER_YEAR
    assert admissions <= 2 * years * WEEKS_PER_YEAR / (0.5 * m.p["rehab_mean_weeks"])
    # Spend: staff, plus £3,500 a charity admission and £15,000 a regular one (2025-02_... §52).
    p = m.p
    (iv,) = [iv for iv in m.interventions if iv.name == "o2r"]
    staff_cost = sum(iv.committed_spend(w).sum() for w in range(len(r)))
    use = charity * p["o2r_charity_bed_cost_gbp"] + (admissions - charity) * p["rehab_cost_per_admission_gbp"]
    assert r[:, INDEX["spend_o2r_gbp"]].sum() == pytest.approx(staff_cost + use, rel=1e-9)


def test_o2r_caseload_never_exceeds_what_staff_can_hold(baseline):
    # No beds and nobody dropping out: the caseloads fill and referrals stop, however many staff would refer.
    s = params(
        o2r(shorten(baseline, "2023-03-31"), charity_beds=0, regular_beds=0),
        o2r_wait_dropout_per_year=0.0,
        o2r_caseload_per_staff=8.0,  # fixed here (the fit moves it): caseloads full well before mid-2022
    )
    r = run_one(s, 1)
    weeks = Calendar(s.start, s.end).week_starts()
    pilot = (weeks >= np.datetime64("2021-07-05")) & (weeks <= np.datetime64("2023-03-31"))
    cap = np.floor(4.5 * s.params["o2r_caseload_per_staff"])
    birmingham = 0
    assert r[pilot, INDEX["o2r_caseload"], birmingham].max() <= cap
    assert total(s, r, "o2r_admissions") == 0
    # After a year of the pilot the caseload is full of clients waiting for beds that never come.
    late = weeks >= np.datetime64("2022-07-01")
    assert r[late, INDEX["o2r_referrals"]].sum() < 0.5 * 4.5 * s.params["o2r_referrals_per_staff_year"] * 0.75


@pytest.mark.slow
def test_o2r_waiting_list_grows_when_beds_are_short(baseline):
    s = shorten(baseline, "2023-12-31")
    short, ample = o2r(s, charity_beds=1, regular_beds=0), o2r(s, charity_beds=6, regular_beds=6)
    diffs = [
        mean_stock(s, a, "o2r_waiting", "2022-01-01", "2023-12-31")
        - mean_stock(s, b, "o2r_waiting", "2022-01-01", "2023-12-31")
        for a, b in paired_runs(short, ample, seeds=range(4))
    ]
    _, low, _ = paired_interval(diffs)
    assert low > 2, diffs


@pytest.mark.slow
def test_more_o2r_staff_more_referrals_up_to_the_caseload(baseline):
    s = shorten(baseline, "2023-12-31")
    pilot = [{"date": "2021-07-01", "area": "birmingham", "amount": 4.5}]
    doubled = [{"date": "2021-07-01", "area": "birmingham", "amount": 9}]
    roomy = params(s, o2r_caseload_per_staff=20)
    diffs = [
        total(s, b, "o2r_referrals", "2021-07-01") - total(s, a, "o2r_referrals", "2021-07-01")
        for a, b in paired_runs(o2r(roomy, schedule=pilot), o2r(roomy, schedule=doubled), seeds=range(4))
    ]
    mean, low, _ = paired_interval(diffs)
    expected = 4.5 * s.params["o2r_referrals_per_staff_year"] * 2.5  # the extra staff's referrals, 2.5 years
    assert low > 0 and 0.7 * expected < mean < 1.3 * expected, diffs
    # With tight caseloads and few beds the same staff refer far fewer: caseload room, not staff time, limits
    # (and a caseload is per worker, so more staff still bring more room).
    tight = params(o2r(s, charity_beds=1, regular_beds=0), o2r_caseload_per_staff=3)
    short = [
        total(s, a, "o2r_referrals", "2021-07-01") - total(s, b, "o2r_referrals", "2021-07-01")
        for a, b in paired_runs(o2r(roomy, schedule=doubled), o2r(tight, schedule=doubled), seeds=range(4))
    ]
    _, low, _ = paired_interval(short)
    assert low > 0.2 * 2 * expected, short


@pytest.mark.slow
def test_more_o2r_beds_more_admissions(baseline):
    s = shorten(baseline, "2024-12-31")
    diffs = [
        total(s, b, "o2r_admissions", "2021-07-01") - total(s, a, "o2r_admissions", "2021-07-01")
        for a, b in paired_runs(s, o2r(s, charity_beds=5), seeds=range(4))
    ]
    mean, low, _ = paired_interval(diffs)
    # Three more beds at about 8 admissions a bed-year (6-week stays) over 3.5 years, if the list keeps them full.
    assert low > 0 and mean < 3 * 9 * 3.5, diffs


# --- Arrest referral


def test_arrest_referral_conversion_is_bounded_by_its_probability(baseline):
    s = shorten(baseline, "2022-12-31")
    r = run_one(s, 0)
    entries, referrals = total(s, r, "cars_treatment_entries"), total(s, r, "cars_referrals")
    # Only referred OCUs who are using and not sent to prison can enter; cocaine users' referrals never do.
    assert 0 < entries <= s.params["cars_treatment_entry_prob"] * referrals
    routes = total(s, r, "cars_referrals_tested") + total(s, r, "cars_referrals_voluntary")
    assert routes + total(s, r, "radar_referrals") == referrals


@pytest.mark.slow
def test_fewer_custody_blocks_covered_fewer_arrest_referrals(baseline):
    s = shorten(baseline, "2022-12-31")
    half = with_changes(s, {"interventions": {"arrest_referral": {"blocks_covered": 3}}})
    ratios, diffs = [], []
    for full, part in paired_runs(s, half, seeds=range(3)):
        ratios.append(total(s, part, "cars_referrals") / total(s, full, "cars_referrals"))
        diffs.append(total(s, full, "cars_treatment_entries") - total(s, part, "cars_treatment_entries"))
    # Three of six equally busy blocks: about half the referrals.
    assert all(0.4 < x < 0.6 for x in ratios), ratios
    _, low, _ = paired_interval(diffs)
    assert low > 0, diffs


@pytest.mark.slow
def test_without_radar_fewer_radar_and_arrest_referrals(baseline):
    s = shorten(baseline, "2024-12-31")
    no_radar = with_changes(s, {"interventions": {"arrest_referral": {"radar_start": "2030-01-01"}}})
    diffs = []
    for base, alt in paired_runs(s, no_radar, seeds=range(3)):
        assert total(s, alt, "radar_referrals") == 0 < total(s, base, "radar_referrals", "2024-05-01")
        diffs.append(total(s, base, "cars_referrals", "2024-05-01") - total(s, alt, "cars_referrals", "2024-05-01"))
    _, low, _ = paired_interval(diffs)
    assert low > 0, diffs


@pytest.mark.slow
def test_stopping_arrest_referral_raises_crime_by_what_the_conversion_allows(baseline):
    s = shorten(baseline, "2027-12-31")
    stop = with_changes(s, {"interventions": {"arrest_referral": {"end": "2026-01-01"}}})
    diffs, shares = [], []
    for base, alt in paired_runs(s, stop, seeds=range(5)):
        b = total(s, base, "acquisitive_crimes", "2026-01-01")
        diffs.append(total(s, alt, "acquisitive_crimes", "2026-01-01") - b)
        shares.append(diffs[-1] / b)
    _, low, _ = paired_interval(diffs)
    # More crime without referrals into treatment, but with about one referral in ten entering treatment
    # (EVIDENCE: 3% of positives in effective treatment) the rise over two years stays within a few per cent.
    assert low > 0 and max(shares) < 0.03, shares
