"""Calibration: the targets file, the fitting never seeing holdout figures, the Dask path, the quick command,
and a guard that the calibrated baseline still reproduces its fitting targets."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from conftest import ROOT, SCENARIOS, shorten

from drugsim import calibrate
from drugsim.calendar import Calendar
from drugsim.cli import main
from drugsim.ensemble import make_executor
from drugsim.library import CALIBRATION_DIR
from drugsim.metrics import INDEX
from drugsim.parameters import parameter_table
from drugsim.runner import run_one
from drugsim.scenario import load_scenario
from drugsim.targets import load_targets

FITTING, HOLDOUT = load_targets("fitting"), load_targets("holdout")


def test_targets_are_many_sourced_and_well_formed():
    assert len(FITTING) + len(HOLDOUT) >= 25 and len(FITTING) >= 20 and len(HOLDOUT) >= 10
    ids = [t.id for t in FITTING + HOLDOUT]
    assert len(ids) == len(set(ids))
    for t in FITTING + HOLDOUT:
        # A report paragraph, or a public source recorded in the evidence files (derived targets say so).
        assert re.search(r"20\d\d-\d\d_[a-z_-]+ §\d|EVIDENCE2?\.md §\d", t.source), t.id
        for name in re.findall(r"[a-z0-9_]+", t.metric + " " + t.den_metric):
            assert name in INDEX, (t.id, name)
        assert "2019-01-01" <= t.start < t.end <= "2024-12-31" and t.value > 0 and 0 < t.tolerance <= 0.5


def test_fitting_targets_were_known_by_the_end_of_2022_and_holdout_are_the_2025_report():
    for t in FITTING:
        assert t.end <= "2023-01-31" and "2025-02" not in t.source, t.id
    for t in HOLDOUT:
        assert t.start >= "2023-01-01" and t.source.startswith("2025-02_agb_substance-misuse"), t.id


def test_fitting_never_loads_or_simulates_the_holdout(monkeypatch, baseline):
    asked, ends = [], []
    real_load, real_sim = calibrate.load_targets, calibrate.simulate_targets

    def spy_load(use, *a, **k):
        asked.append(use)
        return real_load(use, *a, **k)

    def spy_sim(base, params, seeds, targets):
        ends.append(base.end.isoformat())
        assert all(t.use == "fitting" for t in targets)
        return real_sim(base, params, seeds, targets)

    monkeypatch.setattr(calibrate, "load_targets", spy_load)
    monkeypatch.setattr(calibrate, "simulate_targets", spy_sim)
    settings = calibrate.Settings(trials=2, seeds=1, candidates=1, reeval_seeds=1, report_runs=1, workers=1)
    with ThreadPoolExecutor(1) as pool:
        result = calibrate.fit(baseline, settings, pool, progress=lambda *_: None)
    assert set(asked) == {"fitting"}
    assert ends and max(ends) <= "2023-01-31"
    assert set(result["fitted"]) == set(calibrate.free_parameters())
    table = parameter_table()
    for name, value in result["fitted"].items():
        assert table[name].low <= value <= table[name].high


@pytest.mark.slow
def test_trials_give_identical_results_on_a_dask_cluster_over_tcp(baseline):
    from distributed import LocalCluster

    params = {n: parameter_table()[n].value for n in calibrate.free_parameters()}
    year = shorten(baseline, "2019-12-31")
    targets = [t for t in FITTING if t.id in ("charges_h2_2019", "cautions_h2_2019", "ocu_2019")]
    local = calibrate.simulate_targets(year, params, [3], targets)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as c:
        assert c.scheduler_address.startswith("tcp://127.0.0.1:")
        with make_executor(1, c.scheduler_address) as pool:
            remote = pool.submit(calibrate.simulate_targets, year, params, [3], targets)
            assert remote.result() == local


@pytest.mark.slow
def test_quick_calibration_writes_fit_draws_and_report(tmp_path):
    out = tmp_path / "cal"
    assert main(["calibrate", "--quick", "--trials", "8", "--workers", "2", "--out", str(out)]) == 0
    fitted = (out / "fitted.toml").read_text()
    assert "[parameters]" in fitted and all(n in fitted for n in calibrate.free_parameters())
    draws = calibrate.read_draws(out / "accepted_draws.csv")
    assert draws and set(draws[0]) == set(calibrate.free_parameters())
    report = (out / "REPORT.md").read_text()
    assert "## Fitting targets" in report and "## Holdout targets" in report and "## Conflicts and caveats" in report
    assert "runtime" in report and list((out / "plots").glob("*.png"))


def test_baseline_uses_the_calibrated_parameters():
    import tomllib

    fitted = tomllib.loads((ROOT / "calibration" / "fitted.toml").read_text())["parameters"]
    s = load_scenario(SCENARIOS / "baseline.toml")
    for name, value in fitted.items():
        assert s.params[name] == pytest.approx(value)
    draws = calibrate.read_draws()
    assert len(draws) >= 3


def test_calibrated_baseline_still_reproduces_its_fitting_targets(baseline):
    """A change that breaks the calibration fails here: the committed fit's count within tolerance holds."""
    s = shorten(baseline, "2023-01-31")
    cal = Calendar(s.start, s.end)
    runs = [run_one(s, seed) for seed in range(3)]
    sims = {t.id: np.mean([t.simulate(r, cal) for r in runs]) for t in FITTING}
    within = [t.id for t in FITTING if t.within(sims[t.id])]
    committed = json.loads((ROOT / "calibration" / "report_summary.json").read_text())
    assert len(within) >= committed["fitting_within"] - 3, sorted(set(sims) - set(within))
    key = [
        "deaths_2019",
        "charges_h2_2019",
        "charges_h2_2021",
        "divert_fy2122",
        "cars_2022",
        "type1_to_jan_2023",
        "trafficking_to_jan_2023",
        "market_2019",
    ]
    missed = [k for k in key if k not in within]
    assert not missed, {k: (sims[k], next(t.value for t in FITTING if t.id == k)) for k in missed}


def test_the_report_lists_the_changes_made_after_seeing_the_holdout():
    from drugsim.calibration_report import after_holdout

    history = (
        "## 0.3.0: a change\n\n**What changed.** Text.\n\n**Made after seeing the holdout** (marked):\n\n"
        "- *Beds limit admissions* (`o2r_beds`): because the holdout showed too many.\n"
        "- *Routes* for arrest referral.\n\n**Effect on the holdout.** Better.\n- *Not this one* (an effect).\n"
    )
    assert after_holdout(history) == ["- 0.3.0: Beds limit admissions", "- 0.3.0: Routes"]
    assert after_holdout((CALIBRATION_DIR / "VALIDATION.md").read_text())  # the committed history has some
