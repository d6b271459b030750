"""Scenario files: TOML, validated with pydantic, optionally extending another scenario, resolved against
the parameter table into a `ResolvedScenario` that the model runs.

Nothing here executes or imports file content: TOML is data only.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import tomllib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from drugsim.calendar import EARLIEST, LATEST
from drugsim.interventions import REGISTRY
from drugsim.interventions.base import Date, InterventionConfig, Num, Text, check_period
from drugsim.library import LIBRARY_ROOT, SCENARIO_DIR, library_names, project_root
from drugsim.limits import people_problem
from drugsim.parameters import check_overrides, defaults
from drugsim.population import age_problem

#: Scenario files larger than this are refused before parsing.
MAX_SCENARIO_BYTES = 256 * 1024
#: Tables and lists nested deeper than this are refused (the deepest real setting is 4 levels down).
MAX_DEPTH = 8
#: More keys and list items than this, all levels together, are refused (the library's largest file has ~150).
MAX_ENTRIES = 5_000
#: A refusal lists at most this many problems, and quotes at most this many characters of any value.
MAX_PROBLEMS = 20
MAX_QUOTE = 80


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the file, the field, the value and what is allowed."""


class ScenarioMeta(BaseModel):
    # Strict: text only where text is meant, a TOML date (not text or a number) for a date.
    model_config = ConfigDict(extra="forbid", strict=True)
    name: Text = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)
    description: Text = ""
    funding: Text = ""
    start: Date = EARLIEST
    end: Date = LATEST
    extends: Text | None = None

    @model_validator(mode="after")
    def _period(self):
        check_period(self.start, self.end)
        return self


Interventions = create_model(
    "Interventions",
    __config__=ConfigDict(extra="forbid", strict=True),
    **{name: (cls.Config | None, None) for name, cls in REGISTRY.items()},
)


