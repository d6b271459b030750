"""The app's non-visual pieces: the run cache and stopping, the comparison's series, the exports (briefing pack
PDF, XLSX, charts) and the scenario builder."""

from __future__ import annotations

import datetime as dt
import io
import tomllib
import zipfile

import numpy as np
import openpyxl
import pytest
from conftest import SCENARIOS, shorten
from pypdf import PdfReader

from drugsim import psa
from drugsim.calendar import Calendar
from drugsim.calibrate import read_draws
from drugsim.compare import bands
from drugsim.costs import committed_spend
from drugsim.ensemble import Run, execute
from drugsim.interventions import REGISTRY
from drugsim.metrics import INDEX
from drugsim.runner import run_one
from drugsim.scenario import ScenarioError, load_scenario, parse_scenario, with_changes
from drugsim.webapp import builder, charts
from drugsim.webapp.export import all_tables, briefing_pdf, charts_zip, key_figures, pack_pages, xlsx_bytes
from drugsim.webapp.runs import RunCache, psa_design, run_comparison
from drugsim.webapp.slides import slides_pptx

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow

END = "2021-06-30"
PERIOD = ("2020-10-01", "2021-06-30")


@pytest.fixture(scope="module")
def pair(baseline):
    no_divert = shorten(baseline, END, interventions={"divert": {"enabled": False}})
    return [shorten(baseline, END), with_name(no_divert, "no_divert")]


def with_name(s, name):
    return with_changes(s, {}, name=name)


@pytest.fixture(scope="module")
def comparison(pair):
    return run_comparison(pair, 3, PERIOD, RunCache(), use_draws=True, workers=2)


def test_finished_runs_are_reused(pair, monkeypatch):
    cache = RunCache()
    first = run_comparison(pair, 2, PERIOD, cache, use_draws=False, workers=2)
    assert len(cache) == 4

    def no_pool(*a, **k):
        raise AssertionError("nothing left to run, so no worker pool")

    monkeypatch.setattr("drugsim.webapp.runs.make_executor", no_pool)
    seen = []
    again = run_comparison(pair, 2, PERIOD, cache, use_draws=False, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(4, 4)]
    for r in first.runs:
        np.testing.assert_array_equal(first.results[r.key], again.results[r.key])


def test_stopping_keeps_finished_runs_and_a_rerun_does_the_rest(pair):
    cache = RunCache()

    class Stopped(Exception):
        pass

    def stop_after_first(done, total):
        if done >= 1:
            raise Stopped

    with pytest.raises(Stopped):
        run_comparison(pair, 3, PERIOD, cache, use_draws=False, progress=stop_after_first, workers=1)
    kept = len(cache)
    assert 1 <= kept < 6
    seen = []
    c = run_comparison(pair, 3, PERIOD, cache, use_draws=False, progress=lambda d, t: seen.append(d), workers=2)
    assert seen[0] == kept and seen[-1] == 6 and len(c.results) == 6


def test_comparison_matches_independent_runs(pair, comparison):
    """The app's numbers are the model's: the second run of the base equals a direct run with its seed and PSA
    draw, and the draws are the first points of the design the briefing pack names (Sobol, seed 0)."""
    r = comparison.runs[2]
    draw = psa.draw_dicts(comparison.psa_draws)[r.draw]
    np.testing.assert_array_equal(comparison.results[r.key], execute(r, draw))
    assert comparison.psa and comparison.draws == 3 and comparison.n_runs == 3
    longer = psa_design(comparison.scenarios, 5)
    np.testing.assert_array_equal(longer.head(3).to_numpy(), comparison.psa_draws.to_numpy())
    assert set(read_draws()[0]) <= set(comparison.psa_draws.columns)  # the fitted parameters from calibration


def test_divert_shows_in_the_comparison(comparison):
    row = comparison.row("no_divert", "criminal_records")
    assert row.diff_low > 0  # without Divert, more charges and cautions, beyond run-to-run noise


