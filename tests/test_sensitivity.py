"""Sensitivity analysis on small designs: a parameter with no effect scores zero, the overdose hazard leads for
deaths, results reproduce with the seed, scenario differences work, and the command writes its outputs."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from conftest import SCENARIOS, shorten

from drugsim.cli import main
from drugsim.parameters import parameter_table
from drugsim.sensitivity import (
    Outcome,
    SensitivityError,
    analyse,
    check_size,
    choose_parameters,
    design,
    run,
    summary,
)

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow

END = "2020-06-30"
DEATHS = Outcome("drug_deaths", "2019-01-01", END)
# Two that drive deaths, one that cannot (HAT is off in the baseline), one that acts only on the cannabis market.
NAMES = [
    "severe_overdose_fatality_prob",
    "overdose_rate_per_year",
    "hat_cost_per_place_year_gbp",
    "cannabis_spend_gbp_per_year",
]


@pytest.fixture(scope="module")
def short(baseline):
    return shorten(baseline, END)


@pytest.fixture(scope="module")
def morris_result(short):
    return run(short, DEATHS, "morris", NAMES, n=4, seed=3)


def test_morris_ranks_the_overdose_hazard_first_and_the_irrelevant_at_zero(morris_result):
    r = morris_result.ranked.set_index("parameter")
    assert set(r.index[:2]) == {"severe_overdose_fatality_prob", "overdose_rate_per_year"}
    assert r.loc["hat_cost_per_place_year_gbp", "value"] == 0.0  # same seeds: not one death moves
    assert r.loc["overdose_rate_per_year", "low"] > 0  # its interval is clear of zero
    sigma = morris_result.table.query("index == 'sigma'").set_index("parameter")["value"]
    assert sigma["hat_cost_per_place_year_gbp"] == 0.0


def test_results_reproduce_with_the_seed_and_change_with_another(short, morris_result):
    again = run(short, DEATHS, "morris", NAMES, n=4, seed=3)
    pd.testing.assert_frame_equal(again.table, morris_result.table)
    np.testing.assert_array_equal(again.Y, morris_result.Y)
    assert not np.array_equal(design("morris", NAMES, short, 4, 4), morris_result.X)


def test_one_at_a_time_swings_and_interval_over_seeds(short):
    r = run(short, DEATHS, "oat", NAMES[:3], seeds=[0, 1, 2])
    swing = r.table.query("index == 'swing'").set_index("parameter")
    assert swing.loc["overdose_rate_per_year", "low"] > 0  # more overdoses, more deaths, beyond noise
    assert swing.loc["hat_cost_per_place_year_gbp", ["value", "low", "high"]].tolist() == [0.0, 0.0, 0.0]
    centre = r.table.query("index == 'centre'")["value"].iloc[0]
    assert centre == pytest.approx(r.Y[0].mean())


def test_sobol_total_index_is_zero_for_a_parameter_without_effect(short):
    r = run(short, DEATHS, "sobol", NAMES[1:3], n=8, seed=2)
    st = r.table.query("index == 'ST'").set_index("parameter")["value"]
    assert st["hat_cost_per_place_year_gbp"] == pytest.approx(0.0, abs=1e-12)
    assert st["overdose_rate_per_year"] > 0.5
    assert r.runs == 8 * (2 + 2)


def test_a_scenario_difference_is_the_outcome(baseline):
    """HAT starts against no HAT: the places' cost has no effect; more drop-out frees places for more starts."""
    base = shorten(baseline, END)
    hat = shorten(
        baseline, END, interventions={"hat": {"enabled": True, "start": "2019-04-01", "places": {"birmingham": 300}}}
    )
    out = Outcome("hat_starts", "2019-06-01", END, against=base)
    r = run(hat, out, "oat", ["hat_cost_per_place_year_gbp", "hat_dropout_per_year"])
    swing = r.table.query("index == 'swing'").set_index("parameter")["value"]
    assert swing["hat_cost_per_place_year_gbp"] == 0.0
    assert swing["hat_dropout_per_year"] > 50  # full places: each drop-out is refilled from the waiting list
    assert r.table.query("index == 'centre'")["value"].iloc[0] > 50  # HAT minus no HAT
    assert "minus baseline" in r.outcome_text


