"""Supply-side lever: the County Lines Taskforce (CLTF), whose funding buys investigative capacity."""

from __future__ import annotations

from model.calendar import WEEKS_PER_YEAR
from model.interventions.base import Intervention, InterventionConfig, Num
from model.parameters import geography


class CLTFConfig(InterventionConfig):
    PARAMS = {
        "annual_funding_gbp": "cltf_annual_funding_gbp",
        "cost_per_type1_gbp": "cltf_cost_per_type1_gbp",
        "half_saturation_lines": "cltf_half_saturation_lines",
    }
    annual_funding_gbp: Num | None = None
    cost_per_type1_gbp: Num | None = None
    half_saturation_lines: Num | None = None


class CLTF(Intervention):
    name = "cltf"
    summary = (
        "County Lines Taskforce: funding buys capacity for Type 1 outcomes (line disabled, holder "
        "charged), with safeguarding and NRM referrals of exploited runners; capacity is used less "
        "fully when lines are few."
    )
    Config = CLTFConfig

    def apply(self, levers, week):
        p = self.p
        levers.cltf_type1_per_week = p["cltf_annual_funding_gbp"] / p["cltf_cost_per_type1_gbp"] / WEEKS_PER_YEAR

    def spend(self, model, week):
        share = geography().column("line_export_share")
        return self.p["cltf_annual_funding_gbp"] / WEEKS_PER_YEAR * share / share.sum()
