"""Scenario building without Streamlit: what kind of input each intervention setting needs, the changes a set of
edited settings makes to a starting scenario, and those changes written as a scenario file (TOML) that
validates like any other.

The input kinds come from the intervention configs themselves (model/interventions), so every lever the model
has appears in the builder, and a new lever appears without touching the app.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from typing import Any

import tomli_w

from drugsim.interventions import REGISTRY
from drugsim.parameters import parameter_table
from drugsim.scenario import ResolvedScenario, ScenarioError, merge, parse_scenario

NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


def field_kind(intervention: str, field: str) -> str:
    """The kind of input a config field needs: bool, date, param (a table parameter with a plausible range),
    share (0-1), count (a whole number or unset), places (whole numbers by area), coverage (0-1 by area),
    schedule (dated amounts by area), funding (dated annual amounts) or waves (dated adulterant waves)."""
    cfg = REGISTRY[intervention].Config
    if field in cfg.PARAMS:
        return "param"
    text = str(cfg.model_fields[field].annotation)
    if "ScheduleEntry" in text:
        return "schedule"
    if "Wave" in text:
        return "waves"
    if "FundingStep" in text:
        return "funding"
    if text.startswith("dict["):
        return "places" if "int" in text.split(",", 1)[1] else "coverage"
    if "datetime.date" in text:
        return "date"
    if text == "<class 'bool'>":
        return "bool"
    if "int" in text:
        return "count"
    return "share"


def fields(intervention: str) -> list[tuple[str, str]]:
    """(field, kind) for every setting of an intervention, policy settings first, then table overrides."""
    out = [(f, field_kind(intervention, f)) for f in REGISTRY[intervention].Config.model_fields]
    return [x for x in out if x[1] != "param"] + [x for x in out if x[1] == "param"]


def current(start: ResolvedScenario, intervention: str) -> dict[str, Any]:
    """The starting scenario's settings of an intervention (defaults, switched off, if it does not mention it),
    with table overrides shown at the value the scenario uses."""
    cls = REGISTRY[intervention]
    cfg = start.interventions.get(intervention)
    values = (cfg or cls.Config()).model_dump()
    if cfg is None and "enabled" in values:
        values["enabled"] = False  # not in the scenario, so off: ticking it is what turns it on
    for f, table in cls.Config.PARAMS.items():
        values[f] = start.params[table]
    return values


def changes(start: ResolvedScenario, edited: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The settings in `edited` (intervention -> field -> value) that differ from `start`, as a scenario file's
    [interventions] table. Unset values (None) are left out: they mean "as the starting scenario"."""
    out: dict[str, dict[str, Any]] = {}
    for name, values in edited.items():
        before = current(start, name)
        diff = {}
        for f, v in values.items():
            if v is None or _same(_plain(v), _plain(before.get(f))):  # unset keys are the defaults
                continue
            diff[f] = v
        if diff and name not in start.interventions and "enabled" in values:
            # A lever the start does not mention is off (as its box shows) unless ticked: say so in the file, since
            # a section without `enabled` would switch it on.
            diff = {"enabled": bool(values["enabled"]), **diff}
        if diff:
            out[name] = diff
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
        except (TypeError, ValueError):
            return False
    return a == b


def _plain(v: Any) -> Any:
    """Values TOML can hold: drop unset keys in tables, keep dates as dates."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items() if x is not None}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v


def scenario_toml(name: str, extends: str, description: str, funding: str, interventions: dict, parameters=None) -> str:
    """A scenario file that extends `extends` with the given changes."""
    if not NAME.match(name):
        raise ScenarioError(
            f"scenario name = {name!r}: use lower-case letters, digits and underscores, starting with a letter "
            "(at most 60 characters)"
        )
    doc: dict[str, Any] = {
        "scenario": {"name": name, "extends": extends, "description": description, "funding": funding}
    }
    if parameters:
        doc["parameters"] = dict(parameters)
    if interventions:
        doc["interventions"] = _plain(interventions)
    header = f"# Built in the drugsim app on {dt.date.today().isoformat()} from `{extends}`.\n"
    return header + tomli_w.dumps(doc)


def build(name: str, start: ResolvedScenario, description: str, funding: str, edited: dict, parameters=None):
    """(TOML text, validated scenario) for the edited settings; raises ScenarioError naming the field if invalid."""
    text = scenario_toml(name, start.name, description, funding, changes(start, edited), parameters)
    return text, parse_scenario(text, f"<scenario {name}>")


def edit(text: str, start: ResolvedScenario, name: str, description: str, funding: str, edited: dict):
    """(TOML text, validated scenario) for a scenario built or loaded earlier (`text`, resolved as `start`) with the
    edited settings merged into its own file: it keeps what it extends and its own settings, so editing it again
    and again never stacks one file on another."""
    if not NAME.match(name):
        return build(name, start, description, funding, edited)  # refused there, with the same message
    doc = tomllib.loads(text)
    doc = merge(doc, {"interventions": _plain(changes(start, edited))})
    doc["scenario"].update(name=name, description=description, funding=funding)
    source = doc["scenario"].get("extends", "nothing")
    out = f"# Built in the drugsim app on {dt.date.today().isoformat()}, extending `{source}`.\n" + tomli_w.dumps(
        _plain(doc)
    )
    return out, parse_scenario(out, f"<scenario {name}>")


def param_row(intervention: str, field: str):
    """The parameter-table row behind a table-override field (value, range, unit, source)."""
    return parameter_table()[REGISTRY[intervention].Config.PARAMS[field]]