def test_summary_names_what_matters_and_what_does_not(morris_result):
    text = summary(morris_result.table, "morris", morris_result.outcome_text, morris_result.runs)
    top, rest = text.split("barely matter")
    assert "overdose_rate_per_year" in top and "hat_cost_per_place_year_gbp" not in top
    assert "hat_cost_per_place_year_gbp" in rest and "cannabis_spend_gbp_per_year" in rest


def test_bad_requests_are_refused_before_any_run():
    with pytest.raises(SensitivityError, match="not_a_parameter"):
        choose_parameters(["not_a_parameter"])
    with pytest.raises(SensitivityError, match="groups are"):
        choose_parameters(groups=["nope"])
    with pytest.raises(SensitivityError, match="power of two"):
        check_size("sobol", 100)
    with pytest.raises(SensitivityError, match="choose one of"):
        check_size("fast99", 10)
    # Every parameter with a range; the only ones without are the appraisal's conventions (rates, values of life).
    flat = {n for n, p in parameter_table().items() if p.high <= p.low}
    assert set(choose_parameters()) == set(parameter_table()) - flat
    assert flat == {
        "discount_rate_per_year",
        "health_discount_rate_per_year",
        "qaly_value_gbp",
        "value_of_prevented_fatality_gbp",
    }
    with pytest.raises(SensitivityError, match="no range to vary: qaly_value_gbp"):
        choose_parameters(["qaly_value_gbp"])
    assert choose_parameters(groups=["hat"]) == [
        "hat_dropout_per_year",
        "hat_cost_per_place_year_gbp",
        "hat_referral_prob_per_week",
        "hat_prolific_place_share",
        "hat_min_prior_episodes",
    ]


def test_analyse_matches_a_hand_computed_linear_function():
    """Morris mu* of y = 3a over a in [0, 1], b irrelevant: every elementary effect of a is 3 x delta."""
    names = ["ocu_male_share", "ocu_mean_age_2019"]
    rng = np.random.default_rng(0)
    from SALib.sample import morris as ms

    from drugsim.sensitivity import problem

    X = ms.sample(problem(names), N=6, num_levels=4, seed=1)
    lo, hi = problem(names)["bounds"][0]
    Y = (3 * (X[:, 0] - lo) / (hi - lo))[:, None] + 0 * rng.random((len(X), 1))
    t = analyse("morris", names, X, Y, seed=1).query("index == 'mu_star'").set_index("parameter")["value"]
    assert t["ocu_male_share"] == pytest.approx(3.0)
    assert t["ocu_mean_age_2019"] == 0.0


def test_command_writes_indices_chart_and_summary(tmp_path, capsys):
    out = tmp_path / "sens"
    code = main(
        [
            "sensitivity",
            str(SCENARIOS / "baseline.toml"),
            "--outcome",
            "drug_deaths",
            "--method",
            "oat",
            "--params",
            "severe_overdose_fatality_prob",
            "hat_cost_per_place_year_gbp",
            "--period",
            "2026-2027",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    assert {p.name for p in out.iterdir()} == {
        "indices.csv",
        "ranking.csv",
        "design.csv",
        "summary.md",
        "tornado.png",
        "tornado.svg",
        "manifest.json",
    }
    ranked = pd.read_csv(out / "ranking.csv")
    assert ranked.parameter.tolist() == ["severe_overdose_fatality_prob", "hat_cost_per_place_year_gbp"]
    meta = json.loads((out / "manifest.json").read_text())
    assert meta["sensitivity"]["runs"] == 5 and meta["sensitivity"]["method"] == "oat"
    assert (out / "tornado.png").read_bytes().startswith(b"\x89PNG")
    assert "severe_overdose_fatality_prob" in capsys.readouterr().out


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--outcome", "deaths"], "not a metric"),
        (["--outcome", "drug_deaths", "--params", "nope"], "unknown parameter"),
        (["--outcome", "drug_deaths", "--method", "sobol", "--n", "10"], "power of two"),
    ],
)
def test_command_refuses_bad_requests(tmp_path, capsys, extra, message):
    out = tmp_path / "sens"
    assert main(["sensitivity", str(SCENARIOS / "baseline.toml"), *extra, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()
