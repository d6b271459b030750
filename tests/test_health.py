"""Health mechanisms: officers carrying naloxone reach fewer overdoses each as more carry (deployment to the
hotspot beats first), at the pilot's rate at pilot scale; HAT places go to treatment-refractory prolific
offenders first and so avert more crime per place; deaths by area follow where OCUs live."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SCENARIOS, paired_interval, paired_runs, shorten, total

from drugsim.calendar import Calendar
from drugsim.metrics import INDEX
from drugsim.model import DrugMarketModel
from drugsim.parameters import AREAS, geography
from drugsim.population import NEVER, Status
from drugsim.processes.overdose import officer_first_prob
from drugsim.processes.treatment import _hat_intake
from drugsim.scenario import load_scenario, with_changes

BHAM = AREAS.index("birmingham")


@pytest.fixture(scope="module")
def p(baseline):
    return dict(baseline.params)


def by_population(force: float) -> np.ndarray:
    pop = geography().column("population_2019")
    return force * pop / pop.sum()


def pilot(officers: float = 52.0) -> np.ndarray:
    out = np.zeros(len(AREAS))
    out[BHAM] = officers
    return out


# --- officers carrying naloxone: the reach rule (quick)


def test_officer_reach_is_concave_and_capped(p):
    grid = [by_population(f) for f in (0, 250, 500, 1000, 2000, 3000, 6000)]
    reach = np.array([officer_first_prob(p, n) for n in grid])
    assert (reach[0] == 0).all()
    assert (np.diff(reach, axis=0) >= -1e-12).all()  # more officers never reach less
    # Every frontline officer carrying is the most there is: police first on scene, all carrying.
    assert reach[-1] == pytest.approx(np.full(len(AREAS), p["officer_naloxone_first_on_scene_prob"]))
    assert (reach[-2] == reach[-1]).all()
    # Doubling officers beyond the hotspot posts less than doubles the reach.
    assert (reach[3] < 2 * reach[2]).all() and (reach[4] < 2 * reach[3]).all() and (reach[5] < 2 * reach[4]).all()


def test_pilot_reach_is_the_earlier_per_officer_rule(p):
    # The earlier rule, 1 - (1 - 0.0007)^52, was derived from the pilot's 4 lives saved (EVIDENCE.md §6).
    earlier = -np.expm1(52 * np.log1p(-0.0007))
    assert officer_first_prob(p, pilot())[BHAM] == pytest.approx(earlier, rel=0.05)


def test_force_wide_officers_reach_two_to_four_times_fewer_each_than_the_pilot(p):
    # Per officer, overdoses reached (in proportion to each area's OCUs): the pilot's 52 city-centre officers
    # against all frontline officers carrying. UK experience: 2-4 times fewer lives saved each (EVIDENCE2.md §8).
    ocus = geography().column("ocu_count")
    each_pilot = officer_first_prob(p, pilot())[BHAM] * ocus[BHAM] / 52
    force = p["officer_naloxone_frontline_officers"]
    each_all = (officer_first_prob(p, by_population(force)) * ocus).sum() / force
    assert 2.0 <= each_pilot / each_all <= 4.0, each_pilot / each_all


def test_officer_reach_degenerate_shares_do_not_divide_by_zero(p):
    for share in (0.0, 1.0):
        q = dict(p, officer_naloxone_hotspot_post_share=share)
        reach = officer_first_prob(q, by_population(1000))
        assert np.isfinite(reach).all() and (reach >= 0).all() and (reach <= 1).all()


# --- HAT intake (quick, unit level)


def test_hat_intake_fills_the_prolific_share_first_then_longest_waiting(p):
    n = 40
    wait = np.arange(n, dtype=np.int32)  # row i joined the list in week i: lower rows have waited longer
    wait[::7] = NEVER  # not on the list
    prolific = np.zeros(n, bool)
    prolific[20:] = True  # prolific offenders joined later
    here = np.ones(n, bool)
    in_hat = np.zeros(n, bool)
    q = dict(p, hat_prolific_place_share=0.8)
    take = _hat_intake(wait, here, prolific, in_hat, free=10, places=10, p=q)
    assert take.size == 10 and len(set(take)) == 10 and (wait[take] != NEVER).all()
    assert prolific[take].sum() == 8
    assert set(take[~prolific[take]]) == {1, 2}  # the rest: the longest-waiting of everyone left
    # Without the share, longest-waiting first whoever they are.
    plain = _hat_intake(wait, here, prolific, in_hat, free=10, places=10, p=dict(p, hat_prolific_place_share=0.0))
    assert set(plain) == set(np.flatnonzero(wait != NEVER)[:10])
    # Prolific patients already in HAT count towards the share.
    in_hat[[30, 31, 32, 33, 34, 36]] = True
    wait[in_hat] = NEVER
    more = _hat_intake(wait, here, prolific, in_hat, free=4, places=10, p=q)
    assert prolific[more].sum() == 2 and more.size == 4
    # Kept places wait for prolific offenders: with only three on the list, the other two kept places stay empty.
    wait = np.arange(n, dtype=np.int32)
    prolific[:] = False
    prolific[[5, 6, 9]] = True
    take = _hat_intake(wait, here, prolific, np.zeros(n, bool), free=10, places=10, p=q)
    assert set(take) == {5, 6, 9, 0, 1} and take.size == 5


# --- full-scale runs


def _officers_from_2026(scenario, force: float):
    base = [e for e in scenario.raw["interventions"]["naloxone_officers"]["schedule"] if str(e["date"]) < "2026"]
    amounts = np.round(by_population(force)).astype(int)
    new = [{"date": "2026-01-01", "area": a, "amount": int(x)} for a, x in zip(AREAS, amounts, strict=True)]
    return with_changes(scenario, {"interventions": {"naloxone_officers": {"schedule": base + new}}})


@pytest.mark.slow
def test_doubling_officers_less_than_doubles_deaths_averted(baseline):
    s = shorten(baseline, "2028-12-31")
    variants = [_officers_from_2026(s, f) for f in (0, 1500, 3000)]
    averted_half, averted_full = [], []
    for seed in range(5):
        none, half, full = (total(s, run_seed(v, seed), "drug_deaths", "2026-01-01") for v in variants)
        averted_half.append(none - half)
        averted_full.append(none - full)
    _, low, _ = paired_interval(averted_half)
    assert low > 0, averted_half
    _, low, _ = paired_interval(np.subtract(averted_full, averted_half))
    assert low > 0, (averted_half, averted_full)  # more officers still save more
    _, low, _ = paired_interval(2 * np.asarray(averted_half) - np.asarray(averted_full))
    assert low > 0, (averted_half, averted_full)  # but doubling them less than doubles it


@pytest.mark.slow
def test_pilot_officers_reverse_about_what_the_pilot_reported(baseline):
    # The pilot's 52 Birmingham city-centre officers saved 4 lives in its first phase (EVIDENCE.md §6); Police
    # Scotland's pilot carriers gave about 0.13 administrations a year each (EVIDENCE2.md §8), reversals or not.
    s = shorten(baseline, "2020-05-31")
    cal = Calendar(s.start, s.end)
    weeks = cal.week_starts() >= np.datetime64("2019-06-01")
    per_officer_year = [
        run[weeks, INDEX["officer_naloxone_reversals"], BHAM].sum() / 52 for run in (run_seed(s, k) for k in range(6))
    ]
    mean, low, high = paired_interval(per_officer_year)
    assert 0.02 <= mean <= 0.13 and low > 0, per_officer_year


def run_seed(s, seed):
    from drugsim.runner import run_one

    return run_one(s, seed)


@pytest.mark.slow
def test_hat_places_go_to_prolific_treatment_refractory_users():
    s = load_scenario(SCENARIOS / "hat_scaled.toml")
    s = with_changes(s, {"scenario": {"end": "2027-06-30"}})
    for seed in range(2):
        m = DrugMarketModel(s, seed=seed)
        m.run()
        pop, o = m.pop, m.pop.ocu
        in_hat = pop.status[o] == Status.HAT
        assert in_hat.sum() > 250
        share = pop.prolific[o][in_hat].mean()
        assert share >= 0.7, share  # the share kept for them, less those who started as non-prolific
        # Every patient had been in treatment at least the minimum number of times before.
        assert (pop.n_treatment_episodes[o][in_hat] >= m.p["hat_min_prior_episodes"]).all()
        alive = np.isin(pop.status[o], [Status.USING, Status.TREATMENT]) & pop.opioid[o]
        assert pop.offend[o][in_hat].mean() > 3 * pop.offend[o][alive].mean()


@pytest.mark.slow
def test_targeted_hat_averts_more_crime_per_place_than_untargeted():
    s = load_scenario(SCENARIOS / "hat_scaled.toml")
    s = with_changes(s, {"scenario": {"end": "2028-12-31"}})
    untargeted = with_changes(s, {"interventions": {"hat": {"prolific_place_share": 0.0}}})
    diffs = [
        total(s, t, "acquisitive_crimes", "2026-04-01") - total(s, u, "acquisitive_crimes", "2026-04-01")
        for u, t in paired_runs(untargeted, s, range(4))
    ]
    _, _, high = paired_interval(diffs)
    assert high < 0, diffs


@pytest.mark.slow
def test_deaths_by_area_follow_where_ocus_live(baseline):
    # No LA drug-death figures in the evidence: deaths follow OCUs and the LA's modelled risks (docs/ODD.md).
    s = shorten(baseline, "2022-12-31")
    deaths = sum(run_seed(s, k)[:, INDEX["drug_deaths"]].sum(axis=0) for k in range(3))
    ocus = geography().column("ocu_count")
    assert np.corrcoef(deaths, ocus)[0, 1] > 0.97
    share, expected = deaths / deaths.sum(), ocus / ocus.sum()
    assert np.abs(share - expected).max() < 0.06, (share, expected)
