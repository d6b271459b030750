"""Treatment flows: entry, retention and exit of OST; relapse and cessation; prison release and rehab
discharge; HAT waiting list and places; Offender to Rehab referrals; initiation of new OCUs.

One uniform draw per OCU row per week decides that person's competing transitions, based on their status
at the start of the process, so nobody makes two moves in one week.
"""

from __future__ import annotations

import numpy as np

from model.calendar import WEEKS_PER_YEAR, weekly_prob
from model.levers import N_LA
from model.population import NEVER, Status


def enter_treatment(m, idx: np.ndarray) -> None:
    """Move `idx` (OCU rows, assumed using) into treatment, counting the entry."""
    if idx.size == 0:
        return
    pop = m.pop
    pop.status[idx] = Status.TREATMENT
    pop.n_treatment_episodes[idx] += 1
    m.add("treatment_entries", np.bincount(pop.la[idx], minlength=N_LA))


def _stay_weeks(rng: np.random.Generator, mean: float, n: int) -> np.ndarray:
    """Lengths of stay (weeks, at least 1), geometric with the given mean."""
    return rng.geometric(1.0 / max(mean, 1.0), n).astype(np.int32)


def admit_to_rehab(m, idx: np.ndarray, rng: np.random.Generator) -> None:
    pop = m.pop
    pop.status[idx] = Status.REHAB
    pop.state_until[idx] = m.week + _stay_weeks(rng, m.p["rehab_mean_weeks"], idx.size)
    m.add("rehab_admissions", np.bincount(pop.la[idx], minlength=N_LA))


def treatment(m) -> None:
    pop, p, week = m.pop, m.p, m.week
    rng = m.streams["treatment"]
    o = pop.ocu
    st = pop.status[o]  # a view: writes go to the population
    st0 = st.copy()
    u = rng.random(pop.n_ocu)
    until = pop.state_until[o]

    # Discharges from prison and rehab at the end of their stay.
    released = (st0 == Status.PRISON) & (until <= week)
    st[released] = Status.USING
    pop.risk_until[o][released] = week + int(p["release_risk_weeks"])
    pop.risk_mult[o][released] = p["release_overdose_multiplier"]
    discharged = (st0 == Status.REHAB) & (until <= week)
    stays_abstinent = discharged & (u < p["rehab_abstinent_exit_prob"])
    st[stays_abstinent] = Status.ABSTINENT
    st[discharged & ~stays_abstinent] = Status.USING

    # Community transitions, competing risks on one draw.
    p_in = weekly_prob(p["treatment_self_entry_per_year"])
    p_stop = weekly_prob(p["spontaneous_cessation_per_year"])
    p_out = weekly_prob(p["treatment_exit_per_year"])
    p_rehab = weekly_prob(p["community_rehab_entry_per_year"])
    using = st0 == Status.USING
    enters = using & (u < p_in)
    st[using & (u >= p_in) & (u < p_in + p_stop)] = Status.ABSTINENT
    in_tx = st0 == Status.TREATMENT
    leaves = in_tx & (u < p_out)
    success = leaves & (u < p_out * p["treatment_successful_exit_share"])
    st[success] = Status.ABSTINENT
    dropout = leaves & ~success
    st[dropout] = Status.USING
    pop.risk_until[o][dropout] = week + int(p["treatment_exit_risk_weeks"])
    pop.risk_mult[o][dropout] = p["treatment_exit_overdose_multiplier"]
    st[(st0 == Status.ABSTINENT) & (u < weekly_prob(p["abstinent_relapse_per_year"]))] = Status.USING
    st[(st0 == Status.HAT) & (u < weekly_prob(p["hat_dropout_per_year"]))] = Status.TREATMENT
    enter_treatment(m, np.flatnonzero(enters))
    to_rehab = np.flatnonzero(in_tx & (u >= p_out) & (u < p_out + p_rehab))
    admit_to_rehab(m, to_rehab, rng)

    hat(m)
    offender_to_rehab(m)
    initiation(m)


def hat(m) -> None:
    """Referral to the HAT waiting list and filling of places, longest-waiting first."""
    pop, p, lv, week = m.pop, m.p, m.levers, m.week
    o = pop.ocu
    st = pop.status[o]
    places = lv.hat_places
    in_hat = st == Status.HAT
    if not places.any() and not in_hat.any():
        return
    rng = m.streams["hat"]
    la = pop.la[o]
    wait = pop.hat_wait_since[o]
    # Eligible: heroin users who have been in treatment before and are using or in OST in a HAT area.
    eligible = (
        pop.opioid[o]
        & ((st == Status.USING) | (st == Status.TREATMENT))
        & (pop.n_treatment_episodes[o] > 0)
        & (places[la] > 0)
    )
    u = rng.random(pop.n_ocu)
    wait[eligible & (wait == NEVER) & (u < p["hat_referral_prob_per_week"])] = week
    wait[~eligible] = NEVER
    occupied = np.bincount(la[in_hat], minlength=N_LA)
    starts = np.zeros(N_LA)
    for a in np.flatnonzero(occupied != places):
        if occupied[a] > places[a]:  # places withdrawn: patients return to OST
            back = np.flatnonzero(in_hat & (la == a))[: occupied[a] - places[a]]
            st[back] = Status.TREATMENT
            continue
        queue = np.flatnonzero((wait != NEVER) & (la == a))
        take = queue[np.argsort(wait[queue], kind="stable")][: places[a] - occupied[a]]
        st[take] = Status.HAT
        wait[take] = NEVER
        starts[a] = take.size
    m.add("hat_starts", starts)


def offender_to_rehab(m) -> None:
    """O2R staff refer prolific offenders who use drugs; some are assessed and admitted to rehab."""
    pop, p, lv = m.pop, m.p, m.levers
    if not lv.o2r_staff.any():
        return
    rng = m.streams["o2r"]
    o = pop.ocu
    st = pop.status[o]
    referrals = rng.poisson(lv.o2r_staff * p["o2r_referrals_per_staff_year"] / WEEKS_PER_YEAR)
    admitted = []
    for a in np.flatnonzero(referrals):
        pool = np.flatnonzero(
            pop.prolific[o] & (pop.la[o] == a) & ((st == Status.USING) | (st == Status.TREATMENT))
        )
        chosen = rng.choice(pool, size=min(referrals[a], pool.size), replace=False)
        ok = rng.random(chosen.size) < p["o2r_assessed_prob"] * p["o2r_admission_prob"]
        admitted.append(chosen[ok])
    m.add("o2r_referrals", referrals)
    if admitted:
        idx = np.concatenate(admitted)
        admit_to_rehab(m, idx, rng)
        m.add("o2r_admissions", np.bincount(pop.la[idx], minlength=N_LA))


def initiation(m) -> None:
    """New OCUs take the next reserve slots (whose LA and demographics were drawn at the start)."""
    n = int(m.streams["initiation"].poisson(m.p["ocu_initiation_per_year"] / WEEKS_PER_YEAR))
    if n == 0:
        return
    pop = m.pop
    start = m.next_reserve_slot
    if start + n > pop.n_ocu:
        raise RuntimeError("OCU reserve slots exhausted; raise the reserve in population.py")
    idx = np.arange(start, start + n)
    pop.status[idx] = Status.USING
    m.next_reserve_slot += n
    m.add("new_ocus", np.bincount(pop.la[idx], minlength=N_LA))
