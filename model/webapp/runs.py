"""Comparisons for the app: paired runs of a base and other scenarios, finished runs kept in memory by run key
(scenario content hash, seed and draw) so the page stays fast, and everything a page draws from them.

Runs go through the ensemble runner on all local cores. A comparison stopped part-way keeps its finished runs:
running it again does only the rest.
"""

from __future__ import annotations

import functools
import hashlib
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from drugsim.calibrate import read_draws
from drugsim.compare import bands, by_area, by_ethnicity, compare, paired_totals
from drugsim.ensemble import Run, RunStore, make_executor, plan, run_ensemble
from drugsim.scenario import ResolvedScenario, with_parameters

#: The app's PSA design: a scrambled Sobol sequence (prefix-stable, so adding runs keeps the finished ones).
APP_DESIGN = {"sampler": "sobol", "seed": 0, "widen": 1.0}
#: Finished runs kept in memory (each full run is about 4 MB).
MAX_CACHED_RUNS = 160
#: Finished runs kept on disk, when the cache has a folder (about 4 MB each): the oldest go first beyond this.
MAX_DISK_RUNS = 200


@functools.cache
def code_version() -> str:
    """A hash of the model's code and data (every file of the installed package but the app's): runs kept on disk
    are valid only for the code that made them, so a changed model never serves an old run."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if path.is_file() and "webapp" not in path.parts and path.suffix in (".py", ".csv", ".toml", ".json"):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def disk_folder() -> Path:
    """Where the app keeps finished runs between sessions: DRUGSIM_CACHE, else the user's cache folder; one
    subfolder per code version."""
    base = os.environ.get("DRUGSIM_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "drugsim", "runs"
    )
    return Path(base) / code_version()


def forget_other_versions(folder: Path) -> None:
    """Remove the runs kept for other code versions beside `folder` (they can never be used again): only the
    finished-run files this cache writes, and their folder if that leaves it empty."""
    if not folder.parent.is_dir():
        return
    for other in folder.parent.iterdir():
        if other == folder or not other.is_dir() or len(other.name) != 16:
            continue
        for f in other.glob("*_seed*.npy"):
            f.unlink(missing_ok=True)
        try:
            other.rmdir()
        except OSError:  # something else is in it: leave it
            pass


class RunCache:
    """Finished runs by key, least recently used dropped first; the store interface of `run_ensemble`. With a
    `folder`, runs are also kept on disk (a RunStore), so the library's standard comparisons answer in seconds
    after a restart; the disk keeps the newest MAX_DISK_RUNS and never touches a file it did not write."""

    def __init__(self, max_runs: int = MAX_CACHED_RUNS, folder: Path | None = None, max_disk_runs: int = MAX_DISK_RUNS):
        self.max_runs = max_runs
        self._runs: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()  # Streamlit serves each browser session on its own thread
        self.disk = RunStore(folder) if folder is not None else None
        self.max_disk_runs = max_disk_runs

    def has(self, run: Run) -> bool:
        with self._lock:
            return run.key in self._runs or (self.disk is not None and self.disk.has(run))

    def save(self, run: Run, results: np.ndarray) -> None:
        with self._lock:
            self._remember(run.key, results)
        if self.disk is not None:
            try:
                self.disk.save(run, results)
                self._prune()
            except OSError:  # a full or read-only disk: the run is still kept in memory
                pass

    def load(self, run: Run) -> np.ndarray:
        with self._lock:
            if run.key in self._runs:
                self._runs.move_to_end(run.key)
                return self._runs[run.key]
        results = self.disk.load(run)
        with self._lock:
            self._remember(run.key, results)
        return results

    def _remember(self, key: str, results: np.ndarray) -> None:
        self._runs[key] = results
        self._runs.move_to_end(key)
        while len(self._runs) > self.max_runs:
            self._runs.popitem(last=False)

    def _prune(self) -> None:
        """Keep the newest runs on disk; only this cache's own files (finished runs, `*.npy`) are removed."""
        files = sorted(self.disk.folder.glob("*_seed*.npy"), key=lambda f: f.stat().st_mtime)
        for f in files[: max(len(files) - self.max_disk_runs, 0)]:
            f.unlink(missing_ok=True)

    def __len__(self) -> int:
        return len(self._runs)


