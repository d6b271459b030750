"""The headline cards of a comparison, in plain words: what each option changes, with its interval, the chance it
is better than the base, and a sentence that explains an effect a reader would not expect. One home for the cards,
so the Compare page, the headline table and the briefing pack say the same thing.

The money is the Green Book appraisal (`drugsim.appraisal`), never one total that mixes cash with the value of
life: the cash the public sector spends or saves, the public sector's whole position (cash and capacity freed),
the value of lives and health (not cash), and the net value to society (everything), each its own card.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from drugsim.appraisal import LINES, by_survivors_weekly
from drugsim.compare import difference, period_weeks
from drugsim.metrics import METRICS
from drugsim.webapp import trust
from drugsim.webapp.labels import fmt, label, lower_is_better, money, unit

#: Outcome cards, in order: counts from the comparison table.
OUTCOME_CARDS = ("drug_deaths", "acquisitive_crimes", "active_county_lines", "criminal_records")
#: Card titles short enough not to be cut off in a four-card row on a laptop; the help says what each one counts.
CARD_TITLES = {
    "drug_deaths": "Drug deaths",
    "acquisitive_crimes": "Acquisitive crimes",
    "active_county_lines": "County lines (average)",
    "criminal_records": "Criminal records",
}

#: Money cards, in order: key -> (title, the appraisal columns summed per run, what it is).
MONEY_CARDS = {
    "cash": (
        "Cash for public budgets",
        ("public:cashable",),
        "The net change in cash the public sector spends: the option's own spending and the treatment it leads to "
        "(negative: it costs cash).",
    ),
    "public": (
        "Public sector value",
        ("public:npv",),
        "Cash, plus police, court and NHS capacity freed (or used) and the public share of the costs of crime, "
        "violence and exploitation. Capacity freed is time, not money that returns to budgets.",
    ),
    "lives_health": (
        "Lives and health, valued",
        ("societal:lives", "societal:quality_of_life"),
        "Drug deaths averted and time in treatment rather than using, valued at the Green Book's value of a QALY. "
        "No budget receives this money.",
    ),
    "society": (
        "Net value to society",
        ("societal:npv",),
        "Everything: the public sector, victims' costs, lives and health, and the lost earnings of a criminal "
        "record. Present value in 2024 prices.",
    ),
}


@dataclass(frozen=True)
class Card:
    key: str
    title: str
    value: str  # the mean, as shown
    interval: str  # "low to high (90%)", as shown
    noise: bool  # the interval as shown includes zero (or the mean shows as zero)
    colour: str  # Streamlit's delta_color: "normal" (up is good), "inverse" (down is good) or "off" (grey)
    p_better: float  # share of paired runs (PSA draws) in which the option is better; NaN when neither is better
    what: str  # what the card measures
    note: str  # an explanation the numbers call for, or ""
    trust: str = ""  # how the model did against the published figures that bear on this outcome
    zero: bool = False  # no change in any run
    mean: float = float("nan")  # the numbers behind the text, for tables and workbooks
    low: float = float("nan")
    high: float = float("nan")
    unit: str = ""

    @property
    def chance(self) -> str:
        if self.zero:
            return "No change in any run."
        return "" if math.isnan(self.p_better) else f"Better than the base in {self.p_better:.0%} of runs."


def shown(outcome: str, x: float) -> float:
    """`x` rounded as `fmt` shows it, so that colours and words agree with the digits a reader sees."""
    if x != x:
        return x
    if outcome.endswith("_gbp") or outcome in MONEY_CARDS:
        a = abs(x)
        step = 1e5 if a >= 1e6 else (1e3 if a >= 1e4 else 1.0)
        return 0.0 if a < 0.5 else round(x / step) * step
    return float(round(x))


def _card(key, title, what, mean, low, high, p_better, better: bool | None, text, trust_line: str = "") -> Card:
    lo, hi, mid = shown(key, low), shown(key, high), shown(key, mean)
    noise = mid == 0 or not (lo > 0 or hi < 0)  # NaN bounds (one run) count as noise too
    colour = "off" if noise or better is None else ("inverse" if better else "normal")
    return Card(
        key=key,
        title=title,
        value=text(mean, True),
        interval=f"{text(low, True)} to {text(high, True)} (90%)",
        noise=noise,
        colour=colour,
        p_better=p_better,
        what=what,
        note="",
        trust=trust_line,
        zero=mean == 0 and low == 0 and high == 0,
        mean=float(mean),
        low=float(low),
        high=float(high),
        unit=unit(key) if key in METRICS else "GBP",
    )


def _survivors_crimes(c, scenario: str) -> float:
    """Mean acquisitive crimes in the period by people alive because of `scenario` (see drugsim.appraisal)."""
    weights = period_weeks(c.base, *c.period)
    base_runs = {r.seed: c.results[r.key] for r in c.runs if r.scenario.name == c.base.name}
    alt_runs = {r.seed: c.results[r.key] for r in c.runs if r.scenario.name == scenario}
    return float(
        np.mean([weights @ by_survivors_weekly(base_runs[s], alt, "acquisitive_crimes") for s, alt in alt_runs.items()])
    )


def cards(c, scenario: str) -> list[Card]:
    """The headline cards of `scenario` against the comparison's base: outcomes first, then money."""
    out = []
    for outcome in OUTCOME_CARDS:
        r = c.row(scenario, outcome)
        out.append(
            _card(
                outcome,
                CARD_TITLES[outcome],
                f"{label(outcome)}: the difference from {c.base.name} over the period.",
                r.diff_mean,
                r.diff_low,
                r.diff_high,
                r.p_better,
                lower_is_better(outcome),
                lambda x, signed, o=outcome: fmt(o, x, signed),
                trust.outcome_line(outcome),
            )
        )
    runs = c.appraisal_runs[scenario]
    for key, (title, columns, what) in MONEY_CARDS.items():
        d = difference(runs[list(columns)].sum(axis=1), "higher", c.psa)
        out.append(_card(key, title, what, d["diff_mean"], d["diff_low"], d["diff_high"], d["p_better"], False, money))
    return _explain(c, scenario, {card.key: card for card in out})


