"""Treatment flows: entry, retention and exit of OST; relapse and cessation; prison release and rehab
discharge; HAT waiting list and places; Offender to Rehab referrals; initiation of new OCUs.

One uniform draw per OCU row per week decides that person's competing transitions, based on their status
at the start of the process, so nobody makes two moves in one week; the draws and the order of transitions
do not depend on which interventions are on.
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR, weekly_prob
from drugsim.levers import N_LA
from drugsim.population import FOREVER, NEVER, Status
from drugsim.processes import naloxone_kits as kits


def enter_treatment(m, idx: np.ndarray) -> None:
    """Move `idx` (OCU rows, assumed using) into treatment, counting the entry."""
    if idx.size == 0:
        return
    pop = m.pop
    pop.status[idx] = Status.TREATMENT
    pop.n_treatment_episodes[idx] += 1
    m.add("treatment_entries", np.bincount(pop.la[idx], minlength=N_LA))


def stay_weeks(v: np.ndarray, mean: float) -> np.ndarray:
    """Lengths of stay (weeks, at least 1), geometric with the given mean, from uniforms `v`."""
    q = 1.0 / max(mean, 1.0)
    if q >= 1.0:
        return np.ones(np.shape(v), dtype=np.int32)
    return np.maximum(1, np.ceil(np.log1p(-np.asarray(v)) / np.log1p(-q))).astype(np.int32)


def admit_to_rehab(m, idx: np.ndarray, v: np.ndarray) -> None:
    """Admit `idx` to residential rehab; `v` are their uniforms for the length of stay."""
    pop = m.pop
    pop.status[idx] = Status.REHAB
    pop.state_until[idx] = m.week + stay_weeks(v, m.p["rehab_mean_weeks"])
    m.add("rehab_admissions", np.bincount(pop.la[idx], minlength=N_LA))


def treatment(m) -> None:
    pop, p, week = m.pop, m.p, m.week
    rng = m.streams["treatment"]
    o = pop.ocu
    st = pop.status[o]  # a view: writes go to the population
    u = rng.random(o.stop)

    # Weekly transition chances; a person moves at most once, so only low draws need a look.
    p_in = weekly_prob(p["treatment_self_entry_per_year"])
    p_stop = weekly_prob(p["spontaneous_cessation_per_year"])
    p_out = weekly_prob(p["treatment_exit_per_year"])
    p_rehab = weekly_prob(p["community_rehab_entry_per_year"])
    p_relapse = weekly_prob(p["abstinent_relapse_per_year"])
    p_hat_out = weekly_prob(p["hat_dropout_per_year"])
    cand = np.flatnonzero(u < max(p_in + p_stop, p_out + p_rehab, p_relapse, p_hat_out))
    s, uc = st[cand], u[cand]

    # Discharges from prison and rehab at the end of their stay (these people make no other move).
    due = np.flatnonzero(pop.state_until[o] <= week)
    pop.state_until[due] = FOREVER
    released = due[st[due] == Status.PRISON]
    st[released] = Status.USING
    pop.risk_until[released] = week + int(p["release_risk_weeks"])
    pop.risk_mult[released] = p["release_overdose_multiplier"]
    discharged = due[st[due] == Status.REHAB]
    pop.o2r_client[discharged] = False
    abstinent = u[discharged] < p["rehab_abstinent_exit_prob"]
    st[discharged[abstinent]] = Status.ABSTINENT
    st[discharged[~abstinent]] = Status.USING

    using = s == Status.USING
    enters = cand[using & (uc < p_in)]
    st[cand[using & (uc >= p_in) & (uc < p_in + p_stop)]] = Status.ABSTINENT
    in_tx = s == Status.TREATMENT
    leaves = in_tx & (uc < p_out)
    success = leaves & (uc < p_out * p["treatment_successful_exit_share"])
    st[cand[success]] = Status.ABSTINENT
    dropout = cand[leaves & ~success]
    st[dropout] = Status.USING
    pop.risk_until[dropout] = week + int(p["treatment_exit_risk_weeks"])
    pop.risk_mult[dropout] = p["treatment_exit_overdose_multiplier"]
    st[cand[(s == Status.ABSTINENT) & (uc < p_relapse)]] = Status.USING
    st[cand[(s == Status.HAT) & (uc < p_hat_out)]] = Status.TREATMENT
    enter_treatment(m, enters)
    rehab = in_tx & (uc >= p_out) & (uc < p_out + p_rehab)
    admit_to_rehab(m, cand[rehab], (uc[rehab] - p_out) / p_rehab)

    hat(m)
    offender_to_rehab(m)
    reinvested_treatment(m)
    initiation(m)
    kits.distribute(m, released)


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
    # Eligible: heroin users who have not responded to other treatment (several episodes already), using or
    # in OST, in an area with places.
    eligible = (
        pop.opioid[o]
        & ((st == Status.USING) | (st == Status.TREATMENT))
        & (pop.n_treatment_episodes[o] >= p["hat_min_prior_episodes"])
        & (places[la] > 0)
    )
    u = rng.random(o.stop)
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
    referrals = rng.poisson(lv.o2r_staff * p["o2r_referrals_per_staff_year"] / WEEKS_PER_YEAR)
    beds_free = lv.o2r_max_residents - pop.o2r_client.sum()
    admitted = []
    prolific = m.prolific_rows[m.prolific_rows < o.stop]
    s = pop.status[prolific]
    prolific = prolific[(s == Status.USING) | (s == Status.TREATMENT)]
    for a in np.flatnonzero(referrals):
        pool = prolific[pop.la[prolific] == a]
        chosen = rng.choice(pool, size=min(referrals[a], pool.size), replace=False)
        v = rng.random(chosen.size)
        ok = v < p["o2r_assessed_prob"] * p["o2r_admission_prob"]
        admitted.append((chosen[ok], rng.random(ok.sum())))
    m.add("o2r_referrals", referrals)
    if admitted:
        idx = np.concatenate([a for a, _ in admitted])
        v = np.concatenate([v for _, v in admitted])
        if idx.size > beds_free:  # no bed: the client waits in the community (not admitted this week)
            keep = int(max(beds_free, 0))
            idx, v = idx[:keep], v[:keep]
        admit_to_rehab(m, idx, v)
        pop.o2r_client[idx] = True
        m.add("o2r_admissions", np.bincount(pop.la[idx], minlength=N_LA))


def reinvested_treatment(m) -> None:
    """Seized assets realised this week fund treatment episodes (a share set by the lever), by LA."""
    lv, p = m.levers, m.p
    receipts = m.asset_receipts[m.week]
    m.add("asset_receipts_gbp", receipts)
    if lv.reinvest_share <= 0:
        return
    m.reinvest_fund += receipts * lv.reinvest_share
    o = m.pop.ocu
    # An average episode; if nobody ever leaves treatment an episode never ends, and no fund can buy one.
    exits = p["treatment_exit_per_year"]
    cost = p["ost_cost_gbp_per_year"] / exits if exits > 0 else np.inf
    # Episodes the fund can buy: none without money (a fund a rounding error below 0 included), all it wants if
    # episodes are free, and never more than there are people (so the count fits an integer whatever the money).
    with np.errstate(divide="ignore", invalid="ignore"):
        afford = np.where(m.reinvest_fund > 0, m.reinvest_fund / cost, 0.0)
    n = np.floor(np.minimum(afford, o.stop)).astype(int)
    if not n.any():
        return
    pop = m.pop
    rng = m.streams["reinvestment"]
    using = np.flatnonzero(pop.status[o] == Status.USING)
    funded = np.zeros(N_LA)
    for a in np.flatnonzero(n):
        pool = using[pop.la[using] == a]
        take = rng.choice(pool, size=min(n[a], pool.size), replace=False)
        enter_treatment(m, take)
        funded[a] = take.size
    m.reinvest_fund -= funded * cost
    m.add("reinvested_treatment_entries", funded)
    m.add("reinvested_gbp", funded * cost)


def initiation(m) -> None:
    """New OCUs take the next reserve slots (whose LA and demographics were drawn at the start)."""
    n = int(m.streams["initiation"].poisson(m.p["ocu_initiation_per_year"] / WEEKS_PER_YEAR))
    if n:
        idx = m.pop.start_ocus(n, m.week)
        m.add("new_ocus", np.bincount(m.pop.la[idx], minlength=N_LA))
