"""Plain-language names for outcomes, and the assumptions (parameter-table groups) each outcome depends on.

The dependency lists are the model's causal paths as built (docs/ODD.md): for example drug deaths depend on the
overdose hazard and fatality, on naloxone, on treatment and HAT (which lower the hazard) and on the size of the
using population. They say where to look first, not which assumption matters most; the sensitivity analysis
answers that.
"""

from __future__ import annotations

from drugsim.compare import ECONOMICS
from drugsim.metrics import METRICS

#: Short labels for the outcomes a policy reader sees first.
LABELS = {
    "drug_deaths": "Drug deaths",
    "overdoses": "Overdoses",
    "acquisitive_crimes": "Acquisitive crimes by people who use heroin/crack",
    "active_county_lines": "County lines running (average)",
    "criminal_records": "Criminal records for possession (charges + cautions)",
    "possession_charges": "Possession charges",
    "possession_cautions": "Possession cautions",
    "community_resolutions": "Community resolutions",
    "in_treatment": "People in treatment (average)",
    "in_hat": "People in heroin-assisted treatment (average)",
    "in_rehab": "People in residential rehab (average)",
    "runners_exploited": "Children and vulnerable adults running lines (average)",
    "children_exploited": "Children running lines (average)",
    "serious_violence_offences": "Knife offences linked to drug markets",
    "sharp_object_admissions": "Hospital admissions for stabbings (drug markets)",
    "nrm_referrals": "Referrals to the National Referral Mechanism (county lines)",
    "spend_total_gbp": "Spending on interventions",
    "intervention_spend_gbp": "Extra public spending",
    "costs_avoided_gbp": "Costs to society avoided",
    "net_benefit_gbp": "Net benefit to society",
    "cost_per_death_averted_gbp": "Extra spending per death averted",
    "cost_per_crime_averted_gbp": "Extra spending per crime averted",
    "return_per_gbp": "Costs avoided per £1 spent",
}

_POPULATION = ("population", "treatment")
#: Parameter-table groups behind each outcome; outcomes not listed depend on their own metric's group.
DEPENDS = {
    "drug_deaths": ("overdose", "naloxone", "nitazene_wave", "hat", "o2r", *_POPULATION),
    "overdoses": ("overdose", "nitazene_wave", "hat", *_POPULATION),
    "acquisitive_crimes": ("offending", "hat", "o2r", "custody", "divert", *_POPULATION),
    "active_county_lines": ("county_lines", "cltf", "market"),
    "runners_exploited": ("county_lines", "cltf"),
    "children_exploited": ("county_lines", "cltf"),
    "serious_violence_offences": ("violence", "county_lines", "cltf"),
    "sharp_object_admissions": ("violence", "county_lines", "cltf"),
    "violence_cost_gbp": ("violence", "county_lines", "cltf"),
    "exploitation_cost_gbp": ("exploitation", "county_lines", "cltf"),
    "nrm_referrals": ("exploitation", "county_lines", "cltf"),
    "criminal_records": ("policing", "divert"),
    "possession_charges": ("policing", "divert"),
    "possession_cautions": ("policing", "divert"),
    "community_resolutions": ("policing", "divert"),
    "in_treatment": ("treatment", "custody", "divert", "o2r", "asset_reinvestment", "population"),
    "in_hat": ("hat", "treatment"),
    "in_rehab": ("o2r", "treatment"),
    "intervention_spend_gbp": ("costs", "hat", "o2r", "naloxone", "cltf", "divert", "custody"),
    "net_benefit_gbp": (
        "costs",
        "offending",
        "overdose",
        "hat",
        "o2r",
        "naloxone",
        "cltf",
        "divert",
        "custody",
        "violence",
        "exploitation",
    ),
    "costs_avoided_gbp": ("costs", "offending", "overdose", "violence", "exploitation"),
}


def label(outcome: str) -> str:
    """The plain-language name of an outcome (a metric or an economic measure)."""
    if outcome in LABELS:
        return LABELS[outcome]
    if outcome in ECONOMICS:
        return ECONOMICS[outcome]
    return METRICS[outcome].meaning


def unit(outcome: str) -> str:
    if outcome in ECONOMICS:
        return "ratio" if outcome == "return_per_gbp" else "GBP"
    return METRICS[outcome].unit


