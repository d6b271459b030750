"""Every page of the app and its main interactions, driven with Streamlit's AppTest: choose scenarios, run a
comparison, change a chart, build and save a scenario, upload a bad file, edit an assumption, export."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from drugsim.branching import cost_in_runs
from drugsim.calendar import WEEKS_PER_YEAR
from drugsim.scenario import load_scenario
from drugsim.targets import CALIBRATION_DIR
from drugsim.webapp import trust
from drugsim.webapp.cards import CARD_TITLES, MONEY_CARDS, OUTCOME_CARDS
from drugsim.webapp.labels import label

# Full-scale runs, ensembles or the app: the whole suite runs these; the quick tier (-m 'not slow') does not.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PAGES = ROOT / "model" / "webapp" / "pages"


def table_with(at, column: str):
    """The dataframe on the page that has `column` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def drawn(at) -> list:
    """The interactive (Vega-Lite) charts on the page."""
    return list(at.get("vega_lite_chart"))


def page(name: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=300)
    at.run()
    if name:
        at.switch_page(str(PAGES / f"{name}.py")).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def compared() -> AppTest:
    """The Compare page after a two-scenario comparison (2 paired runs each, the page's other defaults)."""
    at = page("compare")
    at.number_input(key="cmp_runs").set_value(2).run()
    at.button(key="cmp_run").click().run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("name", ["start", "compare", "build", "assumptions", "sensitivity", "calibration", "export"])
def test_every_page_loads_without_errors(name):
    at = page(name)
    assert not at.error and at.title


def test_the_first_screen_explains_the_tool_its_record_and_its_words():
    at = page()
    assert at.title[0].value == "What would it change?"
    text = " ".join(m.value for m in at.markdown)
    for word in ("OCU", "HAT", "CLTF", "O2R", "Type 1 outcome", "QALY", "Cashable"):
        assert f"**{word}" in text, word
    assert f"the {trust.summary()['holdout_n']} figures first published in 2025" in text
    assert trust.misses() and all(miss in text for miss in trust.misses())  # each miss named, in words
    assert len([b for b in at.button if b.key and b.key.startswith("example_")]) == 3


def test_an_example_question_opens_and_runs_its_comparison():
    at = page()
    at.session_state["cmp_runs"] = 2
    at.button(key="example_naloxone_take_home").click().run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Compare scenarios"
    c = at.session_state["comparison"]
    assert [s.name for s in c.scenarios] == ["baseline", "naloxone_take_home"] and c.n_runs == 2
    assert at.metric  # the headline cards, without pressing Run


def test_compare_settings_survive_a_visit_to_another_page():
    at = page("compare")
    at.multiselect(key="cmp_others").set_value(["hat_pilot"]).run()
    at.number_input(key="cmp_runs").set_value(4).run()
    at.switch_page(str(PAGES / "assumptions.py")).run()
    at.switch_page(str(PAGES / "compare.py")).run()
    assert not at.exception
    assert at.multiselect(key="cmp_others").value == ["hat_pilot"]
    assert at.number_input(key="cmp_runs").value == 4


def test_compare_page_waits_for_a_run():
    at = page("compare")
    assert at.title[0].value == "Compare scenarios"
    assert at.selectbox(key="cmp_base").value == "baseline"
    assert at.multiselect(key="cmp_others").value == ["combined_package"]
    assert any("Run comparison" in i.value for i in at.info)
    assert not at.metric


def test_no_scenario_chosen_disables_the_run_button():
    at = page("compare")
    at.multiselect(key="cmp_others").set_value([]).run()
    assert at.button(key="cmp_run").disabled
    assert any("at least one scenario" in i.value for i in at.info)


def test_comparison_shows_headline_cards_with_intervals(compared):
    labels = [m.label for m in compared.metric]
    assert labels == [CARD_TITLES[o] for o in OUTCOME_CARDS] + [title for title, _, _ in MONEY_CARDS.values()]
    for m in compared.metric:
        assert m.value.replace(",", "").replace("£", "").lstrip("+-")[0].isdigit(), m.value
    c = compared.session_state["comparison"]
    assert [s.name for s in c.scenarios] == ["baseline", "combined_package"] and c.n_runs == 2
    # The card is the comparison table's difference, rounded.
    deaths = next(m for m in compared.metric if m.label == label("drug_deaths"))
    assert float(deaths.value.replace(",", "")) == pytest.approx(
        c.row("combined_package", "drug_deaths").diff_mean, abs=0.5
    )


