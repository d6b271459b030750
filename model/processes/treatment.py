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
from drugsim.population import (
    FOREVER,
    NEVER,
    O2R_ASSESSING,
    O2R_CHARITY_BED,
    O2R_NONE,
    O2R_REGULAR_BED,
    O2R_WAITING,
    Status,
)
from drugsim.processes import naloxone_kits as kits
from drugsim.processes._tables import in_status

#: States in which an O2R client stays on a worker's caseload (in the community).
_ON_CASELOAD = in_status(Status.USING, Status.TREATMENT, Status.HAT)


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
    released = due[st[due] == Status.PRISON.value]
    st[released] = Status.USING
    pop.risk_until[released] = week + int(p["release_risk_weeks"])
    pop.risk_mult[released] = p["release_overdose_multiplier"]
    discharged = due[st[due] == Status.REHAB.value]
    pop.o2r_client[discharged] = False
    pop.o2r_bed[discharged] = 0
    abstinent = u[discharged] < p["rehab_abstinent_exit_prob"]
    st[discharged[abstinent]] = Status.ABSTINENT
    st[discharged[~abstinent]] = Status.USING

    using = s == Status.USING.value
    enters = cand[using & (uc < p_in)]
    st[cand[using & (uc >= p_in) & (uc < p_in + p_stop)]] = Status.ABSTINENT
    in_tx = s == Status.TREATMENT.value
    leaves = in_tx & (uc < p_out)
    success = leaves & (uc < p_out * p["treatment_successful_exit_share"])
    st[cand[success]] = Status.ABSTINENT
    dropout = cand[leaves & ~success]
    st[dropout] = Status.USING
    pop.risk_until[dropout] = week + int(p["treatment_exit_risk_weeks"])
    pop.risk_mult[dropout] = p["treatment_exit_overdose_multiplier"]
    st[cand[(s == Status.ABSTINENT.value) & (uc < p_relapse)]] = Status.USING
    st[cand[(s == Status.HAT.value) & (uc < p_hat_out)]] = Status.TREATMENT
    enter_treatment(m, enters)
    rehab = in_tx & (uc >= p_out) & (uc < p_out + p_rehab)
    admit_to_rehab(m, cand[rehab], (uc[rehab] - p_out) / p_rehab)

    hat(m)
    offender_to_rehab(m)
    reinvested_treatment(m)
    initiation(m)
    kits.distribute(m, released)


def hat(m) -> None:
    """Referral of treatment-refractory heroin users to the HAT waiting list, and filling of places: a share of each
    area's places kept for prolific offenders (Middlesbrough's cohort), the rest longest-waiting first."""
    pop, p, lv, week = m.pop, m.p, m.levers, m.week
    o = pop.ocu
    st = pop.status[o]
    places = lv.hat_places
    in_hat = st == Status.HAT.value
    if not places.any() and not in_hat.any():
        return
    rng = m.streams["hat"]
    la = pop.la[o]
    wait = pop.hat_wait_since[o]
    # Eligible: heroin users who have not responded to other treatment (several episodes already), using or
    # in OST, in an area with places.
    eligible = (
        pop.opioid[o]
        & ((st == Status.USING.value) | (st == Status.TREATMENT.value))
        & (pop.n_treatment_episodes[o] >= p["hat_min_prior_episodes"])
        & (places[la] > 0)
    )
    u = rng.random(o.stop)
    wait[eligible & (wait == NEVER) & (u < p["hat_referral_prob_per_week"])] = week
    wait[~eligible] = NEVER
    prolific = pop.prolific[o]
    occupied = np.bincount(la[in_hat], minlength=N_LA)
    starts = np.zeros(N_LA)
    for a in np.flatnonzero(occupied != places):
        if occupied[a] > places[a]:  # places withdrawn: patients return to OST
            back = np.flatnonzero(in_hat & (la == a))[: occupied[a] - places[a]]
            st[back] = Status.TREATMENT
            continue
        take = _hat_intake(wait, la == a, prolific, in_hat, places[a] - occupied[a], places[a], p)
        st[take] = Status.HAT
        wait[take] = NEVER
        starts[a] = take.size
    m.add("hat_starts", starts)


def _hat_intake(wait, here, prolific, in_hat, free, places, p) -> np.ndarray:
    """Rows to start HAT in one area. A share of the places is kept for prolific offenders: those on the list
    take them first; the other places go to anyone on the list; longest-waiting first in each case. A kept
    place nobody prolific is waiting for stays empty until one is referred (the service waits for its cohort)."""
    queue = np.flatnonzero((wait != NEVER) & here)
    queue = queue[np.argsort(wait[queue], kind="stable")]
    kept = int(np.ceil(p["hat_prolific_place_share"] * places)) - int((in_hat & here & prolific).sum())
    kept = min(max(kept, 0), free)
    first = queue[prolific[queue]][:kept]
    rest = np.setdiff1d(queue, first, assume_unique=True)
    rest = rest[np.argsort(wait[rest], kind="stable")][: free - kept]
    return np.concatenate([first, rest])


