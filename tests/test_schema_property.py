"""Validates => runs: whatever the scenario schema accepts, up to its physical limits (model/limits.py) and not
only within plausible ranges, a short run completes with every result finite and non-negative.

The strategies are read from the schema itself: every field of every intervention's config (table overrides,
dates, schedules, places, coverage, waves, switches, shares) and every table parameter, with values drawn from
all the schema accepts and its extremes favoured. A new field without a limit fails
`test_every_number_in_the_schema_has_a_limit`; a new kind of field fails `strategy` until it has one.
Also here: the cases that once validated and then crashed or wrote nonsense (1e308, 10**30 HAT places,
prison_mean_weeks = 1e20, money of 1e23, an integer start date, "50" and true as places).
Longer campaigns: DRUGSIM_SCHEMA_EXAMPLES=2000 python -m pytest tests/test_schema_property.py
"""

from __future__ import annotations

import datetime as dt
import os
import types
import typing
from typing import Annotated, Literal, Union

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from drugsim.calendar import EARLIEST, LATEST
from drugsim.interventions import REGISTRY
from drugsim.limits import UNIT_LIMITS, WEST_MIDLANDS_POPULATION, Limit, people_created
from drugsim.metrics import INDEX
from drugsim.parameters import AREAS, geography, parameter_table
from drugsim.runner import run_one
from drugsim.scenario import ScenarioError, parse_scenario, with_changes

TABLE = parameter_table()
EXAMPLES = int(os.environ.get("DRUGSIM_SCHEMA_EXAMPLES", "60"))
WINDOW_WEEKS = 10  # runs this long, around the dates the levers use, so they are active


def numbers(limit: Limit, integral: bool) -> st.SearchStrategy:
    """Anything from the limit's low to its high, the ends and round values favoured."""
    lo, hi = limit.low, limit.high
    if integral:
        return st.one_of(st.sampled_from([int(lo), int(hi)]), st.integers(int(lo), int(hi)))
    edges = [lo, hi, (lo + hi) / 2, min(hi, lo + 1), hi * 0.999]
    return st.one_of(st.sampled_from(edges), st.floats(lo, hi, allow_nan=False), st.integers(int(lo), int(hi)))


def parameter(name: str) -> st.SearchStrategy:
    p = TABLE[name]
    return numbers(p.limit, integral=False)


def dates(field: str, mid: dt.date) -> st.SearchStrategy:
    """Start-like dates on or before the window's middle; end-like dates after it (so the lever is on)."""
    if field == "end":
        return st.sampled_from([mid + dt.timedelta(days=d) for d in (1, 7, 30)] + [LATEST])
    return st.sampled_from([EARLIEST, mid - dt.timedelta(days=30), mid - dt.timedelta(days=7), mid])


def _limit(meta) -> Limit | None:
    return next((m for m in meta if isinstance(m, Limit)), None)


def strategy(ann, field: str, mid: dt.date) -> st.SearchStrategy:
    """A strategy for any annotation the scenario schema uses; fails on a kind it does not know."""
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is Annotated:
        base, *meta = args
        limit = _limit(meta)
        if limit is not None:
            return numbers(limit, integral=base is int)
        return strategy(base, field, mid)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        assert len(inner) == 1, ann
        return st.one_of(st.none(), strategy(inner[0], field, mid))
    if origin is list:
        return st.lists(strategy(args[0], field, mid), max_size=4)
    if origin is dict:
        return st.dictionaries(strategy(args[0], field, mid), strategy(args[1], field, mid), max_size=len(AREAS))
    if origin is Literal:
        return st.sampled_from(args)
    if ann is dt.date:
        return dates(field, mid)
    if ann is bool:
        return st.booleans()
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return model_strategy(ann, mid)
    raise AssertionError(f"no strategy for {field}: {ann!r}; add one")


def field_annotation(cls: type[BaseModel], name: str):
    f = cls.model_fields[name]
    return Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation


