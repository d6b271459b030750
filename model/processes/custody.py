"""Custody: arrests for trigger offences, drug testing on arrest, arrest referral (CARS, RADAR) into
treatment, and custodial sentences."""

from __future__ import annotations

import numpy as np

from model.calendar import WEEKS_PER_YEAR
from model.levers import N_LA
from model.population import Status
from model.processes.treatment import _stay_weeks, enter_treatment


def _referrals(m, positive: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Who the arrest referral service refers (all routes) and which of those came through RADAR."""
    p, lv = m.p, m.levers
    if not lv.cars_active:
        none = np.zeros(positive.size, dtype=bool)
        return none, none
    p_ref = np.where(positive, p["cars_referral_prob_positive_test"], p["cars_voluntary_referral_prob"])
    referred = u < p_ref
    radar = np.zeros_like(referred)
    if lv.radar_active:
        radar = ~referred & (u < p_ref + p["radar_referral_prob"])
        referred |= radar
    return referred, radar


def custody(m) -> None:
    pop, p, lv, week = m.pop, m.p, m.levers, m.week
    rng = m.streams["custody"]

    # OCUs arrested this week (drawn by the offending process).
    a = m.arrested
    st = pop.status[a]
    la = pop.la[a]
    u = rng.random((4, a.size))
    using = (st == Status.USING) | (st == Status.TREATMENT) | (st == Status.HAT)
    tested = lv.drug_testing_active
    positive = tested & using & (u[0] < p["drug_test_positive_prob"])
    referred, radar = _referrals(m, positive, u[1])
    sentenced = u[2] < p["custodial_sentence_prob"]
    to_prison = a[sentenced]
    pop.status[to_prison] = Status.PRISON
    pop.state_until[to_prison] = week + _stay_weeks(rng, p["prison_mean_weeks"], to_prison.size)
    np.add.at(pop.n_cars, a[referred], 1)
    entering = a[referred & ~sentenced & (st == Status.USING) & (u[3] < p["cars_treatment_entry_prob"])]
    enter_treatment(m, entering)

    # Powder cocaine users arrested for trigger offences: sampled, as most are never arrested.
    coc = m.cocaine_rows
    k = rng.poisson(m.alive_users["cocaine"].sum() * p["cocaine_user_arrest_rate_per_year"] / WEEKS_PER_YEAR)
    c = coc[rng.integers(0, coc.size, k)]
    c = c[pop.status[c] == Status.USING]
    uc = rng.random((2, c.size))
    c_positive = tested & (uc[0] < p["drug_test_positive_prob"])
    c_referred, c_radar = _referrals(m, c_positive, uc[1])
    c_la = pop.la[c]

    m.add("arrests_ocu", np.bincount(la, minlength=N_LA))
    if tested:
        m.add("drug_tests", np.bincount(la, minlength=N_LA) + np.bincount(c_la, minlength=N_LA))
    m.add("cars_referrals", np.bincount(la[referred], minlength=N_LA)
          + np.bincount(c_la[c_referred], minlength=N_LA))
    m.add("radar_referrals", np.bincount(la[radar], minlength=N_LA)
          + np.bincount(c_la[c_radar], minlength=N_LA))
    m.add("prison_receptions", np.bincount(pop.la[to_prison], minlength=N_LA))



