"""Supply-side lever: the County Lines Taskforce (CLTF), whose funding buys investigative capacity."""

from __future__ import annotations

from drugsim.calendar import WEEKS_PER_YEAR
from drugsim.interventions.base import Intervention, InterventionConfig, Num, Share
from drugsim.parameters import geography


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

    def committed_spend(self, week):
        share = geography().column("line_export_share")
        return self.p["cltf_annual_funding_gbp"] / WEEKS_PER_YEAR * share / share.sum()


class AssetReinvestmentConfig(InterventionConfig):
    PARAMS = {"recovery_share": "asset_recovery_share", "recovery_lag_weeks": "asset_recovery_lag_weeks"}
    share: Share = 0.5  # type: ignore[valid-type]  # policy choice: share of realised receipts put into treatment
    recovery_share: Num | None = None
    recovery_lag_weeks: Num | None = None


class AssetReinvestment(Intervention):
    name = "asset_reinvestment"
    summary = (
        "Recommendation 8: a share of the money realised from assets seized from dealers, line holders and "
        "OCGs pays for treatment episodes in the LA where it was seized."
    )
    Config = AssetReinvestmentConfig

    def apply(self, levers, week):
        levers.reinvest_share = self.cfg.share

    def use_spend(self, model, week):
        return model.now("reinvested_gbp").copy()
