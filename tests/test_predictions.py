"""Registered predictions, scoring them against published figures, and the data-update workflow end to end;
and periods counted by days."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest

from drugsim.calendar import Calendar
from drugsim.cli import main
from drugsim.library import CALIBRATION_DIR
from drugsim.predictions import (
    PREDICTION_COLUMNS,
    FiguresError,
    Published,
    interval_score,
    read_forecasts,
    read_predictions,
    read_published,
    score,
)
from drugsim.targets import read_targets

CAL = Calendar(dt.date(2019, 1, 1), dt.date(2030, 12, 31))


# --- periods by days
@pytest.mark.parametrize("year, days", [(2019, 365), (2020, 366), (2024, 366), (2030, 365)])
def test_a_year_counts_its_days_whatever_the_weekly_steps(year, days):
    w = CAL.period_weights(f"{year}-01-01", f"{year}-12-31")
    assert w.sum() * 7 == pytest.approx(days)
    assert ((w >= 0) & (w <= 1)).all()


@pytest.mark.parametrize(
    "start, end", [("2019-01-01", "2030-12-31"), ("2020-02-27", "2024-03-05"), ("2019-01-01", "2019-01-01")]
)
def test_week_starts_are_the_start_plus_seven_days_a_week(start, end):
    cal = Calendar(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    starts = cal.week_starts()
    assert starts.dtype == np.dtype("datetime64[D]") and starts.size == cal.n_weeks
    assert [d.astype(dt.date) for d in starts] == [cal.week_start(k) for k in range(cal.n_weeks)]


def test_years_share_out_every_day_once():
    years, weights = CAL.year_weights()
    assert years == list(range(2019, 2031))
    inside = weights.sum(axis=0)
    assert np.allclose(inside[:-1], 1.0)  # every week but the last, which runs past 31 December 2030
    assert 0 < inside[-1] <= 1


def test_a_partial_period_takes_a_straddling_week_for_its_days():
    # 2019-01-01 is a Tuesday; week 13 starts on 2019-04-02. "April 2019" takes week 12 (26 Mar-1 Apr) for 1 day.
    w = CAL.period_weights("2019-04-01", "2019-04-30")
    assert w[12] == pytest.approx(1 / 7) and w.sum() * 7 == pytest.approx(30)


# --- targets are checked row by row
def _targets_with(tmp_path, **change):
    rows = list(csv.DictReader(open(CALIBRATION_DIR / "targets.csv", encoding="utf-8")))
    rows[0] |= change
    path = tmp_path / "targets.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    return path


@pytest.mark.parametrize(
    "change, message",
    [
        ({"value": "lots"}, "value = 'lots': must be a number"),
        ({"value": "-3"}, "must be a positive number"),
        ({"tolerance": "0"}, "tolerance = 0"),
        ({"metric": "drug_death"}, "unknown metric 'drug_death'"),
        ({"area": "london"}, "area 'london'"),
        ({"use": "maybe"}, "use = 'maybe'"),
        ({"end": "2019-13-01"}, "is not a date"),
        ({"source": ""}, "source is empty"),
        ({"id": "deaths_2019"}, "id 'deaths_2019' is used twice"),
    ],
)
def test_a_mistake_in_the_targets_names_the_line_and_field(tmp_path, change, message):
    with pytest.raises(ValueError, match=r"targets.csv, line \d") as e:
        read_targets(_targets_with(tmp_path, **change))
    assert message in str(e.value)


def test_the_library_forecasts_are_valid_and_all_in_the_future_of_the_fit():
    forecasts = read_forecasts(CALIBRATION_DIR / "forecasts.csv")
    fitting_end = max(t.end for t in read_targets() if t.use == "fitting")
    assert len(forecasts) >= 20 and all(f.start > fitting_end for f in forecasts)
    assert len({f.id for f in forecasts}) == len(forecasts)


def test_registered_predictions_have_intervals_version_and_date():
    table = read_predictions(CALIBRATION_DIR / "predictions.csv")
    assert list(table.columns) == PREDICTION_COLUMNS
    assert set(table.index) == {f.id for f in read_forecasts(CALIBRATION_DIR / "forecasts.csv")}
    assert (table["p05"] <= table["p50"]).all() and (table["p50"] <= table["p95"]).all()
    assert (table["p05"] < table["p95"]).all()  # an interval, not a point
    assert table["model_version"].str.fullmatch(r"\d+\.\d+\.\d+").all()
    assert pd.to_datetime(table["written"]).notna().all()


# --- scoring
def test_interval_score_is_the_width_inside_and_grows_with_the_miss():
    assert interval_score(5, 4, 6) == 2
    assert interval_score(8, 4, 6) == pytest.approx(2 + 20 * 2)
    assert interval_score(3, 4, 6) == pytest.approx(2 + 20 * 1)


def _predictions(**rows):
    cols = {c: "" for c in PREDICTION_COLUMNS}
    frame = pd.DataFrame(
        [
            cols
            | dict(id=i, what=i, mean=m, p05=lo, p25=lo, p50=m, p75=hi, p95=hi, written="2026-01-01")
            | dict(model_version="9.9.9")
            for i, (m, lo, hi) in rows.items()
        ]
    )
    return frame.set_index("id", drop=False)


def test_score_counts_coverage_and_flags_figures_published_before_registration():
    preds = _predictions(a=(10, 8, 12), b=(10, 8, 12), c=(10, 8, 12))
    published = [
        Published("a", 11, "report §1", dt.date(2026, 6, 1), None),
        Published("b", 20, "report §2", dt.date(2026, 6, 1), None),
        Published("c", 9, "report §3", dt.date(2025, 6, 1), None),  # before the prediction was written
    ]
    table, summary = score(published, preds)
    assert list(table["inside_90"]) == [True, False, True]
    assert summary["inside_90"] == 2 and summary["figures"] == 3 and summary["not_out_of_sample"] == 1
    assert 0 < summary["binomial_p"] <= 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("id,value\na,1\n", "missing column(s) source"),
        ("id,value,source\nzz,1,r\n", "'zz' is not a registered forecast"),
        ("id,value,source\na,-1,r\n", "value = -1: must be a finite number at least 0"),
        ("id,value,source\na,nan,r\n", "value = nan"),
        ("id,value,source\na,1,\n", "source is empty"),
        ("id,value,source\na,1,r\na,2,r\n", "given twice"),
        ("id,value,source,published\na,1,r,soon\n", "published = 'soon'"),
        ("id,value,source\n", "holds no figures"),
    ],
)
def test_published_figures_are_checked(tmp_path, text, message):
    path = tmp_path / "published.csv"
    path.write_text(text)
    with pytest.raises(FiguresError) as e:
        read_published(path, {"a", "b"})
    assert message in str(e.value) and "published.csv" in str(e.value)


# --- the data-update workflow, end to end, as the README tells it
@pytest.mark.slow
def test_the_data_update_workflow_end_to_end(tmp_path, capsys):
    """init a project; register predictions; figures are published: score them, add them as fitting targets,
    re-fit (a quick fit) and predict again."""
    project = tmp_path / "project"
    assert main(["init", str(project)]) == 0
    base = str(project / "scenarios" / "baseline.toml")
    cal = project / "calibration"
    assert main(["predict", "--scenario", base, "--runs", "3", "--workers", "2", "-q"]) == 0
    first = read_predictions(cal / "predictions.csv")
    assert first.loc["divert_referrals_2025", "runs"] == "3"

    published = tmp_path / "published.csv"
    published.write_text(
        "id,value,source,published\n"
        "divert_referrals_2025,2500,A report §4,2026-12-01\n"
        "trafficking_offences_2025,1800,A report §11,2026-12-01\n"
    )
    capsys.readouterr()
    assert main(["score", str(published), "--predictions", str(cal / "predictions.csv"), "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["summary"]["figures"] == 2 and {r["id"] for r in scored["scores"]} == {
        "divert_referrals_2025",
        "trafficking_offences_2025",
    }

    assert main(["add-targets", str(published), "--use", "fitting", "--scenario", base]) == 0
    added = [t for t in read_targets(cal / "targets.csv") if t.id.endswith("_2025")]
    assert {(t.id, t.use, t.value) for t in added} == {
        ("divert_referrals_2025", "fitting", 2500.0),
        ("trafficking_offences_2025", "fitting", 1800.0),
    }
    # Adding the same figures twice is refused, and the file is left as it was.
    before = (cal / "targets.csv").read_text()
    assert main(["add-targets", str(published), "--use", "fitting", "--scenario", base]) == 2
    assert (cal / "targets.csv").read_text() == before

    assert main(["calibrate", "--scenario", base, "--quick", "--trials", "4", "--out", str(cal), "--workers", "2"]) == 0
    info = json.loads((cal / "fit_info.json").read_text())
    assert info["fit_end"] == "2025-12-31"  # the new figures entered the fit
    assert "divert_referrals_2025" in (cal / "REPORT.md").read_text()

    assert main(["predict", "--scenario", base, "--runs", "3", "--workers", "2", "-q"]) == 0
    second = read_predictions(cal / "predictions.csv")
    assert second.loc["divert_referrals_2025", "fitted_sha256"] != first.loc["divert_referrals_2025", "fitted_sha256"]
    assert second.loc["divert_referrals_2025", "targets_sha256"] != first.loc["divert_referrals_2025", "targets_sha256"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"p95": "lots"}, "p95 = 'lots': must be a number"),
        ({"p05": "1e9"}, "is above p95"),
        ({"written": "x"}, "written"),
    ],
)
def test_a_damaged_predictions_file_is_named_not_scored(tmp_path, change, message):
    rows = list(csv.DictReader(open(CALIBRATION_DIR / "predictions.csv", encoding="utf-8")))
    rows[0] |= change
    path = tmp_path / "predictions.csv"
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    with pytest.raises(FiguresError) as e:
        read_predictions(path)
    assert "line 2" in str(e.value) and message in str(e.value)
