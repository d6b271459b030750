"""Portfolio optimisation under a budget: doses change the right settings, the search finds a mix of levers when a
mix is better, respects the budget, and reports the frontier and P(best); then the command end to end."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT

from drugsim import psa
from drugsim.budget import DOSES, Search, committed, decide, frontier, optimise, portfolio, probability_best
from drugsim.calendar import Calendar
from drugsim.compare import period_weeks
from drugsim.metrics import INDEX, METRICS
from drugsim.scenario import load_scenario

BASE = load_scenario(ROOT / "scenarios" / "baseline.toml")
PERIOD = ("2026-01-01", "2030-12-31")


def test_doses_change_only_their_levers():
    same = portfolio(BASE, {})
    assert same.interventions == BASE.interventions
    p = portfolio(BASE, {"hat_places": 300, "naloxone_officers": 1000, "cltf_years": 2, "o2r_staff": 5})
    assert p.interventions["hat"].enabled and sum(p.interventions["hat"].places.values()) == 300
    officers = p.interventions["naloxone_officers"].schedule
    before = {e.area: e.amount for e in BASE.interventions["naloxone_officers"].schedule}
    added = [e for e in officers if e.date == dt.date(2026, 4, 1)]
    assert sum(e.amount - before.get(e.area, 0) for e in added) == 1000
    assert p.interventions["cltf"].end == BASE.interventions["cltf"].end + dt.timedelta(days=730)
    staff = [e for e in p.interventions["o2r"].schedule if e.date == dt.date(2026, 4, 1)]
    assert len(staff) >= 1
    assert p.interventions["divert"] == BASE.interventions["divert"]  # no dose, no change


def test_committed_spend_of_hat_places_is_places_times_cost():
    p = portfolio(BASE, {"hat_places": 100})
    cost = BASE.params["hat_cost_per_place_year_gbp"]
    years = (dt.date(2030, 12, 31) - dt.date(2026, 4, 1)).days / 365.25
    assert committed(BASE, p, *PERIOD) == pytest.approx(100 * cost * years, rel=0.02)


def test_frontier_keeps_only_portfolios_nobody_beats_on_both():
    t = pd.DataFrame(
        {
            "portfolio": ["a", "b", "c", "d", "e"],
            "spend_gbp": [0.0, 1.0, 2.0, 2.5, 3.0],
            "qalys": [0.0, 5.0, 4.0, 7.0, 7.0],
        }
    )
    assert frontier(t, "qalys").portfolio.tolist() == ["a", "b", "d"]


def test_probability_best_counts_draws():
    chances = probability_best({"x": np.array([1.0, 5.0, 3.0, 0.0]), "y": np.array([2.0, 1.0, 1.0, 1.0])})
    assert chances == {"x": 0.5, "y": 0.5}


def fake_runner(calls: list):
    """A stand-in for the model: deaths fall with the square root of each lever's dose (so a mix beats putting
    everything into one lever), and each portfolio spends what it commits, week by week."""
    cal = Calendar(BASE.start, BASE.end)
    weeks = period_weeks(BASE, *PERIOD)

    def run(scenarios):
        out = []
        for s in scenarios:
            calls.append(s.name)
            hat = sum(s.interventions["hat"].places.values()) if s.interventions["hat"].enabled else 0
            officers = sum(e.amount for e in s.interventions["naloxone_officers"].schedule if e.date.year >= 2026)
            spend = committed(BASE, s, *PERIOD) if s is not BASE else 0.0
            a = np.zeros((cal.n_weeks, len(METRICS), 1))
            a[:, INDEX["drug_deaths"], 0] = 3.0 - 0.02 * np.sqrt(hat) - 0.01 * np.sqrt(officers)
            a[:, INDEX["spend_total_gbp"], 0] = spend / weeks.sum()  # so that the period total is `spend`
            out.append([a, a])
        return out

    return run


def test_the_search_finds_a_mix_within_the_budget():
    draws = psa.sample(2, psa.uncertain_parameters(), seed=1)
    calls: list = []
    search = Search(BASE, draws, 12_000_000, "deaths_averted", PERIOD, fake_runner(calls))
    table, per_draw = optimise(search, trials=40, seed=0)
    fresh = Search(
        BASE, psa.sample(2, psa.uncertain_parameters(), seed=2), 12_000_000, "deaths_averted", PERIOD, search.run
    )
    table = decide(table, fresh)
    best = table.iloc[0]
    assert best.within_budget and best.spend_gbp <= 12_000_000
    assert best.hat_places > 0 and best.naloxone_officers > 0  # a mix, not one lever
    singles = table[(table.hat_places == 0) | (table.naloxone_officers == 0)]
    assert best.deaths_averted > singles[singles.within_budget].deaths_averted.max()
    assert not table[~table.run].within_budget.any()  # over budget on commitments alone: never run
    assert table.p_best.sum() == pytest.approx(1.0)
    # The base and each portfolio once; then the base and the five leaders again, on fresh draws.
    assert len(calls) == 1 + table.run.sum() + 1 + 5
    assert table.confirmed.notna().sum() == 5 and table.iloc[0].confirmed == table.confirmed.max()
    tried = set(table.portfolio)
    assert "take_home_naloxone 1" in tried  # each lever alone, switches included, is tried early


@pytest.mark.slow
def test_budget_command_writes_a_portfolio_frontier_and_p_best(tmp_path):
    out = tmp_path / "budget"
    cmd = [sys.executable, "-m", "drugsim.cli", "budget", "--budget", "5000000", "--period", "2026-2027"]
    cmd += ["--seeds", "2", "--trials", "8", "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
    t = pd.read_csv(out / "budget.csv")
    assert {d.name for d in DOSES} <= set(t.columns)
    assert {"portfolio", "spend_gbp", "qalys", "low", "high", "confirmed", "p_best", "within_budget"} <= set(t.columns)
    assert (t[t.within_budget].spend_gbp <= 5_000_000).all()
    assert t.p_best.sum() == pytest.approx(1.0)
    front = pd.read_csv(out / "frontier.csv")
    assert front.spend_gbp.is_monotonic_increasing and front.qalys.is_monotonic_increasing
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["budget"]["objective"] == "qalys" and meta["budget"]["trials"] == 8