def model_strategy(cls: type[BaseModel], mid: dt.date) -> st.SearchStrategy:
    """A table for `cls`: required fields always, the others sometimes; table overrides over their limits."""
    params = getattr(cls, "PARAMS", {})
    required, optional = {}, {}
    for name, f in cls.model_fields.items():
        if name in params:
            s = parameter(params[name])
        elif name == "enabled":
            s = st.sampled_from([True, True, True, False])  # mostly on: the point is to run the lever
        else:
            s = strategy(field_annotation(cls, name), name, mid)
        (required if f.is_required() else optional)[name] = s
    return st.fixed_dictionaries(required, optional=optional).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


@st.composite
def scenarios(draw):
    """(changes to the baseline, window start, window end): a short window, and every lever set at random."""
    start = draw(st.sampled_from([dt.date(2019, 1, 1), dt.date(2022, 4, 4), dt.date(2026, 3, 2), dt.date(2030, 9, 2)]))
    end = start + dt.timedelta(weeks=WINDOW_WEEKS)
    mid = start + dt.timedelta(weeks=WINDOW_WEEKS // 2)
    interventions = {name: draw(model_strategy(cls.Config, mid)) for name, cls in REGISTRY.items()}
    names = draw(st.lists(st.sampled_from(sorted(TABLE)), max_size=8, unique=True))
    parameters = {n: draw(parameter(n)) for n in names}
    changes = {"scenario": {"start": start, "end": end}, "parameters": parameters, "interventions": interventions}
    return changes


def check_results(s, res: np.ndarray) -> None:
    assert res.shape[0] == (s.end - s.start).days // 7 + 1
    assert np.isfinite(res).all(), [n for n, i in INDEX.items() if not np.isfinite(res[:, i]).all()]
    assert (res >= 0).all(), [n for n, i in INDEX.items() if (res[:, i] < 0).any()]
    parts = sum(res[:, INDEX[f"spend_{n}_gbp"]] for n in REGISTRY)
    np.testing.assert_allclose(res[:, INDEX["spend_total_gbp"]], parts, rtol=1e-9)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(changes=scenarios(), seed=st.integers(0, 2**31 - 1))
def test_whatever_validates_runs_to_the_end_with_finite_results(baseline, changes, seed):
    try:
        s = with_changes(baseline, changes)
    except ScenarioError as e:
        event("refused: " + ".".join(str(e).split(": ", 2)[1].split(".")[:2]))  # --hypothesis-show-statistics
        return  # refused before anything runs: what the schema is for
    event("validated and ran")
    check_results(s, run_one(s, seed))


# --- the schema itself
def _leaves(ann):
    """(base type, metadata) of every leaf of an annotation."""
    origin, args = typing.get_origin(ann), typing.get_args(ann)
    if origin is Annotated:
        yield args[0], args[1:]
    elif origin in (Union, types.UnionType, list, dict):
        for a in args:
            yield from _leaves(a)
    elif isinstance(ann, type) and issubclass(ann, BaseModel):
        for name in ann.model_fields:
            yield from _leaves(field_annotation(ann, name))
    else:
        yield ann, ()


def test_every_number_in_the_schema_has_a_limit():
    for name, cls in REGISTRY.items():
        cfg = cls.Config
        for field in cfg.model_fields:
            if field in cfg.PARAMS:
                continue  # a table override: checked against the parameter's limit
            for base, meta in _leaves(field_annotation(cfg, field)):
                if base in (int, float):
                    assert _limit(meta) is not None, f"{name}.{field} is a number with no physical limit"


def test_every_parameter_has_a_possible_range_around_its_plausible_one():
    for p in TABLE.values():
        lim = p.limit
        assert lim.low <= p.low <= p.value <= p.high <= lim.high, p.name
        assert p.unit in UNIT_LIMITS, p.unit


def test_the_table_creates_far_fewer_people_than_live_in_the_west_midlands():
    assert WEST_MIDLANDS_POPULATION == geography().column("population_2019").sum()
    highs = {n: p.high for n, p in TABLE.items()}
    assert people_created(highs) < WEST_MIDLANDS_POPULATION / 20


# --- the cases that once validated and then crashed or wrote nonsense
HEAD = '[scenario]\nname = "t"\n'


@pytest.mark.parametrize(
    "body, says",
    [
        ("[parameters]\nocu_other_death_rate_per_year = 1e308\n", "ocu_other_death_rate_per_year = 1e+308"),
        ("[parameters]\nnaloxone_kit_cost_gbp = 1e308\n", "naloxone_kit_cost_gbp = 1e+308"),
        ("[interventions.hat]\nplaces = { birmingham = 1_000_000_000_000_000_000_000_000_000_000 }\n", "30,000"),
        ("[parameters]\nprison_mean_weeks = 1e20\n", "between 0 and 627 weeks"),
        ("[interventions.cltf]\nannual_funding_gbp = 8.8e23\n", "cltf_annual_funding_gbp = 8.8e+23"),
        ("[parameters]\nhat_cost_per_place_year_gbp = 1e20\n", "1,000,000,000 GBP a year"),
        ("start = 1577836800\n", "scenario.start = 1577836800: must be a date"),
        ('[interventions.hat]\nplaces = { birmingham = "50" }\n', "not text"),
        ("[interventions.hat]\nplaces = { birmingham = true }\n", "not true/false"),
        ("[interventions.hat]\nplaces = { birmingham = 50.0 }\n", "a TOML integer"),
        # Each within its limits, together an age profile with nobody aged 16-59 (it gave NaN ages, silently).
        ("[parameters]\ncannabis_mean_age = 100\nuser_age_sd_years = 1\n", "puts nobody in the ages 16-59"),
    ],
)
def test_once_validated_then_failed_now_refused(body, says):
    with pytest.raises(ScenarioError) as e:
        parse_scenario(HEAD + body, "bad.toml")
    assert str(e.value).startswith("bad.toml") and says in str(e.value), str(e.value)


def test_integer_dates_are_refused_everywhere_and_text_dates_only_from_python(baseline):
    for body in (
        "[interventions.divert]\nstart = 1577836800\n",
        "[interventions.o2r]\nschedule = [{ date = 1577836800, area = 'coventry', amount = 1 }]\n",
        "[interventions.nitazene_wave]\nwaves = [{ start = 1577836800, end = 2023-10-01 }]\n",
    ):
        with pytest.raises(ScenarioError, match="TOML date"):
            parse_scenario(HEAD + body, "bad.toml")
    # The Python API reads ISO text under date fields as dates; anything else is still refused.
    assert with_changes(baseline, {"scenario": {"end": "2019-06-30"}}).end == dt.date(2019, 6, 30)
    with pytest.raises(ScenarioError, match="scenario.end"):
        with_changes(baseline, {"scenario": {"end": 1577836800}})


@pytest.mark.parametrize(
    "changes",
    [
        {"parameters": {n: TABLE[n].limit.high for n in TABLE if TABLE[n].unit in ("gbp", "gbp_per_year")}},
        {"parameters": {n: TABLE[n].limit.high for n in TABLE if TABLE[n].unit == "weeks"}},
        {"parameters": {n: TABLE[n].limit.low for n in TABLE}},
        {
            "interventions": {
                "hat": {"start": "2019-01-01", "places": {a: 30_000 for a in AREAS}},
                "naloxone_officers": {"schedule": [{"date": "2019-01-01", "area": "birmingham", "amount": 8_000}]},
                "o2r": {"schedule": [{"date": "2019-01-01", "area": a, "amount": 1_000} for a in AREAS]},
            }
        },
    ],
    ids=["all_money_at_its_limit", "all_durations_at_their_limit", "every_parameter_at_its_low_limit", "capacity"],
)
def test_the_limits_themselves_run(baseline, changes):
    s = with_changes(baseline, {"scenario": {"start": "2019-01-01", "end": "2019-04-30"}, **changes})
    check_results(s, run_one(s, 0))