def _largest(runs, view: str, total: float, exclude=(), k: int = 2) -> str:
    """The `k` appraisal lines of `view` that move most (mean over runs), each at least 5% of `total`, in words."""
    means = {line: float(runs[f"{view}:{line.name}"].mean()) for line in LINES if line.name not in exclude}
    top = sorted(means.items(), key=lambda kv: -abs(kv[1]))[:k]
    return "; ".join(
        f"{line.label} {money(v, True)}" for line, v in top if abs(v) >= 0.05 * abs(total) and shown("cash", v) != 0
    )


def _explain(c, scenario: str, by_key: dict[str, Card]) -> list[Card]:
    """Add the sentences the numbers call for, worked out from the appraisal's components."""
    from dataclasses import replace

    deaths, crimes = c.row(scenario, "drug_deaths"), c.row(scenario, "acquisitive_crimes")
    notes = {}
    if not by_key["drug_deaths"].noise and deaths.diff_mean < 0 and crimes.diff_mean > 0:
        n = _survivors_crimes(c, scenario)
        if shown("acquisitive_crimes", n) > 0:
            rest = crimes.diff_mean - n
            notes["acquisitive_crimes"] = (
                f"More people survive, and some of them keep offending: about {n:,.0f} of these crimes are by people "
                f"alive because of this option; the rest of the change is {rest:+,.0f}."
            )
    runs = c.appraisal_runs[scenario]
    society = float(runs["societal:npv"].mean())
    lives = float(runs[list(MONEY_CARDS["lives_health"][1])].sum(axis=1).mean())
    if not by_key["society"].noise:
        if society > 0 and lives >= society:
            notes["society"] = (
                f"All of it, and more, is the value of lives and health ({money(lives)}, not cash); everything else "
                f"nets to {money(society - lives, True)}."
            )
        elif society > 0 and lives > 0.5 * society:
            notes["society"] = f"{lives / society:.0%} of this is the value of lives and health, not cash."
        else:
            notes["society"] = "Mostly: " + _largest(runs, "societal", society) + "."
    if not by_key["public"].noise:
        cashable = {line.name for line in LINES if line.cashable}
        beyond = _largest(runs, "public", float(runs["public:npv"].mean()), exclude=cashable)
        if beyond:
            notes["public"] = f"Beyond the cash: {beyond} (capacity and costs, not cash)."
    return [replace(card, note=notes.get(key, "")) for key, card in by_key.items()]
