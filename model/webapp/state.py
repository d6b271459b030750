"""What one browser session holds (its built or uploaded scenarios, its edited assumptions, its last comparison)
and what all sessions share (the scenario library, finished runs). Streamlit-specific; pages read state only
through these functions."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from drugsim.library import SCENARIO_DIR
from drugsim.scenario import ResolvedScenario, ScenarioError, load_scenario, parse_scenario
from drugsim.webapp.runs import Comparison, RunCache, disk_folder, forget_other_versions

#: Settings kept for the whole session when the user moves to another page and back (Streamlit forgets a widget's
#: value once a run does not draw it, unless the value is written back to session state).
KEPT = (
    "cmp_base",
    "cmp_others",
    "cmp_period",
    "cmp_runs",
    "cmp_draws",
    "ts_metric",
    "ts_freq",
    "ts_area",
    "area_metric",
)


def keep_settings() -> None:
    """Write the kept settings back to session state, so they outlive pages that do not draw them."""
    for key in KEPT:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


@st.cache_resource
def run_cache() -> RunCache:
    """Finished runs, shared by every session of this app process and kept on disk between app sessions (see
    `drugsim.webapp.runs.disk_folder`)."""
    folder = disk_folder()
    forget_other_versions(folder)
    return RunCache(folder=folder)


@st.cache_resource
def run_timing() -> dict:
    """Measured wall time per full run alone on this machine (all cores working), from the comparisons finished so
    far (their runs of a seed share history: `drugsim.branching.cost_in_runs` converts): what the Compare and
    sensitivity pages' time estimates use."""
    return {}


@st.cache_resource
def sensitivity_caches() -> dict:
    """Finished sensitivity runs (each a single outcome total), one cache per (outcome, period)."""
    return {}


def library() -> dict[str, Path]:
    """The scenario files shipped in `scenarios/`, by name."""
    return {p.stem: p for p in sorted(SCENARIO_DIR.glob("*.toml"))}


def built() -> dict[str, str]:
    """Scenarios built or uploaded in this session: name -> TOML text."""
    return st.session_state.setdefault("built", {})


def overrides() -> dict[str, float]:
    """Parameter values edited on the Assumptions page for this session."""
    return st.session_state.setdefault("overrides", {})


def scenario_names() -> list[str]:
    return list(library()) + [n for n in built() if n not in library()]


@st.cache_resource(max_entries=256)
def _load_library(path: str, mtime: float) -> ResolvedScenario:
    return load_scenario(path)


@st.cache_resource(max_entries=256)
def _parse_built(text: str) -> ResolvedScenario:
    return parse_scenario(text, "<scenario built in the app>")


def scenario(name: str) -> ResolvedScenario:
    """A scenario by name, from the library or this session (raises ScenarioError if it does not validate)."""
    if name in built():
        return _parse_built(built()[name])
    path = library()[name]
    return _load_library(str(path), path.stat().st_mtime)


def comparison() -> Comparison | None:
    return st.session_state.get("comparison")


def describe(name: str) -> str:
    """A scenario's name with the start of its description, so a picker says what each one is."""
    if name in built():
        return f"{name} (built in this session)"
    try:
        text = scenario(name).description.split(". ")[0].strip().rstrip(".")
    except ScenarioError:  # a library file that does not validate is named plainly; running it explains the problem
        return name
    return f"{name}: {text[:60]}{'…' if len(text) > 60 else ''}" if text else name
