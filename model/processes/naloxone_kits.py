"""Take-home naloxone kits: who holds one, how they are given out and how they run out.

Kits are given to prison leavers, to people in treatment and through outreach while the take-home lever is on;
a kit expires after `naloxone_kit_life_weeks` and is used up when it reverses an overdose. The overdose process
reads kit coverage (`coverage`) and calls `use_peer_kits` when a peer's kit is used.
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import weekly_prob
from drugsim.levers import N_LA
from drugsim.population import NEVER, Status


def distribute(m, released: np.ndarray) -> None:
    """Give out kits this week (one uniform per started OCU row, so draws stay aligned across scenarios)."""
    pop, p, week = m.pop, m.p, m.week
    if not m.levers.thn_active:
        return
    o = pop.ocu
    u = m.streams["naloxone_kits"].random(o.stop)
    st = pop.status[o]
    without = pop.kit_until[o] < week
    rate = np.zeros(o.stop)
    rate[st == Status.TREATMENT.value] = weekly_prob(p["thn_treatment_kits_per_year"])
    rate[st == Status.USING.value] = weekly_prob(p["thn_outreach_kits_per_year"])
    rate[released] = p["thn_release_kit_prob"]
    given = np.flatnonzero(without & (u < rate))
    pop.kit_until[given] = week + int(p["naloxone_kit_life_weeks"])
    m.kits_issued += given.size
    m.add("thn_kits_issued", np.bincount(pop.la[given], minlength=N_LA))


def holders(m) -> np.ndarray:
    """Rows of community OCUs holding an in-date kit."""
    pop = m.pop
    o = pop.ocu
    held = np.flatnonzero(pop.kit_until[o] >= m.week)
    st = pop.status[held]
    return held[(st == Status.USING.value) | (st == Status.TREATMENT.value) | (st == Status.HAT.value)]


def coverage(m, held: np.ndarray) -> np.ndarray:
    """Share of community OCUs in each LA who hold a kit."""
    counts = m.status_counts()
    community = counts[:, [Status.USING, Status.TREATMENT, Status.HAT]].sum(axis=1)
    return np.bincount(m.pop.la[held], minlength=N_LA) / np.maximum(community, 1)


def use_peer_kits(m, held: np.ndarray, la_used: np.ndarray) -> None:
    """A peer's kit was used at an overdose in each of `la_used`: a random holder there loses theirs."""
    if la_used.size == 0 or held.size == 0:
        return
    rng = m.streams["naloxone_kits_used"]
    held_la = m.pop.la[held]
    for a in la_used:
        pool = held[(held_la == a) & (m.pop.kit_until[held] != NEVER)]
        if pool.size:
            m.pop.kit_until[pool[rng.integers(pool.size)]] = NEVER