@dataclass
class Comparison:
    """Paired runs of `scenarios` (the first is the base) and the tables and series drawn from them."""

    scenarios: list[ResolvedScenario]
    runs: list[Run]
    results: dict[str, np.ndarray]
    period: tuple[str, str]
    draws: int = 0  # PSA draws (one a run), or none: parameters fixed at the fitted values
    overrides: dict[str, float] = field(default_factory=dict)
    psa_draws: pd.DataFrame | None = None
    #: How the PSA's draws were made (the app's: Sobol, seed 0; `drugsim compare` records its own).
    design: dict = field(default_factory=lambda: dict(APP_DESIGN))
    #: The appraisal's price year and value of a life (`drugsim compare --price-year/--life-value`).
    price_year: int = 2024
    life_value: str = "qaly"

    @property
    def psa(self) -> bool:
        return self.draws > 0

    @property
    def base(self) -> ResolvedScenario:
        return self.scenarios[0]

    @property
    def others(self) -> list[ResolvedScenario]:
        return self.scenarios[1:]

    @property
    def n_runs(self) -> int:
        return len(self.runs) // len(self.scenarios)

    @property
    def seeds(self) -> list[int]:
        return sorted({r.seed for r in self.runs})

    @cached_property
    def per_run(self) -> dict[str, pd.DataFrame]:
        return paired_totals(self.scenarios, self.runs, self.results, *self.period)

    @cached_property
    def table(self) -> pd.DataFrame:
        """The comparison table (drugsim.compare.compare): every outcome and economic measure, with intervals."""
        return compare(self.per_run, self.base.name, self.period, psa=self.psa)

    @cached_property
    def appraisal_runs(self) -> dict[str, pd.DataFrame]:
        """The Green Book appraisal of each paired run against the base (drugsim.appraisal.appraise), by scenario."""
        from drugsim.appraisal import Settings, appraise
        from drugsim.calendar import Calendar
        from drugsim.compare import per_scenario

        rows = [] if self.psa_draws is None else self.psa_draws.to_dict(orient="records")
        params = [
            {**self.base.params, **(rows[r.draw] if r.draw is not None else {})}
            for r in self.runs
            if r.scenario is self.base
        ]
        per = per_scenario(self.scenarios, self.runs, self.results)
        cal = Calendar(self.base.start, self.base.end)
        return appraise(per, params, self.base.name, cal, self.period, Settings(self.price_year, self.life_value))

    @cached_property
    def appraisal(self) -> pd.DataFrame:
        """The Green Book appraisal of each scenario against the base (drugsim.appraisal.summary)."""
        from drugsim.appraisal import summary

        return summary(self.appraisal_runs, self.psa)

    def row(self, scenario: str, outcome: str) -> pd.Series:
        t = self.table
        return t[(t.scenario == scenario) & (t.outcome == outcome)].iloc[0]

    def series(self, metric: str, freq: str = "QS", area: str | None = None) -> pd.DataFrame:
        return bands(self.scenarios, self.runs, self.results, metric, freq, area)

    def areas(self, metric: str) -> pd.DataFrame:
        return by_area(self.scenarios, self.runs, self.results, metric, *self.period)

    @cached_property
    def ethnicity(self) -> pd.DataFrame:
        return by_ethnicity(self.scenarios, self.runs, self.results, *self.period)

    def reproducibility(self) -> pd.DataFrame:
        """What reproduces these numbers: each scenario's hashes, the seeds and the draws."""
        from drugsim import __version__

        return pd.DataFrame(
            [
                {
                    "scenario": s.name,
                    "resolved_sha256": s.resolved_sha256,
                    "content_sha256": s.content_sha256,
                    "model_version": __version__,
                    "seeds": f"{self.seeds[0]}-{self.seeds[-1]}",
                    "psa_draws": f"{self.draws} ({self.design['sampler']}, seed {self.design['seed']}"
                    + (f", ranges x{self.design['widen']:g}" if self.design["widen"] != 1 else "")
                    + ")"
                    if self.psa
                    else "none (fitted values)",
                    "session_overrides": ", ".join(f"{k}={v:g}" for k, v in self.overrides.items()) or "none",
                }
                for s in self.scenarios
            ]
        )


def prepare(scenarios: list[ResolvedScenario], overrides: dict[str, float]) -> list[ResolvedScenario]:
    """The scenarios with this session's edited assumptions applied (`drugsim.scenario.with_parameters`)."""
    return with_parameters(scenarios, overrides)


def psa_design(scenarios: list[ResolvedScenario], n_runs: int) -> pd.DataFrame:
    """The app's PSA draws: a scrambled Sobol sequence, whose first n points are the same for any n, so that adding
    runs adds draws and keeps the finished ones. Parameters the scenarios or this session set are choices, not
    uncertainties."""
    from drugsim import psa

    chosen = psa.scenario_choices(scenarios)
    fitted = [{k: v for k, v in d.items() if k not in chosen} for d in read_draws()]
    return psa.sample(n_runs, psa.uncertain_parameters(exclude=chosen), sampler="sobol", fitted=fitted)


def run_comparison(
    scenarios: list[ResolvedScenario],
    n_runs: int,
    period: tuple[str, str],
    cache: RunCache,
    use_draws: bool = True,
    overrides: dict[str, float] | None = None,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
    design: pd.DataFrame | None = None,
) -> Comparison:
    """Run (or fetch from `cache`) `n_runs` paired runs of each scenario and return the comparison.

    With `use_draws`, run i uses PSA draw i (every uncertain parameter drawn from its range, the fitted ones from
    the calibration's accepted draws), so intervals are prediction intervals that include parameter uncertainty.
    If `progress` raises (the page was stopped), pending runs are cancelled; finished ones stay in the cache.
    `design` gives the PSA's draws (a row each) instead of the app's own (`psa_design`).
    """
    from drugsim import psa

    overrides = dict(overrides or {})
    scenarios = prepare(scenarios, overrides)
    if not use_draws:
        frame = None
    else:
        frame = design if design is not None else psa_design(scenarios, n_runs)
    draws = psa.draw_dicts(frame) if use_draws else None
    runs = plan(scenarios, n_runs, n_runs if use_draws else 0, tags=psa.draw_keys(frame) if use_draws else ())
    todo = [r for r in runs if not cache.has(r)]
    if len(todo) > 1:
        with make_executor(workers) as pool:
            results = run_ensemble(runs, pool, cache, draws, progress=progress)
    else:
        results = run_ensemble(runs, None, cache, draws, progress=progress)
    return Comparison(scenarios, runs, results, period, n_runs if use_draws else 0, overrides, frame)
