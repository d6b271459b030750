"""Each historical policy moves its outcome the right way against the baseline without it, beyond seed
noise: paired runs on the same seeds, and a 90% t-interval of the paired difference that excludes zero."""

from __future__ import annotations

import pytest
from conftest import paired_interval, paired_runs, shorten, total

from drugsim.scenario import with_changes

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow


def without(scenario, name: str):
    return with_changes(scenario, {"interventions": {name: {"enabled": False}}})


def test_without_divert_possession_charges_and_cautions_are_higher(baseline):
    s = shorten(baseline, "2022-12-31")
    diffs = []
    for base, alt in paired_runs(s, without(s, "divert"), seeds=range(4)):
        formal = [
            total(s, r, "possession_charges", "2020-10-01") + total(s, r, "possession_cautions", "2020-10-01")
            for r in (base, alt)
        ]
        diffs.append(formal[1] - formal[0])
    mean, low, _ = paired_interval(diffs)
    # Charges and cautions fell by about 70-80% under Divert (2023-02_... §22): the gap is large.
    assert low > 0 and mean > 1500, diffs


def test_without_officer_naloxone_deaths_are_higher(baseline):
    s = shorten(baseline, "2026-12-31")
    diffs, reversals = [], []
    for base, alt in paired_runs(s, without(s, "naloxone_officers"), seeds=range(6)):
        diffs.append(total(s, alt, "drug_deaths") - total(s, base, "drug_deaths"))
        reversals.append(total(s, base, "officer_naloxone_reversals"))
        assert total(s, alt, "officer_naloxone_reversals") == 0
    mean, low, _ = paired_interval(diffs)
    assert low > 0, diffs
    # Deaths averted cannot exceed officers' reversals of life-threatening overdoses.
    assert mean <= sum(reversals) / len(reversals)


def test_without_the_cltf_lines_are_higher_and_type1_outcomes_vanish(baseline):
    s = shorten(baseline, "2025-12-31")
    diffs = []
    for base, alt in paired_runs(s, without(s, "cltf"), seeds=range(4)):
        assert total(s, base, "type1_outcomes", "2022-04-01") > 100
        assert total(s, alt, "type1_outcomes") == 0
        weeks = total(s, base, "active_county_lines", "2023-01-01") / 1  # line-weeks since 2023
        alt_weeks = total(s, alt, "active_county_lines", "2023-01-01")
        diffs.append((alt_weeks - weeks) / 156)  # mean extra lines over 2023-2025
    mean, low, _ = paired_interval(diffs)
    # More lines without the taskforce, but no explosion: closed lines are mostly re-established.
    assert low > 0 and mean < 0.6 * total(s, base, "active_county_lines", "2023-01-01") / 156, diffs


def test_without_the_nitazene_wave_2023_deaths_are_lower(baseline):
    s = shorten(baseline, "2023-12-31")
    diffs = []
    for base, alt in paired_runs(s, without(s, "nitazene_wave"), seeds=range(6)):
        diffs.append(total(s, base, "drug_deaths", "2023-01-01") - total(s, alt, "drug_deaths", "2023-01-01"))
    mean, low, _ = paired_interval(diffs)
    assert low > 0, diffs


def test_without_arrest_referral_fewer_enter_treatment_from_custody(baseline):
    s = shorten(baseline, "2022-12-31")
    diffs = []
    for base, alt in paired_runs(s, without(s, "arrest_referral"), seeds=range(4)):
        assert total(s, alt, "cars_referrals") == 0
        diffs.append(
            total(s, base, "treatment_entries", "2020-01-01") - total(s, alt, "treatment_entries", "2020-01-01")
        )
    _, low, _ = paired_interval(diffs)
    assert low > 0, diffs


def test_testing_gap_lowers_cars_referrals_while_it_lasts(baseline):
    s = shorten(baseline, "2021-12-31")
    diffs = []
    for base, alt in paired_runs(s, without(s, "covid_testing_gap"), seeds=range(3)):
        diffs.append(
            total(s, alt, "cars_referrals", "2020-04-01", "2021-10-31")
            - total(s, base, "cars_referrals", "2020-04-01", "2021-10-31")
        )
    _, low, _ = paired_interval(diffs)
    assert low > 0, diffs
