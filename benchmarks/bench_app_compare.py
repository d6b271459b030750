"""App comparison benchmark (not a test): the time from pressing "Run comparison" on the Compare page to the page
showing its results, for two scenarios (baseline and the HAT pilot) at full scale (2019-2030), 10 paired runs each,
parameter uncertainty on (the page's defaults), with an empty run cache. Then the same again with the cache warm
(what a user sees when they rerun or change a chart).

Driven through Streamlit's AppTest, so it measures the page's own code: runs on all cores, comparison tables,
and drawing the charts.

With --example, instead: the start page's first example question (take-home naloxone against the baseline, the
page's default runs), from the click to the results: cold (an empty run cache on disk) and then in a new app process
with the cache on disk built (what a user sees on the day of a summit after trying it once).

Usage: python benchmarks/bench_app_compare.py [--runs 10] [--scenario hat_pilot] [--example]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--scenario", default="hat_pilot")
    ap.add_argument("--example", action="store_true", help="time the start page's first example question")
    ap.add_argument("--example-once", action="store_true", help=argparse.SUPPRESS)  # one click, in this process
    args = ap.parse_args()
    if args.example_once:
        print(f"{example_once():.2f}")
        return
    if args.example:
        example()
        return

    from streamlit.testing.v1 import AppTest

    os.environ["DRUGSIM_CACHE"] = tempfile.mkdtemp()  # cold means no run kept on disk either
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page(str(ROOT / "model" / "webapp" / "pages" / "compare.py")).run()
    at.multiselect(key="cmp_others").set_value([args.scenario])
    at.number_input(key="cmp_runs").set_value(args.runs)
    at.run()
    timings = []
    for _ in range(2):
        t0 = time.perf_counter()
        at.button(key="cmp_run").click().run()
        timings.append(time.perf_counter() - t0)
        assert not at.exception, at.exception
        assert any(m.label == "Drug deaths" for m in at.metric)
    print(
        f"baseline vs {args.scenario}, {args.runs} paired runs each at full scale, {os.cpu_count()} cores:\n"
        f"  cold (runs + tables + charts): {timings[0]:5.1f} s\n"
        f"  warm (runs cached):            {timings[1]:5.1f} s\n"
        f"  target: cold <= 15 s [{'met' if timings[0] <= 15 else 'NOT met'}]"
    )


def example_once() -> float:
    """Seconds from clicking the first example question to its results, in this (fresh) process."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    t0 = time.perf_counter()
    at.button(key="example_naloxone_take_home").click().run()
    seconds = time.perf_counter() - t0
    assert not at.exception, at.exception
    assert any(m.label == "Drug deaths" for m in at.metric)
    return seconds


def example() -> None:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "DRUGSIM_CACHE": cache}
        once = [sys.executable, __file__, "--example-once"]
        cold, warm = (
            float(subprocess.run(once, env=env, capture_output=True, text=True, check=True).stdout) for _ in "ab"
        )
    print(
        f"start page, first example question (take-home naloxone against the baseline), {os.cpu_count()} cores:\n"
        f"  cold (empty cache):                      {cold:5.1f} s\n"
        f"  a new app process, runs cached on disk:  {warm:5.1f} s\n"
        f"  target: cached <= 5 s [{'met' if warm <= 5 else 'NOT met'}]"
    )


if __name__ == "__main__":
    main()
