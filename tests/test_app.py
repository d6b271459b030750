"""The first app page, driven with Streamlit's AppTest: it loads, runs a scenario, and shows results."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def table_with(at, column: str):
    """The dataframe on the page that has `column` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


@pytest.fixture
def app():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_page_loads_without_running_the_model(app):
    assert "drugsim" in app.title[0].value
    assert app.selectbox(key="scenario").value == "baseline"
    assert any("Run simulation" in i.value for i in app.info)
    assert len(table_with(app, "source")) > 100


def test_run_shows_headlines_table_and_chart(app):
    app.button(key="run").click().run()
    assert not app.exception
    labels = [m.label for m in app.metric]
    assert "Drug deaths" in labels
    deaths = float(next(m for m in app.metric if m.label == "Drug deaths").value.replace(",", ""))
    assert 300 < deaths < 2000  # six projected years at roughly 100-250 a year
    assert table_with(app, 2030).shape[0] > 5
    app.selectbox(key="metric").set_value("active_county_lines").run()
    assert not app.exception


def test_every_library_scenario_can_be_chosen(app):
    for name in app.selectbox(key="scenario").options:
        app.selectbox(key="scenario").set_value(name).run()
        assert not app.exception and not app.error, name


def test_several_runs_go_through_the_ensemble_runner(app):
    app.number_input(key="seeds").set_value(2).run()
    app.selectbox(key="scenario").set_value("hat_pilot").run()
    app.button(key="run").click().run()
    assert not app.exception
    assert any(m.label == "Drug deaths" for m in app.metric)


def test_parameter_search_filters_the_table(app):
    app.text_input(key="param_search").input("naloxone").run()
    names = table_with(app, "source")["name"].tolist()
    assert "officer_naloxone_attend_prob_per_officer" in names
    assert "ocu_total_2019" not in names
