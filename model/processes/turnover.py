"""Turnover of people: cannabis and cocaine users (below) and OCUs' migration (`ocu_migration`).

Cannabis and cocaine users: people stop using (at a rate that rises with age: maturing out) or
turn 60 and leave the CSEW base, and each is replaced in the same LA by a new user (`Population.renew_users`),
so prevalence stays at its data level while the people change and their criminal-justice history goes with them.

Draws come from the streams "turnover" and "ocu_migration", so no other process's draws change.
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR, weekly_prob
from drugsim.levers import N_LA
from drugsim.population import USER_MAX_AGE, Kind, Status
from drugsim.processes._sets import sorted_unique, union
from drugsim.processes._tables import in_status


def turnover(m) -> None:
    pop, week = m.pop, m.week
    rng = m.streams["turnover"]
    years = week / WEEKS_PER_YEAR
    leaving = []
    for k in (Kind.COCAINE, Kind.CANNABIS):
        rows = pop.rows_of[k]
        profile = pop.profiles[k]
        size = rows.stop - rows.start
        # Few stop in a week, so stops are sampled: each row is hit with the chance of the highest hazard (at
        # 60), as Poisson hits drawn in one go, and a hit stops the person with the ratio of their chance to that
        # one (exact thinning of independent weekly chances).
        # (Capped below 1 so the number of hits stays finite even at a hazard no plausible range allows.)
        p_max = min(float(weekly_prob(profile.hazard(np.array(USER_MAX_AGE)))), 1 - 1e-9)
        hits = sorted_unique(rng.integers(0, size, rng.poisson(-np.log1p(-p_max) * size)))
        age = pop.age0[rows][hits] + years
        stops = hits[rng.random(hits.size) * p_max < weekly_prob(profile.hazard(age))]
        turned_60 = np.flatnonzero(pop.age0[rows] >= np.float32(USER_MAX_AGE - years))
        out = rows.start + union(stops, turned_60)
        leaving.append(out[pop.status[out] == Status.USING.value])  # the dead are not replaced
    renew = np.concatenate(leaving)
    pop.renew_users(renew, week, rng)
    m.add("users_replaced", np.bincount(pop.la[renew], minlength=N_LA))


#: States from which an OCU can move away: living in the community, not in a place-bound HAT programme.
_MOBILE = in_status(Status.USING, Status.TREATMENT, Status.ABSTINENT)


def ocu_migration(m) -> None:
    """OCUs in the community move out of the force area at `ocu_migration_per_year`, each replaced by one moving in
    (net migration zero: the OHID prevalence series is flat, EVIDENCE.md §2a); sampled by exact thinning."""
    pop = m.pop
    rng = m.streams["ocu_migration"]
    o = pop.ocu
    p_move = float(weekly_prob(m.p["ocu_migration_per_year"]))
    if p_move <= 0:
        return
    hits = sorted_unique(rng.integers(0, o.stop, rng.poisson(-np.log1p(-p_move) * o.stop)))
    movers = hits[_MOBILE[pop.status[hits]]]
    pop.swap_ocus(movers, m.week, rng)
    m.add("ocu_migrants", np.bincount(pop.la[movers], minlength=N_LA))
