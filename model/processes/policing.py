"""Police possession detections and their outcomes (charge, caution, community resolution, Divert).

Most users meet the police rarely, so detections are sampled rather than drawn for every person: each
week a Poisson number of candidates is drawn in proportion to personal police-contact exposure, then
thinned by what the person is doing now (in prison, abstinent, after Divert). This is exact thinning of
per-person rates.
"""

from __future__ import annotations

import numpy as np

from drugsim.calendar import WEEKS_PER_YEAR
from drugsim.levers import N_LA
from drugsim.population import ETH_NAMES, NEVER, Kind, Status
from drugsim.processes._tables import by_status
from drugsim.processes.treatment import enter_treatment

_RATE = {
    Kind.OCU: "ocu_detection_rate_per_year",
    Kind.COCAINE: "cocaine_detection_rate_per_year",
    Kind.CANNABIS: "cannabis_detection_rate_per_year",
}


class DetectionSampler:
    """Draws this week's detected people, exposure-weighted, from each substance group. Exposures change as
    people age and are replaced; the population keeps them, and running totals, up to date."""

    def __init__(self, pop, params):
        self.pop = pop
        self.groups = [(kind, params[rate_name]) for kind, rate_name in _RATE.items()]

    def candidates(self, rng: np.random.Generator, week: int) -> np.ndarray:
        pop = self.pop
        pop.advance_exposure(week)
        out = []
        for kind, rate in self.groups:
            total = pop.total_exposure(kind)  # 0 for an empty group (a prevalence of 0): no detections
            k = rng.poisson(rate / WEEKS_PER_YEAR * total)
            out.append(pop.sample_by_exposure(kind, rng.random(k)))
        return np.concatenate(out)


def by_la_eth(la: np.ndarray, eth: np.ndarray) -> np.ndarray:
    """(4 ethnic groups, N_LA) counts."""
    return np.bincount(eth.astype(np.intp) * N_LA + la, minlength=4 * N_LA).reshape(4, N_LA)


def _add_with_eth(m, metric: str, la: np.ndarray, eth: np.ndarray) -> None:
    counts = by_la_eth(la, eth)
    m.add(metric, counts.sum(axis=0))
    for e, name in enumerate(ETH_NAMES):
        m.add(f"{metric}_{name}", counts[e])


def policing(m) -> None:
    pop, p, lv, week = m.pop, m.p, m.levers, m.week
    rng = m.streams["policing"]
    cand = m.detections.candidates(rng, week)
    # Chance the person is carrying: OCUs in treatment buy (and so carry) less; nobody in prison or rehab.
    carrying = by_status(using=1.0, treatment=p["ost_street_spend_fraction"], hat=p["hat_street_spend_fraction"])
    accept = carrying[pop.status[cand]]
    accept = np.where(pop.divert_until[cand] >= week, accept * p["divert_detection_multiplier"], accept)
    accept = accept * lv.enforcement_mult
    # Draws are sized by the candidates (whose number does not depend on the state), not by detections.
    draws = rng.random((6, cand.size))
    kept = draws[0] < accept
    d = cand[kept]
    u = draws[1:, kept]
    n = d.size
    la, eth = pop.la[d].astype(np.intp), pop.eth[d].astype(np.intp)
    charge_p = np.array([p[f"charge_prob_2019_{e}"] for e in ETH_NAMES])[eth]
    caution_p = np.array([p[f"caution_prob_2019_{e}"] for e in ETH_NAMES])[eth]

    # Outcomes under 2019 practice, used for everyone when Divert is off.
    charged = u[2] < charge_p
    cautioned = ~charged & (u[2] < charge_p + caution_p)
    cr = ~charged & ~cautioned & (u[3] < p["informal_cr_share_pre_divert"])
    referred = np.zeros(n, dtype=bool)
    engaged = np.zeros(n, dtype=bool)
    if lv.divert_active:
        # Suspected suppliers are eligible for Divert only if the policy extends it to a share of them.
        pwits_p = p["pwits_suspicion_prob"]
        pwits = u[0] < pwits_p * (1.0 - lv.divert_pwits_eligible_share)
        # A Divert not engaged with counts against the person for a set time (then it is treated as spent).
        recent = pop.divert_nonengaged_week[d] > week - p["divert_nonengagement_memory_weeks"]
        nonengager = ~pwits & recent & (not lv.divert_second_chance)
        referred = ~pwits & ~nonengager & (u[1] < p["divert_officer_use_prob"])
        engaged = referred & (u[3] < p["divert_engagement_prob"])
        # Suspected suppliers and earlier non-engagers get a formal outcome.
        formal_charge = np.where(pwits, p["pwits_charge_prob"], charge_p / (charge_p + caution_p))
        formal = pwits | nonengager
        charged = np.where(formal, u[2] < formal_charge, charged & ~referred)
        cautioned = np.where(formal, ~charged, cautioned & ~referred)
        cr = np.where(formal, False, cr & ~referred) | referred

        pop.n_divert[d[referred]] += 1
        pop.divert_until[d[engaged]] = week + int(p["divert_effect_weeks"])
        pop.divert_nonengaged_week[d[referred]] = np.where(engaged[referred], NEVER, week)
        ocu_engaged = engaged & (pop.kind[d] == Kind.OCU.value) & (pop.status[d] == Status.USING.value)
        enter_treatment(m, d[ocu_engaged & (u[4] < p["divert_treatment_entry_prob"])])

    np.add.at(pop.n_charge, d[charged], 1)
    np.add.at(pop.n_caution, d[cautioned], 1)
    _add_with_eth(m, "possession_detections", la, eth)
    _add_with_eth(m, "possession_charges", la[charged], eth[charged])
    _add_with_eth(m, "possession_cautions", la[cautioned], eth[cautioned])
    m.add("criminal_records", np.bincount(la[charged | cautioned], minlength=N_LA))
    m.add("community_resolutions", np.bincount(la[cr], minlength=N_LA))
    m.add("divert_referrals", np.bincount(la[referred], minlength=N_LA))
    m.add("divert_engaged", np.bincount(la[engaged], minlength=N_LA))
