"""Overdose, naloxone reversal and death; other-cause deaths of OCUs; fatal cocaine poisoning.

Opiate users overdose at a weekly hazard modified by treatment, by the weeks after prison release or
leaving treatment, and by adulterant waves. A witnessed overdose is reversed where naloxone is at hand
(a peer kit or an officer carrying it); an unreversed overdose is fatal with a set chance.
"""

from __future__ import annotations

import numpy as np

from model.calendar import WEEKS_PER_YEAR, weekly_prob
from model.levers import N_LA
from model.population import Status
from model.processes._tables import by_status


def overdose(m) -> None:
    pop, p, lv, week = m.pop, m.p, m.levers, m.week
    rng = m.streams["overdose"]
    o = pop.ocu
    st = pop.status[o]
    la = pop.la[o]
    u = rng.random((3, pop.n_ocu), dtype=np.float32)

    mult = by_status(using=1.0, treatment=p["ost_overdose_multiplier"], hat=p["hat_overdose_multiplier"])[st]
    mult = np.where(pop.risk_until[o] >= week, mult * pop.risk_mult[o], mult) * lv.overdose_mult[la]
    hazard = mult * np.float32(weekly_prob(p["overdose_rate_per_year"])) * pop.opioid[o]
    od = np.flatnonzero(u[0] < hazard)

    # Naloxone at the scene: peer kits, then officers in the LA (independent chances).
    officer_p = -np.expm1(np.log1p(-p["officer_naloxone_attend_prob_per_officer"]) * lv.naloxone_officers)
    peer_p = p["peer_naloxone_at_witnessed_prob"]
    od_la = la[od]
    on_site = st[od] == Status.HAT  # supervised dosing: always witnessed, naloxone to hand
    w = p["overdose_witnessed_prob"]
    witnessed = on_site | (u[1, od] < w)
    v = np.where(on_site, 0.0, u[1, od] / w)  # uniform again, given witnessed
    by_peer = witnessed & (v < peer_p)
    by_officer = witnessed & ~by_peer & ((v - peer_p) / (1 - peer_p) < officer_p[od_la])
    attempted = by_peer | by_officer
    # One draw decides both a failed reversal (rare) and fatality without naloxone.
    d2 = u[2, od]
    reversed_ = attempted & (d2 >= 1 - p["naloxone_reversal_prob"])
    fatal_p = np.minimum(1.0, p["overdose_fatality_prob"] * lv.fatality_mult[od_la])
    dies = ~reversed_ & (d2 < fatal_p)
    dead = od[dies]
    st[dead] = Status.DEAD

    # Other causes and crack-only poisoning among those who did not overdose, on the same third draw.
    alive = (st != Status.DEAD) & (st != Status.NOT_STARTED)
    p_other = np.float32(weekly_prob(p["ocu_other_death_rate_per_year"]))
    p_coc = np.float32(weekly_prob(p["cocaine_poisoning_death_rate_per_year"]))
    not_od = np.ones(pop.n_ocu, dtype=bool)
    not_od[od] = False
    other = np.flatnonzero(alive & not_od & (u[2] < p_other))
    crack = np.flatnonzero(
        alive & not_od & ~pop.opioid[o] & (st == Status.USING) & (u[2] >= p_other) & (u[2] < p_other + p_coc)
    )
    st[other] = Status.DEAD
    st[crack] = Status.DEAD

    # Powder cocaine users: rare deaths, sampled.
    coc = m.cocaine_rows
    k = rng.poisson(m.alive_users["cocaine"].sum() * p["cocaine_poisoning_death_rate_per_year"] / WEEKS_PER_YEAR)
    c = np.unique(coc[rng.integers(0, coc.size, k)])
    c = c[pop.status[c] == Status.USING]
    pop.status[c] = Status.DEAD
    c_la = np.bincount(pop.la[c], minlength=N_LA)
    m.alive_users["cocaine"] -= c_la

    m.add("overdoses", np.bincount(od_la, minlength=N_LA))
    m.add("overdoses_reversed", np.bincount(od_la[reversed_], minlength=N_LA))
    m.add("officer_naloxone_reversals", np.bincount(od_la[reversed_ & by_officer], minlength=N_LA))
    m.add("drug_deaths", np.bincount(od_la[dies], minlength=N_LA)
          + np.bincount(la[crack], minlength=N_LA) + c_la)
    m.add("deaths_other_causes", np.bincount(la[other], minlength=N_LA))
