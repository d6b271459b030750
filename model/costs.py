"""Accounting: the week's stocks by LA, the costs of crime, health, criminal justice and deaths, and each
intervention's own spend (`spend_<name>_gbp`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from drugsim.calendar import WEEKS_PER_YEAR, Calendar
from drugsim.interventions import REGISTRY
from drugsim.levers import N_LA
from drugsim.population import NEVER, Status
from drugsim.processes import naloxone_kits as kits

_N_STATUS = len(Status)


def status_counts(pop) -> np.ndarray:
    """(N_LA, n_status) counts of started OCU rows."""
    o = pop.ocu
    return np.bincount(pop.la[o].astype(np.intp) * _N_STATUS + pop.status[o], minlength=N_LA * _N_STATUS).reshape(
        N_LA, _N_STATUS
    )


def record_stocks(m) -> np.ndarray:
    """Record end-of-week stocks; returns the (N_LA, n_status) OCU status counts."""
    pop = m.pop
    o = pop.ocu
    counts = status_counts(pop)
    S = Status
    m.add("ocu_active", counts[:, [S.USING, S.TREATMENT, S.HAT, S.REHAB]].sum(axis=1))
    m.add("in_treatment", counts[:, S.TREATMENT])
    m.add("in_hat", counts[:, S.HAT])
    m.add("in_rehab", counts[:, S.REHAB])
    m.add("in_prison", counts[:, S.PRISON])
    m.add("abstinent", counts[:, S.ABSTINENT])
    waiting = pop.hat_wait_since[o] != NEVER
    m.add("hat_waiting", np.bincount(pop.la[o][waiting], minlength=N_LA))
    m.add("naloxone_officers", m.levers.naloxone_officers)
    if m.kits_issued:
        m.add("naloxone_kits_held", np.bincount(pop.la[kits.holders(m)], minlength=N_LA))
    return counts


def criminal_justice_cost(charges, cautions, resolutions, prisoners, p, price=None):
    """A week's police, court and prison cost: possession outcomes at their unit costs and people in prison at the
    cost of a place. `price(name)`, if given, is a factor for each unit cost (the appraisal's uprating to one
    price year)."""
    f = price or (lambda name: 1.0)
    return (
        charges * p["charge_cost_gbp"] * f("charge_cost_gbp")
        + cautions * p["caution_cost_gbp"] * f("caution_cost_gbp")
        + resolutions * p["community_resolution_cost_gbp"] * f("community_resolution_cost_gbp")
        + prisoners * p["prison_cost_gbp_per_year"] * f("prison_cost_gbp_per_year") / WEEKS_PER_YEAR
    )


def accounting(m, counts: np.ndarray, active: list) -> None:
    p = m.p
    S = Status
    per_week = 1.0 / WEEKS_PER_YEAR
    community = counts[:, [S.USING, S.TREATMENT, S.HAT]].sum(axis=1)
    m.add("health_cost_gbp", community * p["health_cost_per_ocu_gbp_per_year"] * per_week)
    non_o2r_rehab = m.now("rehab_admissions") - m.now("o2r_admissions")
    m.add(
        "treatment_cost_gbp",
        counts[:, S.TREATMENT] * p["ost_cost_gbp_per_year"] * per_week
        + non_o2r_rehab * p["rehab_cost_per_admission_gbp"],
    )
    m.add(
        "cj_cost_gbp",
        criminal_justice_cost(
            m.now("possession_charges"),
            m.now("possession_cautions"),
            m.now("community_resolutions"),
            counts[:, S.PRISON],
            p,
        ),
    )
    m.add("death_cost_gbp", m.now("drug_deaths") * p["cost_per_drug_death_gbp"])
    total = np.zeros(N_LA)
    for iv in active:
        spend = iv.spend(m, m.week)
        m.add(f"spend_{iv.name}_gbp", spend)
        total += spend
    m.add("spend_total_gbp", total)


def committed_spend(scenario) -> pd.DataFrame:
    """Spend each intervention's settings commit in advance (places, staff, funding, kits on issue), force-wide
    GBP by calendar year: what the scenario builder shows before a run. Use-based spend (per referral, per kit
    used, per admission; each module's `use_costs`) is on top and appears only in run results."""
    cal = Calendar(scenario.start, scenario.end)
    years, weights = cal.year_weights()  # a week straddling New Year counts in each year for its days
    out = {}
    for name, cfg in scenario.interventions.items():
        iv = REGISTRY[name](cfg, dict(scenario.params), cal)
        weekly = np.array([iv.committed_spend(w).sum() if iv.active(w) else 0.0 for w in range(cal.n_weeks)])
        out[name] = pd.Series(weights @ weekly, index=years)
    return pd.DataFrame(out, index=years).rename_axis("year")
