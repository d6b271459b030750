"""A bounded fuzz campaign of the scenario loader (hypothesis): random text, random documents built from the
scenario schema with values of every type, and mutations of the library's own files. Whatever it is given, the
loader either returns a valid scenario or refuses with a ScenarioError that names the file; it never crashes
with anything else. Longer campaigns: DRUGSIM_FUZZ_EXAMPLES=20000 python -m pytest tests/test_fuzz.py
"""

from __future__ import annotations

import datetime as dt
import os

import tomli_w
from conftest import SCENARIOS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drugsim.interventions import REGISTRY
from drugsim.parameters import AREAS, parameter_table
from drugsim.scenario import ResolvedScenario, ScenarioError, parse_scenario

EXAMPLES = int(os.environ.get("DRUGSIM_FUZZ_EXAMPLES", "600"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LIBRARY = [p.read_text() for p in sorted(SCENARIOS.glob("*.toml"))]


def loads_or_refuses(text: str | bytes) -> None:
    try:
        s = parse_scenario(text, "fuzz.toml")
    except ScenarioError as e:
        assert str(e).startswith("fuzz.toml"), str(e)
    else:
        assert isinstance(s, ResolvedScenario)
        assert all(v == v and abs(v) != float("inf") for v in s.params.values())  # no nan or inf gets through


scalars = st.one_of(
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=20),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 12, 31)),
    st.sampled_from(AREAS + ("gotham", "Birmingham", "")),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(
    sorted({f for c in REGISTRY.values() for f in c.Config.model_fields} | {"date", "area", "amount", "areas", "bogus"})
)
interventions = st.dictionaries(
    st.sampled_from([*REGISTRY, "magic"]), st.dictionaries(field_names, values, max_size=5), max_size=4
)
parameters = st.dictionaries(st.sampled_from([*parameter_table(), "not_a_parameter"]), values, max_size=5)
meta = st.fixed_dictionaries(
    {"name": st.one_of(st.just("fuzz"), st.text(max_size=10))},
    optional={
        "extends": st.sampled_from(["baseline", "hat_pilot", "nope", "../x", "/etc/passwd", ""]),
        "start": values,
        "end": values,
        "description": values,
    },
)
documents = st.fixed_dictionaries(
    {"scenario": meta}, optional={"parameters": parameters, "interventions": interventions, "extra": values}
)


@FUZZ
@given(st.text(max_size=400))
def test_random_text(text):
    loads_or_refuses(text)


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data):
    loads_or_refuses(data)


@FUZZ
@given(documents)
def test_random_documents_from_the_schema(doc):
    try:
        text = tomli_w.dumps(doc)
    except (TypeError, ValueError):  # not representable in TOML (e.g. a mixed-type array): nothing to load
        return
    loads_or_refuses(text)


@FUZZ
@given(
    st.sampled_from(LIBRARY),
    st.lists(
        st.tuples(st.integers(0, 10**6), st.sampled_from(["del", "dup", "swap", "ins"]), st.characters()),
        min_size=1,
        max_size=6,
    ),
)
def test_mutated_library_files(text, edits):
    for pos, op, ch in edits:
        i = pos % max(len(text), 1)
        if op == "del":
            text = text[:i] + text[i + 1 :]
        elif op == "dup":
            text = text[:i] + text[i : i + 20] + text[i:]
        elif op == "swap":
            text = text[:i] + ch + text[i + 1 :]
        else:
            text = text[:i] + ch + text[i:]
    loads_or_refuses(text)
