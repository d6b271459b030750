"""Ensemble throughput benchmark (not a test): full-scale baseline runs (2019-2030) per minute on this machine,
serially in one process against the local process pool (all cores); then a comparison as users run one, the
baseline and the three example options (take-home naloxone, HAT scaled up, a permanent CLTF) paired on the same
seeds, whose runs of a seed share the history before the options start (drugsim.branching), in runs per minute
counting every scenario's run, on the pool, and on the pool with each run simulated alone. With --psa N, also the
probabilistic sensitivity analysis of the appraisal as a user runs it: `drugsim compare baseline naloxone_take_home
hat_scaled --psa N` (3N full runs, the appraisal, CEAC and EVPPI), its wall time, runs per minute and peak memory.

Usage: python benchmarks/bench_ensemble.py [--runs 6] [--psa N]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=6)
    ap.add_argument("--psa", type=int, default=0, help="also time a PSA of three scenarios with N draws")
    args = ap.parse_args()

    from drugsim.ensemble import plan, run_ensemble
    from drugsim.scenario import load_scenario

    runs = plan([load_scenario(ROOT / "scenarios" / "baseline.toml")], args.runs)
    t0 = time.perf_counter()
    run_ensemble(runs)
    serial = time.perf_counter() - t0
    workers = os.cpu_count() or 1
    with ProcessPoolExecutor(workers) as pool:
        t0 = time.perf_counter()
        run_ensemble(runs, pool)
        pooled = time.perf_counter() - t0
    print(f"{args.runs} full-scale baseline runs (627 weeks each):")
    print(f"  serial:                 {serial:6.1f} s = {60 * args.runs / serial:5.1f} runs per minute")
    print(
        f"  local pool, {workers} workers: {pooled:6.1f} s = {60 * args.runs / pooled:5.1f} runs per minute "
        f"({serial / pooled:.2f}x)"
    )
    print(f"  target: >= 100 runs per minute on 2 cores [{'met' if 60 * args.runs / pooled >= 100 else 'NOT met'}]")
    comparison(args.runs)
    if args.psa:
        psa(args.psa)


def comparison(seeds: int) -> None:
    """A four-scenario comparison on the pool: runs of a seed together (the product's way) and each alone."""
    from drugsim.ensemble import make_executor, plan, run_ensemble
    from drugsim.scenario import load_scenario

    scenarios = [load_scenario(n) for n in ("baseline", "naloxone_take_home", "hat_scaled", "cltf_permanent")]
    runs = plan(scenarios, seeds)
    with make_executor() as pool:
        t0 = time.perf_counter()
        run_ensemble(runs, pool)
        together = time.perf_counter() - t0
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        t0 = time.perf_counter()
        list(pool.map(_alone, runs))
        alone = time.perf_counter() - t0
    print(f"a comparison of {len(scenarios)} scenarios x {seeds} seeds ({len(runs)} full runs) on the local pool:")
    print(f"  runs of a seed together: {together:6.1f} s = {60 * len(runs) / together:5.1f} runs per minute")
    print(f"  each run alone:          {alone:6.1f} s = {60 * len(runs) / alone:5.1f} runs per minute")


def _alone(run):
    from drugsim.runner import run_one

    run_one(run.scenario, run.seed)


def psa(draws: int) -> None:
    """Time the PSA command of three scenarios, whole process (its worker processes' peak memory included)."""
    scenarios = ("baseline", "naloxone_take_home", "hat_scaled")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "drugsim.cli",
                "compare",
                *scenarios,
                "--psa",
                str(draws),
                "--out",
                f"{tmp}/psa",
                "-q",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    runs = draws * len(scenarios)
    print(
        f"PSA, {draws} draws of {len(scenarios)} scenarios ({runs} full runs), whole command: {wall / 60:.1f} min "
        f"= {60 * runs / wall:.1f} runs per minute; largest process {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