def lower_is_better(outcome: str) -> bool | None:
    """True if a fall is good news, False if a rise is, None if neither (spend is a choice, not a harm)."""
    if outcome in ("net_benefit_gbp", "costs_avoided_gbp", "return_per_gbp"):
        return False
    if outcome in ECONOMICS:
        return None
    better = METRICS[outcome].better
    return {"lower": True, "higher": False}.get(better)


def depends_on(outcome: str) -> tuple[str, ...]:
    """Parameter-table groups an outcome depends on."""
    return DEPENDS.get(outcome, ())


def money(x: float, signed: bool = False) -> str:
    """£ with a sensible scale: £1.2m, £350k, £420."""
    a = abs(x)
    if a < 0.5:
        return "£0"
    sign = "+" if signed and x > 0 else ("-" if x < 0 else "")
    if a >= 1e6:
        return f"{sign}£{a / 1e6:,.1f}m"
    if a >= 1e4:
        return f"{sign}£{a / 1e3:,.0f}k"
    return f"{sign}£{a:,.0f}"


def number(x: float) -> str:
    """A number for a reader: thousands separators for large ones, plain decimals for small ones, never 2.16e+06."""
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    if 0 < abs(x) < 1e-3:
        return f"{x:.8f}".rstrip("0")
    return f"{x:g}"


def fmt(outcome: str, x: float, signed: bool = False) -> str:
    """A value of an outcome for display (money, ratio or a count)."""
    if x != x:  # NaN
        return "n/a"
    u = unit(outcome)
    if u == "GBP":
        return money(x, signed)
    if u == "ratio":
        return f"£{x:,.2f}"
    x = round(x) + 0.0  # + 0.0 turns -0.0 into 0.0: no "-0"
    return f"{x:+,.0f}" if signed and x else f"{x:,.0f}"


#: The words the app uses that a reader may not know, in plain English (the start page's glossary).
GLOSSARY = {
    "OCU": "Opiate and/or crack cocaine user: someone who uses heroin, crack or both, the group most harmed by drugs "
    "and most involved in acquisitive crime.",
    "OST": "Opioid substitution treatment: methadone or buprenorphine prescribed in a structured treatment programme.",
    "HAT": "Heroin-assisted treatment: pharmaceutical heroin taken under supervision at a clinic, for people whom "
    "other treatment has not helped (Middlesbrough's programme is the UK example).",
    "Naloxone": "A medicine that reverses an opioid overdose. Take-home kits go to people who use drugs and those "
    "around them; West Midlands Police officers can carry it too.",
    "Divert": "West Midlands Police's pre-arrest diversion: someone found with drugs for their own use is offered "
    "an education or treatment session instead of a charge or caution.",
    "Arrest referral (CARS, RADAR)": "Drug workers in custody blocks who refer people arrested (after a positive test "
    "for heroin or crack, or on request) to treatment.",
    "O2R": "Offending to Recovery (earlier Offender to Rehab): a route from custody into residential rehabilitation "
    "for prolific offenders who use drugs.",
    "County line": "A phone line used to sell heroin and crack in another area, often using children or vulnerable "
    "adults to carry and deal.",
    "CLTF": "County Lines Taskforce: West Midlands Police's team that closes county lines run from the force area; "
    "its funding is approved to April 2026.",
    "Type 1 outcome": "A county line disabled and its holder charged: the measure of the Taskforce's work.",
    "NRM": "National Referral Mechanism: the UK's route for identifying victims of trafficking and modern slavery, "
    "including children exploited on county lines.",
    "QALY": "Quality-adjusted life year: a year of life in full health. The Green Book values one at £70,000.",
    "Present value": "A future cost or benefit expressed in today's money, discounted at the Treasury's rate "
    "(3.5% a year; 1.5% for health).",
    "Cashable": "Money that actually changes hands (spending, treatment bills). Non-cashable: capacity freed, such as "
    "police or NHS time, which is real but does not return to budgets as cash.",
    "Paired runs": "Every scenario is run with the same random numbers as the base, so differences show the policy, "
    "not chance.",
    "90% interval": "The range that holds the answer in 9 cases out of 10, given chance and, with parameter "
    "uncertainty on, everything the evidence leaves open about the model's inputs.",
    "Holdout": "Figures first published in the 2025 report, kept back from fitting the model, to test it fairly.",
}
