"""Budget comparison: given a budget and a period, which levers (and simple two-lever mixes) that fit in it avert
the most deaths, and which give the most net benefit per £; with 90% intervals over paired runs, and a flag for
options whose difference from the best is within noise (its paired interval includes zero).
"""

from __future__ import annotations

import itertools
import tomllib

import numpy as np
import pandas as pd

from drugsim.compare import COSTS_AVOIDED, SPENDING, _ratio, t95
from drugsim.scenario import ResolvedScenario, with_changes

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


def _interval(d: np.ndarray) -> tuple[float, float, float]:
    n = len(d)
    half = t95(n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else float("nan")
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def _ratio_gap_low(num_a, den_a, num_b, den_b, rng) -> float:
    """Lower 5% bound of (ratio a - ratio b) by a paired bootstrap over runs (same resampled runs for both)."""
    idx = rng.integers(0, len(num_a), (2000, len(num_a)))
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = num_a[idx].mean(1) / den_a[idx].mean(1) - num_b[idx].mean(1) / den_b[idx].mean(1)
    gap = gap[np.isfinite(gap)]
    return float(np.percentile(gap, 5)) if gap.size else 0.0


def rank(per_run: dict[str, pd.DataFrame], base: str, budget: float) -> pd.DataFrame:
    """One row per option with spend, deaths averted and net benefit per £ (each with a 90% interval), the ranks,
    and whether each option's deaths averted and net benefit per £ are within noise of the best option's."""
    rng = np.random.default_rng(0)
    b = per_run[base]
    rows, averted, benefit = [], {}, {}
    for name, alt in per_run.items():
        if name == base:
            continue
        spend = sum(alt[c] - b[c] for c in SPENDING).to_numpy()
        avoided = sum(b[c] - alt[c] for c in COSTS_AVOIDED).to_numpy()
        averted[name] = (b["drug_deaths"] - alt["drug_deaths"]).to_numpy()
        benefit[name] = avoided - spend
        s, s_lo, s_hi = _interval(spend)
        d, d_lo, d_hi = _interval(averted[name])
        r, r_lo, r_hi = _ratio(benefit[name], spend, rng)
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
    table["deaths_within_noise_of_best"] = [_interval(averted[best_d] - averted[o])[1] <= 0 for o in table.option]
    spend_of = {o: sum(per_run[o][c] - b[c] for c in SPENDING).to_numpy() for o in table.option}
    table["benefit_per_gbp_within_noise_of_best"] = [
        _ratio_gap_low(benefit[best_r], spend_of[best_r], benefit[o], spend_of[o], rng) <= 0 for o in table.option
    ]
    return table.sort_values(["within_budget", "deaths_averted"], ascending=[False, False]).reset_index(drop=True)