def offender_to_rehab(m) -> None:
    """Offending to Recovery as a pipeline: staff refer prolific offenders while their caseloads have room, the
    referral is assessed over some weeks, those put forward for rehab wait for a bed (charity beds first, then
    regular commissioned beds) and may drop out while waiting; nobody is admitted beyond the beds."""
    pop, p, lv, week = m.pop, m.p, m.levers, m.week
    o = pop.ocu
    stage = pop.o2r_stage[o]  # views: writes go to the population
    since = pop.o2r_since[o]
    open_ = np.flatnonzero(stage != O2R_NONE)  # a bool mask: nonzero on the int8 stages takes 5 times as long
    if not lv.o2r_staff.any() and open_.size == 0:
        return
    rng = m.streams["o2r"]
    st = pop.status[o]
    # Clients who leave the community (prison, death, abstinence, another rehab) leave the caseload.
    gone = ~_ON_CASELOAD[st[open_]]
    stage[open_[gone]] = O2R_NONE
    open_ = open_[~gone]
    _assess(m, stage, since, open_[(stage[open_] == O2R_ASSESSING) & (since[open_] <= week)], rng)
    waiting = open_[stage[open_] == O2R_WAITING]
    drop = rng.random(waiting.size) < weekly_prob(p["o2r_wait_dropout_per_year"])
    stage[waiting[drop]] = O2R_NONE  # they stay in the community as they were
    _admit(m, stage, since, waiting[~drop], rng)
    caseload = _caseload(m)
    referred = _refer(m, stage, since, rng, caseload)
    la = pop.la[o]
    m.add("o2r_waiting", np.bincount(la[stage == O2R_WAITING], minlength=N_LA))
    m.add("o2r_caseload", caseload + referred)  # those referred this week join the caseload


def _caseload(m) -> np.ndarray:
    """Open O2R clients by LA: in assessment, waiting for a bed, or in rehab through O2R."""
    pop = m.pop
    o = pop.ocu
    held = (pop.o2r_stage[o] != O2R_NONE) | (pop.o2r_client[o] & (pop.status[o] == Status.REHAB.value))
    return np.bincount(pop.la[o][held], minlength=N_LA)


def _assess(m, stage, since, due: np.ndarray, rng) -> None:
    """Assessments that end this week: enrolled and put forward for rehab join the bed waiting list; the rest
    leave the caseload (referred on to other services or not enrolled) and stay in the community."""
    p = m.p
    v = rng.random(due.size)
    joins = v < p["o2r_assessed_prob"] * p["o2r_admission_prob"]
    stage[due[~joins]] = O2R_NONE
    stage[due[joins]] = O2R_WAITING
    since[due[joins]] = m.week


def _admit(m, stage, since, waiting: np.ndarray, rng) -> None:
    """Fill free O2R beds from the force-wide waiting list, longest-waiting first; charity beds first (cheaper,
    shared by every area), then regular commissioned beds; never beyond the beds or `max_residents`."""
    pop, lv = m.pop, m.levers
    if waiting.size == 0:
        return
    o = pop.ocu
    resident = pop.o2r_client[o] & (pop.status[o] == Status.REHAB.value)
    bed = pop.o2r_bed[o]
    charity_free = max(lv.o2r_charity_beds - int(np.count_nonzero(resident & (bed == O2R_CHARITY_BED))), 0)
    regular_free = max(lv.o2r_regular_beds - int(np.count_nonzero(resident & (bed == O2R_REGULAR_BED))), 0)
    room = min(charity_free + regular_free, max(lv.o2r_max_residents - int(np.count_nonzero(resident)), 0))
    n = int(min(room, waiting.size))
    if n <= 0:
        return
    idx = waiting[np.argsort(since[waiting], kind="stable")][:n]
    admit_to_rehab(m, idx, rng.random(n))
    stage[idx] = O2R_NONE
    pop.o2r_client[idx] = True
    charity = idx[: min(charity_free, n)]
    bed[idx] = O2R_REGULAR_BED
    bed[charity] = O2R_CHARITY_BED
    m.add("o2r_admissions", np.bincount(pop.la[idx], minlength=N_LA))
    m.add("o2r_charity_admissions", np.bincount(pop.la[charity], minlength=N_LA))


def _refer(m, stage, since, rng, caseload: np.ndarray) -> np.ndarray:
    """Referrals at the pilot's rate per worker, but only into room on the workers' caseloads (`caseload`: open
    clients by LA before them); returns the referrals by LA."""
    pop, p, lv = m.pop, m.p, m.levers
    o = pop.ocu
    wanted = rng.poisson(lv.o2r_staff * p["o2r_referrals_per_staff_year"] / WEEKS_PER_YEAR)
    room = np.maximum(np.floor(lv.o2r_staff * p["o2r_caseload_per_staff"]) - caseload, 0)
    n = np.minimum(wanted, room).astype(int)
    referred = np.zeros(N_LA)
    if not n.any():
        return referred
    prolific = m.prolific_rows[m.prolific_rows < o.stop]
    s = pop.status[prolific]
    prolific = prolific[((s == Status.USING.value) | (s == Status.TREATMENT.value)) & (stage[prolific] == O2R_NONE)]
    delay = max(int(round(p["o2r_assessment_weeks"])), 0)
    for a in np.flatnonzero(n):
        pool = prolific[pop.la[prolific] == a]
        chosen = rng.choice(pool, size=min(n[a], pool.size), replace=False)
        stage[chosen] = O2R_ASSESSING
        since[chosen] = m.week + delay  # the week the assessment ends
        referred[a] = chosen.size
    m.add("o2r_referrals", referred)
    return referred


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
    using = np.flatnonzero(pop.status[o] == Status.USING.value)
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
