"""The `drugsim run` command over the full horizon: tidy parquet, manifest, summary; atomic folders."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import SCENARIOS

from drugsim.cli import main
from drugsim.metrics import NAMES
from drugsim.runner import AREA_LABELS

REQUIRED = """drug_deaths overdoses overdoses_reversed ocu_active in_treatment in_hat in_rehab in_prison
acquisitive_crimes crime_cost_gbp possession_detections divert_referrals divert_engaged community_resolutions
possession_cautions possession_charges cars_referrals active_county_lines type1_outcomes supply_charges
safeguarding_referrals nrm_referrals trafficking_offences market_revenue_gbp""".split()


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "baseline"
    assert main(["run", str(SCENARIOS / "baseline.toml"), "--seed", "4", "--out", str(out)]) == 0
    return out


def test_full_horizon_results_are_tidy_and_complete(full_run):
    df = pd.read_parquet(full_run / "results.parquet")
    assert list(df.columns) == ["scenario", "seed", "week", "area", "metric", "value"]
    weeks = df["week"].astype(str).unique()
    assert weeks[0] == "2019-01-01" and weeks[-1] == "2030-12-31" and len(weeks) == 627
    assert set(df["area"].astype(str)) == set(AREA_LABELS)
    metrics = set(df["metric"].astype(str))
    assert set(REQUIRED) <= metrics
    assert {"spend_divert_gbp", "spend_cltf_gbp", "spend_hat_gbp", "possession_charges_black"} <= metrics
    assert len(df) == 627 * len(NAMES) * 8
    # "West Midlands" is the sum of the seven local authorities.
    wide = df.pivot_table(index=["week", "metric"], columns="area", values="value", observed=True)
    las = [a for a in AREA_LABELS if a != "West Midlands"]
    pd.testing.assert_series_equal(wide[las].sum(axis=1), wide["West Midlands"], check_names=False)


def test_manifest_records_what_reproduces_the_run(full_run):
    man = json.loads((full_run / "manifest.json").read_text())
    assert man["seeds"] == [4]
    assert len(man["scenario"]["content_sha256"]) == 64
    assert "[interventions.divert]" in man["scenario"]["files"][0]["content"]
    assert man["parameters"]["ocu_total_2019"] == 22500
    assert man["wall_time_seconds"] > 0 and man["model_version"]
    assert set(man["interventions"]) >= {"divert", "cltf", "naloxone_officers"}


def test_summary_is_printed(tmp_path, capsys):
    short = tmp_path / "short.toml"
    short.write_text('[scenario]\nname = "short"\nextends = "%s"\nend = 2019-12-31\n' % (SCENARIOS / "baseline.toml"))
    assert main(["run", str(short), "--seeds", "2", "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "drug_deaths" in out and "2019" in out and "2 seed(s)" in out
    df = pd.read_parquet(tmp_path / "o" / "results.parquet")
    assert sorted(df["seed"].unique()) == [0, 1]


def test_existing_results_are_not_overwritten_without_asking(tmp_path, capsys):
    short = tmp_path / "short.toml"
    short.write_text('[scenario]\nname = "short"\nend = 2019-03-31\n')
    out = tmp_path / "o"
    assert main(["run", str(short), "--out", str(out)]) == 0
    before = (out / "manifest.json").read_text()
    assert main(["run", str(short), "--out", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "manifest.json").read_text() == before
    assert main(["run", str(short), "--out", str(out), "--overwrite", "--seed", "9"]) == 0
    assert json.loads((out / "manifest.json").read_text())["seeds"] == [9]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
