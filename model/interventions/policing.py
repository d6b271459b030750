"""Criminal-justice levers: Divert (pre-arrest diversion), arrest referral (CARS, then RADAR), and the
COVID suspension of drug testing on arrest."""

from __future__ import annotations

from drugsim.interventions.base import Date, Intervention, InterventionConfig, Num, Share, Switch, whole
from drugsim.limits import CUSTODY_BLOCKS

#: Custody blocks with arrest referral workers: a whole number, at most the limit's.
Blocks = whole(CUSTODY_BLOCKS)


class DivertConfig(InterventionConfig):
    PARAMS = {
        "officer_use_prob": "divert_officer_use_prob",
        "engagement_prob": "divert_engagement_prob",
        "detection_multiplier": "divert_detection_multiplier",
        "effect_weeks": "divert_effect_weeks",
        "treatment_entry_prob": "divert_treatment_entry_prob",
        "cost_per_referral_gbp": "divert_cost_per_referral_gbp",
    }
    officer_use_prob: Num | None = None
    engagement_prob: Num | None = None
    detection_multiplier: Num | None = None
    effect_weeks: Num | None = None
    treatment_entry_prob: Num | None = None
    cost_per_referral_gbp: Num | None = None
    # Policy options (not uncertain assumptions): extend Divert to a share of suspected-supply cases, and
    # give earlier non-engagers another referral instead of a formal outcome.
    pwits_eligible_share: Share = 0.0  # type: ignore[valid-type]
    second_chance: Switch = False


class Divert(Intervention):
    name = "divert"
    use_costs = ("divert_cost_per_referral_gbp",)
    summary = (
        "Possession offenders get a community resolution with a Cranstoun 1:1 assessment and course "
        "instead of a charge or caution; non-engagers and suspected suppliers get formal outcomes."
    )
    Config = DivertConfig

    def apply(self, levers, week):
        levers.divert_active = True
        levers.divert_pwits_eligible_share = self.cfg.pwits_eligible_share
        levers.divert_second_chance = self.cfg.second_chance

    def use_spend(self, model, week):
        return model.now("divert_referrals") * self.p["divert_cost_per_referral_gbp"]


class ArrestReferralConfig(InterventionConfig):
    PARAMS = {
        "referral_prob_positive_test": "cars_referral_prob_positive_test",
        "voluntary_referral_prob": "cars_voluntary_referral_prob",
        "radar_referral_prob": "radar_referral_prob",
        "treatment_entry_prob": "cars_treatment_entry_prob",
        "custody_blocks": "custody_blocks",
        "cost_per_referral_gbp": "cars_cost_per_referral_gbp",
    }
    radar_start: Date | None = None
    # Custody blocks with arrest referral workers (None: every block, as in 2023 and 2025: 2023-02_... §25,
    # 2025-02_... §39); arrests pass through a covered block in proportion.
    blocks_covered: Blocks | None = None  # type: ignore[valid-type]
    referral_prob_positive_test: Num | None = None
    voluntary_referral_prob: Num | None = None
    radar_referral_prob: Num | None = None
    treatment_entry_prob: Num | None = None
    custody_blocks: Num | None = None
    cost_per_referral_gbp: Num | None = None


class ArrestReferral(Intervention):
    name = "arrest_referral"
    use_costs = ("cars_cost_per_referral_gbp",)
    summary = (
        "Arrest referral workers in custody (CARS) refer detainees who test positive, or ask, into "
        "treatment; from radar_start the RADAR risk assessment adds self-requested referrals."
    )
    Config = ArrestReferralConfig

    def __init__(self, config, params, calendar):
        super().__init__(config, params, calendar)
        rs = config.radar_start
        self.radar_week = calendar.n_weeks if rs is None else calendar.first_week_on_or_after(rs)

    def apply(self, levers, week):
        levers.cars_active = True
        levers.radar_active = week >= self.radar_week
        levers.cars_coverage = self.coverage(self.cfg, self.p)

    @classmethod
    def problems(cls, config, params):
        blocks = params["custody_blocks"]
        if config.blocks_covered is not None and config.blocks_covered > blocks:
            return [
                f"blocks_covered = {config.blocks_covered} is more than the force's custody blocks "
                f"(custody_blocks = {blocks:g}): at most {blocks:g} can be covered"
            ]
        return []

    @staticmethod
    def coverage(cfg, p) -> float:
        """Share of arrests passing through a custody block with arrest referral workers: blocks are taken as
        equally busy (the three busiest have weekend cover too, 2025-02_... §39, which this ignores)."""
        blocks = p["custody_blocks"]
        if cfg.blocks_covered is None or blocks <= 0:
            return 1.0
        return min(cfg.blocks_covered / blocks, 1.0)

    def use_spend(self, model, week):
        return model.now("cars_referrals") * self.p["cars_cost_per_referral_gbp"]


class TestingSuspension(Intervention):
    name = "covid_testing_gap"
    summary = (
        "Stress test / history: drug testing on arrest is suspended between start and end (as in "
        "the COVID period until November 2021); only voluntary arrest referrals continue."
    )

    def apply(self, levers, week):
        levers.drug_testing_active = False


class EnforcementGapConfig(InterventionConfig):
    PARAMS = {"size": "enforcement_gap_size"}
    size: Num | None = None


class EnforcementGap(Intervention):
    name = "enforcement_gap"
    summary = (
        "Stress test: between start and end a share (size) of enforcement is lost: possession detections, "
        "arrests, street-dealer detections and CLTF capacity all fall by that share."
    )
    Config = EnforcementGapConfig

    def apply(self, levers, week):
        levers.enforcement_mult *= 1.0 - self.p["enforcement_gap_size"]
