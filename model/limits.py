"""Physical limits: the smallest and largest values a scenario may give, declared once.

A parameter's `low`-`high` in the table is its *plausible* range: a value outside it is allowed, with a warning,
so that academics can explore. The limits here are the *possible* range: a value outside it cannot describe the
West Midlands (more people than live there, more officers than the force has, more money than a budget could
hold, a duration longer than the model can simulate), and the model was never meant to run it, so it is refused
before any run with a message naming the field, the value and what is allowed.

Every table parameter gets the limit of its unit (`UNIT_LIMITS`), tightened where the unit alone would let
through a value the model cannot mean (`PARAMETER_LIMITS`, each with its reason). Scenario settings that are
not table parameters (officers, staff, places, beds, multipliers of a wave) use the named limits at the end.
`Limit.problem` is the one check all of them go through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from drugsim.calendar import EARLIEST, LATEST, WEEKS_PER_YEAR, Calendar

#: People living in the seven local authorities (ONS mid-2019; the sum of geography.csv's population_2019).
WEST_MIDLANDS_POPULATION = 2_928_592
#: Weeks in the longest scenario the model can simulate (2019-01-01 to 2030-12-31).
SIMULATED_WEEKS = Calendar(EARLIEST, LATEST).n_weeks
#: Years the longest scenario covers (for people who start using over the whole period).
SIMULATED_YEARS = SIMULATED_WEEKS / WEEKS_PER_YEAR
#: Police officers West Midlands Police could put on a schedule: the force had about 7,000 after the
#: 2019-2023 national uplift (Home Office police workforce statistics); 8,000 leaves room for growth to 2030.
FORCE_OFFICERS = 8_000
#: Money: West Midlands Police's whole budget is about £700m a year. No single price (a kit, a referral, a
#: place-year, a death's cost, a seizure) and no year's funding of one lever can exceed £1bn.
MAX_GBP = 1e9


def fmt(x: float) -> str:
    """A limit for a message: whole numbers with thousands separators, others as they are."""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


@dataclass(frozen=True)
class Limit:
    """The possible range of a value: `low` to `high` inclusive, and why."""

    low: float
    high: float
    why: str

    def allowed(self, unit: str = "") -> str:
        """What is allowed, for a message: 'between 0 and 627 weeks (the longest ...)'."""
        units = f" {UNIT_WORDS.get(unit, unit)}" if unit else ""
        return f"between {fmt(self.low)} and {fmt(self.high)}{units} ({self.why})"

    def problem(self, value: float, unit: str = "") -> str | None:
        """Why `value` is impossible, or None if it is possible."""
        if not isinstance(value, int) and not math.isfinite(value):  # ints compare exactly, however large
            return f"must be a finite number {self.allowed(unit)}"
        if not (self.low <= value <= self.high):
            return f"must be {self.allowed(unit)}"
        return None


#: Units as words in messages.
UNIT_WORDS = {
    "per_year": "a year",
    "persons_per_year": "persons a year",
    "gbp": "GBP",
    "gbp_per_year": "GBP a year",
    "gbp_per_week": "GBP a week",
}
_PER_YEAR = "once a week, the model's time step: a person moves at most once a week, so faster means nothing more"
_WEEKS = "the longest simulated period, 2019-2030: no stay, lag, delay or kit life is longer"

#: The possible range of every unit in the parameter table.
UNIT_LIMITS: dict[str, Limit] = {
    "prob": Limit(0, 1, "a probability"),
    "share": Limit(0, 1, "a share"),
    "per_year": Limit(0, 52, _PER_YEAR),
    "multiplier": Limit(0, 100, "a hundredfold change; the largest plausible multiplier in the table is 9"),
    "ratio": Limit(0, 100, "a hundred to one; the largest plausible ratio in the table is 15"),
    "weeks": Limit(0, SIMULATED_WEEKS, _WEEKS),
    "years": Limit(0, 100, "a lifetime"),
    "persons": Limit(0, WEST_MIDLANDS_POPULATION, "the people living in the West Midlands"),
    "persons_per_year": Limit(0, WEST_MIDLANDS_POPULATION, "everyone living in the West Midlands, each year"),
    "count": Limit(0, 10_000, "crime groups, county markets or treatment episodes: twice the UK's ~4,500 mapped OCGs"),
    "lines": Limit(0, 5_000, "county lines: more than twice the NCA's ~2,000 across England and Wales at the peak"),
    "gbp": Limit(0, MAX_GBP, "£1bn: more than West Midlands Police's whole budget of about £700m a year"),
    "gbp_per_year": Limit(0, MAX_GBP, "£1bn a year: more than West Midlands Police's whole budget of about £700m"),
    "gbp_per_week": Limit(0, 19_000_000, "£19m a week, £1bn a year: more than West Midlands Police's whole budget"),
}

#: Where a parameter's unit allows values the model cannot mean, its own limit (inside its unit's).
PARAMETER_LIMITS: dict[str, Limit] = {
    # Gamma shapes: 0 is undefined (the model would divide by it); below 0.01 nearly everyone's propensity
    # underflows to zero and the group's mean cannot be normalised.
    "offending_heterogeneity_shape": Limit(0.01, 100, "a gamma shape: 0.01 (very unequal) to 100 (almost equal)"),
    "police_contact_heterogeneity_shape": Limit(0.01, 100, "a gamma shape: 0.01 (very unequal) to 100 (almost equal)"),
    # Weekly steps: a kit is held at least the week it is issued, and the perceived closure hazard is an
    # average over this many weeks (a weight of 1/weeks, which above 1 would overshoot and diverge).
    "naloxone_kit_life_weeks": Limit(1, SIMULATED_WEEKS, "a kit lasts at least the week it is issued"),
    "risk_perception_weeks": Limit(1, SIMULATED_WEEKS, "an average over at least one week"),
    # Officers carrying naloxone cover a share of the frontline: the model divides by it.
    "officer_naloxone_frontline_officers": Limit(1, FORCE_OFFICERS, "at least one officer, at most the force's"),
    # The 2019 county lines belong to crime groups, and lines run into county markets: neither can be none.
    "ocg_count": Limit(1, 10_000, "at least one group to run the lines; twice the UK's ~4,500 mapped OCGs"),
    "n_county_markets": Limit(1, 10_000, "at least one market for lines to run into"),
    # Offences are counted as the cost of crime divided by the cost of one: a crime costs something.
    "acq_crime_unit_cost_gbp": Limit(1, MAX_GBP, "crimes are counted as their cost over the cost of one: at least £1"),
    # CLTF capacity is its funding divided by the cost of one Type 1 outcome: an outcome costs something.
    "cltf_cost_per_type1_gbp": Limit(1, MAX_GBP, "capacity is funding over the cost of one outcome: at least £1"),
    "cltf_reference_funding_gbp": Limit(1, MAX_GBP, "capacity is scaled by funding over this: at least £1"),
    "cltf_funding_returns_exponent": Limit(0, 1, "capacity grows at most in proportion to funding"),
    "cltf_learning_weeks": Limit(1, SIMULATED_WEEKS, "a time constant of at least a week"),
    "cltf_winddown_weeks": Limit(1, SIMULATED_WEEKS, "a time constant of at least a week"),
    # Per line, not the whole population: a line is run by a handful of people.
    # The holder runs the line and the rest are a Poisson count above them: at least one person per line.
    "runners_per_line_mean": Limit(1, 100, "people working one county line: the holder at least, a hundred a gang"),
    # Admissions are drawn as a binomial of knife offences: at most one admission per offence.
    "sharp_admissions_per_knife_offence": Limit(0, 1, "drawn as a share of knife offences: at most one admission each"),
    # The users' age profile is a normal density whose maturing-out hazard divides by the spread squared.
    "user_age_sd_years": Limit(1, 30, "an age spread of at least a year (the age profile divides by it)"),
    # Beds are places, not groups: the same limit as the O2R lever's charity_beds and regular_beds settings.
    "o2r_charity_beds": Limit(0, 30_000, "a place for every opiate and crack user in the West Midlands"),
    "o2r_regular_beds": Limit(0, 30_000, "a place for every opiate and crack user in the West Midlands"),
    # Per worker, not per person: a referral every day of the year.
    "o2r_referrals_per_staff_year": Limit(0, 365, "a referral by each worker every day of the year"),
}

# --- scenario settings that are not table parameters
OFFICERS = Limit(0, FORCE_OFFICERS, f"West Midlands Police has about 7,000 officers; at most {FORCE_OFFICERS:,}")
#: Offending to Recovery workers in one area: Birmingham's team is 5; 1,000 would be one for every ten OCUs.
O2R_STAFF = Limit(0, 1_000, "workers in one area: one for every ten of Birmingham's OCUs")
#: HAT places or rehab beds: a place for every OCU in the West Midlands (ocu_total_2019 is at most 27,000).
PLACES = Limit(0, 30_000, "a place for every opiate and crack user in the West Midlands")
#: Custody blocks in the force: four in 2023 and six in 2025 (2025-02_agb_substance-misuse §39); 50 is more than
#: eight times the 2025 estate.
CUSTODY_BLOCKS = Limit(0, 50, "custody blocks: the force had six in 2025")
SHARE = UNIT_LIMITS["share"]
MULTIPLIER = UNIT_LIMITS["multiplier"]


def limit_of(name: str, unit: str) -> Limit:
    """The possible range of table parameter `name` (of `unit`)."""
    return PARAMETER_LIMITS.get(name) or UNIT_LIMITS[unit]


def people_created(params: dict[str, float]) -> float:
    """OCU rows the model creates: the 2019 users, those in prison, the abstinent pool, and the reserve for
    everyone who might start using over the longest period (see `Population`)."""
    p = params
    started = p["ocu_total_2019"] * (1 + p["ocu_prison_share_2019"]) + p["ocu_abstinent_pool_2019"]
    return started + p["ocu_initiation_per_year"] * SIMULATED_YEARS


def people_problem(params: dict[str, float]) -> str | None:
    """Why these parameters create more people than live in the West Midlands, or None."""
    n = people_created(params)
    if n <= WEST_MIDLANDS_POPULATION:
        return None
    return (
        f"these settings create {fmt(round(n))} people who use opiates or crack (ocu_total_2019 x "
        "(1 + ocu_prison_share_2019) + ocu_abstinent_pool_2019 + ocu_initiation_per_year x "
        f"{SIMULATED_YEARS:.0f} years), more than the {fmt(WEST_MIDLANDS_POPULATION)} people living in the "
        "West Midlands"
    )
