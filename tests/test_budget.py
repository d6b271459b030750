"""Budget comparison: options over budget are excluded from ranking, the best is within noise of itself, mixes
combine levers that do not collide, and the command writes its table."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SCENARIOS

from drugsim.budget import mixes, rank
from drugsim.compare import OUTCOMES
from drugsim.scenario import load_scenario

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow


def fake_runs(deaths: float, spend: float, n: int = 6, noise: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(int(deaths * 10 + spend))
    df = pd.DataFrame({m: np.full(n, 100.0) for m in OUTCOMES})
    df["drug_deaths"] = deaths + rng.normal(0, noise, n)
    df["spend_total_gbp"] = spend
    return df


def test_ranking_respects_the_budget_and_flags_noise():
    per_run = {
        "base": fake_runs(100, 0),
        "cheap_good": fake_runs(80, 1e6),
        "cheap_same": fake_runs(80.5, 1e6, noise=3.0),
        "cheap_weak": fake_runs(99, 1e6),
        "too_dear": fake_runs(50, 9e6),
    }
    t = rank(per_run, "base", budget=2e6).set_index("option")
    assert not t.loc["too_dear", "within_budget"] and np.isnan(t.loc["too_dear", "rank_deaths_averted"])
    assert t.loc["cheap_good", "rank_deaths_averted"] == 1
    assert t.loc["cheap_good", "deaths_within_noise_of_best"]
    assert t.loc["cheap_same", "deaths_within_noise_of_best"]
    assert not t.loc["cheap_weak", "deaths_within_noise_of_best"]
    assert t.loc["cheap_good", "deaths_averted_low"] > 15


def test_mixes_combine_only_levers_that_do_not_collide():
    hat = load_scenario(SCENARIOS / "hat_pilot.toml")
    hat2 = load_scenario(SCENARIOS / "hat_scaled.toml")
    thn = load_scenario(SCENARIOS / "naloxone_take_home.toml")
    out = mixes([hat, hat2, thn], {"hat_pilot": 1, "hat_scaled": 1, "naloxone_take_home": 1}, budget=10)
    names = [m.name for m in out]
    assert "hat_pilot_and_hat_scaled" not in names
    mix = next(m for m in out if m.name == "hat_pilot_and_naloxone_take_home")
    assert mix.interventions["hat"].enabled and "naloxone_take_home" in mix.interventions
    assert mix.interventions["cltf"].end == hat.interventions["cltf"].end  # the rest stays the baseline's
    over = mixes([hat, thn], {"hat_pilot": 6, "naloxone_take_home": 6}, budget=10)
    assert over == []


def test_budget_command_writes_its_table(tmp_path):
    out = tmp_path / "budget"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "drugsim.cli",
            "budget",
            "--budget",
            "3000000",
            "--period",
            "2026-2026",
            "--seeds",
            "2",
            "--options",
            str(SCENARIOS / "hat_pilot.toml"),
            str(SCENARIOS / "naloxone_take_home.toml"),
            "--out",
            str(out),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    t = pd.read_csv(out / "budget.csv")
    assert set(t.option) == {"hat_pilot", "naloxone_take_home", "hat_pilot_and_naloxone_take_home"}
    for col in (
        "spend_gbp",
        "deaths_averted_low",
        "deaths_averted_high",
        "net_benefit_per_gbp",
        "deaths_within_noise_of_best",
        "benefit_per_gbp_within_noise_of_best",
    ):
        assert col in t.columns
    assert (out / "manifest.json").exists()
