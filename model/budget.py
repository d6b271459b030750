"""Budget comparison: given a budget and a period, which levers (and simple two-lever mixes) that fit in it avert
the most deaths, and which give the most net benefit per £; with 90% intervals over paired runs, and a flag for
options whose difference from the best is within noise (its paired interval includes zero).
"""

from __future__ import annotations

import itertools
import tomllib

import pandas as pd

from drugsim.compare import COSTS_AVOIDED, SPENDING
from drugsim.scenario import ResolvedScenario, with_changes
from drugsim.stats import mean_interval, ratio_gap_low, ratio_interval

#: Library scenarios that are funded policy options (stress tests, the baseline and ready-made packages are not).
DEFAULT_OPTIONS = (
    "hat_pilot",
    "hat_scaled",
    "naloxone_all_frontline_officers",
    "naloxone_take_home",
    "cltf_extended_2028",
    "cltf_permanent",
    "o2r_forcewide",
    "asset_reinvestment",
)


def own_changes(s: ResolvedScenario) -> dict:
    """What a scenario file itself changes (its parameters and interventions, without what it extends)."""
    raw = tomllib.loads(s.files[0][1])
    return {k: raw[k] for k in ("parameters", "interventions") if k in raw}


def mixes(options: list[ResolvedScenario], spend: dict[str, float], budget: float) -> list[ResolvedScenario]:
    """Two-lever mixes of affordable options whose summed spend fits the budget and which touch different levers."""
    out = []
    for a, b in itertools.combinations(options, 2):
        ca, cb = own_changes(a), own_changes(b)
        if set(ca.get("interventions", {})) & set(cb.get("interventions", {})):
            continue
        if set(ca.get("parameters", {})) & set(cb.get("parameters", {})):
            continue
        if spend[a.name] + spend[b.name] <= budget:
            out.append(with_changes(a, cb, name=f"{a.name}_and_{b.name}"[:64]))
    return out


def rank(per_run: dict[str, pd.DataFrame], base: str, budget: float) -> pd.DataFrame:
    """One row per option with spend, deaths averted and net benefit per £ (each with a 90% interval), the ranks,
    and whether each option's deaths averted and net benefit per £ are within noise of the best option's."""
    b = per_run[base]
    rows, averted, benefit = [], {}, {}
    for name, alt in per_run.items():
        if name == base:
            continue
        spend = sum(alt[c] - b[c] for c in SPENDING).to_numpy()
        avoided = sum(b[c] - alt[c] for c in COSTS_AVOIDED).to_numpy()
        averted[name] = (b["drug_deaths"] - alt["drug_deaths"]).to_numpy()
        benefit[name] = avoided - spend
        s, s_lo, s_hi = mean_interval(spend)
        d, d_lo, d_hi = mean_interval(averted[name])
        r, r_lo, r_hi = ratio_interval(benefit[name], spend)
        rows.append(
            dict(
                option=name,
                spend_gbp=s,
                spend_low=s_lo,
                spend_high=s_hi,
                within_budget=s <= budget,
                deaths_averted=d,
                deaths_averted_low=d_lo,
                deaths_averted_high=d_hi,
                net_benefit_per_gbp=r,
                net_benefit_per_gbp_low=r_lo,
                net_benefit_per_gbp_high=r_hi,
            )
        )
    table = pd.DataFrame(rows)
    fits = table[table.within_budget]
    if fits.empty:
        return table
    best_d = fits.sort_values("deaths_averted", ascending=False).option.iloc[0]
    best_r = fits.sort_values("net_benefit_per_gbp", ascending=False).option.iloc[0]
    table["rank_deaths_averted"] = table.deaths_averted.where(table.within_budget).rank(ascending=False)
    table["rank_net_benefit_per_gbp"] = table.net_benefit_per_gbp.where(table.within_budget).rank(ascending=False)
    # Paired differences against the best option: within noise if the 90% interval includes zero.
    table["deaths_within_noise_of_best"] = [mean_interval(averted[best_d] - averted[o])[1] <= 0 for o in table.option]
    spend_of = {o: sum(per_run[o][c] - b[c] for c in SPENDING).to_numpy() for o in table.option}
    table["benefit_per_gbp_within_noise_of_best"] = [
        ratio_gap_low(benefit[best_r], spend_of[best_r], benefit[o], spend_of[o]) <= 0 for o in table.option
    ]
    return table.sort_values(["within_budget", "deaths_averted"], ascending=[False, False]).reset_index(drop=True)