class ScenarioFile(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    scenario: ScenarioMeta
    parameters: dict[str, Num] = Field(default_factory=dict)
    interventions: Interventions = Field(default_factory=Interventions)  # type: ignore[valid-type]


@dataclass(frozen=True)
class ResolvedScenario:
    """A validated scenario with every parameter resolved: what one run needs, and what a manifest records."""

    name: str
    description: str
    funding: str
    start: dt.date
    end: dt.date
    params: dict[str, float]
    interventions: dict[str, InterventionConfig]
    raw: dict[str, Any]
    files: list[tuple[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def content_sha256(self) -> str:
        """Hash of the scenario file texts (the file and everything it extends)."""
        h = hashlib.sha256()
        for path, text in self.files:
            h.update(Path(path).name.encode() + b"\0" + text.encode() + b"\0")
        return h.hexdigest()

    @property
    def resolved_sha256(self) -> str:
        """Hash of everything that determines the results (period, parameters, interventions)."""
        return hashlib.sha256(json.dumps(self.resolved(), sort_keys=True).encode()).hexdigest()

    def resolved(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "parameters": self.params,
            "interventions": {k: v.model_dump(mode="json") for k, v in self.interventions.items()},
        }


# --- reading files
def quote(value: Any) -> str:
    """A value for a message: its repr, cut to MAX_QUOTE characters."""
    text = repr(value)
    return text if len(text) <= MAX_QUOTE else f"{text[: MAX_QUOTE - 5]}...{text[-2:]} ({len(text):,} characters)"


def _shape(value: Any, depth: int = 0) -> int:
    """Entries (keys and list items) below `value`; refuses nesting deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise ValueError(f"tables or lists nested more than {MAX_DEPTH} levels deep")
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return sum(1 + _shape(v, depth + 1) for v in items)


def _parse(text: str, where: str) -> dict[str, Any]:
    text = text.removeprefix("\ufeff")  # a byte-order mark, as some Windows editors write: harmless
    if not text.strip():
        raise ScenarioError(f"{where}: the file is empty; a scenario needs at least [scenario] with a name")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{where}: not valid TOML: {e}") from None
    except ValueError as e:  # Python refuses to read an integer of thousands of digits
        raise ScenarioError(f"{where}: a number too long to read ({str(e).split(';')[0]})") from None
    except RecursionError:
        raise ScenarioError(f"{where}: tables or lists nested too deeply (at most {MAX_DEPTH} levels)") from None
    try:
        entries = _shape(raw)
    except ValueError as e:
        raise ScenarioError(f"{where}: {e}; a scenario needs at most {MAX_DEPTH}") from None
    if entries > MAX_ENTRIES:
        raise ScenarioError(
            f"{where}: {entries:,} keys and list items; a scenario has at most {MAX_ENTRIES:,} (is this a scenario?)"
        )
    return raw


def _check_size(size: int, where: str) -> None:
    if size > MAX_SCENARIO_BYTES:
        raise ScenarioError(
            f"{where}: {size:,} bytes is too large for a scenario file (at most {MAX_SCENARIO_BYTES:,})"
        )


def _decode(data: bytes, where: str) -> str:
    _check_size(len(data), where)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ScenarioError(f"{where}: not a UTF-8 text file ({e.reason} at byte {e.start})") from None


def _read(path: Path) -> str:
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file")
    if not path.is_file():
        raise ScenarioError(f"{path}: not a regular file (a folder, device or pipe); give a scenario's .toml file")
    _check_size(path.stat().st_size, str(path))  # before reading a huge file into memory
    try:
        return _decode(path.read_bytes(), str(path))
    except OSError as e:
        raise ScenarioError(f"{path}: cannot be read ({e.strerror})") from None


def find_scenario(name_or_path: str | Path) -> Path:
    """A scenario file: a path to a file, or the name of a library scenario (e.g. "baseline").

    A path that exists wins; a bare name (no folder, no `.toml`) that is not a file here is looked up in the
    library. The error says where it looked and which names the library has.
    """
    path = Path(name_or_path)
    if path.exists() or path.suffix == ".toml" or len(path.parts) != 1:
        return path.resolve()
    candidate = SCENARIO_DIR / f"{path.name}.toml"
    if candidate.is_file():
        return candidate
    raise ScenarioError(
        f"{name_or_path}: no such scenario file here, and no library scenario of that name "
        f"(the library has: {', '.join(library_names())})"
    )


def merge(base: dict, over: dict) -> dict:
    """Deep merge: tables merge key by key, anything else (numbers, lists) is replaced."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else copy.deepcopy(v)
    return out


def _extends_path(ext: Any, base_dir: Path, where: str) -> Path:
    """The file `extends` names: looked for beside the extending file first, then in the scenario library.

    A scenario may extend files in its own folder, in the drugsim project its folder belongs to (`scenarios/` and
    `calibration/` side by side) or in the library: never anywhere else, whatever links lie on the way (each
    candidate is resolved, with `.toml` added, before it is checked).
    """
    if not isinstance(ext, str) or not ext or "\x00" in ext or len(ext) > 255:
        raise ScenarioError(
            f"{where}: scenario.extends = {quote(ext)}: must be a scenario file name such as 'baseline'"
        )
    name = ext if ext.endswith(".toml") else f"{ext}.toml"
    looked, outside = [], []
    for folder in dict.fromkeys([base_dir.resolve(), SCENARIO_DIR]):
        try:
            candidate = (folder / name).resolve()
        except (OSError, RuntimeError, ValueError):  # a link loop, a name the file system refuses
            continue
        roots = [r for r in (folder, project_root(folder), LIBRARY_ROOT if folder == SCENARIO_DIR else None) if r]
        if not any(candidate.is_relative_to(r) for r in roots):
            outside.append(str(candidate))
        elif candidate.is_file():
            return candidate
        else:
            looked.append(str(folder / name))
    if not looked:
        raise ScenarioError(
            f"{where}: scenario.extends = {quote(ext)}: points outside the places a scenario may extend from "
            f"(its own folder, its drugsim project, the scenario library): {outside[0]}"
        )
    refused = f"; {outside[0]} is outside the places a scenario may extend from, so it was not used" if outside else ""
    raise ScenarioError(
        f"{where}: scenario.extends = {quote(ext)}: no such scenario file; looked for " + " and ".join(looked) + refused
    )


def _chain(text: str, where: str, base_dir: Path, seen: tuple[Path, ...]) -> tuple[dict, list[tuple[str, str]]]:
    """The raw scenario with everything it extends merged in, and the texts of all files involved."""
    raw = _parse(text, where)
    meta = raw.get("scenario")
    if not isinstance(meta, dict) or "name" not in meta:
        raise ScenarioError(f'{where}: missing [scenario] table with a name (e.g. name = "my_option")')
    files = [(where, text)]
    if "extends" not in meta:
        return raw, files
    parent = _extends_path(meta["extends"], base_dir, where)
    if parent in seen:
        cycle = " -> ".join(str(p.name) for p in (*seen, parent))
        raise ScenarioError(f"{where}: scenario.extends makes a cycle: {cycle}")
    parent_raw, parent_files = _chain(_read(parent), str(parent), parent.parent, (*seen, parent))
    return _inherit(parent_raw, raw), files + parent_files


def _inherit(parent: dict, child: dict) -> dict:
    """`child` merged over `parent`: the child names and describes itself; only settings are inherited."""
    merged = merge(parent, child)
    merged["scenario"] = {k: v for k, v in merged["scenario"].items() if k != "extends"}
    for key in ("description", "funding"):
        if key not in child["scenario"]:
            merged["scenario"].pop(key, None)
    return merged


# --- validation messages
def _allowed_keys(loc: tuple) -> list[str]:
    """Field names allowed at `loc` (for 'unknown field' messages)."""
    cls: Any = ScenarioFile
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or part not in cls.model_fields:
            return []
        ann = cls.model_fields[part].annotation
        candidates = [ann, *typing.get_args(ann)]
        for c in list(candidates):
            candidates += list(typing.get_args(c))
        cls = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        return list(cls.model_fields)
    return []


def _describe(e: ValidationError, where: str) -> str:
    lines = []
    errors = e.errors()
    for err in errors[:MAX_PROBLEMS]:
        loc = tuple(err["loc"])
        path = ".".join(str(x) for x in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            allowed = _allowed_keys(loc[:-1])
            hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
            lines.append(f"{where}: unknown field {path}{hint}")
        elif err["type"] == "missing":
            lines.append(f"{where}: {path} is required")
        elif err["type"] == "string_pattern_mismatch" and loc[-1] == "name":
            lines.append(
                f"{where}: {path} = {quote(err.get('input'))}: use lower-case letters, digits and underscores, "
                "starting with a letter (e.g. hat_birmingham_2026)"
            )
        elif isinstance(err.get("input"), dict):
            # A check across a table's fields (dates in order, say): the message names them; the table is noise.
            lines.append(f"{where}: {path}: {err['msg'].removeprefix('Value error, ')}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{where}: {path} = {quote(err.get('input'))}: {msg}")
    if len(errors) > MAX_PROBLEMS:
        lines.append(f"{where}: ... and {len(errors) - MAX_PROBLEMS:,} more problems")
    return "\n".join(lines)


# --- public API
def resolve(raw: dict[str, Any], where: str = "<scenario>", files=None) -> ResolvedScenario:
    """Validate a raw scenario mapping (already merged with what it extends) and resolve its parameters."""
    try:
        sf = ScenarioFile.model_validate(raw)
    except ValidationError as e:
        raise ScenarioError(_describe(e, where)) from None
    params = defaults()
    errors, warnings = check_overrides(dict(sf.parameters), f"{where}: parameters")
    params.update(sf.parameters)
    interventions = {}
    for name in REGISTRY:
        cfg = getattr(sf.interventions, name)
        if cfg is None:
            continue
        overrides = cfg.parameter_overrides()
        e, w = check_overrides(overrides, f"{where}: interventions.{name}")
        errors += e
        warnings += w
        params.update(overrides)
        interventions[name] = cfg
    if not errors and (problem := people_problem(params) or age_problem(params)):
        errors.append(f"{where}: parameters: {problem}")
    ethnic = sum(params[f"ocu_eth_{e}"] for e in ("white", "asian", "black"))
    if ethnic > 1 + 1e-9:  # possible in a PSA draw too, so rescaled rather than refused, and said
        warnings.append(
            f"{where}: parameters: ocu_eth_white + ocu_eth_asian + ocu_eth_black = {ethnic:g}, more than 1: the "
            "shares are rescaled to add to 1, with none in the mixed/other group"
        )
    if not errors:  # checks across settings and the resolved parameters
        for name, cfg in interventions.items():
            errors += [f"{where}: interventions.{name}: {msg}" for msg in REGISTRY[name].problems(cfg, params)]
    if errors:
        more = [f"{where}: ... and {len(errors) - MAX_PROBLEMS:,} more problems"] if len(errors) > MAX_PROBLEMS else []
        raise ScenarioError("\n".join(errors[:MAX_PROBLEMS] + more))
    meta = sf.scenario
    return ResolvedScenario(
        name=meta.name,
        description=meta.description,
        funding=meta.funding,
        start=meta.start,
        end=meta.end,
        params=params,
        interventions=interventions,
        raw=raw,
        files=list(files or []),
        warnings=warnings,
    )


def load_scenario(path: str | Path) -> ResolvedScenario:
    """Load, validate and resolve a scenario file, or a library scenario given by name.

    Example:
        >>> s = load_scenario("baseline")
        >>> s.params["ocu_total_2019"]
        22500.0
    """
    path = find_scenario(path)
    raw, files = _chain(_read(path), str(path), path.parent, (path,))
    return resolve(raw, str(path), files)


def parse_scenario(
    text: str | bytes, where: str = "<uploaded scenario>", base_dir: Path = SCENARIO_DIR
) -> ResolvedScenario:
    """Validate scenario TOML given as text or bytes (an upload); `extends` is looked up in `base_dir`."""
    if isinstance(text, bytes):
        text = _decode(text, where)
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as e:  # a str from Python code can hold lone surrogates that no file can
        raise ScenarioError(f"{where}: not valid Unicode text ({e.reason} at character {e.start})") from None
    _check_size(size, where)
    raw, files = _chain(text, where, base_dir, ())
    return resolve(raw, where, files)


def from_files(files: list[tuple[str, str]]) -> ResolvedScenario:
    """The scenario a results manifest records: its files' texts, the scenario first and then each file it
    extends in turn (`ResolvedScenario.files`), resolved without reading anything from disk."""
    if not files:
        raise ScenarioError("no scenario files recorded")
    raws = [_parse(text, where) for where, text in files]
    for (where, _), raw in zip(files, raws, strict=True):
        if not isinstance(raw.get("scenario"), dict) or "name" not in raw["scenario"]:
            raise ScenarioError(f"{where}: missing [scenario] table with a name")
    merged = raws[-1]
    for raw in reversed(raws[:-1]):
        merged = _inherit(merged, raw)
    return resolve(merged, files[0][0], files)


#: Fields that hold dates, wherever they are in a scenario.
DATE_FIELDS = {"start", "end", "date", "radar_start"}


def _dates_from_text(value: Any, key: str = "") -> Any:
    """`value` with ISO text under date fields read as dates (for `with_changes`); anything else unchanged."""
    if isinstance(value, dict):
        return {k: _dates_from_text(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_from_text(v, key) for v in value]
    if key in DATE_FIELDS and isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value  # refused by validation, which names the field
    return value


def with_changes(scenario: ResolvedScenario, changes: dict[str, Any], name: str | None = None) -> ResolvedScenario:
    """A copy of `scenario` with `changes` (same shape as a scenario file) merged in and re-validated.

    In `changes` (Python, not a file) a date may also be given as ISO text ("2020-10-01"); a scenario file
    needs a TOML date.

    Example:
        >>> no_divert = with_changes(baseline, {"interventions": {"divert": {"enabled": False}}})
    """
    raw = merge(scenario.raw, _dates_from_text(changes))
    if name:
        raw["scenario"]["name"] = name
    return resolve(raw, f"{scenario.name} with changes", scenario.files)


def with_parameters(scenarios: list[ResolvedScenario], values: dict[str, float]) -> list[ResolvedScenario]:
    """The scenarios with parameter-table values set (the app's edited assumptions, `drugsim compare --set`); a
    scenario's own setting of a value it overrides still takes precedence."""
    return [with_changes(s, {"parameters": values}) for s in scenarios] if values else list(scenarios)
