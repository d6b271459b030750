"""Property-based tests over the levers' settings within their declared ranges (hypothesis): whatever the mix of
officers, HAT places, CLTF funding, O2R staff, naloxone, Divert options and stress tests, the model runs, people are
conserved, nothing is negative or non-finite, and money adds up (total spend is the sum of the interventions',
and each spends at least what its settings commit)."""

from __future__ import annotations

import numpy as np
from conftest import step_and_check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drugsim.costs import committed_spend
from drugsim.interventions import REGISTRY
from drugsim.metrics import INDEX
from drugsim.parameters import AREAS, parameter_table
from drugsim.scenario import with_changes

T = parameter_table()
START, END = "2022-01-01", "2022-06-30"
on = st.booleans()
share = st.floats(0, 1, allow_nan=False)


def in_range(name):
    return st.floats(T[name].low, T[name].high, allow_nan=False)


def per_area(values):
    return st.fixed_dictionaries({a: values for a in AREAS})


def schedule(amounts):
    return per_area(amounts).map(lambda d: [{"date": "2022-01-01", "area": a, "amount": v} for a, v in d.items()])


levers = st.fixed_dictionaries(
    {
        "naloxone_officers": st.fixed_dictionaries({"enabled": on, "schedule": schedule(st.integers(0, 500))}),
        "naloxone_take_home": st.fixed_dictionaries({"enabled": on, "start": st.just("2022-02-01")}),
        "naloxone_hostels": st.fixed_dictionaries({"enabled": on, "coverage": per_area(share)}),
        "hat": st.fixed_dictionaries(
            {"enabled": on, "start": st.just("2022-01-15"), "places": per_area(st.integers(0, 1000))}
        ),
        "cltf": st.fixed_dictionaries(
            {"enabled": on, "annual_funding_gbp": st.floats(0, 3 * T["cltf_annual_funding_gbp"].high)}
        ),
        "o2r": st.fixed_dictionaries(
            {"enabled": on, "schedule": schedule(st.floats(0, 20)), "max_residents": st.integers(0, 500)}
        ),
        "divert": st.fixed_dictionaries({"enabled": on, "pwits_eligible_share": share, "second_chance": on}),
        "asset_reinvestment": st.fixed_dictionaries({"enabled": on, "start": st.just("2022-01-01"), "share": share}),
        "enforcement_gap": st.fixed_dictionaries(
            {"enabled": on, "start": st.just("2022-03-01"), "size": in_range("enforcement_gap_size")}
        ),
        "nitazene_wave": st.fixed_dictionaries(
            {
                "enabled": on,
                "waves": st.just([{"start": "2022-02-01", "end": "2022-05-01", "areas": ["birmingham", "walsall"]}]),
                "overdose_multiplier": in_range("nitazene_overdose_multiplier"),
                "fatality_multiplier": in_range("nitazene_fatality_multiplier"),
            }
        ),
    }
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(levers, st.integers(0, 2**31 - 1))
def test_any_mix_of_lever_settings_keeps_the_invariants(baseline, interventions, seed):
    s = with_changes(baseline, {"scenario": {"start": START, "end": END}, "interventions": interventions})
    res = step_and_check(s, seed)  # people conserved week by week
    assert np.isfinite(res).all() and (res >= 0).all()
    parts = sum(res[:, INDEX[f"spend_{n}_gbp"]] for n in REGISTRY)
    np.testing.assert_allclose(res[:, INDEX["spend_total_gbp"]], parts)
    committed = committed_spend(s).sum()
    for name in s.interventions:
        spent = res[:, INDEX[f"spend_{name}_gbp"]].sum()
        assert spent >= committed[name] * (1 - 1e-9) - 1e-6, name
    hat = s.interventions["hat"]
    if hat.enabled:
        places = np.array([hat.places.get(a, 0) for a in AREAS])
        assert (res[:, INDEX["in_hat"]] <= places).all()
    else:
        assert res[:, INDEX["in_hat"]].sum() == 0
