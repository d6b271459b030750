"""`drugsim brief`: the app's briefing pack made from a `drugsim compare` results folder, and the folders it
refuses (not a comparison, a scenario that no longer resolves the same, numbers this version does not reproduce)."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys

import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader

from drugsim.cli import main
from drugsim.scenario import load_scenario
from drugsim.webapp.brief import MAX_BRIEF_RUNS, BriefError, check, rebuild
from drugsim.webapp.export import pack_files
from drugsim.webapp.runs import RunCache, disk_folder, run_comparison

# Runs of scenarios that end in mid-2021 (quick, but more than the quick tier should hold).
pytestmark = pytest.mark.slow

PERIOD = ("2020-10-01", "2021-06-30")
SET = {"overdose_rate_per_year": 0.05}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Two short scenarios in a user's folder, compared in the app (PSA, an edited assumption) and by the command
    the app would print; the app's runs are in its disk cache, where `drugsim brief` looks first."""
    where = tmp_path_factory.mktemp("brief")
    (where / "early.toml").write_text('[scenario]\nname = "early"\nextends = "baseline"\nend = 2021-06-30\n')
    (where / "early_no_divert.toml").write_text(
        '[scenario]\nname = "early_no_divert"\nextends = "early"\n\n[interventions.divert]\nenabled = false\n'
    )
    scenarios = [load_scenario(where / "early.toml"), load_scenario(where / "early_no_divert.toml")]
    app = run_comparison(scenarios, 2, PERIOD, RunCache(folder=disk_folder()), True, SET, workers=2)
    argv = ["compare", "early.toml", "early_no_divert.toml", "--psa", "2", "--sampler", "sobol"]
    argv += ["--set", "overdose_rate_per_year=0.05", "--period", ":".join(PERIOD), "--out", "results", "-q"]
    subprocess.run([sys.executable, "-m", "drugsim.cli", *argv], check=True, cwd=where)
    return where, app


def _sheets(data: bytes) -> dict[str, pd.DataFrame]:
    return pd.read_excel(io.BytesIO(data), sheet_name=None)


def _slides(data: bytes) -> list[tuple[str, str]]:
    deck = Presentation(io.BytesIO(data))
    return [(s.shapes.title.text, s.notes_slide.notes_text_frame.text) for s in deck.slides]


def test_brief_writes_the_pack_the_app_gives(folder):
    where, app = folder
    assert main(["brief", str(where / "results"), "--out", str(where / "pack"), "-q"]) == 0
    made = {f.name: f.read_bytes() for f in (where / "pack").iterdir()}
    expected = {name: make() for name, make in pack_files(app).items()}
    assert set(made) == {*expected, "manifest.json"}
    # The same tables, cell for cell, as the app's workbook.
    ours, theirs = _sheets(made["drugsim_tables.xlsx"]), _sheets(expected["drugsim_tables.xlsx"])
    assert list(ours) == list(theirs)
    for name in theirs:
        pd.testing.assert_frame_equal(ours[name], theirs[name], obj=name)
    # The same slides: every one titled, with speaker notes.
    slides = _slides(made["drugsim_briefing_early_no_divert.pptx"])
    assert slides == _slides(expected["drugsim_briefing_early_no_divert.pptx"])
    assert all(title and notes for title, notes in slides)
    # The same PDF pages, word for word.
    pdf = [p.extract_text() for p in PdfReader(io.BytesIO(made["drugsim_briefing_early_no_divert.pdf"])).pages]
    assert pdf == [
        p.extract_text() for p in PdfReader(io.BytesIO(expected["drugsim_briefing_early_no_divert.pdf"])).pages
    ]
    # The pack's reproduce line is the command that made the folder: its design and edited assumption.
    text = " ".join(pdf)
    assert "--sampler sobol" in text and "--set overdose_rate_per_year=0.05" in text
    assert json.loads((where / "pack" / "manifest.json").read_text())["brief_of"]["runs"] == 4


def test_brief_refuses_results_it_cannot_stand_behind(folder, tmp_path):
    where, _ = folder
    with pytest.raises(BriefError, match="no manifest.json"):
        check(tmp_path)
    run = tmp_path / "run"
    run.mkdir()
    (run / "manifest.json").write_text(json.dumps({"model": "drugsim", "scenario": {}}))
    with pytest.raises(BriefError, match="not the results of `drugsim compare`"):
        check(run)

    def altered(name: str, change) -> str:
        copy = tmp_path / name
        shutil.copytree(where / "results", copy)
        meta = json.loads((copy / "manifest.json").read_text())
        change(meta, copy)
        (copy / "manifest.json").write_text(json.dumps(meta))
        return copy

    def edit_file(meta, _):
        files = meta["comparison"]["scenarios"][1]["files"]
        files[0]["content"] = files[0]["content"].replace("enabled = false", "enabled = true")

    with pytest.raises(BriefError, match="early_no_divert resolves differently"):
        check(altered("edited", edit_file))

    def too_many(meta, _):
        meta["comparison"]["runs_per_scenario"] = MAX_BRIEF_RUNS

    with pytest.raises(BriefError, match="at most"):
        check(altered("large", too_many))

    def other_numbers(meta, copy):
        table = pd.read_csv(copy / "comparison.csv")
        table.loc[table.outcome == "criminal_records", "diff_mean"] += 1
        table.to_csv(copy / "comparison.csv", index=False)

    with pytest.raises(BriefError, match="does not reproduce these results"):
        rebuild(altered("numbers", other_numbers), RunCache(folder=disk_folder()), workers=1)
