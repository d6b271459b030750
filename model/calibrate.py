"""Fitting the free parameters (those marked `calibrate = 1`) to the fitting targets.

Method: Optuna's TPE sampler (independent per parameter, suited to targets that each depend on few parameters)
explores the table's plausible ranges for the first 30% of the trials, then CMA-ES refines from the best point
found. Each parameter set is run on
the same seeds (common random numbers) over the fitting period only (to the last fitting target, January
2023), and scored by `calibration.loss`. The best candidates are then re-run on fresh seeds; the best of those
is the fitted set, and those within a margin of it are the accepted draws that ensembles sample to carry
parameter uncertainty. Trials run on any `concurrent.futures` executor: local worker processes by default, or
a Dask cluster's executor. Holdout targets are never loaded here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
import warnings
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drugsim.atomic import write_atomic
from drugsim.calendar import Calendar
from drugsim.parameters import parameter_table
from drugsim.runner import run_one
from drugsim.scenario import ResolvedScenario, with_changes
from drugsim.targets import CALIBRATION_DIR, TARGETS_FILE, Target, last_end, load_targets, loss

#: The [scenario] name of the fitted values' file, which the baseline extends (how a PSA tells them from choices).
FITTED_NAME = "fitted_parameters"
#: Accepted draws: re-evaluated loss within this factor of the best.
ACCEPT_FACTOR = 1.5
#: Share of trials explored by TPE before CMA-ES refines from the best point.
REFINE_FROM = 0.3


@dataclass(frozen=True)
class Settings:
    trials: int = 600
    seeds: int = 2
    candidates: int = 20
    reeval_seeds: int = 4
    report_runs: int = 20
    workers: int = 2
    sampler_seed: int = 0

    @classmethod
    def quick(cls, workers: int = 2) -> Settings:
        return cls(trials=24, seeds=1, candidates=4, reeval_seeds=2, report_runs=4, workers=workers)


def free_parameters() -> list[str]:
    return [p.name for p in parameter_table().values() if p.calibrate]


def simulate_targets(
    base: ResolvedScenario, params: dict[str, float], seeds: list[int], targets: list[Target]
) -> dict[str, float]:
    """Mean of each target over `seeds` for `base` with `params` (runs in a worker process)."""
    scenario = with_changes(base, {"parameters": params})
    cal = Calendar(scenario.start, scenario.end)
    values = {t.id: [] for t in targets}
    for seed in seeds:
        results = run_one(scenario, seed)
        for t in targets:
            values[t.id].append(t.simulate(results, cal))
    return {k: float(np.mean(v)) for k, v in values.items()}


def _suggest(trial, names):
    table = parameter_table()
    out = {}
    for n in names:
        p = table[n]
        out[n] = trial.suggest_float(n, p.low, p.high, log=p.low > 0 and p.high / p.low >= 10)
    return out


def fit(
    base: ResolvedScenario, settings: Settings, pool: Executor, progress=print, targets_file: Path = TARGETS_FILE
) -> dict:
    """Run the search and the re-evaluation; returns the fitted set, the accepted draws and run facts."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    targets = load_targets("fitting", targets_file)
    horizon = with_changes(base, {"scenario": {"end": last_end(targets)}})
    names = free_parameters()
    table = parameter_table()
    sampler = optuna.samplers.TPESampler(seed=settings.sampler_seed, n_startup_trials=max(8, settings.trials // 8))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    refine_from = max(1, int(settings.trials * REFINE_FROM))
    study.enqueue_trial({n: table[n].value for n in names})  # the table's values as the first trial
    seeds = list(range(settings.seeds))
    t0 = time.perf_counter()
    done = 0
    batch_size = max(2, 2 * settings.workers)
    while done < settings.trials:
        if done >= refine_from and isinstance(study.sampler, optuna.samplers.TPESampler):
            # Started at the best trial so far (`x0`): deprecated in Optuna 4.9, to go in 6.0, below which the
            # project pins Optuna (pyproject.toml) so that the committed fit's method stays the one that runs.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*`x0`.*", category=FutureWarning)
                study.sampler = optuna.samplers.CmaEsSampler(
                    x0=study.best_params, seed=settings.sampler_seed, warn_independent_sampling=False
                )
        batch = [study.ask() for _ in range(min(batch_size, settings.trials - done))]
        params = [_suggest(trial, names) for trial in batch]
        futures = [pool.submit(simulate_targets, horizon, p, seeds, targets) for p in params]
        for trial, fut in zip(batch, futures, strict=True):
            study.tell(trial, loss(targets, fut.result()))
        done += len(batch)
        progress(
            f"trials {done}/{settings.trials}: best loss {study.best_value:.3f} ({time.perf_counter() - t0:.0f} s)"
        )

    finished = sorted((t for t in study.trials if t.value is not None), key=lambda t: t.value)
    candidates = finished[: settings.candidates]
    reseeds = list(range(1000, 1000 + settings.reeval_seeds))
    futures = [pool.submit(simulate_targets, horizon, dict(t.params), reseeds, targets) for t in candidates]
    rescored = [(loss(targets, f.result()), t) for f, t in zip(futures, candidates, strict=True)]
    rescored.sort(key=lambda x: x[0])
    best_loss, best = rescored[0]
    accepted = [(l_, t) for l_, t in rescored if l_ <= best_loss * ACCEPT_FACTOR]
    progress(
        f"re-evaluated {len(candidates)} candidates on {len(reseeds)} new seeds: best loss {best_loss:.3f}, "
        f"{len(accepted)} accepted"
    )
    return {
        "fitted": dict(best.params),
        "accepted": [{"draw": i, "loss": l_, "search_loss": t.value, **t.params} for i, (l_, t) in enumerate(accepted)],
        "best_loss": best_loss,
        "prior_loss": study.trials[0].value,  # the table's own values (the enqueued first trial)
        "trials": settings.trials,
        "seeds": settings.seeds,
        "reeval_seeds": settings.reeval_seeds,
        "search_seconds": time.perf_counter() - t0,
        "fit_end": last_end(targets),
        "names": names,
    }


def write_fit(out: Path, result: dict, settings: Settings, wall_s: float) -> None:
    """fitted.toml (a scenario file of parameters), accepted_draws.csv and fit_info.json."""
    out.mkdir(parents=True, exist_ok=True)
    table = parameter_table()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    lines = [
        f"# Generated by `drugsim calibrate` on {stamp}: {result['trials']} Optuna trials (TPE, then CMA-ES) x "
        f"{result['seeds']} seed(s)",
        f"# over the fitting period (to {result['fit_end']}), best of {len(result['accepted'])} accepted of the top "
        f"{settings.candidates} re-run on {result['reeval_seeds']} new seeds.",
        f"# Fitting targets only (calibration/targets.csv, use = fitting). Loss {result['best_loss']:.3f} "
        f"(table values: {result['prior_loss']:.3f}). Wall time {wall_s:.0f} s. Do not edit by hand.",
        "",
        "[scenario]",
        f'name = "{FITTED_NAME}"',
        'description = "Calibrated values of the free parameters; extended by scenarios/baseline.toml."',
        "",
        "[parameters]",
    ]
    for name in result["names"]:
        lines.append(
            f"{name} = {result['fitted'][name]:.6g}  # table {table[name].value:g}, range "
            f"{table[name].low:g}-{table[name].high:g}"
        )
    # Each file is replaced whole: `baseline` extends fitted.toml, so a half-written one would break every scenario.
    write_atomic(out / "fitted.toml", "\n".join(lines) + "\n")
    draws = io.StringIO(newline="")
    w = csv.DictWriter(draws, fieldnames=["draw", "loss", "search_loss", *result["names"]])
    w.writeheader()
    for row in result["accepted"]:
        w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    write_atomic(out / "accepted_draws.csv", draws.getvalue())
    info = {
        k: result[k]
        for k in ("best_loss", "prior_loss", "trials", "seeds", "reeval_seeds", "search_seconds", "fit_end")
    }
    info.update(
        wall_seconds=round(wall_s, 1),
        workers=settings.workers,
        candidates=settings.candidates,
        accepted=len(result["accepted"]),
        date=stamp,
    )
    write_atomic(out / "fit_info.json", json.dumps(info, indent=2))


def read_draws(path: Path = CALIBRATION_DIR / "accepted_draws.csv") -> list[dict[str, float]]:
    """The accepted parameter draws (free parameters only), for ensembles that sample parameter uncertainty."""
    names = set(free_parameters())
    with open(path, newline="") as f:
        return [{k: float(v) for k, v in row.items() if k in names} for row in csv.DictReader(f)]
