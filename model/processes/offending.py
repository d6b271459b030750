"""Acquisitive offending by OCUs, and which of them are arrested this week.

Each OCU's weekly offence rate is the table's untreated rate times a personal propensity (gamma, mean 1)
times a status multiplier. Arrests thin that rate; offence totals by LA are Poisson.
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR
from drugsim.levers import N_LA
from drugsim.processes._tables import by_status

F32_MAX = float(np.finfo(np.float32).max)


def offending(m) -> None:
    pop, p = m.pop, m.p
    o = pop.ocu
    per_year = p["crime_cost_per_untreated_ocu_gbp_per_year"] / p["acq_crime_unit_cost_gbp"]
    mult = by_status(
        using=1.0,
        treatment=p["ost_offending_multiplier"],
        hat=p["hat_offending_multiplier"],
        rehab=p["rehab_offending_multiplier"],
        abstinent=p["abstinent_offending_multiplier"],
    )
    lam = pop.offend[o] * mult[pop.status[o]] * np.float32(per_year / WEEKS_PER_YEAR)
    la = pop.la[o]
    # Event counts and per-person arrests use separate streams, so the arrest draws stay aligned across
    # scenarios however many offences there are.
    counts_rng = m.streams["crime_counts"]
    crimes = counts_rng.poisson(np.bincount(la, weights=lam, minlength=N_LA)).astype(float)
    recorded = counts_rng.binomial(crimes.astype(np.int64), p["acq_crime_recorded_prob"])
    # Each offence leads to an arrest with the same chance, so arrests thin the offence rate.
    # (With no offending at all there is nothing to arrest for: no arrests, not a division by zero.)
    arrests_per_offence = p["arrests_per_untreated_ocu_per_year"] / per_year if per_year > 0 else 0.0
    # Offences so rare that the share overflows float32 could only give inf x 0 = NaN below: cap it (their
    # float32 rate is 0, so nobody is arrested either way).
    arrest_share = np.float32(min(arrests_per_offence * m.levers.enforcement_mult, F32_MAX))
    u = m.streams["arrests"].random(o.stop, dtype=np.float32)
    # 1 - exp(-x) <= x: screen with the cheap bound, then test the few candidates exactly.
    cand = np.flatnonzero(u < lam * arrest_share)
    m.arrested = cand[u[cand] < -np.expm1(-lam[cand] * arrest_share)]
    m.add("acquisitive_crimes", crimes)
    m.add("acquisitive_crimes_recorded", recorded)
    m.add("crime_cost_gbp", crimes * p["acq_crime_unit_cost_gbp"])
