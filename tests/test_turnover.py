"""Turnover of cannabis and cocaine users, ageing, and criminal-justice history that ages out.

Without turnover the users were a fixed set of people for twelve years, and a Divert not engaged with counted for
ever, so the baseline's possession charges crept up with no change of policy."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import shorten, total

from drugsim.calendar import WEEKS_PER_YEAR, weekly_prob
from drugsim.metrics import INDEX
from drugsim.model import DrugMarketModel
from drugsim.population import NEVER, USER_MAX_AGE, USER_MIN_AGE, AgeProfile, Kind, Status
from drugsim.runner import run_one
from drugsim.scenario import with_changes


def _profile_summary(age):
    return age.mean(), (age < 25).mean(), (age >= 45).mean()


def test_the_age_profile_stays_put_as_people_age_stop_and_are_replaced():
    """The hazard by age and the entry ages hold the starting age profile while everyone ages (20 years)."""
    prof = AgeProfile(mean=28.0, sd=9.0, h0=0.2)
    rng = np.random.default_rng(0)
    age = prof.draw_stock(rng.random(60_000))
    start = _profile_summary(age)
    step = 4 / WEEKS_PER_YEAR  # four-weekly steps, for speed
    stopped = 0
    for _ in range(int(20 / step)):
        age += step
        out = (rng.random(age.size) < weekly_prob(prof.hazard(age) * 4)) | (age >= USER_MAX_AGE)
        stopped += out.sum()
        age[out] = prof.draw_entry(rng.random(out.sum()), rng.random(out.sum()))
    end = _profile_summary(age)
    assert age.min() >= USER_MIN_AGE and age.max() < USER_MAX_AGE
    assert abs(end[0] - start[0]) < 0.3  # mean age, years
    assert abs(end[1] - start[1]) < 0.01  # share under 25 (the detection factor's cut)
    assert abs(end[2] - start[2]) < 0.01  # share 45 and over (where maturing out raises the hazard)
    # Everyone stops at h0 or more, and the hazard above h0 applies to few: the turnover is a little above h0.
    rate = stopped / age.size / 20
    assert 0.19 < rate < 0.26


def test_hazard_rises_with_age_and_entrants_are_younger_than_users():
    prof = AgeProfile(mean=28.0, sd=9.0, h0=0.2)
    h = prof.hazard(np.array([16.0, 28.0, 40.0, 50.0, 59.0]))
    assert (np.diff(h) >= 0).all() and h[0] == 0.2 and h[-1] > 0.3
    rng = np.random.default_rng(1)
    entry = prof.draw_entry(rng.random(50_000), rng.random(50_000))
    stock = prof.draw_stock(rng.random(50_000))
    assert entry.min() >= USER_MIN_AGE and entry.mean() < stock.mean() - 2


def test_over_twelve_years_prevalence_and_the_users_profile_hold(baseline):
    """Prevalence by LA is kept exactly (people are replaced where they lived; checked weekly in step_and_check);
    here the users' age, sex and ethnic mix in 2030 stay within a band of 2019's, and about a fifth turn over a
    year."""
    m = DrugMarketModel(baseline, seed=4)
    pop = m.pop

    def mix():
        rows = (pop.kind != Kind.OCU) & (pop.status == Status.USING)
        age = pop.age(m.week)[rows]
        eth = np.bincount(pop.eth[rows], minlength=4) / rows.sum()
        return (
            rows.sum(),
            np.bincount(pop.la[rows], minlength=7),
            age.mean(),
            (age < 25).mean(),
            pop.sex[rows].mean(),
            eth,
        )

    n0, la0, mean0, young0, male0, eth0 = mix()
    m.run()
    n1, la1, mean1, young1, male1, eth1 = mix()
    cocaine_deaths = n0 - n1  # the only way users leave without replacement
    assert 0 <= cocaine_deaths < 0.01 * n0
    assert (np.abs(la1 - la0) <= 0.01 * la0 + 5).all()
    assert abs(mean1 - mean0) < 0.5 and abs(young1 - young0) < 0.01 and abs(male1 - male0) < 0.01
    assert np.abs(eth1 - eth0).max() < 0.01
    per_year = m.results[:, INDEX["users_replaced"]].sum() / (m.cal.n_weeks / WEEKS_PER_YEAR) / n0
    assert 0.18 < per_year < 0.3


def test_a_renewed_row_is_a_new_person_with_no_history(baseline):
    m = DrugMarketModel(shorten(baseline, "2019-03-31"), seed=0)
    pop = m.pop
    rows = np.flatnonzero(pop.kind == Kind.CANNABIS)[:500]
    la, kind = pop.la[rows].copy(), pop.kind[rows].copy()
    pop.n_charge[rows] = 2
    pop.n_caution[rows] = 1
    pop.n_divert[rows] = 3
    pop.divert_until[rows] = 40
    pop.divert_nonengaged_week[rows] = 5
    week = 30
    pop.renew_users(rows, week, m.streams["turnover"])
    assert (pop.la[rows] == la).all() and (pop.kind[rows] == kind).all()
    assert not (pop.n_charge[rows].any() or pop.n_caution[rows].any() or pop.n_divert[rows].any())
    assert (pop.divert_until[rows] == NEVER).all() and (pop.divert_nonengaged_week[rows] == NEVER).all()
    age = pop.age(week)[rows]
    assert age.min() >= USER_MIN_AGE - 1e-4 and age.max() < USER_MAX_AGE
    assert (pop.status[rows] == Status.USING).all()


def test_ocus_who_move_are_replaced_like_for_like_by_new_people(baseline):
    """OCU migration swaps people, not states: the number in each state and LA is unchanged, the history goes."""
    s = with_changes(shorten(baseline, "2020-12-31"), {"parameters": {"ocu_migration_per_year": 0.08}})
    m = DrugMarketModel(s, seed=2)
    pop = m.pop
    o = pop.ocu
    pop.n_cars[o] = 1
    m.step()
    moved = pop.n_cars[o] == 0  # the OCUs there at the start who moved
    assert 0 < moved.sum() <= m.results[0, INDEX["ocu_migrants"]].sum() <= moved.sum() + pop.n_started - o.stop
    # About 0.08 a year of the community OCUs, in a week.
    expected = 0.08 / WEEKS_PER_YEAR * np.isin(pop.status[o], [Status.USING, Status.TREATMENT, Status.ABSTINENT]).sum()
    assert 0.5 * expected < moved.sum() < 1.6 * expected
    # Over a year, no migration and migration give the same state counts up to noise: swaps do not move people
    # between states.
    a = run_one(with_changes(s, {"parameters": {"ocu_migration_per_year": 0.0}}), 5)
    b = run_one(s, 5)
    for metric in ("ocu_active", "in_treatment", "abstinent"):
        x, y = a[-1, INDEX[metric]].sum(), b[-1, INDEX[metric]].sum()
        assert abs(x - y) < 0.03 * x, metric


def test_age_advances_and_the_under_25_factor_follows_current_age(baseline):
    m = DrugMarketModel(shorten(baseline, "2019-03-31"), seed=0)
    pop = m.pop
    near = np.flatnonzero((pop.kind == Kind.CANNABIS) & (pop.age0 > 24.5) & (pop.age0 < 24.9))[:50]
    assert near.size
    e0, e1 = pop.exposure(0)[near], pop.exposure(52)[near]
    np.testing.assert_allclose(pop.age(52)[near] - pop.age0[near], 52 / WEEKS_PER_YEAR, rtol=1e-5)
    np.testing.assert_allclose(e0 / e1, m.p["detection_multiplier_under_25"], rtol=1e-6)
    # A new OCU is its drawn starting age when it starts, not that age plus the time since the model began.
    drawn = pop.age0[pop.n_started : pop.n_started + 3].copy()
    idx = pop.start_ocus(3, week=200)
    np.testing.assert_allclose(pop.age(200)[idx], drawn, rtol=1e-5)


def test_the_detection_sampler_draws_in_proportion_to_this_weeks_exposure(baseline):
    """Block totals locate the same person as a search of the whole cumulative exposure, after ageing and
    replacement have changed exposures."""
    m = DrugMarketModel(shorten(baseline, "2020-12-31"), seed=3)
    for _ in range(60):
        m.step()
    pop = m.pop
    pop.advance_exposure(m.week)
    u = np.random.default_rng(0).random(20_000)
    for k in Kind:
        rows = pop.rows_of[k]
        cum = np.cumsum(pop.exposure(m.week, rows))
        exact = rows.start + np.searchsorted(cum, u * cum[-1])
        got = pop.sample_by_exposure(k, u)
        assert (got == exact).mean() > 0.999, k  # differences only from rounding at a row boundary


def test_kept_exposures_equal_this_weeks_exposures_every_week(baseline):
    """The sampler keeps exposures and block totals by running updates (people turning 25, renewed, moving in,
    starting): week after week they equal a fresh computation from current ages."""
    m = DrugMarketModel(shorten(baseline, "2020-06-30"), seed=2)
    pop = m.pop
    for _ in range(m.cal.n_weeks):
        m.step()
        pop.advance_exposure(m.week)
        np.testing.assert_array_equal(pop.expo, pop.exposure(m.week))
        np.testing.assert_allclose(pop.total_exposure(Kind.CANNABIS), pop.expo[pop.rows_of[Kind.CANNABIS]].sum())


def _detect_only(m, rows):
    """From now on, the police detect exactly `rows` each week."""
    m.detections.candidates = lambda rng, week: np.asarray(rows)


def test_a_divert_not_engaged_with_stops_counting_after_the_memory(baseline):
    """Under Divert, a detected person who did not engage with an earlier referral gets a formal outcome (charge or
    caution) only while that referral is recent; an older one is spent and they are referred again."""
    memory = 104
    s = with_changes(
        shorten(baseline, "2021-12-31"),
        {
            "scenario": {"start": "2021-06-01"},
            "parameters": {
                "pwits_suspicion_prob": 0.0,
                "divert_officer_use_prob": 1.0,
                "divert_nonengagement_memory_weeks": memory,
                "cannabis_cessation_per_year": 0.0,  # and young users (below the maturing-out ages): nobody stops
            },
        },
    )
    m = DrugMarketModel(s, seed=0)
    pop = m.pop
    users = np.flatnonzero((pop.kind == Kind.CANNABIS) & (pop.status == Status.USING) & (pop.age0 < 25))
    recent, spent = users[:20], users[20:40]
    pop.divert_nonengaged_week[recent] = -(memory - 2)  # within the memory at week 0
    pop.divert_nonengaged_week[spent] = -(memory + 1)  # older than the memory
    _detect_only(m, np.concatenate([recent, spent]))
    m.step()
    formal = pop.n_charge + pop.n_caution
    assert (formal[recent] == 1).all() and (pop.n_divert[recent] == 0).all()
    assert (formal[spent] == 0).all() and (pop.n_divert[spent] == 1).all()
    r = m.results[0]
    assert r[INDEX["divert_referrals"]].sum() == spent.size
    assert (r[INDEX["possession_charges"]] + r[INDEX["possession_cautions"]]).sum() == recent.size
    # Detected again: in week 1 their non-engagement is still within the memory (a second formal outcome); in
    # week 2 it is not, and they are referred to Divert.
    m.step()
    assert (formal[recent] == 1).all()  # `formal` is a snapshot
    assert ((pop.n_charge + pop.n_caution)[recent] == 2).all() and (pop.n_divert[recent] == 0).all()
    m.step()
    assert ((pop.n_charge + pop.n_caution)[recent] == 2).all() and (pop.n_divert[recent] == 1).all()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_baseline_possession_charges_do_not_drift(baseline, seed):
    """With no change of policy after 2024, charges in 2030 stay within 30% of 2024's (they rose about 50%
    before users turned over and non-engagement aged out)."""
    res = run_one(baseline, seed)
    y2024 = total(baseline, res, "possession_charges", "2024-01-01", "2024-12-31")
    y2030 = total(baseline, res, "possession_charges", "2030-01-01", "2030-12-31")
    assert 0.7 < y2030 / y2024 < 1.3
