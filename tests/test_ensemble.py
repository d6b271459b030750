"""Ensembles and comparisons: identical results whatever the executor (serial, local processes, a Dask cluster
over TCP), intervals that narrow with more runs, zero difference against oneself, and resuming a killed run."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SCENARIOS, shorten

from drugsim import psa
from drugsim.calibrate import read_draws
from drugsim.compare import compare, period_weeks, totals
from drugsim.ensemble import make_executor, plan, run_ensemble
from drugsim.scenario import load_scenario, with_changes

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pair():
    base = shorten(load_scenario(SCENARIOS / "baseline.toml"), "2021-06-30")
    alt = with_changes(base, {"interventions": {"divert": {"enabled": False}}}, name="no_divert")
    return base, alt


def per_run_totals(scenarios, runs, results, start="2020-10-01", end="2021-06-30"):
    return {
        s.name: pd.DataFrame([totals(results[r.key], period_weeks(s, start, end)) for r in runs if r.scenario is s])
        for s in scenarios
    }


def test_results_are_identical_serially_in_a_pool_and_on_dask(pair):
    from distributed import LocalCluster

    runs = plan(list(pair), n_runs=2)
    serial = run_ensemble(runs)
    # A PSA's runs too: each its own parameter draw, reduced to force-wide series in the worker.
    frame = psa.sample(2, psa.uncertain_parameters(), seed=5)
    psa_runs = plan(list(pair), 2, 2, tags=psa.draw_keys(frame))
    draws = psa.draw_dicts(frame)
    psa_serial = run_ensemble(psa_runs, draws=draws, reduce=psa.force_wide)
    with ProcessPoolExecutor(2) as pool:
        local = run_ensemble(runs, pool)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as c:
        assert c.scheduler_address.startswith("tcp://127.0.0.1:")
        with make_executor(dask_address=c.scheduler_address) as pool:
            dask = run_ensemble(runs, pool)
            psa_dask = run_ensemble(psa_runs, pool, draws=draws, reduce=psa.force_wide)
    for r in runs:
        np.testing.assert_array_equal(serial[r.key], local[r.key])
        np.testing.assert_array_equal(serial[r.key], dask[r.key])
    for r in psa_runs:
        np.testing.assert_array_equal(psa_serial[r.key], psa_dask[r.key])
    assert not np.array_equal(psa_serial[psa_runs[0].key], psa_serial[psa_runs[2].key])  # draws differ


def test_runs_are_paired_across_scenarios(pair):
    runs = plan(list(pair), n_runs=3, n_draws=2)
    by_scenario = {s.name: [(r.seed, r.draw) for r in runs if r.scenario is s] for s in pair}
    assert by_scenario["baseline"] == by_scenario["no_divert"] == [(0, 0), (1, 1), (2, 0)]


def test_a_scenario_compared_with_itself_differs_by_nothing(pair):
    base = pair[0]
    twin = with_changes(base, {}, name="twin")
    runs = plan([base, twin], n_runs=2)
    results = run_ensemble(runs)
    table = compare(per_run_totals([base, twin], runs, results), "baseline", ("2020-10-01", "2021-06-30"))
    twin_rows = table[(table.scenario == "twin") & table.outcome.isin(table.outcome[table.unit != "ratio"])]
    diffs = twin_rows.dropna(subset=["diff_low"])[["diff_mean", "diff_low", "diff_high"]].to_numpy()
    assert diffs.size and np.all(diffs == 0)


def test_intervals_narrow_as_runs_grow(pair):
    runs = plan(list(pair), n_runs=12)
    with ProcessPoolExecutor(2) as pool:
        results = run_ensemble(runs, pool)

    def width(seeds):
        subset = [r for r in runs if r.seed in seeds]
        t = compare(per_run_totals(list(pair), subset, results), "baseline", ("2020-10-01", "2021-06-30"))
        row = t[(t.scenario == "no_divert") & (t.outcome == "possession_charges")].iloc[0]
        assert row.diff_low > 0  # without Divert, more charges
        return row.diff_high - row.diff_low

    # A 3-run interval's width is itself very noisy (its standard deviation comes from 3 values), so the
    # comparison is with the mean width over the four disjoint sets of 3 runs; theory gives about 0.31.
    three = np.mean([width(range(k, k + 3)) for k in (0, 3, 6, 9)])
    assert width(range(12)) < 0.6 * three, (width(range(12)), three)


def test_calibration_draws_carry_parameter_uncertainty(pair):
    base = pair[0]
    draws = read_draws()
    runs = plan([base], n_runs=2, n_draws=2)
    with_draws = run_ensemble(runs, draws=draws)
    fitted = run_ensemble(plan([base], n_runs=2))
    assert not np.array_equal(with_draws[runs[1].key], fitted[plan([base], 2)[1].key])


def _compare_cmd(base, alt, out):
    return [
        sys.executable,
        "-m",
        "drugsim.cli",
        "compare",
        str(base),
        str(alt),
        "--seeds",
        "6",
        "--period",
        "2020-2021",
        "--workers",
        "1",
        "--out",
        str(out),
    ]


def _processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains `text` (Linux /proc)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if text in cmdline.read_bytes().decode(errors="replace"):
                found.append(int(cmdline.parent.name))
        except OSError:
            pass  # the process ended while we looked
    return found


def test_a_killed_comparison_resumes_and_matches_an_uninterrupted_one(tmp_path):
    baseline = SCENARIOS / "baseline.toml"
    base = tmp_path / "base_short.toml"
    base.write_text(f'[scenario]\nname = "base_short"\nextends = "{baseline}"\nend = 2021-12-31\n')
    alt = tmp_path / "no_divert_short.toml"
    alt.write_text(
        f'[scenario]\nname = "no_divert_short"\nextends = "{baseline}"\nend = 2021-12-31\n'
        "[interventions.divert]\nenabled = false\n"
    )

    def cmd(out):
        return _compare_cmd(base, alt, out)

    out = tmp_path / "killed"
    store = tmp_path / ".killed.runs"
    proc = subprocess.Popen(cmd(out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(store.glob("*.npy"))) < 3:
        time.sleep(0.2)
    proc.kill()
    proc.wait()
    # Its worker processes end with it (none left running on).
    deadline = time.time() + 20
    while time.time() < deadline and _processes_mentioning(str(out)):
        time.sleep(0.2)
    assert not _processes_mentioning(str(out))
    saved = len(list(store.glob("*.npy")))
    assert 3 <= saved < 12, saved
    assert not out.exists()  # nothing half-written
    subprocess.run(cmd(out), cwd=ROOT, check=True, capture_output=True)
    assert not store.exists()
    clean = tmp_path / "clean"
    subprocess.run(cmd(clean), cwd=ROOT, check=True, capture_output=True)
    a = pd.read_csv(out / "comparison.csv")
    b = pd.read_csv(clean / "comparison.csv")
    pd.testing.assert_frame_equal(a, b)
    ra, rb = pd.read_parquet(out / "results.parquet"), pd.read_parquet(clean / "results.parquet")
    pd.testing.assert_frame_equal(ra, rb)


def test_compare_writes_the_comparison_table(tmp_path):
    out = tmp_path / "cmp"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "drugsim.cli",
            "compare",
            str(SCENARIOS / "baseline.toml"),
            str(SCENARIOS / "hat_pilot.toml"),
            "--seeds",
            "2",
            "--period",
            "2026-2027",
            "--out",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    t = pd.read_csv(out / "comparison.csv")
    for col in ("scenario", "outcome", "base_value", "scenario_value", "diff_mean", "diff_low", "diff_high"):
        assert col in t.columns
    outcomes = set(t.outcome)
    assert {"drug_deaths", "net_benefit_gbp", "cost_per_death_averted_gbp", "return_per_gbp"} <= outcomes
    spend = t[(t.scenario == "hat_pilot") & (t.outcome == "intervention_spend_gbp")].iloc[0]
    assert spend.diff_mean > 1e6  # 50 HAT places for 2026-2027
    assert (out / "manifest.json").exists() and (out / "results.parquet").exists()
    assert not (tmp_path / ".cmp.runs").exists()
