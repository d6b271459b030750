"""Every bad scenario file in validation_cases.py is refused with a message that names the file, the field, the
value and what is allowed; docs/validation.md shows each case with its message and is kept up to date."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT
from validation_cases import CASES

from drugsim.scenario import ScenarioError, parse_scenario


@pytest.mark.parametrize("text, expected", [(t, e) for _, t, e in CASES], ids=[c[0] for c in CASES])
def test_bad_file_is_refused_with_a_message_naming_what_is_wrong(text, expected):
    with pytest.raises(ScenarioError) as e:
        parse_scenario(text, where="bad.toml")
    msg = str(e.value)
    assert msg.startswith("bad.toml")
    for part in expected:
        assert part in msg, f"{part!r} not in:\n{msg}"


def test_the_documented_cases_and_messages_are_current():
    check = subprocess.run([sys.executable, str(ROOT / "docs" / "build_docs.py"), "--check"], cwd=ROOT)
    assert check.returncode == 0, "docs/validation.md or docs/levers.md is out of date: run python docs/build_docs.py"
    text = (ROOT / "docs" / "validation.md").read_text()
    for title, _, _ in CASES:
        assert f"| {title} |" in text