def test_series_rates_do_not_depend_on_weeks_in_a_quarter(baseline):
    """A constant weekly flow gives the same quarterly figure whether the quarter holds 13 or 14 model weeks."""
    s = shorten(baseline, "2021-12-31")
    res = np.zeros((Calendar(s.start, s.end).n_weeks, len(INDEX), 7))
    res[:, INDEX["drug_deaths"], 0] = 1.0
    b = bands([s], [Run(s, 0)], {Run(s, 0).key: res}, "drug_deaths")
    np.testing.assert_allclose(b["mean"], 52.1775 / 4, rtol=1e-3)


def test_briefing_pack_is_a_readable_pdf_with_numbers_sources_and_hashes(comparison):
    pdf = PdfReader(io.BytesIO(briefing_pdf(comparison)))
    text = "\n".join(p.extract_text() for p in pdf.pages)
    assert len(pdf.pages) >= 10
    for needle in (
        "drugsim briefing pack",
        "Headlines",
        "Economics",
        "Assumptions behind the headlines",
        "Reproducibility",
    ):
        assert needle in text, needle
    for s in comparison.scenarios:
        assert s.resolved_sha256 in text.replace("\n", "")
    assert "2023-02_spcb_preventing-and-reducing-crime" in text  # sources are cited
    assert "drugsim compare" in text


def test_no_text_in_the_briefing_pack_runs_off_its_page_or_out_of_its_cell(comparison):
    import matplotlib.pyplot as plt
    from matplotlib.table import Table

    pages = 0
    for fig in pack_pages(comparison):
        pages += 1
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        # Everything drawn (titles, labels, ticks in view, legends, tables) lies inside the page.
        drawn, page = fig.get_tightbbox(renderer), fig.bbox_inches
        assert page.x0 - 0.01 <= drawn.x0 and drawn.x1 <= page.x1 + 0.01, (pages, drawn)
        assert page.y0 - 0.01 <= drawn.y0 and drawn.y1 <= page.y1 + 0.01, (pages, drawn)
        for text in fig.texts:  # the text pages' lines are the figure's own texts
            box = text.get_window_extent(renderer)
            assert fig.bbox.x0 <= box.x0 and box.x1 <= fig.bbox.x1 + 1, (pages, text.get_text()[:60])
        for table in fig.findobj(Table):
            for cell in table.get_celld().values():
                box, inner = cell.get_window_extent(renderer), cell.get_text().get_window_extent(renderer)
                if cell.get_text().get_text().strip():
                    assert box.x0 - 1 <= inner.x0 and inner.x1 <= box.x1 + 1, cell.get_text().get_text()[:60]
                    assert box.y0 - 1 <= inner.y0 and inner.y1 <= box.y1 + 1, cell.get_text().get_text()[:60]
        plt.close(fig)
    assert pages >= 10


def test_the_briefing_pack_leads_with_key_messages_and_explains_grades(comparison):
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(briefing_pdf(comparison))).pages)
    assert "Key messages" in text and "Evidence grades" in text and "U = unverified" in text
    assert "..." not in text  # no source or cell is cut off
    assert "e+0" not in text  # no number in scientific notation


def test_the_slides_open_with_titles_tables_charts_and_sourced_notes(comparison):
    from pptx import Presentation

    deck = Presentation(io.BytesIO(slides_pptx(comparison)))
    slides = list(deck.slides)
    titles = [s.shapes.title.text for s in slides]
    assert titles[1] == "Key messages" and titles[-1] == "Reproducing these numbers"
    assert all(t.strip() for t in titles)
    for slide in slides:
        assert slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip(), slide.shapes.title.text
    headlines = next(s for s in slides if s.shapes.title.text == "no_divert: headlines")
    table = next(shape.table for shape in headlines.shapes if shape.has_table)
    assert table.cell(1, 0).text == "Drug deaths" and len(table.rows) == 9
    assert "Sources:" in headlines.notes_slide.notes_text_frame.text
    pictures = [shape for s in slides for shape in s.shapes if shape.shape_type == 13]  # 13: a picture
    assert len(pictures) == len(key_figures(comparison))


