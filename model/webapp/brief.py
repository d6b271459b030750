"""The briefing pack of a `drugsim compare` results folder: the same files the app's Export page gives.

The folder's manifest records everything that determines the runs (each scenario's files, the `--set` values, the
period, the seeds, the PSA's design, the appraisal's settings) and the folder holds the PSA's draws, so the same
runs are made again (or read from the app's cache of finished runs, which they then join) and the pack is built
from them exactly as the app builds it. The numbers are checked against the folder's comparison before anything
is written: a pack never shows numbers other than those in the results it names.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from drugsim.scenario import ScenarioError, from_files, with_parameters
from drugsim.webapp.runs import Comparison, RunCache, run_comparison

#: Runs a pack is rebuilt from at most: every run is held whole in memory (about 5 MB each) for the maps and
#: charts, which a results folder of a large PSA does not keep.
MAX_BRIEF_RUNS = 600
#: How close the rebuilt comparison must be to the folder's (floating-point noise only).
SAME = dict(rtol=1e-9, atol=1e-6)


class BriefError(ValueError):
    """A results folder a pack cannot be made from, with the reason."""


def _manifest(folder: Path) -> dict:
    path = folder / "manifest.json"
    if not folder.is_dir():
        raise BriefError(f"{folder}: no such results folder")
    try:
        meta = json.loads(path.read_text())
    except OSError:
        raise BriefError(f"{folder}: no manifest.json; give the folder `drugsim compare --out` wrote") from None
    except ValueError as e:
        raise BriefError(f"{path}: not readable as JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("model") != "drugsim":
        raise BriefError(f"{path}: not a drugsim manifest")
    if not isinstance(meta.get("comparison"), dict):
        raise BriefError(f"{folder}: not the results of `drugsim compare` (its manifest records no comparison)")
    return meta


def _scenarios(record: dict) -> tuple[list, dict[str, float]]:
    """The scenarios as compared: rebuilt from their recorded files, with the comparison's --set values, and each
    checked against the hash of what was run."""
    values = {str(k): float(v) for k, v in (record.get("set") or {}).items()}
    try:
        scenarios = [from_files([(f["path"], f["content"]) for f in s["files"]]) for s in record["scenarios"]]
    except (KeyError, TypeError) as e:
        raise BriefError(f"the manifest's scenarios are incomplete ({e})") from None
    except ScenarioError as e:
        raise BriefError(f"a recorded scenario is refused by this version of drugsim: {e}") from None
    for s, was in zip(with_parameters(scenarios, values), record["scenarios"], strict=True):
        if s.resolved_sha256 != was.get("resolved_sha256"):
            raise BriefError(
                f"scenario {s.name} resolves differently in this version of drugsim (its parameters or settings "
                "changed since the results were written), so the pack would not show these results; run the "
                "comparison again"
            )
    return scenarios, values


def _design(folder: Path, record: dict) -> pd.DataFrame | None:
    if not record.get("psa"):
        if record.get("draws"):
            raise BriefError(
                f"{folder}: a --fixed comparison with --draws {record['draws']}; a pack is made from a PSA "
                "comparison (the default) or a --fixed one without --draws"
            )
        return None
    path = folder / "psa_draws.csv"
    try:
        frame = pd.read_csv(path, index_col="draw").astype(float)
    except (OSError, ValueError) as e:
        raise BriefError(f"{path}: the PSA's draws cannot be read ({e})") from None
    if len(frame) != record["psa"]["draws"]:
        raise BriefError(f"{path}: {len(frame)} draws, the manifest says {record['psa']['draws']}")
    return frame


def _check_same(c: Comparison, folder: Path) -> None:
    """The rebuilt comparison's table must be the folder's: same outcomes, same numbers."""
    try:
        theirs = pd.read_csv(folder / "comparison.csv")
    except (OSError, ValueError) as e:
        raise BriefError(f"{folder / 'comparison.csv'}: cannot be read ({e})") from None
    ours = c.table.merge(theirs, on=["scenario", "outcome"], suffixes=("", "_folder"))
    if len(ours) != len(theirs) or ours.empty:
        raise BriefError(f"{folder}: its comparison.csv does not list the outcomes this version compares")
    for column in ("diff_mean", "diff_low", "diff_high"):
        a, b = ours[column].to_numpy(float), ours[f"{column}_folder"].to_numpy(float)
        if not np.allclose(a, b, equal_nan=True, **SAME):
            i = int(np.nanargmax(np.abs(a - b)))
            row = ours.iloc[i]
            raise BriefError(
                f"the runs made again give {row.outcome} for {row.scenario} as {a[i]:,.6g}, the folder "
                f"{b[i]:,.6g} ({column}): this version of drugsim does not reproduce these results; run the "
                "comparison again"
            )


def check(folder: str | Path) -> dict:
    """Everything about `folder` that can be checked before a run: what `rebuild` needs, or BriefError."""
    folder = Path(folder)
    record = _manifest(folder)["comparison"]
    scenarios, values = _scenarios(record)
    design = _design(folder, record)
    try:
        n = int(record.get("runs_per_scenario") or 0)
        period = (str(record["period"][0]), str(record["period"][1]))
    except (KeyError, IndexError, TypeError, ValueError) as e:
        raise BriefError(f"{folder}: the manifest's comparison is incomplete ({e})") from None
    if n < 1:
        raise BriefError(f"{folder}: the manifest records no runs")
    if n * len(scenarios) > MAX_BRIEF_RUNS:
        raise BriefError(
            f"{folder}: {n * len(scenarios):,} runs; a pack is rebuilt from at most {MAX_BRIEF_RUNS} (each run is "
            "held whole for the maps and charts): make the pack from a comparison with fewer runs"
        )
    return {**record, "scenarios": scenarios, "values": values, "design": design, "runs": n, "period": period}


def rebuild(
    folder: str | Path,
    cache: RunCache,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    checked: dict | None = None,
) -> Comparison:
    """The comparison a `drugsim compare` results folder holds, its runs made again (or read from `cache`);
    `checked` is what `check(folder)` returned, if the caller has it."""
    r = checked or check(folder)
    design = r["design"]
    c = run_comparison(
        r["scenarios"], r["runs"], r["period"], cache, design is not None, r["values"], progress, workers, design
    )
    if design is not None:
        c.design = {k: r["psa"][k] for k in ("sampler", "seed", "widen")}
    settings = r.get("appraisal") or {}
    c.price_year = int(settings.get("price_year", 2024))
    c.life_value = str(settings.get("life_value", "qaly"))
    _check_same(c, Path(folder))
    return c
