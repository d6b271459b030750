"""The headline cards: money apart from the value of life, colours that agree with the interval as shown, the
chance of being better, and explanations worked out from the appraisal's components."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_appraisal import CAL, runs

from drugsim.appraisal import by_survivors_weekly
from drugsim.compare import difference
from drugsim.scenario import load_scenario
from drugsim.webapp.cards import MONEY_CARDS, OUTCOME_CARDS, _card, cards, shown
from drugsim.webapp.labels import fmt, money
from drugsim.webapp.runs import RunCache, run_comparison


def deaths_card(mean, low, high):
    return _card("drug_deaths", "Drug deaths", "", mean, low, high, 0.9, True, lambda x, s: fmt("drug_deaths", x, s))


def test_a_card_is_grey_when_its_interval_as_shown_includes_zero():
    # -2.2 to -0.3 shows as "-2 to 0": a reader sees zero in it, so the card must not say "better".
    card = deaths_card(-1.2, -2.2, -0.3)
    assert card.interval == "-2 to 0 (90%)"
    assert card.noise and card.colour == "off"
    clear = deaths_card(-1.2, -2.2, -0.6)  # shows "-2 to -1"
    assert not clear.noise and clear.colour == "inverse"  # fewer deaths: good news, shown green
    assert deaths_card(0.3, -0.1, 0.9).noise  # a mean that shows as 0 is no change
    assert deaths_card(5.0, float("nan"), float("nan")).noise  # one run: no interval, no claim


def test_shown_rounds_as_the_cards_print():
    assert shown("drug_deaths", 0.4) == 0 and shown("drug_deaths", -0.6) == -1
    assert money(shown("cash", 1_234_567)) == money(1_234_567) == "£1.2m"
    assert shown("cash", 1_234_567) == pytest.approx(1_200_000)
    assert shown("cash", 12_345) == 12_000 and shown("cash", 0.4) == 0


def test_people_alive_because_of_an_option_offend_only_if_deaths_differ():
    same = runs(drug_deaths=1.0, ocu_active=100.0, acquisitive_crimes=2000.0)
    assert not by_survivors_weekly(same, same, "acquisitive_crimes").any()
    fewer = runs(drug_deaths=0.0, ocu_active=100.0, acquisitive_crimes=2000.0)
    # One death averted a week: k + 1 extra people alive in week k, each at 20 crimes a week.
    np.testing.assert_allclose(
        by_survivors_weekly(same, fewer, "acquisitive_crimes"), 20.0 * np.arange(1, CAL.n_weeks + 1)
    )


@pytest.mark.slow
def test_take_home_naloxone_cards_separate_cash_from_lives_and_explain_the_extra_crime():
    base, option = load_scenario("baseline"), load_scenario("naloxone_take_home")
    c = run_comparison([base, option], 4, ("2026-01-01", "2030-12-31"), RunCache(), use_draws=False, workers=2)
    by_key = {card.key: card for card in cards(c, option.name)}
    assert list(by_key) == [*OUTCOME_CARDS, *MONEY_CARDS]

    deaths = by_key["drug_deaths"]
    assert not deaths.noise and deaths.colour == "inverse" and deaths.p_better > 0.5
    # The extra crime is explained by the people who survive, and the numbers in the sentence add up.
    crimes = c.row(option.name, "acquisitive_crimes")
    assert crimes.diff_mean > 0
    note = by_key["acquisitive_crimes"].note
    assert "alive because of this option" in note
    survivors = float(note.split("about ")[1].split(" of these")[0].replace(",", ""))
    rest = float(note.split("the rest of the change is ")[1].rstrip(".").replace(",", ""))
    assert survivors > 0 and survivors + rest == pytest.approx(crimes.diff_mean, abs=1.5)

    # Money: each card is its own sum of the appraisal's per-run values, never one mixed total.
    per_run = c.appraisal_runs[option.name]
    lives = difference(per_run["societal:lives"] + per_run["societal:quality_of_life"], "higher", False)
    assert by_key["lives_health"].value == money(lives["diff_mean"], True)
    assert by_key["cash"].value == money(per_run["public:cashable"].mean(), True)
    assert per_run["public:cashable"].mean() < 0  # kits and training cost cash
    assert by_key["cash"].colour in ("normal", "off")  # higher is better: a cost is shown red, never green
    society = by_key["society"]
    assert society.value == money(per_run["societal:npv"].mean(), True)
    assert "value of lives and health" in society.note and "not cash" in society.note
    assert not math.isnan(society.p_better)
