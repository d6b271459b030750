"""App comparison benchmark (not a test): the time from pressing "Run comparison" on the Compare page to the page
showing its results, for two scenarios (baseline and the HAT pilot) at full scale (2019-2030), 10 paired runs each,
parameter uncertainty on (the page's defaults), with an empty run cache. Then the same again with the cache warm
(what a user sees when they rerun or change a chart).

Driven through Streamlit's AppTest, so it measures the page's own code: runs on all cores, comparison tables,
and drawing the charts.

Usage: python benchmarks/bench_app_compare.py [--runs 10] [--scenario hat_pilot]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--scenario", default="hat_pilot")
    args = ap.parse_args()

    from streamlit.testing.v1 import AppTest

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


if __name__ == "__main__":
    main()