def test_comparison_shows_charts_tables_and_downloads(compared):
    assert len(drawn(compared)) >= 4  # over time, by area, by ethnicity, economics
    assert set(table_with(compared, "area").area) == {
        "birmingham",
        "coventry",
        "dudley",
        "sandwell",
        "solihull",
        "walsall",
        "wolverhampton",
    }
    eth = table_with(compared, "charges_per_100_detections")
    assert set(eth.group) == {"white", "asian", "black", "mixed/other"}
    assert "net_benefit_gbp" in set(table_with(compared, "outcome").outcome)
    assert len(compared.download_button) >= 8  # PNG and SVG of each chart, CSV and XLSX of each table


def test_the_app_script_runs_the_app_only_as_the_main_script(monkeypatch):
    """Streamlit runs app.py as __main__; a worker process started during a comparison imports it again as
    __mp_main__ (multiprocessing does, in every new process) and must not run the app's pages there."""
    import runpy

    calls = []
    monkeypatch.setattr("drugsim.webapp.main.main", lambda: calls.append("app"))
    runpy.run_path(APP, run_name="__mp_main__")
    assert calls == []
    runpy.run_path(APP, run_name="__main__")
    assert calls == ["app"]


def test_stop_says_how_many_runs_were_kept():
    at = page("compare")
    at.session_state["cmp_running"] = True  # as after the Stop button interrupted a comparison
    at.session_state["cmp_done"] = 3
    at.run()
    assert any("Stopped: 3 run(s) finished and are kept" in w.value for w in at.warning)


def test_stopping_an_analysis_of_assumptions_says_how_many_runs_were_kept(compared):
    compared.switch_page(str(PAGES / "sensitivity.py"))
    compared.session_state["sens_running"] = True  # as after its Stop button interrupted an analysis
    compared.session_state["sens_done"] = 7
    compared.run()
    assert any("Stopped: 7 run(s) finished and are kept" in w.value for w in compared.warning)
    compared.switch_page(str(PAGES / "compare.py")).run()


def test_the_time_estimate_comes_from_measured_runs(compared):
    compared.run()
    estimate = [c.value for c in compared.caption if "measured" in c.value]
    assert estimate and "4 runs: about" in estimate[0]  # 2 runs of each of 2 scenarios
    # The time a run alone, scaled by what the two scenarios' runs of a seed cost together (shared history).
    about, per_run = re.search(r"about (\d+) s at this machine's measured ([\d.]+) s a run alone", estimate[0]).groups()
    names = [compared.session_state["cmp_base"], *compared.session_state["cmp_others"]]
    cost = cost_in_runs([load_scenario(n) for n in names])
    assert 1 < cost < 2  # the option shares years of the base's history
    assert abs(int(about) - 2 * float(per_run) * cost) <= 1


def test_changing_a_chart_does_not_rerun_the_model(compared):
    c = compared.session_state["comparison"]
    compared.selectbox(key="ts_metric").set_value("active_county_lines").run()
    compared.radio(key="ts_freq").set_value("YS").run()
    compared.selectbox(key="ts_area").set_value("coventry").run()
    compared.selectbox(key="area_metric").set_value("criminal_records").run()
    assert not compared.exception
    assert compared.session_state["comparison"] is c


def test_chart_links_to_its_assumptions():
    at = page("compare")
    at.number_input(key="cmp_runs").set_value(2).run()
    at.button(key="cmp_run").click().run()
    link = next(b for b in at.button if b.key and b.key.startswith("assume_ts_"))
    link.click().run()
    assert not at.exception
    assert at.title[0].value == "Assumptions"
    groups = at.multiselect(key="assume_groups").value
    assert "overdose" in groups and "naloxone" in groups  # the default chart is drug deaths
    names = set(table_with(at, "source").name)
    assert "severe_overdose_fatality_prob" in names and "cltf_annual_funding_gbp" not in names


def test_build_shows_committed_spend_and_adds_the_scenario():
    at = page("build")
    at.checkbox(key="b_baseline_hat_enabled").check()
    at.date_input(key="b_baseline_hat_start").set_value("2026-04-01")
    at.number_input(key="b_baseline_hat_places_birmingham").set_value(100)
    at.text_input(key="build_name").input("hat_100").run()
    assert not at.exception and not at.error
    change = table_with(at, "change (£)")["change (£)"]
    per_place = at.session_state["b_baseline_hat_cost_per_place_year_gbp"]
    weeks_2027 = 365 / 7  # the year's days, whatever number of weekly steps start in it
    assert change.loc[2027] == pytest.approx(100 * per_place * weeks_2027 / WEEKS_PER_YEAR)  # 100 places all year
    at.button(key="build_add").click().run()
    assert "hat_100" in at.session_state["built"]
    text = at.session_state["built"]["hat_100"]
    assert 'extends = "baseline"' in text and "birmingham = 100" in text
    at.switch_page(str(PAGES / "compare.py")).run()
    assert "hat_100 (built in this session)" in at.multiselect(key="cmp_others").options


