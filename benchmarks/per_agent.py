"""The person workload written the idiomatic Mesa way: one `mesa.Agent` per person, stepped with
`agents.shuffle_do("step")`. Used only by the benchmark, as the yardstick for the array engine.

Each agent applies, with scalar draws, the same weekly person rules as the engine: street spend,
offending and arrest, possession detection, treatment transitions, overdose with naloxone and death,
other-cause death. It shares the engine's population initialisation and parameter table.
"""

from __future__ import annotations

import math

import mesa

from drugsim.calendar import WEEKS_PER_YEAR, Calendar, weekly_prob
from drugsim.population import Kind, Population, Status
from drugsim.rng import stream


def poisson_small(rng, lam: float) -> int:
    """Poisson draw for small means from a `random.Random` (a scalar draw, as per-agent code makes)."""
    if lam <= 0:
        return 0
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


class Person(mesa.Agent):
    def __init__(self, model, kind, status, opioid, offend, exposure):
        super().__init__(model)
        self.kind, self.status, self.opioid = kind, status, opioid
        self.offend, self.exposure = offend, exposure

    def step(self) -> None:
        m, r = self.model, self.random
        if self.status in (Status.DEAD, Status.NOT_STARTED):
            return
        if self.kind != Kind.OCU:
            m.revenue += m.user_spend[self.kind]
            if r.random() < m.detect[self.kind] * self.exposure:
                m.detections += 1
            return
        st = self.status
        m.revenue += m.ocu_spend[st]
        lam = m.crime_week * self.offend * m.offend_mult[st]
        if lam > 0:
            m.crimes += poisson_small(r, lam)
            if r.random() < lam * m.arrest_share:
                m.arrests += 1
        if r.random() < m.detect[Kind.OCU] * self.exposure * m.carry[st]:
            m.detections += 1
        u = r.random()
        if st == Status.USING and u < m.p_in:
            self.status = Status.TREATMENT
        elif st == Status.TREATMENT and u < m.p_out:
            self.status = Status.USING
        elif st == Status.ABSTINENT and u < m.p_relapse:
            self.status = Status.USING
        if self.opioid and r.random() < m.od_hazard * m.od_mult[st]:
            m.overdoses += 1
            if r.random() < m.severe and not (r.random() < m.witnessed and r.random() < m.peer):
                if r.random() < m.fatal:
                    self.status = Status.DEAD
                    m.deaths += 1
        elif r.random() < m.p_other:
            self.status = Status.DEAD


class PerAgentModel(mesa.Model):
    def __init__(self, scenario, seed: int = 0):
        super().__init__(rng=seed)  # `seed=` is deprecated in Mesa 3.5; `rng=` seeds `random` the same way
        p = scenario.params
        cal = Calendar(scenario.start, scenario.end)
        pop = Population(p, cal, stream(seed, "population"))
        self.n_people = int(pop.n - (pop.n_ocu - pop.n_started))
        per_year = p["crime_cost_per_untreated_ocu_gbp_per_year"] / p["acq_crime_unit_cost_gbp"]
        self.crime_week = per_year / WEEKS_PER_YEAR
        self.arrest_share = p["arrests_per_untreated_ocu_per_year"] / per_year
        S = Status
        self.offend_mult = {
            S.USING: 1.0,
            S.TREATMENT: p["ost_offending_multiplier"],
            S.ABSTINENT: p["abstinent_offending_multiplier"],
        }
        self.offend_mult = {s: self.offend_mult.get(s, 0.0) for s in S}
        self.ocu_spend = {s: 0.0 for s in S} | {
            S.USING: p["ocu_street_spend_gbp_per_week"],
            S.TREATMENT: p["ocu_street_spend_gbp_per_week"] * p["ost_street_spend_fraction"],
        }
        self.user_spend = {
            Kind.COCAINE: p["cocaine_spend_gbp_per_year"] / WEEKS_PER_YEAR,
            Kind.CANNABIS: p["cannabis_spend_gbp_per_year"] / WEEKS_PER_YEAR,
        }
        self.carry = {s: 0.0 for s in S} | {S.USING: 1.0, S.TREATMENT: p["ost_street_spend_fraction"]}
        self.detect = {
            Kind.OCU: p["ocu_detection_rate_per_year"] / WEEKS_PER_YEAR,
            Kind.COCAINE: p["cocaine_detection_rate_per_year"] / WEEKS_PER_YEAR,
            Kind.CANNABIS: p["cannabis_detection_rate_per_year"] / WEEKS_PER_YEAR,
        }
        self.p_in = weekly_prob(p["treatment_self_entry_per_year"])
        self.p_out = weekly_prob(p["treatment_exit_per_year"])
        self.p_relapse = weekly_prob(p["abstinent_relapse_per_year"])
        self.od_hazard = weekly_prob(p["overdose_rate_per_year"])
        self.od_mult = {s: 0.0 for s in S} | {S.USING: 1.0, S.TREATMENT: p["ost_overdose_multiplier"]}
        self.severe, self.witnessed = p["overdose_severe_share"], p["overdose_witnessed_prob"]
        self.peer, self.fatal = p["peer_naloxone_at_witnessed_prob"], p["severe_overdose_fatality_prob"]
        self.p_other = weekly_prob(p["ocu_other_death_rate_per_year"])
        self.revenue = 0.0
        self.crimes = self.arrests = self.detections = self.overdoses = self.deaths = 0
        exposure = pop.exposure(0)  # the week-0 police-contact exposure (the benchmark's year does not age anyone)
        for i in range(pop.n):
            Person(
                self,
                int(pop.kind[i]),
                Status(int(pop.status[i])),
                bool(pop.opioid[i]),
                float(pop.offend[i]),
                float(exposure[i]),
            )

    def step(self) -> None:
        self.agents.shuffle_do("step")
