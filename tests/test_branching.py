"""Scenarios run together share their history (drugsim.branching): the same results, bit for bit, as runs alone,
for every library scenario and for any mix of lever settings; the shared weeks end where the scenarios first act
differently, and a scenario whose parameters or period differ shares none."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from conftest import shorten
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_properties import END, START, levers

from drugsim.branching import cost_in_runs, run_together, weeks_alike
from drugsim.calendar import Calendar
from drugsim.ensemble import Run, groups
from drugsim.library import library_names
from drugsim.model import DrugMarketModel
from drugsim.runner import run_one
from drugsim.scenario import load_scenario, with_changes

#: The levers that `test_properties.levers` sets.
LEVERS = [
    "naloxone_officers",
    "naloxone_take_home",
    "naloxone_hostels",
    "hat",
    "cltf",
    "o2r",
    "divert",
    "asset_reinvestment",
    "enforcement_gap",
    "nitazene_wave",
]


def weeks(scenario) -> int:
    return Calendar(scenario.start, scenario.end).n_weeks


def week_of(scenario, day: dt.date) -> int:
    return Calendar(scenario.start, scenario.end).first_week_on_or_after(day)


@pytest.mark.slow
def test_every_library_scenario_run_with_the_baseline_gives_its_own_run_exactly(baseline):
    others = [load_scenario(n) for n in library_names() if n != "baseline"]
    together = run_together([baseline, *others], seed=2)
    for s, res in zip([baseline, *others], together, strict=True):
        np.testing.assert_array_equal(res, run_one(s, 2), err_msg=s.name)


def test_the_shared_weeks_end_where_the_scenarios_first_act_differently(baseline):
    hat = load_scenario("hat_pilot")
    assert weeks_alike(baseline, hat) == week_of(hat, hat.interventions["hat"].start)  # HAT's first week
    # The baseline's CLTF funding ends in April 2026; a permanent CLTF acts alike up to and including that week
    # (its wind-down starts at full capacity) and differs from the next.
    permanent = load_scenario("cltf_permanent")
    assert weeks_alike(baseline, permanent) == week_of(baseline, baseline.interventions["cltf"].end) + 1
    assert weeks_alike(baseline, baseline) == weeks(baseline)
    # Other parameters or another period: nothing is shared.
    assert weeks_alike(baseline, with_changes(baseline, {"parameters": {"overdose_rate_per_year": 0.05}})) == 0
    assert weeks_alike(baseline, shorten(baseline, "2029-12-31")) == 0


def test_the_cost_of_runs_together_counts_each_option_s_weeks_after_it_leaves_the_base(baseline):
    hat = load_scenario("hat_pilot")
    assert cost_in_runs([baseline]) == 1 and cost_in_runs([baseline, baseline]) == 1
    assert cost_in_runs([baseline, hat]) == pytest.approx(2 - weeks_alike(baseline, hat) / weeks(baseline))
    other_parameters = with_changes(baseline, {"parameters": {"overdose_rate_per_year": 0.05}})
    assert cost_in_runs([baseline, other_parameters]) == 2


def test_a_model_cannot_branch_into_a_scenario_with_other_parameters(baseline):
    short = shorten(baseline, "2019-03-31")
    m = DrugMarketModel(short, seed=0)
    m.step()
    other = with_changes(short, {"parameters": {"overdose_rate_per_year": 0.05}})
    with pytest.raises(ValueError, match="period or parameters differ"):
        m.branch(other)


def test_runs_of_a_seed_and_draw_go_together_and_are_split_to_keep_every_worker_busy(baseline):
    a, b = baseline, with_changes(baseline, {"scenario": {"name": "other"}})
    runs = [Run(s, seed) for seed in range(3) for s in (a, b)]
    assert [[(r.scenario.name, r.seed) for r in g] for g in groups(runs)] == [
        [("baseline", s), ("other", s)] for s in range(3)
    ]
    # One seed, two workers: the pair is split rather than leaving a worker idle.
    assert [len(g) for g in groups(runs[:2], tasks=2)] == [1, 1]
    # Runs with different parameter draws or parameters (a sensitivity design's points) never share a group.
    drawn = [Run(a, 0, 0, "x_"), Run(b, 0, 1, "y_")]
    assert len(groups(drawn)) == 2
    point = with_changes(baseline, {"parameters": {"overdose_rate_per_year": 0.05}})
    assert len(groups([Run(a, 0), Run(point, 0)])) == 2


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(levers, levers, st.sampled_from(LEVERS), st.integers(1, 20), st.integers(0, 2**31 - 1))
def test_any_two_lever_mixes_run_together_give_their_runs_alone(baseline, mix, changed, lever, week, seed):
    """The second scenario is the first with one lever set otherwise from a week inside the run (and off before):
    runs together share the weeks before it, and each result is that scenario's run alone."""
    first = with_changes(
        baseline,
        {"scenario": {"start": START, "end": END}, "interventions": {**mix, lever: {**mix[lever], "enabled": False}}},
    )
    day = first.start + dt.timedelta(weeks=week)
    second = with_changes(
        first, {"scenario": {"name": "second"}, "interventions": {lever: {**changed[lever], "start": day}}}
    )
    together = run_together([first, second], seed)
    for s, res in zip((first, second), together, strict=True):
        np.testing.assert_array_equal(res, run_one(s, seed), err_msg=s.name)
    # Alike up to the changed lever's first week, or throughout when it stays off; nothing is shared when the
    # lever's settings override a table parameter (the parameters then differ from the start).
    on = second.interventions[lever].enabled
    expected = week_of(first, day) if on else weeks(first)
    assert weeks_alike(first, second) == (expected if first.params == second.params else 0)
