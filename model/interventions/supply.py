"""Supply-side lever: the County Lines Taskforce (CLTF), whose funding buys investigative capacity."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from drugsim.calendar import WEEKS_PER_YEAR
from drugsim.interventions.base import Date, Intervention, InterventionConfig, Num, Share, bounded, check_period
from drugsim.limits import UNIT_LIMITS
from drugsim.parameters import geography


class FundingStep(BaseModel):
    """From `date` on, the taskforce is funded at `annual_gbp` a year."""

    model_config = ConfigDict(extra="forbid", strict=True)
    date: Date
    annual_gbp: bounded(UNIT_LIMITS["gbp_per_year"])  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _date(self):
        check_period(self.date, None)
        return self


class CLTFConfig(InterventionConfig):
    PARAMS = {
        "annual_funding_gbp": "cltf_annual_funding_gbp",
        "cost_per_type1_gbp": "cltf_cost_per_type1_gbp",
        "half_saturation_lines": "cltf_half_saturation_lines",
        "funding_returns_exponent": "cltf_funding_returns_exponent",
        "learning_weeks": "cltf_learning_weeks",
        "winddown_weeks": "cltf_winddown_weeks",
    }
    annual_funding_gbp: Num | None = None
    #: Changes of funding level over time (e.g. doubled from April 2026); before the first, annual_funding_gbp.
    funding_changes: list[FundingStep] = Field(default_factory=list)
    cost_per_type1_gbp: Num | None = None
    half_saturation_lines: Num | None = None
    funding_returns_exponent: Num | None = None
    learning_weeks: Num | None = None
    winddown_weeks: Num | None = None


class CLTF(Intervention):
    name = "cltf"
    summary = (
        "County Lines Taskforce: annual funding buys investigative capacity for Type 1 outcomes (line disabled, "
        "holder charged) with diminishing returns; a new taskforce's productivity builds up as its intelligence "
        "does, and after funding ends its capacity winds down over months. Closures bring safeguarding and NRM "
        "referrals of exploited runners and disrupt groups; the market answers by re-establishing, taking over or "
        "losing closed lines."
    )
    Config = CLTFConfig

    def __init__(self, config, params, calendar):
        super().__init__(config, params, calendar)
        # Funding by week: the annual amount, changed from each step's date on.
        self.funding = np.full(calendar.n_weeks, params["cltf_annual_funding_gbp"])
        for step in sorted(config.funding_changes, key=lambda f: f.date):
            self.funding[max(0, calendar.first_week_on_or_after(step.date)) :] = step.annual_gbp
        # After funding ends, capacity decays; after four time constants it is under 2% (e^-4) and treated as zero.
        self.tail_weeks = int(math.ceil(4 * params["cltf_winddown_weeks"])) if self.end_week < calendar.n_weeks else 0

    def active(self, week: int) -> bool:
        return self.cfg.enabled and self.start_week <= week < self.end_week + self.tail_weeks

    def _winddown(self, week: int) -> float:
        return 1.0 if week < self.end_week else math.exp(-(week - self.end_week) / self.p["cltf_winddown_weeks"])

    def apply(self, levers, week):
        p = self.p
        reference = p["cltf_reference_funding_gbp"] / p["cltf_cost_per_type1_gbp"] / WEEKS_PER_YEAR
        scale = (self.funding[week] / p["cltf_reference_funding_gbp"]) ** p["cltf_funding_returns_exponent"]
        learned = 1.0 - (1.0 - p["cltf_initial_productivity"]) * math.exp(
            -(week - self.start_week) / p["cltf_learning_weeks"]
        )
        levers.cltf_type1_per_week = reference * scale * learned * self._winddown(week)

    def committed_spend(self, week):
        # During the wind-down the staff still in post are paid: spend falls with capacity.
        share = geography().column("line_export_share")
        return self.funding[week] / WEEKS_PER_YEAR * self._winddown(week) * share / share.sum()


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
