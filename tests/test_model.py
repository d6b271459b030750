"""Model invariants: people are conserved, counts are never negative, money adds up, seeds reproduce."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, shorten, step_and_check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drugsim.interventions import REGISTRY
from drugsim.metrics import INDEX, METRICS
from drugsim.model import DrugMarketModel
from drugsim.parameters import parameter_table
from drugsim.population import Status
from drugsim.runner import run_one
from drugsim.scenario import with_changes


@pytest.mark.parametrize("seed", [0, 1])
def test_people_are_conserved_and_counts_non_negative(baseline, seed):
    res = step_and_check(shorten(baseline, "2021-06-30"), seed)
    assert np.isfinite(res).all()
    assert (res >= 0).all()


def test_force_stocks_match_population_and_spend_adds_up(baseline):
    s = shorten(baseline, "2022-12-31")
    m = DrugMarketModel(s, seed=3)
    m.run()
    pop = m.pop
    last = m.results[-1]
    assert last[INDEX["in_treatment"]].sum() == (pop.status[pop.ocu] == Status.TREATMENT).sum()
    assert last[INDEX["in_prison"]].sum() == (pop.status == Status.PRISON).sum()
    assert last[INDEX["active_county_lines"]].sum() == m.market.lines.active[: m.market.lines.n].sum()
    parts = sum(m.results[:, INDEX[f"spend_{n}_gbp"]] for n in REGISTRY)
    np.testing.assert_allclose(m.results[:, INDEX["spend_total_gbp"]], parts)
    # Each metric's ethnic breakdown adds up to its total.
    for base in ("possession_detections", "possession_charges", "possession_cautions"):
        eth = sum(m.results[:, INDEX[f"{base}_{e}"]] for e in ("white", "asian", "black", "mixed_other"))
        np.testing.assert_array_equal(eth, m.results[:, INDEX[base]])
    # Divert outcomes are community resolutions.
    assert (m.results[:, INDEX["community_resolutions"]] >= m.results[:, INDEX["divert_referrals"]]).all()


def test_same_seed_same_results_in_process(baseline):
    s = shorten(baseline, "2020-12-31")
    a, b = run_one(s, 11), run_one(s, 11)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, run_one(s, 12))


def test_same_seed_same_results_across_processes(baseline):
    code = (
        "import hashlib, sys; from drugsim.runner import run_one;"
        "from drugsim.scenario import load_scenario, with_changes;"
        "s = with_changes(load_scenario('scenarios/baseline.toml'), {'scenario': {'end': '2020-06-30'}});"
        "print(hashlib.sha256(run_one(s, 5).tobytes()).hexdigest())"
    )
    here = shorten(baseline, "2020-06-30")
    import hashlib

    expected = hashlib.sha256(run_one(here, 5).tobytes()).hexdigest()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == expected


def test_switching_an_intervention_does_not_disturb_unrelated_random_streams(baseline):
    """Common random numbers: before Divert starts, a run without it is identical week for week."""
    s = shorten(baseline, "2021-03-31")
    no_divert = with_changes(s, {"interventions": {"divert": {"enabled": False}}})
    a, b = run_one(s, 2), run_one(no_divert, 2)
    before = 91  # weeks before October 2020
    np.testing.assert_array_equal(a[:before], b[:before])


_KEY = [
    parameter_table()[n]
    for n in (
        "overdose_rate_per_year",
        "treatment_self_entry_per_year",
        "cannabis_detection_rate_per_year",
        "line_growth_per_year",
        "line_replacement_prob",
        "custodial_sentence_prob",
        "ocu_initiation_per_year",
        "divert_engagement_prob",
        "severe_overdose_fatality_prob",
        "offending_heterogeneity_shape",
    )
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_any_parameters_within_their_ranges_keep_the_invariants(baseline, data):
    params = {p.name: data.draw(st.floats(p.low, p.high, allow_nan=False), label=p.name) for p in _KEY}
    hat = data.draw(st.integers(0, 300), label="hat_places")
    s = with_changes(
        baseline,
        {
            "scenario": {"start": "2022-01-01", "end": "2022-09-30"},
            "parameters": params,
            "interventions": {"hat": {"enabled": True, "start": "2022-02-01", "places": {"birmingham": hat}}},
        },
    )
    res = step_and_check(s, seed=data.draw(st.integers(0, 2**31 - 1), label="seed"))
    assert np.isfinite(res).all() and (res >= 0).all()
    assert (res[:, INDEX["in_hat"]].sum(axis=1) <= hat).all()
    parts = sum(res[:, INDEX[f"spend_{n}_gbp"]] for n in REGISTRY)
    np.testing.assert_allclose(res[:, INDEX["spend_total_gbp"]], parts)


def test_every_metric_has_a_kind_and_unit():
    for m in METRICS.values():
        assert m.kind in ("flow", "stock") and m.unit and m.meaning


def test_a_finished_model_can_be_freed(baseline):
    """No class-level registry keeps finished models alive (Mesa 3.3's Agent._ids did: 15 MB a run, which ran a
    long sensitivity analysis out of memory)."""
    import gc
    import weakref

    m = DrugMarketModel(shorten(baseline, "2019-02-28"), seed=0)
    m.run()
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
