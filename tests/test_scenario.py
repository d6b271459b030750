"""Scenario files: every library file loads; `extends` merges and refuses cycles; the CLI writes nothing for a bad
file. (Each kind of bad file and its message: test_validation.py.)"""

from __future__ import annotations

import pytest
from conftest import SCENARIOS
from hypothesis import given, settings
from hypothesis import strategies as st

from drugsim.cli import main
from drugsim.parameters import parameter_table
from drugsim.scenario import MAX_SCENARIO_BYTES, ScenarioError, load_scenario, parse_scenario

HEAD = '[scenario]\nname = "t"\n'


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_every_library_scenario_loads(path):
    s = load_scenario(path)
    assert s.description, f"{path.name} needs a plain-language description"
    assert not s.warnings


def test_huge_and_binary_files_are_refused(tmp_path):
    big = tmp_path / "big.toml"
    big.write_text(HEAD + "# " + "x" * MAX_SCENARIO_BYTES + "\n")
    with pytest.raises(ScenarioError, match="too large"):
        load_scenario(big)
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ScenarioError, match="not a UTF-8 text file"):
        load_scenario(binary)


def test_extends_merges_and_child_wins(tmp_path):
    (tmp_path / "base.toml").write_text(
        '[scenario]\nname = "base"\ndescription = "b"\n[parameters]\noverdose_rate_per_year = 0.2\n'
        "[interventions.divert]\nstart = 2020-10-01\n"
    )
    (tmp_path / "child.toml").write_text(
        '[scenario]\nname = "child"\nextends = "base"\n[parameters]\nocu_total_2019 = 20000\n'
        "[interventions.divert]\nengagement_prob = 0.75\n"
    )
    s = load_scenario(tmp_path / "child.toml")
    assert s.name == "child" and s.description == ""
    assert s.params["overdose_rate_per_year"] == 0.2 and s.params["ocu_total_2019"] == 20000
    assert s.params["divert_engagement_prob"] == 0.75
    assert str(s.interventions["divert"].start) == "2020-10-01"
    assert len(s.files) == 2


def test_extends_cycle_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('[scenario]\nname = "a"\nextends = "b"\n')
    (tmp_path / "b.toml").write_text('[scenario]\nname = "b"\nextends = "a.toml"\n')
    with pytest.raises(ScenarioError, match=r"cycle: a.toml -> b.toml -> a.toml"):
        load_scenario(tmp_path / "a.toml")


def test_library_scenario_can_be_extended_from_an_upload():
    s = parse_scenario('[scenario]\nname = "mine"\nextends = "baseline"\n[interventions.divert]\nenabled = false\n')
    assert s.interventions["divert"].enabled is False
    assert s.interventions["cltf"].enabled is True


def test_values_outside_the_plausible_range_warn_but_run():
    s = parse_scenario(HEAD + "[parameters]\nline_replacement_delay_weeks = 60\n")
    assert any("outside its plausible range" in w for w in s.warnings)


@pytest.mark.parametrize("body", [HEAD + "bogus = 1\n", HEAD + "[parameters]\ndivert_engagement_prob = 2\n", ""])
def test_cli_refuses_bad_file_and_writes_nothing(tmp_path, capsys, body):
    bad = tmp_path / "bad.toml"
    bad.write_text(body)
    out = tmp_path / "out"
    assert main(["run", str(bad), "--out", str(out)]) == 2
    assert not out.exists()
    assert not list(tmp_path.glob(".out*"))
    assert "nothing was run or written" in capsys.readouterr().err


_TABLE = list(parameter_table().values())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(_TABLE), min_size=1, max_size=5, unique_by=lambda p: p.name), st.data())
def test_any_override_within_its_range_validates_and_resolves(params, data):
    chosen = {p.name: data.draw(st.floats(p.low, p.high, allow_nan=False)) for p in params}
    body = HEAD + "[parameters]\n" + "".join(f"{k} = {v!r}\n" for k, v in chosen.items())
    s = parse_scenario(body)
    for k, v in chosen.items():
        assert s.params[k] == pytest.approx(v)
    # A value inside its own range is never called implausible. Ranges are one parameter at a time, so shares drawn
    # together can still add to more than 1 (the OCUs' ethnic shares): the one joint warning, and only then.
    joint = sum(s.params[f"ocu_eth_{e}"] for e in ("white", "asian", "black")) > 1 + 1e-9
    assert len(s.warnings) == joint
    assert all("ocu_eth_white + ocu_eth_asian + ocu_eth_black" in w for w in s.warnings)
