"""Extreme but valid settings run to the end of 2030 with sensible results: no officers carrying naloxone, ten
times the HAT pilot's places in every local authority, no CLTF funding from day one, and a nitazene wave of the
largest plausible size everywhere for the whole period."""

from __future__ import annotations

import numpy as np
import pytest

from drugsim.interventions import REGISTRY
from drugsim.metrics import INDEX
from drugsim.parameters import AREAS, parameter_table
from drugsim.runner import run_one
from drugsim.scenario import with_changes

TABLE = parameter_table()
EXTREMES = {
    "no_officer_naloxone": {
        "interventions": {
            "naloxone_officers": {"schedule": [{"date": "2019-01-01", "area": a, "amount": 0} for a in AREAS]}
        }
    },
    "hat_ten_times_the_pilot_everywhere": {
        "interventions": {"hat": {"enabled": True, "start": "2019-01-01", "places": {a: 500 for a in AREAS}}}
    },
    "no_cltf_funding_from_day_one": {
        "interventions": {"cltf": {"start": "2019-01-01", "end": "2030-12-31", "annual_funding_gbp": 0}}
    },
    "largest_nitazene_wave_everywhere_always": {
        "interventions": {
            "nitazene_wave": {
                "waves": [{"start": "2019-01-01", "end": "2030-12-31", "areas": list(AREAS)}],
                "overdose_multiplier": TABLE["nitazene_overdose_multiplier"].high,
                "fatality_multiplier": TABLE["nitazene_fatality_multiplier"].high,
            }
        }
    },
}


@pytest.fixture(scope="module")
def base_run(baseline):
    return run_one(baseline, 0)


def total(res, metric, start_week=0):
    return float(res[start_week:, INDEX[metric]].sum())


@pytest.fixture(scope="module", params=list(EXTREMES))
def extreme(request, baseline):
    s = with_changes(baseline, EXTREMES[request.param], name=request.param)
    return request.param, s, run_one(s, 0)


def test_runs_to_the_end_with_finite_non_negative_results_and_money_adding_up(extreme, baseline):
    name, s, res = extreme
    assert res.shape[0] == 627 and np.isfinite(res).all() and (res >= 0).all(), name
    parts = sum(res[:, INDEX[f"spend_{n}_gbp"]] for n in REGISTRY)
    np.testing.assert_allclose(res[:, INDEX["spend_total_gbp"]], parts)
    # People are not created or lost: active OCUs stay within a sane band of the starting population.
    active = res[:, INDEX["ocu_active"]].sum(axis=1)
    assert 0 < active.min() and active.max() < 2 * s.params["ocu_total_2019"], name


def test_each_extreme_moves_its_outcome_the_expected_way(extreme, base_run):
    name, s, res = extreme
    if name == "no_officer_naloxone":
        assert total(res, "officer_naloxone_reversals") == 0 and total(res, "spend_naloxone_officers_gbp") == 0
        assert total(res, "drug_deaths") >= total(base_run, "drug_deaths") - 30  # never far fewer deaths
    elif name == "hat_ten_times_the_pilot_everywhere":
        in_hat = res[:, INDEX["in_hat"]]
        assert (in_hat <= 500).all() and in_hat[-1].sum() > 1000  # places bind by LA and fill up
        assert total(res, "drug_deaths") < total(base_run, "drug_deaths")
        assert total(res, "acquisitive_crimes") < total(base_run, "acquisitive_crimes")
    elif name == "no_cltf_funding_from_day_one":
        assert total(res, "type1_outcomes") == 0 and total(res, "spend_cltf_gbp") == 0
        mid = 52 * 5  # 2024: the real CLTF had closed many lines by then
        assert res[mid, INDEX["active_county_lines"]].sum() > base_run[mid, INDEX["active_county_lines"]].sum()
    else:
        assert total(res, "drug_deaths") > 1.5 * total(base_run, "drug_deaths")
        assert total(res, "overdoses") > total(base_run, "overdoses")