def test_a_scenario_built_or_loaded_can_be_edited_in_place():
    """Load a file, start from it, change a lever and add it again: the same name, updated, still extending what
    it extended, its own settings kept (edits never stack one file on another)."""
    at = page("build")
    text = (ROOT / "scenarios" / "hat_pilot.toml").read_bytes().replace(b'name = "hat_pilot"', b'name = "my_hat"')
    at.file_uploader(key="build_upload").upload("my_hat.toml", text, "application/toml").run()
    at.run()  # the list of starting points is drawn above the upload: the next run has it
    at.selectbox(key="build_from").set_value("my_hat").run()
    assert not at.exception and not at.error
    assert at.text_input(key="build_name_my_hat").value == "my_hat"
    assert at.number_input(key="b_my_hat_hat_places_birmingham").value == 50  # the file's own setting
    at.number_input(key="b_my_hat_hat_places_coventry").set_value(20).run()
    at.button(key="build_add").click().run()
    assert not at.exception and not at.error
    assert any("is updated" in s.value for s in at.success)
    edited = tomllib.loads(at.session_state["built"]["my_hat"])
    assert edited["scenario"]["extends"] == "baseline"
    assert edited["interventions"]["hat"]["places"] == {"birmingham": 50, "coventry": 20}
    assert edited["scenario"]["description"].startswith("A heroin-assisted treatment pilot")
    assert list(at.session_state["built"]) == ["my_hat"]


def test_build_refuses_a_bad_name():
    at = page("build")
    at.text_input(key="build_name").input("My scenario!").run()
    assert [e.value for e in at.error] == ["These settings are not a valid scenario:"]
    assert "scenario name" in at.code[-1].value
    assert not at.exception


@pytest.mark.parametrize(
    "content, message",
    [
        (b"[scenario\nname = 'x'", "TOML"),
        (b"", "empty"),
        (b"\xff\xfe\x00binary", "UTF-8"),
        (b'[scenario]\nname = "u"\nextends = "baseline"\n[interventions.hat]\nplaces = { narnia = 5 }\n', "narnia"),
        (b'[scenario]\nname = "baseline"\n', "library scenario"),
        (b'[scenario]\nname = "u"\n[parameters]\nnot_a_parameter = 1\n', "not_a_parameter"),
        (b"x" * 300_000, "too large"),
    ],
)
def test_uploading_a_bad_file_explains_and_keeps_nothing(content, message):
    at = page("build")
    at.file_uploader(key="build_upload").upload("bad.toml", content, "application/toml").run()
    assert not at.exception
    assert [e.value for e in at.error] == ["This file cannot be used:"]
    # The detail, which quotes the file's own content, is plain text (the page's last code block).
    detail = at.code[-1].value
    assert message.lower() in detail.lower(), detail
    assert "bad.toml" in detail or "scenario" in detail
    assert not at.session_state["built"]


def test_user_text_is_shown_as_typed_never_as_markup():
    """A name or description like ![x](http://host/img.png) must not make the browser fetch anything."""
    at = page("build")
    evil = b'[scenario]\nname = "evil"\nextends = "baseline"\ndescription = "![x](http://host/img.png) [y](http://h)"\n'
    at.file_uploader(key="build_upload").upload("evil.toml", evil, "application/toml").run()
    assert "evil" in at.session_state["built"]
    bad = b'[scenario]\nname = "u"\n["![x](http://host/i.png)"]\n'
    at.file_uploader(key="build_upload").upload("![x](http://host/i.png).toml", bad, "application/toml").run()
    shown = [m.value for m in (*at.markdown, *at.error, *at.success, *at.warning, *at.info)]
    assert not any("](http" in text for text in shown), [t for t in shown if "http" in t]
    assert any("![x](http://host/i.png)" in c.value for c in at.code)


def test_uploading_a_good_file_adds_it():
    at = page("build")
    text = (ROOT / "scenarios" / "hat_pilot.toml").read_bytes().replace(b'name = "hat_pilot"', b'name = "my_hat"')
    at.file_uploader(key="build_upload").upload("my_hat.toml", text, "application/toml").run()
    assert not at.exception and not at.error
    assert "my_hat" in at.session_state["built"]


