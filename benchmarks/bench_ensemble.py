"""Ensemble throughput benchmark (not a test): full-scale baseline runs (2019-2030) per minute on this machine,
serially in one process against the local process pool (all cores).

Usage: python benchmarks/bench_ensemble.py [--runs 6]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=6)
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


if __name__ == "__main__":
    main()
