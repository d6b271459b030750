"""Each policy lever moves its outcomes the right way, beyond seed noise (paired seeds, 90% t-intervals),
and costs what its cost model says; every scenario in the library runs."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SCENARIOS, paired_interval, paired_runs, total

from drugsim.calendar import WEEKS_PER_YEAR, Calendar
from drugsim.metrics import INDEX
from drugsim.parameters import AREAS
from drugsim.runner import run_one
from drugsim.scenario import load_scenario, with_changes

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow

SEEDS = range(4)


def lib(name: str, end: str | None = None, **changes):
    s = load_scenario(SCENARIOS / f"{name}.toml")
    if end:
        changes.setdefault("scenario", {})["end"] = end
    return with_changes(s, changes) if changes else s


def diffs(a, b, metric, start, seeds=SEEDS, areas=None):
    """Paired differences b - a of a metric total from `start` (optionally over some areas only)."""
    out = []
    for ra, rb in paired_runs(a, b, seeds):
        if areas is None:
            out.append(total(b, rb, metric, start) - total(a, ra, metric, start))
        else:
            cols = [AREAS.index(x) for x in areas]
            weeks = Calendar(a.start, a.end).week_starts() >= np.datetime64(start)
            out.append(rb[weeks, INDEX[metric]][:, cols].sum() - ra[weeks, INDEX[metric]][:, cols].sum())
    return out


#: HAT's effect on deaths is small (about 1.5 a year for 300 places, most places going to prolific offenders
#: rather than to those at most risk of overdose), so its interval needs more paired runs than the other levers'.
HAT_SEEDS = range(8)


@pytest.fixture(scope="module")
def hat_runs():
    base, hat = lib("baseline"), lib("hat_scaled")
    return base, hat, paired_runs(base, hat, HAT_SEEDS)


def _interval(pairs, s, metric, start="2026-04-01"):
    return paired_interval([total(s, h, metric, start) - total(s, b, metric, start) for b, h in pairs])


def test_hat_lowers_crime_deaths_and_dealer_revenue(hat_runs):
    base, hat, pairs = hat_runs
    for metric in ("acquisitive_crimes", "drug_deaths", "market_revenue_gbp"):
        _, _, high = _interval(pairs, base, metric)
        assert high < 0, metric


def test_hat_costs_what_its_places_cost_and_fills_them(hat_runs):
    base, hat, pairs = hat_runs
    places = sum(hat.interventions["hat"].places.values())
    cal = Calendar(hat.start, hat.end)
    weeks = (cal.week_starts() >= np.datetime64("2026-04-01")).sum()
    expected = places * hat.params["hat_cost_per_place_year_gbp"] / WEEKS_PER_YEAR * weeks
    for _, h in pairs:
        assert total(hat, h, "spend_hat_gbp") == pytest.approx(expected, rel=1e-9)
        in_hat = h[:, INDEX["in_hat"]].sum(axis=1)
        assert in_hat.max() <= places
        assert in_hat[-52:].mean() > 0.9 * places  # places are used, from a waiting list


def test_naloxone_effect_grows_with_witnessed_overdoses():
    averted = {}
    for witnessed in (0.3, 0.8):
        changes = {"parameters": {"overdose_witnessed_prob": witnessed}}
        base = lib("baseline", "2028-12-31", **changes)
        thn = lib("naloxone_take_home", "2028-12-31", **changes)
        averted[witnessed] = [-d for d in diffs(base, thn, "drug_deaths", "2026-01-01")]
        _, low, _ = paired_interval(averted[witnessed])
        assert low > 0, (witnessed, averted[witnessed])
    gap = np.subtract(averted[0.8], averted[0.3])
    _, low, _ = paired_interval(gap)
    assert low > 0, averted
    ratio = np.mean(averted[0.8]) / np.mean(averted[0.3])
    assert 1.5 < ratio < 5.0, ratio  # proportional would be 0.8 / 0.3 = 2.7


def test_more_officers_with_naloxone_lower_deaths():
    base = lib("baseline", "2028-12-31")
    more = lib("naloxone_all_frontline_officers", "2028-12-31")
    _, _, high = paired_interval(diffs(base, more, "drug_deaths", "2026-01-01"))
    assert high < 0


def _cltf_end_effect(metrics, replacement=None, seeds=range(3)):
    """Paired differences (CLTF ends in 2026 minus permanent CLTF) from July 2026, per metric."""
    changes = {"parameters": {"line_replacement_prob": replacement}} if replacement is not None else {}
    ends = lib("cltf_ends_2026", "2028-12-31", **changes)
    permanent = lib("cltf_permanent", "2028-12-31", **changes)
    pairs = paired_runs(permanent, ends, seeds)
    return {m: [total(ends, e, m, "2026-07-01") - total(ends, p, m, "2026-07-01") for p, e in pairs] for m in metrics}


def test_cltf_ending_raises_lines_and_violence_after_the_end_date():
    # Exploitation follows lines but is noisier (runners per line vary): tests/test_market.py checks it with more
    # seeds over a longer period.
    effect = _cltf_end_effect(("active_county_lines", "serious_violence_offences", "type1_outcomes"))
    for metric in ("active_county_lines", "serious_violence_offences"):
        _, low, _ = paired_interval(effect[metric])
        assert low > 0, metric
    assert all(d < 0 for d in effect["type1_outcomes"])  # Type 1 outcomes stop when the taskforce does


def test_cltf_ending_matters_less_when_lines_are_replaced_fast():
    moderate = _cltf_end_effect(["active_county_lines"], replacement=0.6)["active_county_lines"]
    fast = _cltf_end_effect(["active_county_lines"], replacement=0.95)["active_county_lines"]
    _, low, _ = paired_interval(np.subtract(moderate, fast))
    assert low > 0, (moderate, fast)


def test_o2r_rollout_raises_rehab_admissions_in_the_new_areas():
    base, wide = lib("baseline", "2027-12-31"), lib("o2r_forcewide", "2027-12-31")
    new = ["sandwell", "solihull"]
    extra = diffs(base, wide, "o2r_admissions", "2025-10-01", range(2), areas=new)
    assert all(d > 5 for d in extra), extra
    rehab = diffs(base, wide, "rehab_admissions", "2025-10-01", range(2), areas=new)
    assert all(d > 5 for d in rehab), rehab


def test_o2r_bed_limit_caps_admissions():
    capped = lib("baseline", "2022-12-31", interventions={"o2r": {"max_residents": 0}})
    for seed in range(2):
        assert total(capped, run_one(capped, seed), "o2r_admissions") == 0


def test_nitazene_wave_raises_deaths_and_naloxone_blunts_it():
    end = "2026-12-31"
    wave_changes = {"interventions": {"nitazene_wave": {"waves": [{"start": "2026-06-01", "end": "2026-10-01"}]}}}
    no_wave = lib("baseline", end, interventions={"nitazene_wave": {"enabled": False}})
    wave = lib("baseline", end, **wave_changes)
    thn_no_wave = with_changes(lib("naloxone_take_home", end), {"interventions": {"nitazene_wave": {"enabled": False}}})
    thn_wave = with_changes(lib("naloxone_take_home", end), wave_changes)
    extra_plain = diffs(no_wave, wave, "drug_deaths", "2026-01-01")
    extra_thn = diffs(thn_no_wave, thn_wave, "drug_deaths", "2026-01-01")
    _, low, _ = paired_interval(extra_plain)
    assert low > 0, extra_plain
    _, low, _ = paired_interval(np.subtract(extra_plain, extra_thn))
    assert low > 0, (extra_plain, extra_thn)


def test_asset_reinvestment_funds_treatment_from_seizures():
    base, reinvest = lib("baseline", "2028-12-31"), lib("asset_reinvestment", "2028-12-31")
    for b, r in paired_runs(base, reinvest, range(2)):
        assert total(base, b, "assets_seized_gbp") > 0 and total(base, b, "reinvested_gbp") == 0
        assert total(reinvest, r, "reinvested_treatment_entries", "2025-04-01") > 20
        assert total(reinvest, r, "spend_asset_reinvestment_gbp") == pytest.approx(total(reinvest, r, "reinvested_gbp"))
        # It cannot spend more than half of what was realised since it started.
        assert total(reinvest, r, "reinvested_gbp") <= 0.5 * total(reinvest, r, "asset_receipts_gbp", "2025-04-01")
    _, low, _ = paired_interval(diffs(base, reinvest, "treatment_entries", "2025-04-01", range(3)))
    assert low > 0


def test_divert_options_reduce_formal_outcomes():
    base = lib("baseline", "2023-12-31")
    wider = lib(
        "baseline", "2023-12-31", interventions={"divert": {"pwits_eligible_share": 1.0, "second_chance": True}}
    )
    _, _, high = paired_interval(diffs(base, wider, "possession_charges", "2020-10-01", range(3)))
    assert high < 0
    _, low, _ = paired_interval(diffs(base, wider, "divert_referrals", "2020-10-01", range(3)))
    assert low > 0


def test_enforcement_gap_lowers_detections_while_it_lasts():
    base, gap = lib("baseline", "2026-12-31"), lib("enforcement_gap_2026", "2026-12-31")
    _, _, high = paired_interval(diffs(base, gap, "possession_detections", "2026-01-01", range(3)))
    assert high < 0


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_every_library_scenario_runs_through_its_policy_years(path):
    s = with_changes(load_scenario(path), {"scenario": {"start": "2025-06-01", "end": "2026-12-31"}})
    r = run_one(s, 0)
    assert np.isfinite(r).all() and (r >= 0).all()
    assert s.funding and s.description