def test_assumptions_search_and_session_edit_reach_the_runs():
    at = page("assumptions")
    assert len(table_with(at, "source")) > 150
    at.text_input(key="assume_search").input("naloxone").run()
    names = set(table_with(at, "source").name)
    assert "officer_naloxone_first_on_scene_prob" in names and "ocu_total_2019" not in names
    at.selectbox(key="assume_edit_name").set_value("thn_kit_cost_gbp").run()
    at.number_input(key="assume_value_thn_kit_cost_gbp").set_value(40.0)
    at.button(key="assume_apply").click().run()
    assert at.session_state["overrides"] == {"thn_kit_cost_gbp": 40.0}
    at.switch_page(str(PAGES / "compare.py")).run()
    assert any("thn_kit_cost_gbp" in i.value for i in at.info)
    at.number_input(key="cmp_runs").set_value(2).run()
    at.button(key="cmp_run").click().run()
    c = at.session_state["comparison"]
    assert c.overrides == {"thn_kit_cost_gbp": 40.0}
    assert all(s.params["thn_kit_cost_gbp"] == 40.0 for s in c.scenarios)
    # The results say so, next to the numbers.
    shown = [x.value.replace("\\", "") for x in at.caption]  # the page escapes Markdown in names
    assert any("edited for this session" in x and "thn_kit_cost_gbp = 40" in x for x in shown)


def test_assumptions_edit_out_of_bounds_is_refused():
    at = page("assumptions")
    at.selectbox(key="assume_edit_name").set_value("ocu_total_2019").run()
    at.number_input(key="assume_value_ocu_total_2019").set_value(90000.0)
    at.button(key="assume_apply").click().run()
    assert at.session_state["overrides"] == {"ocu_total_2019": 90000.0}
    assert any("plausible" in w.value or "range" in w.value for w in at.warning)


def test_assumptions_possible_alone_but_not_together_are_refused_before_running():
    at = page("assumptions")
    for name, value in (("ocu_total_2019", 2_000_000.0), ("ocu_abstinent_pool_2019", 2_000_000.0)):
        at.selectbox(key="assume_edit_name").set_value(name).run()
        at.number_input(key=f"assume_value_{name}").set_value(value)
        at.button(key="assume_apply").click().run()
    assert len(at.session_state["overrides"]) == 2  # each is possible on its own
    at.switch_page(str(PAGES / "compare.py")).run()
    at.number_input(key="cmp_runs").set_value(2).run()
    at.button(key="cmp_run").click().run()
    assert not at.exception, at.exception
    assert any("cannot be run" in e.value for e in at.error)
    assert any("people living in the West Midlands" in c.value for c in at.code)
    assert "comparison" not in at.session_state


def test_calibration_page_shows_the_committed_fit():
    at = page("calibration")
    summary = json.loads((CALIBRATION_DIR / "report_summary.json").read_text())
    met = next(m for m in at.metric if m.label == "Fitting targets met")
    assert met.value == f"{summary['fitting_within']} of {summary['fitting_n']}"
    assert len(table_with(at, "observed")) == summary["fitting_n"]
    assert len(drawn(at)) >= 1 and len(at.image) >= 1  # the fit (interactive) and a series
    registered = table_with(at, "90% interval from")
    predictions = pd.read_csv(CALIBRATION_DIR / "predictions.csv")
    assert len(registered) == len(predictions)
    assert (registered["90% interval from"] <= registered["90% interval to"]).all()


def test_export_page_offers_the_pack_charts_and_tables(compared):
    compared.switch_page(str(PAGES / "export.py")).run()
    assert not compared.exception
    labels = [b.label for b in compared.download_button]
    assert "Download the briefing pack (PDF)" in labels
    assert "All tables (one XLSX workbook)" in labels and "All charts (ZIP of PNG and SVG)" in labels
    assert labels.count("PNG") >= 7 and labels.count("SVG") >= 7
    compared.switch_page(str(PAGES / "compare.py")).run()


def test_export_page_without_a_comparison_says_what_to_do():
    at = page("export")
    assert any("Run a comparison" in i.value for i in at.info)


def test_assumptions_that_matter_explains_the_comparison(compared):
    compared.switch_page(str(PAGES / "sensitivity.py")).run()
    assert not compared.exception
    assert compared.multiselect(key="sens_groups_drug_deaths").value  # defaults from the outcome's groups
    compared.multiselect(key="sens_groups_drug_deaths").set_value(["hat"]).run()
    estimate = [c.value for c in compared.caption if "5 parameters, 22 runs" in c.value]
    assert estimate and "this machine's measured" in estimate[0]  # the comparison's own time a run
    compared.button(key="sens_run").click().run()
    assert not compared.exception and not compared.error
    ranked = table_with(compared, "rank")
    assert set(ranked.parameter) == {
        "hat_dropout_per_year",
        "hat_cost_per_place_year_gbp",
        "hat_referral_prob_per_week",
        "hat_prolific_place_share",
        "hat_min_prior_episodes",
    }
    assert len(drawn(compared)) == 1
    assert any("barely matter" in m.value for m in compared.markdown)
    compared.switch_page(str(PAGES / "compare.py")).run()
