"""Custody: arrests for trigger offences, drug testing on arrest, arrest referral (CARS, RADAR) into
treatment, and custodial sentences.

Arrested OCUs' decisions come from one uniform per OCU row per week (split into a chain of decisions), so
the draws stay aligned across scenarios; sampled arrests of cocaine users use their own stream.
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR
from drugsim.levers import N_LA
from drugsim.population import Status
from drugsim.processes.split import split
from drugsim.processes.treatment import enter_treatment, stay_weeks


def _referrals(m, positive: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who the arrest referral service refers (all routes), which came through RADAR, and fresh uniforms.

    Route 1: after a positive test on arrest, or voluntarily after a negative test or none; route 2 (RADAR,
    from its launch): a detainee not referred by route 1 asks to see a drug worker at the custody risk
    assessment. Only arrests passing through a custody block with arrest referral workers can be referred."""
    p, lv = m.p, m.levers
    p_ref = np.where(positive, p["cars_referral_prob_positive_test"], p["cars_voluntary_referral_prob"])
    p_radar = p["radar_referral_prob"] if lv.radar_active else 0.0
    p_any = (p_ref + (1 - p_ref) * p_radar) * (lv.cars_active * lv.cars_coverage)
    referred, v = split(v, p_any)
    with np.errstate(divide="ignore", invalid="ignore"):
        radar_given_referred = np.where(p_any > 0, (1 - p_ref) * p_radar / (p_ref + (1 - p_ref) * p_radar), 0.0)
    radar, v = split(v, radar_given_referred * referred)
    return referred, radar, v


def custody(m) -> None:
    pop, p, lv, week = m.pop, m.p, m.levers, m.week
    u = m.streams["custody"].random(pop.ocu.stop)

    # OCUs arrested this week (drawn by the offending process).
    a = m.arrested
    st = pop.status[a]
    la = pop.la[a]
    using = (st == Status.USING.value) | (st == Status.TREATMENT.value) | (st == Status.HAT.value)
    tested = lv.drug_testing_active
    positive, v = split(u[a], p["drug_test_positive_prob"] * (tested & using))
    referred, radar, v = _referrals(m, positive, v)
    sentenced, v = split(v, p["custodial_sentence_prob"])
    to_prison = a[sentenced]
    pop.status[to_prison] = Status.PRISON
    pop.state_until[to_prison] = week + stay_weeks(v[sentenced], p["prison_mean_weeks"])
    np.add.at(pop.n_cars, a[referred], 1)
    entering = referred & ~sentenced & (st == Status.USING.value) & (v < p["cars_treatment_entry_prob"])
    enter_treatment(m, a[entering])
    m.add("cars_treatment_entries", np.bincount(la[entering], minlength=N_LA))

    # Powder cocaine users arrested for trigger offences: sampled, as most are never arrested.
    rng = m.streams["custody_cocaine"]
    coc = m.cocaine_rows
    k = rng.poisson(m.alive_users["cocaine"].sum() * p["cocaine_user_arrest_rate_per_year"] / WEEKS_PER_YEAR)
    c = coc[rng.integers(0, coc.size, k)]
    uc = rng.random(k)
    alive = pop.status[c] == Status.USING.value
    c, uc = c[alive], uc[alive]
    c_positive, vc = split(uc, p["drug_test_positive_prob"] * tested)
    c_referred, c_radar, _ = _referrals(m, c_positive, vc)
    c_la = pop.la[c]

    m.add("arrests_ocu", np.bincount(la, minlength=N_LA))
    if tested:
        m.add("drug_tests", np.bincount(la, minlength=N_LA) + np.bincount(c_la, minlength=N_LA))
    m.add("cars_referrals", np.bincount(la[referred], minlength=N_LA) + np.bincount(c_la[c_referred], minlength=N_LA))
    m.add("radar_referrals", np.bincount(la[radar], minlength=N_LA) + np.bincount(c_la[c_radar], minlength=N_LA))
    route1 = referred & ~radar
    c_route1 = c_referred & ~c_radar
    m.add(
        "cars_referrals_tested",
        np.bincount(la[route1 & positive], minlength=N_LA) + np.bincount(c_la[c_route1 & c_positive], minlength=N_LA),
    )
    m.add(
        "cars_referrals_voluntary",
        np.bincount(la[route1 & ~positive], minlength=N_LA) + np.bincount(c_la[c_route1 & ~c_positive], minlength=N_LA),
    )
    m.add("prison_receptions", np.bincount(pop.la[to_prison], minlength=N_LA))
