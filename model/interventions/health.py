"""Health levers: officers carrying naloxone, heroin-assisted treatment (HAT), Offender to Rehab (O2R),
and the nitazene adulterant wave (a stress test)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from drugsim.calendar import WEEKS_PER_YEAR
from drugsim.interventions.base import (
    AreaId,
    Date,
    Intervention,
    InterventionConfig,
    Multiplier,
    Num,
    ScheduleEntry,
    Share,
    bounded,
    check_period,
    schedule_array,
    whole,
)
from drugsim.limits import MULTIPLIER, O2R_STAFF, OFFICERS, PLACES, fmt
from drugsim.parameters import AREAS

#: Officers carrying naloxone in one area, HAT places or rehab beds: whole numbers; O2R staff: whole-time
#: equivalents (4.5 is allowed). Each within its physical limit (drugsim.limits).
Officers = whole(OFFICERS)
Places = whole(PLACES)
Staff = bounded(O2R_STAFF)


class OfficerScheduleEntry(ScheduleEntry):
    """From `date` on, `area` has `amount` officers carrying naloxone (whole officers, at most the force's)."""

    amount: Officers  # type: ignore[valid-type]


class StaffScheduleEntry(ScheduleEntry):
    """From `date` on, `area` has `amount` O2R staff (whole-time equivalents: 4.5 is allowed)."""

    amount: Staff  # type: ignore[valid-type]


class NaloxoneOfficersConfig(InterventionConfig):
    PARAMS = {
        "first_on_scene_prob": "officer_naloxone_first_on_scene_prob",
        "hotspot_overdose_share": "officer_naloxone_hotspot_overdose_share",
        "hotspot_post_share": "officer_naloxone_hotspot_post_share",
        "frontline_officers": "officer_naloxone_frontline_officers",
        "kit_cost_gbp": "naloxone_kit_cost_gbp",
        "kit_life_weeks": "naloxone_kit_life_weeks",
        "training_cost_per_officer_gbp": "naloxone_training_cost_per_officer_gbp",
    }
    schedule: list[OfficerScheduleEntry] = Field(default_factory=list)
    first_on_scene_prob: Num | None = None
    hotspot_overdose_share: Num | None = None
    hotspot_post_share: Num | None = None
    frontline_officers: Num | None = None
    kit_cost_gbp: Num | None = None
    kit_life_weeks: Num | None = None
    training_cost_per_officer_gbp: Num | None = None

    @model_validator(mode="after")
    def _force_total(self):
        # Each area holds its latest amount: on no date may the areas together have more officers than the force.
        held: dict[str, int] = {}
        entries = sorted(self.schedule, key=lambda e: e.date)
        for i, e in enumerate(entries):
            held[e.area] = e.amount
            last_of_day = i + 1 == len(entries) or entries[i + 1].date != e.date
            if last_of_day and sum(held.values()) > OFFICERS.high:
                raise ValueError(
                    f"from {e.date.isoformat()} the areas' officers add up to {fmt(sum(held.values()))}: "
                    f"together they must be {OFFICERS.allowed()}"
                )
        return self


class NaloxoneOfficers(Intervention):
    name = "naloxone_officers"
    use_costs = ("naloxone_kit_cost_gbp",)
    summary = (
        "Police officers carry naloxone, deployed first on the beats where overdoses happen: the first carriers "
        "in an area reach the most witnessed overdoses and more add less, up to every frontline officer. "
        "Schedule entries give officers carrying by area from a date."
    )
    Config = NaloxoneOfficersConfig

    def __init__(self, config, params, calendar):
        super().__init__(config, params, calendar)
        self.officers = schedule_array(config.schedule, calendar)

    def apply(self, levers, week):
        levers.naloxone_officers[:] = self.officers[week]

    def committed_spend(self, week):
        p = self.p
        now = self.officers[week]
        before = self.officers[week - 1] if week > self.start_week else np.zeros_like(now)
        trained = np.maximum(now - before, 0)
        kits = now / p["naloxone_kit_life_weeks"] + trained
        return kits * p["naloxone_kit_cost_gbp"] + trained * p["naloxone_training_cost_per_officer_gbp"]

    def use_spend(self, model, week):
        return model.now("officer_naloxone_reversals") * self.p["naloxone_kit_cost_gbp"]


class NaloxoneTakeHomeConfig(InterventionConfig):
    PARAMS = {
        "release_kit_prob": "thn_release_kit_prob",
        "treatment_kits_per_year": "thn_treatment_kits_per_year",
        "outreach_kits_per_year": "thn_outreach_kits_per_year",
        "kit_cost_gbp": "thn_kit_cost_gbp",
    }
    release_kit_prob: Num | None = None
    treatment_kits_per_year: Num | None = None
    outreach_kits_per_year: Num | None = None
    kit_cost_gbp: Num | None = None


class NaloxoneTakeHome(Intervention):
    name = "naloxone_take_home"
    use_costs = ("thn_kit_cost_gbp",)
    summary = (
        "Take-home naloxone kits for prison leavers, people in treatment and, through outreach, people "
        "using; a kit at a witnessed overdose (the person's own or a peer's) can reverse it; kits expire "
        "and are used up."
    )
    Config = NaloxoneTakeHomeConfig

    def apply(self, levers, week):
        levers.thn_active = True

    def use_spend(self, model, week):
        return model.now("thn_kits_issued") * self.p["thn_kit_cost_gbp"]


class NaloxoneHostelsConfig(InterventionConfig):
    PARAMS = {"cost_per_la_gbp_per_year": "hostel_naloxone_cost_per_la_gbp_per_year"}
    coverage: dict[AreaId, Share] = Field(default_factory=dict)  # type: ignore[valid-type]
    cost_per_la_gbp_per_year: Num | None = None


class NaloxoneHostels(Intervention):
    name = "naloxone_hostels"
    use_costs = ("thn_kit_cost_gbp",)
    summary = (
        "Naloxone and trained staff in hostels: coverage (0-1) by area is the share of hostel overdoses "
        "where naloxone is at hand."
    )
    Config = NaloxoneHostelsConfig

    def __init__(self, config, params, calendar):
        super().__init__(config, params, calendar)
        self.coverage = np.array([config.coverage.get(a, 0.0) for a in AREAS])

    def apply(self, levers, week):
        levers.hostel_naloxone[:] = self.coverage

    def committed_spend(self, week):
        return self.coverage * self.p["hostel_naloxone_cost_per_la_gbp_per_year"] / WEEKS_PER_YEAR

    def use_spend(self, model, week):
        return model.now("hostel_naloxone_reversals") * self.p["thn_kit_cost_gbp"]


class HATConfig(InterventionConfig):
    PARAMS = {
        "dropout_per_year": "hat_dropout_per_year",
        "cost_per_place_year_gbp": "hat_cost_per_place_year_gbp",
        "referral_prob_per_week": "hat_referral_prob_per_week",
        "prolific_place_share": "hat_prolific_place_share",
    }
    places: dict[AreaId, Places] = Field(default_factory=dict)  # type: ignore[valid-type]
    dropout_per_year: Num | None = None
    cost_per_place_year_gbp: Num | None = None
    referral_prob_per_week: Num | None = None
    prolific_place_share: Num | None = None


class HAT(Intervention):
    name = "hat"
    summary = (
        "Heroin-assisted treatment: supervised diamorphine places by LA for heroin users who have not "
        "responded to earlier treatment; most places go to prolific offenders first (as in Middlesbrough), "
        "the rest longest-waiting first; costs what its places cost."
    )
    Config = HATConfig

    def __init__(self, config, params, calendar):
        super().__init__(config, params, calendar)
        self.places = np.array([config.places.get(a, 0) for a in AREAS], dtype=np.int64)

    def apply(self, levers, week):
        levers.hat_places[:] = self.places

    def committed_spend(self, week):
        return self.places * self.p["hat_cost_per_place_year_gbp"] / WEEKS_PER_YEAR


class O2RConfig(InterventionConfig):
    PARAMS = {
        "referrals_per_staff_year": "o2r_referrals_per_staff_year",
        "caseload_per_staff": "o2r_caseload_per_staff",
        "assessment_weeks": "o2r_assessment_weeks",
        "assessed_prob": "o2r_assessed_prob",
        "admission_prob": "o2r_admission_prob",
        "wait_dropout_per_year": "o2r_wait_dropout_per_year",
        "charity_beds": "o2r_charity_beds",
        "regular_beds": "o2r_regular_beds",
        "cost_per_staff_gbp_per_year": "o2r_cost_per_staff_gbp_per_year",
        "charity_bed_cost_gbp": "o2r_charity_bed_cost_gbp",
    }
    schedule: list[StaffScheduleEntry] = Field(default_factory=list)
    referrals_per_staff_year: Num | None = None
    caseload_per_staff: Num | None = None
    assessment_weeks: Num | None = None
    assessed_prob: Num | None = None
    admission_prob: Num | None = None
    wait_dropout_per_year: Num | None = None
    # Rehab beds O2R holds at once, force-wide: charity beds (shared by every area, 2025-02_... §69) and
    # regular commissioned beds (None: the parameter table's numbers).
    charity_beds: Places | None = None  # type: ignore[valid-type]
    regular_beds: Places | None = None  # type: ignore[valid-type]
    cost_per_staff_gbp_per_year: Num | None = None
    charity_bed_cost_gbp: Num | None = None
    # O2R residents at once, whatever the beds (None: not limited further).
    max_residents: Places | None = None  # type: ignore[valid-type]


class O2R(Intervention):
    name = "o2r"
    use_costs = ("o2r_charity_bed_cost_gbp", "rehab_cost_per_admission_gbp")
    summary = (
        "Offender to Rehab / Offending to Recovery: staff in covered LAs refer prolific acquisitive offenders who "
        "use drugs while their caseloads have room; after assessment, those put forward for rehab wait for a "
        "charity or regular bed. Schedule entries give staff by area; charity_beds and regular_beds the beds."
    )
    Config = O2RConfig

    def __init__(self, config, params, calendar):
        super().__init__(config, params, calendar)
        self.staff = schedule_array(config.schedule, calendar)

    def apply(self, levers, week):
        levers.o2r_staff[:] = self.staff[week]
        # Whole beds: a fractional number of beds (a calibrated or sampled value) holds its whole part.
        levers.o2r_charity_beds = int(self.p["o2r_charity_beds"])
        levers.o2r_regular_beds = int(self.p["o2r_regular_beds"])
        if self.cfg.max_residents is not None:
            levers.o2r_max_residents = self.cfg.max_residents

    def committed_spend(self, week):
        return self.staff[week] * self.p["o2r_cost_per_staff_gbp_per_year"] / WEEKS_PER_YEAR

    def use_spend(self, model, week):
        # Each admission at the price of its bed: £3,500 a charity bed, £15,000 a regular one (2025-02_... §52).
        p = self.p
        charity = model.now("o2r_charity_admissions")
        regular = model.now("o2r_admissions") - charity
        return charity * p["o2r_charity_bed_cost_gbp"] + regular * p["rehab_cost_per_admission_gbp"]


class Wave(BaseModel):
    """One adulterant wave: dates, areas and size (multipliers default to the parameter table)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    start: Date
    end: Date
    areas: list[AreaId] = Field(default_factory=lambda: list(AREAS))
    overdose_multiplier: Multiplier | None = None  # type: ignore[valid-type]
    fatality_multiplier: Multiplier | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _dates(self):
        check_period(self.start, self.end)
        return self


def _highest_product(spans: list[tuple[dt.date, dt.date, float]]) -> tuple[float, dt.date | None]:
    """The highest product of the multipliers of spans [start, end) in force on the same day, and from when.

    A sweep over starts and ends in date order (ends first on the same day), summing logarithms so that no
    product overflows; a multiplier of 0 makes the product 0 while it lasts."""
    events = sorted([(s, 1, m) for s, _, m in spans] + [(e, 0, m) for _, e, m in spans], key=lambda x: (x[0], x[1]))
    zeros, logs, best, when = 0, 0.0, 0.0, None
    for day, starts, m in events:
        sign = 1 if starts else -1
        if m == 0:
            zeros += sign
        else:
            logs += sign * math.log(m)
        if starts and zeros == 0 and logs > best:
            best, when = logs, day
    return (math.exp(best) if best < 700 else math.inf), when


class NitazeneWaveConfig(InterventionConfig):
    PARAMS = {
        "overdose_multiplier": "nitazene_overdose_multiplier",
        "fatality_multiplier": "nitazene_fatality_multiplier",
    }
    waves: list[Wave] = Field(default_factory=list)
    overdose_multiplier: Num | None = None
    fatality_multiplier: Num | None = None


class NitazeneWave(Intervention):
    name = "nitazene_wave"
    summary = (
        "History and stress test: waves of synthetic opioids (nitazenes) in the heroin supply raise overdose "
        "risk and fatality in the chosen areas between each wave's dates (Op Mabble, summer 2023)."
    )
    Config = NitazeneWaveConfig

    def __init__(self, config, params, calendar):
        super().__init__(config, params, calendar)
        self.waves = [
            (
                max(0, calendar.first_week_on_or_after(w.start)),
                calendar.first_week_on_or_after(w.end),
                np.array([a in w.areas for a in AREAS]),
                params["nitazene_overdose_multiplier"] if w.overdose_multiplier is None else w.overdose_multiplier,
                params["nitazene_fatality_multiplier"] if w.fatality_multiplier is None else w.fatality_multiplier,
            )
            for w in config.waves
        ]

    @classmethod
    def problems(cls, config, params):
        # Waves in force together multiply: their product is itself a multiplier, within the same limit as one.
        out = []
        for kind in ("overdose", "fatality"):
            default = params[f"nitazene_{kind}_multiplier"]
            for area in AREAS:
                spans = [
                    (
                        w.start,
                        w.end,
                        default if getattr(w, f"{kind}_multiplier") is None else getattr(w, f"{kind}_multiplier"),
                    )
                    for w in config.waves
                    if area in w.areas
                ]
                peak, when = _highest_product(spans)
                if peak > MULTIPLIER.high * (1 + 1e-9):
                    out.append(
                        f"waves: from {when.isoformat()} the waves in force in {area} multiply {kind} by "
                        f"{fmt(round(peak)) if peak < 1e15 else f'{peak:.3g}'} together; together they must be "
                        f"{MULTIPLIER.allowed()}"
                    )
                    break
        return out

    def apply(self, levers, week):
        for start, end, mask, od, fatal in self.waves:
            if start <= week < end:
                levers.overdose_mult[mask] *= od
                levers.fatality_mult[mask] *= fatal