def test_the_pack_s_command_reproduces_the_numbers_with_the_session_s_assumptions(tmp_path):
    """Edit an assumption in the app, compare, then run the command the pack prints: the same numbers."""
    import shlex
    import subprocess
    import sys

    import pandas as pd

    from drugsim.webapp.export import reproduce_command

    scenarios = [load_scenario("baseline"), load_scenario("hat_pilot")]
    overrides = {"overdose_rate_per_year": 0.05}
    c = run_comparison(scenarios, 2, ("2026-01-01", "2027-12-31"), RunCache(), False, overrides, workers=2)
    command = reproduce_command(c, str(tmp_path / "again"))
    assert "--set overdose_rate_per_year=0.05" in command
    # Every exported chart says which assumptions were edited (the note under its title, so in PNG and SVG too).
    for make in key_figures(c).values():
        assert "Edited for this session: overdose_rate_per_year = 0.05." in make().to_dict()["title"]["subtitle"]
    argv = shlex.split(command)
    subprocess.run([sys.executable, "-m", "drugsim.cli", *argv[1:], "-q"], check=True, cwd=tmp_path)
    table = pd.read_csv(tmp_path / "again" / "comparison.csv")
    for outcome in ("drug_deaths", "acquisitive_crimes", "in_treatment"):
        cli = table[(table.scenario == "hat_pilot") & (table.outcome == outcome)].diff_mean.iloc[0]
        assert cli == pytest.approx(c.row("hat_pilot", outcome).diff_mean, rel=1e-9, abs=1e-9), outcome


def test_xlsx_holds_every_table(comparison):
    tables = all_tables(comparison)
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(tables)), read_only=True)
    assert book.sheetnames == list(tables)
    sheet = book["comparison"]
    assert sheet.max_row == len(tables["comparison"]) + 1
    # Numbers are stored as numbers, with their unit in a column of its own (never "£4.6m" as text).
    for name, column in (("headlines", "difference"), ("economics", "estimate"), ("appraisal", "mean")):
        rows = list(book[name].iter_rows(values_only=True))
        values = [row[rows[0].index(column)] for row in rows[1:]]
        numbers = [v for v in values if v is not None]  # an undefined ratio (no deaths averted) is an empty cell
        assert numbers and all(isinstance(v, int | float) for v in numbers), (name, values[:3])


def test_every_chart_exports_as_png_and_svg(comparison):
    data = charts_zip(key_figures(comparison))
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert len(names) == 2 * len(key_figures(comparison))
    z = zipfile.ZipFile(io.BytesIO(data))
    for n in names:
        head = z.read(n)[:100]
        assert head.startswith(b"\x89PNG") if n.endswith(".png") else b"<svg" in z.read(n)[:1000]


def test_calibration_chart_draws(tmp_path):
    import pandas as pd

    from drugsim.targets import CALIBRATION_DIR

    fit = pd.read_csv(CALIBRATION_DIR / "fit_table.csv")
    chart = charts.calibration(fit)
    assert charts.to_bytes(chart, "png").startswith(b"\x89PNG")
    shown = chart.to_dict()["datasets"]
    assert {len(rows) for rows in shown.values()} >= {len(fit)}  # every target is drawn


# --- the scenario builder
def test_every_lever_setting_has_an_input():
    for name, cls in REGISTRY.items():
        kinds = dict(builder.fields(name))
        assert set(kinds) == set(cls.Config.model_fields), name
        assert all(
            k in {"bool", "date", "param", "share", "count", "places", "coverage", "schedule", "funding", "waves"}
            for k in kinds.values()
        )


def test_unchanged_settings_write_only_the_header(baseline):
    edited = {n: builder.current(baseline, n) for n in REGISTRY}
    assert builder.changes(baseline, edited) == {}
    text, s = builder.build("same_as_baseline", baseline, "", "", edited)
    assert "[interventions" not in text
    assert s.params == baseline.params and s.interventions.keys() == baseline.interventions.keys()


