"""The parameter table: complete provenance, sane ranges, and every number used by the code is in it."""

from __future__ import annotations

import re

import numpy as np
import pytest
from conftest import ROOT

from drugsim.interventions import REGISTRY
from drugsim.parameters import geography, parameter_table

UNITS = {
    "persons",
    "persons_per_year",
    "share",
    "prob",
    "years",
    "gbp",
    "gbp_per_week",
    "gbp_per_year",
    "ratio",
    "multiplier",
    "per_year",
    "weeks",
    "lines",
    "count",
}
SOURCE_FILES = {
    "2020-02_spcb_drug-policy-recommendations-two-years-on",
    "2023-02_spcb_preventing-and-reducing-crime",
    "2023-09_spcb_national-policing-priorities",
    "2025-02_agb_substance-misuse",
}


def model_source() -> str:
    return "\n".join(p.read_text() for p in (ROOT / "model").rglob("*.py"))


@pytest.mark.parametrize("p", parameter_table().values(), ids=lambda p: p.name)
def test_every_parameter_has_provenance_and_a_sane_range(p):
    assert re.fullmatch(r"[a-z][a-z0-9_]*", p.name)
    assert p.unit in UNITS, f"{p.name}: unknown unit {p.unit}"
    assert p.low <= p.value <= p.high, f"{p.name}: value outside its own plausible range"
    assert p.check(p.low) is None and p.check(p.high) is None, f"{p.name}: range exceeds hard bounds"
    assert len(p.source) > 10 and len(p.meaning) > 10
    # A report citation uses the report's file name and a paragraph sign.
    for ref in re.findall(r"(20\d\d-\d\d_[a-z_-]+) §", p.source):
        assert ref in SOURCE_FILES, f"{p.name}: cites unknown report {ref}"


def test_every_parameter_is_used_and_every_used_name_exists():
    # The PARAMS maps only rename; a parameter counts as used where the model reads it.
    src = re.sub(r"PARAMS = \{.*?\}", "", model_source(), flags=re.S)
    table = parameter_table()
    for name in re.findall(r'p\["([a-z0-9_]+)"\]', src):
        assert name in table, f"code reads parameter {name!r} that is not in parameters.csv"
    quoted = set(re.findall(r'"([a-z0-9_]+)"', src))
    prefixed = {n for n in table if n.startswith(("charge_prob_2019_", "caution_prob_2019_"))}
    unused = set(table) - quoted - prefixed
    assert not unused, f"parameters never read by the model: {sorted(unused)}"


def test_intervention_overrides_map_to_table_parameters():
    table = parameter_table()
    for name, cls in REGISTRY.items():
        for field, param in cls.Config.PARAMS.items():
            assert field in cls.Config.model_fields, f"{name}: PARAMS names missing field {field}"
            assert param in table, f"{name}.{field} maps to unknown parameter {param}"


def test_geography_shares_are_consistent():
    geo = geography()
    assert len(geo.ids) == 7
    eth = sum(geo.column(f"eth_{e}") for e in ("white", "asian", "black", "mixed_other"))
    np.testing.assert_allclose(eth, 1.0, atol=0.002)
    assert geo.column("line_export_share").sum() == pytest.approx(1.0, abs=1e-6)
    share_bc = geo.column("line_export_share")[[geo.index("birmingham"), geo.index("coventry")]].sum()
    assert share_bc > 0.5  # 2023-02_spcb_preventing-and-reducing-crime §7
    assert geo.column("population_2019").sum() == pytest.approx(2.92e6, rel=0.01)


def test_lever_docs_show_the_current_parameter_table():
    import subprocess
    import sys

    check = subprocess.run([sys.executable, str(ROOT / "docs" / "build_docs.py"), "--check"], cwd=ROOT)
    assert check.returncode == 0, "docs/levers.md is out of date: run python docs/build_docs.py"


def test_every_lever_is_documented():
    text = (ROOT / "docs" / "levers.md").read_text()
    for name in REGISTRY:
        assert f"(`{name}`)" in text, f"docs/levers.md has no section for {name}"
