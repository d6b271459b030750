"""The outcome metrics: names, whether each is a weekly flow or an end-of-week stock, unit and meaning.

Every metric is recorded weekly for each LA; the force-wide value is the sum over LAs. Results use these
exact names.
"""

from __future__ import annotations

from dataclasses import dataclass

from drugsim.interventions import REGISTRY
from drugsim.population import ETH_NAMES


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str  # "flow" (events in the week) or "stock" (count at the end of the week)
    unit: str
    meaning: str
    better: str = ""  # "lower", "higher" or "" (no direction)


_BASE = [
    Metric("drug_deaths", "flow", "persons", "Deaths from drug poisoning", "lower"),
    Metric("overdoses", "flow", "events", "Overdoses (fatal and non-fatal)", "lower"),
    Metric("overdoses_reversed", "flow", "events", "Life-threatening overdoses reversed with naloxone", "higher"),
    Metric("officer_naloxone_reversals", "flow", "events", "Overdoses reversed by officers' naloxone"),
    Metric("thn_reversals", "flow", "events", "Overdoses reversed with take-home kits (own or a peer's)"),
    Metric("hostel_naloxone_reversals", "flow", "events", "Overdoses reversed by hostel naloxone provision"),
    Metric("thn_kits_issued", "flow", "kits", "Take-home naloxone kits given out"),
    Metric("naloxone_kits_held", "stock", "kits", "Community OCUs holding an in-date take-home kit"),
    Metric("deaths_other_causes", "flow", "persons", "Deaths of OCUs from other causes", "lower"),
    Metric("ocu_active", "stock", "persons", "OCUs in the community, using or in treatment", "lower"),
    Metric("in_treatment", "stock", "persons", "OCUs in opioid substitution / structured treatment"),
    Metric("in_hat", "stock", "persons", "People in heroin-assisted treatment"),
    Metric("hat_waiting", "stock", "persons", "People waiting for a HAT place"),
    Metric("in_rehab", "stock", "persons", "People in residential rehab"),
    Metric("in_prison", "stock", "persons", "OCUs in prison"),
    Metric("abstinent", "stock", "persons", "Former OCUs abstinent in the community", "higher"),
    Metric("treatment_entries", "flow", "persons", "Entries into treatment (all routes)"),
    Metric("rehab_admissions", "flow", "persons", "Admissions to residential rehab (all routes)"),
    Metric("new_ocus", "flow", "persons", "People starting opiate/crack use"),
    Metric(
        "users_replaced",
        "flow",
        "persons",
        "Cannabis and cocaine users who stopped (or turned 60) and were replaced by new users",
    ),
    Metric("ocu_migrants", "flow", "persons", "OCUs who moved out of the force area, each replaced by one moving in"),
    Metric("acquisitive_crimes", "flow", "offences", "Acquisitive offences by OCUs (recorded or not)", "lower"),
    Metric(
        "acquisitive_crimes_recorded", "flow", "offences", "Acquisitive offences by OCUs recorded by police", "lower"
    ),
    Metric("crime_cost_gbp", "flow", "GBP", "Cost of OCU acquisitive crime", "lower"),
    Metric("possession_detections", "flow", "detections", "Possession offences detected by police"),
    Metric("divert_referrals", "flow", "referrals", "Referrals to Divert (community resolution + Cranstoun)"),
    Metric("divert_engaged", "flow", "persons", "Divert referrals who engaged with the 1:1"),
    Metric("community_resolutions", "flow", "outcomes", "Possession outcomes by community resolution"),
    Metric("possession_cautions", "flow", "outcomes", "Possession outcomes by caution", "lower"),
    Metric("possession_charges", "flow", "outcomes", "Possession outcomes by charge", "lower"),
    Metric(
        "criminal_records",
        "flow",
        "outcomes",
        "Possession outcomes that give a criminal record (charge or caution)",
        "lower",
    ),
    Metric("arrests_ocu", "flow", "arrests", "Arrests of OCUs for trigger offences"),
    Metric("drug_tests", "flow", "tests", "Drug tests on arrest"),
    Metric("cars_referrals", "flow", "referrals", "Arrest referral service referrals (CARS, incl. RADAR)"),
    Metric("radar_referrals", "flow", "referrals", "Referrals through the RADAR custody risk assessment"),
    Metric("cars_referrals_tested", "flow", "referrals", "Arrest referrals after a positive drug test (route 1)"),
    Metric(
        "cars_referrals_voluntary", "flow", "referrals", "Voluntary arrest referrals without a positive test (route 1)"
    ),
    Metric("cars_treatment_entries", "flow", "persons", "Treatment entries following an arrest referral (all routes)"),
    Metric("prison_receptions", "flow", "persons", "OCUs sent to prison"),
    Metric("o2r_referrals", "flow", "referrals", "Offender to Rehab referrals"),
    Metric("o2r_admissions", "flow", "persons", "Offender to Rehab admissions to residential rehab"),
    Metric("o2r_charity_admissions", "flow", "persons", "Offender to Rehab admissions to charity beds"),
    Metric("o2r_waiting", "stock", "persons", "Offender to Rehab clients waiting for a rehab bed"),
    Metric("o2r_caseload", "stock", "persons", "Open Offender to Rehab clients (assessment, waiting, in rehab)"),
    Metric("hat_starts", "flow", "persons", "People starting HAT"),
    Metric(
        "active_county_lines",
        "stock",
        "lines",
        "Active county lines run by West Midlands groups (exported and internal)",
        "lower",
    ),
    Metric(
        "active_lines_exported", "stock", "lines", "Active lines exported to county markets outside the area", "lower"
    ),
    Metric("active_lines_internal", "stock", "lines", "Active internal lines, run inside the force area", "lower"),
    Metric("lines_opened", "flow", "lines", "County lines opened (new, taken over or re-established)"),
    Metric("lines_reestablished", "flow", "lines", "Closed lines re-established by their group with a new holder"),
    Metric("lines_taken_over", "flow", "lines", "Closed lines whose customers a rival took over"),
    Metric("lines_lost", "flow", "lines", "Closed lines neither re-established nor taken over"),
    Metric("line_runners", "stock", "persons", "Holders and runners working active lines"),
    Metric(
        "runners_recruited_exploited",
        "flow",
        "persons",
        "Children and vulnerable adults recruited to run lines",
        "lower",
    ),
    Metric("type1_outcomes", "flow", "outcomes", "CLTF Type 1 outcomes (line disabled, holder charged)"),
    Metric("lines_closed_other", "flow", "lines", "Lines closed by other enforcement or folding"),
    Metric("supply_charges", "flow", "persons", "People charged with supply by the CLTF"),
    Metric("safeguarding_referrals", "flow", "persons", "Exploited runners engaged with safeguarding"),
    Metric("nrm_referrals", "flow", "persons", "National Referral Mechanism referrals linked to county lines"),
    Metric("nrm_referrals_cltf", "flow", "persons", "NRM referrals of runners found on lines the CLTF closed"),
    Metric(
        "nrm_referrals_policing", "flow", "persons", "NRM referrals of runners found on lines other enforcement closed"
    ),
    Metric("nrm_referrals_other", "flow", "persons", "NRM referrals by children's services and other first responders"),
    Metric(
        "serious_violence_offences",
        "flow",
        "offences",
        "Knife and sharp-instrument offences linked to drug markets",
        "lower",
    ),
    Metric(
        "sharp_object_admissions",
        "flow",
        "persons",
        "Hospital admissions for assault with a sharp object (drug markets)",
        "lower",
    ),
    Metric("violence_cost_gbp", "flow", "GBP", "Cost of drug-market violence", "lower"),
    Metric(
        "exploitation_cost_gbp",
        "flow",
        "GBP",
        "Cost of the exploitation of children and vulnerable adults on lines",
        "lower",
    ),
    Metric("runners_exploited", "stock", "persons", "Children and vulnerable adults running active lines", "lower"),
    Metric("children_exploited", "stock", "persons", "Children running active lines", "lower"),
    Metric("ocg_disruptions", "flow", "events", "OCG/USG disruptions by the CLTF"),
    Metric("trafficking_offences", "flow", "offences", "Recorded drug trafficking offences"),
    Metric("lines_displaced_locally", "flow", "lines", "Closed lines whose trade moved to local street dealing"),
    Metric("assets_seized_gbp", "flow", "GBP", "Value of assets seized from dealers, line holders and OCGs"),
    Metric("asset_receipts_gbp", "flow", "GBP", "Seized assets realised and available to local agencies"),
    Metric("reinvested_treatment_entries", "flow", "persons", "Treatment entries funded by reinvested seized assets"),
    Metric("reinvested_gbp", "flow", "GBP", "Seized-asset receipts spent on treatment"),
    Metric("market_revenue_gbp", "flow", "GBP", "Local retail drug market revenue", "lower"),
    Metric("county_lines_revenue_gbp", "flow", "GBP", "Revenue of the area's county lines", "lower"),
    Metric("health_cost_gbp", "flow", "GBP", "Health and social care cost of active OCUs", "lower"),
    Metric("treatment_cost_gbp", "flow", "GBP", "Cost of OST places and non-O2R rehab admissions"),
    Metric("cj_cost_gbp", "flow", "GBP", "Criminal-justice cost: possession outcomes and prison", "lower"),
    Metric("death_cost_gbp", "flow", "GBP", "Social cost of drug deaths", "lower"),
    Metric("naloxone_officers", "stock", "officers", "Officers carrying naloxone"),
]
_ETH = [
    Metric(f"{m}_{e}", "flow", "outcomes", f"{m.replace('_', ' ').capitalize()}, {e.replace('_', '/')} ethnic group")
    for m in ("possession_detections", "possession_charges", "possession_cautions")
    for e in ETH_NAMES
]
_SPEND = [Metric(f"spend_{name}_gbp", "flow", "GBP", f"Spend on {name.replace('_', ' ')}") for name in REGISTRY] + [
    Metric("spend_total_gbp", "flow", "GBP", "Spend on all interventions")
]

METRICS: dict[str, Metric] = {m.name: m for m in _BASE + _ETH + _SPEND}
NAMES: tuple[str, ...] = tuple(METRICS)
INDEX: dict[str, int] = {n: i for i, n in enumerate(NAMES)}