def test_a_lever_the_start_does_not_mention_shows_off_and_ticking_it_turns_it_on(baseline):
    """The baseline has no take-home naloxone: its Enabled box must show unticked (it showed ticked on an "off"
    lever, so ticking it did nothing), and ticking it is the change that switches it on."""
    assert "naloxone_take_home" not in baseline.interventions
    before = builder.current(baseline, "naloxone_take_home")
    assert before["enabled"] is False
    assert builder.changes(baseline, {"naloxone_take_home": before}) == {}
    text, s = builder.build("kits", baseline, "", "", {"naloxone_take_home": {**before, "enabled": True}})
    assert tomllib.loads(text)["interventions"] == {"naloxone_take_home": {"enabled": True}}
    assert s.interventions["naloxone_take_home"].enabled
    # Editing another of its settings without ticking Enabled leaves it off, as the page shows.
    text, s = builder.build("kits", baseline, "", "", {"naloxone_take_home": {**before, "release_kit_prob": 0.7}})
    assert tomllib.loads(text)["interventions"]["naloxone_take_home"] == {"enabled": False, "release_kit_prob": 0.7}
    assert not s.interventions["naloxone_take_home"].enabled


def test_built_file_round_trips_and_loads_like_a_library_file(baseline, tmp_path):
    edited = {
        "hat": {
            **builder.current(baseline, "hat"),
            "enabled": True,
            "start": dt.date(2026, 4, 1),
            "places": {"coventry": 30},
        },
        "cltf": {**builder.current(baseline, "cltf"), "end": dt.date(2028, 4, 1), "annual_funding_gbp": 4.0e6},
    }
    text, s = builder.build("hat_cov", baseline, "HAT in Coventry", "30 places", edited)
    raw = tomllib.loads(text)
    assert raw["scenario"]["extends"] == "baseline"
    assert raw["interventions"]["hat"]["places"] == {"coventry": 30}
    assert s.params["cltf_annual_funding_gbp"] == 4.0e6
    (tmp_path / "hat_cov.toml").write_text(text)
    again = parse_scenario(text)
    assert again.resolved_sha256 == s.resolved_sha256
    assert load_scenario(SCENARIOS / "baseline.toml").params["cltf_annual_funding_gbp"] != 4.0e6


@pytest.mark.parametrize("bad", ["", "Has Space", "9lives", "x" * 61, "semi;colon"])
def test_builder_refuses_bad_names(baseline, bad):
    with pytest.raises(ScenarioError, match="scenario name"):
        builder.build(bad, baseline, "", "", {})


def test_builder_names_the_bad_setting(baseline):
    edited = {"hat": {"start": dt.date(2026, 4, 1), "end": dt.date(2025, 1, 1)}}
    with pytest.raises(ScenarioError, match="end"):
        builder.build("bad_dates", baseline, "", "", edited)


# --- committed spend
def test_committed_spend_is_what_capacity_levers_spend_in_a_run(baseline):
    """HAT places and CLTF funding are all committed spend: the builder's figure equals the run's."""
    s = load_scenario(SCENARIOS / "combined_package.toml")
    s = shorten(s, "2027-12-31")
    res = run_one(s, 0)
    years, weights = Calendar(s.start, s.end).year_weights()
    committed = committed_spend(s)
    for name in ("hat", "cltf"):
        run_total = res[:, INDEX[f"spend_{name}_gbp"]].sum(axis=1)
        for y in (2026, 2027):
            assert committed.loc[y, name] == pytest.approx(weights[years.index(y)] @ run_total, rel=1e-9)
    # O2R pays per admission on top of its staff: the run spends at least what the staff commit.
    o2r = res[:, INDEX["spend_o2r_gbp"]].sum(axis=1)
    assert weights[years.index(2027)] @ o2r >= committed.loc[2027, "o2r"] > 0
