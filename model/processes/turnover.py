"""Turnover of cannabis and cocaine users: people stop using (at a rate that rises with age: maturing out) or
turn 60 and leave the CSEW base, and each is replaced in the same LA by a new user (`Population.renew_users`),
so prevalence stays at its data level while the people change and their criminal-justice history goes with them.

One uniform per user row per week, from the stream "turnover", so no other process's draws change.
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import weekly_prob
from drugsim.levers import N_LA
from drugsim.population import USER_MAX_AGE, Kind, Status


def turnover(m) -> None:
    pop, week = m.pop, m.week
    rng = m.streams["turnover"]
    rows = m.user_rows
    u = rng.random(rows.size)
    age = pop.age(week)[rows]
    p_stop = np.empty(rows.size)
    kind = pop.kind[rows]
    for k in (Kind.COCAINE, Kind.CANNABIS):
        sel = kind == k
        p_stop[sel] = weekly_prob(pop.profiles[k].hazard(age[sel]))
    leaving = ((u < p_stop) | (age >= USER_MAX_AGE)) & (pop.status[rows] == Status.USING)
    renew = rows[leaving]
    pop.renew_users(renew, week, rng)
    m.add("users_replaced", np.bincount(pop.la[renew], minlength=N_LA))
