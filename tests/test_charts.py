"""Charts that do not mislead: counts start at zero, the base stays visible under the options, every map credits
its boundaries, and what the app shows is what is exported (one Vega-Lite specification, rendered for the pack)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from drugsim.webapp import charts


def series(offset: float) -> pd.DataFrame:
    dates = pd.date_range("2019-01-01", "2030-10-01", freq="QS")
    rows = []
    for name, shift in (("baseline", 0.0), ("option", offset)):
        mean = 2_300_000 + 1_000 * np.sin(np.arange(len(dates))) + shift * (dates >= "2026-01-01")
        rows.append(
            pd.DataFrame({"scenario": name, "date": dates, "mean": mean, "low": mean - 500, "high": mean + 500})
        )
    return pd.concat(rows)


def layers(spec: dict) -> list[dict]:
    """The spec's layers, flattened."""
    out = []
    for layer in spec.get("layer", []):
        out += layers(layer) if "layer" in layer else [layer]
    return out


def mark(layer: dict) -> str:
    m = layer["mark"]
    return m if isinstance(m, str) else m["type"]


def test_a_small_change_is_drawn_on_an_axis_from_zero():
    spec = charts.timeseries(series(-10_000), "acquisitive_crimes", ("2026-01-01", "2030-12-31"), 10).to_dict()
    lines = [layer for layer in layers(spec) if mark(layer) == "line"]
    assert lines and all(layer["encoding"]["y"]["scale"]["zero"] is True for layer in lines)  # 0.4% stays small


def test_the_base_is_drawn_on_top_dashed_and_named():
    chart = charts.timeseries(series(0.0), "drug_deaths", ("2026-01-01", "2030-12-31"), 10)
    spec = chart.to_dict()
    lines = [layer for layer in layers(spec) if mark(layer) == "line"]
    filters = [str(layer["transform"][0]["filter"]) for layer in lines]
    # The options' lines first, then the base's, dashed: drawn last, so on top.
    assert "!=" in filters[0] and "==" in filters[1] and "baseline (base)" in filters[1]
    dashes = lines[1]["encoding"]["strokeDash"]["scale"]  # dashed in the legend too
    assert dashes["domain"][0] == "baseline (base)" and dashes["range"][0] != [1, 0] and dashes["range"][1] == [1, 0]
    colours = lines[0]["encoding"]["color"]["scale"]
    assert colours["domain"][0] == "baseline (base)" and colours["range"][0] == charts.BASE
    title = charts.title_of(chart)
    assert "against baseline" in title and "option" in title
    assert "mean of 10 paired runs" in " ".join(spec["title"]["subtitle"])


def test_charts_are_interactive_on_screen():
    spec = charts.timeseries(series(0.0), "drug_deaths", ("2026-01-01", "2030-12-31"), 10).to_dict()
    params = {p["name"]: p for p in spec.get("params", [])}
    params |= {p["name"]: p for layer in layers(spec) for p in layer.get("params", [])}
    selects = [p["select"] for p in params.values()]
    assert any(p.get("bind") == "legend" for p in params.values())  # a legend entry picks a scenario out
    assert any(isinstance(s, dict) and s.get("nearest") for s in selects)  # pointing shows the numbers
    assert any(p.get("bind") == "scales" for p in params.values())  # zoom and pan along time
    tips = [layer["encoding"]["tooltip"] for layer in layers(spec) if "tooltip" in layer.get("encoding", {})]
    assert tips and {"mean", "low", "high"} <= {t["field"] for t in tips[0]}


def test_the_map_shows_every_area_marks_noise_and_credits_the_boundaries():
    from drugsim.parameters import AREAS

    rows = [
        {"scenario": s, "area": a, "value": 100.0, "diff_mean": d, "diff_low": d - 4, "diff_high": d + 4}
        for s in ("baseline", "option")
        for a, d in zip(AREAS, (-30.0, 2.0, -12.0, -9.0, 1.0, 0.0, 6.0), strict=True)
    ]
    frame = pd.DataFrame(rows)
    frame.loc[frame.scenario == "baseline", ["diff_mean", "diff_low", "diff_high"]] = 0.0
    spec = charts.area_map(frame, "drug_deaths", ("2026-01-01", "2030-12-31"), "option").to_dict()
    shapes = next(layer for layer in layers(spec) if mark(layer) == "geoshape")["data"]["values"]
    assert len(shapes) == len(AREAS) == 7
    assert sum(s["properties"]["noise"] for s in shapes) == 3  # coventry (+2), solihull (+1), walsall (0)
    labels = [v["text"] for layer in layers(spec) if mark(layer) == "text" for v in layer["data"]["values"]]
    assert "Birmingham\n-30" in labels and "Wolverhampton\n+6" in labels
    scale = shapes and next(layer for layer in layers(spec) if mark(layer) == "geoshape")["encoding"]["color"]
    assert scale["scale"]["domainMid"] == 0 and scale["scale"]["domain"] == [-30.0, 30.0]  # symmetric about zero
    assert "Martin Chorley, UK-GeoJSON (CC BY 4.0)" in " ".join(spec["title"]["subtitle"])


def test_the_exported_image_says_what_is_counted_in_plain_numbers():
    """The rendered chart (as downloaded and in the pack) keeps its title, legend and axis title, and writes a count
    of millions as 2,300,000 (never 2.3e+6)."""
    chart = charts.timeseries(series(-10_000), "drug_deaths", ("2026-01-01", "2030-12-31"), 10, freq="YS")
    png, svg = charts.to_bytes(chart, "png"), charts.to_bytes(chart, "svg").decode()
    assert png.startswith(b"\x89PNG")
    assert int.from_bytes(png[16:20], "big") >= 2 * charts.WIDTH  # twice the pixels, for slides
    assert "Drug deaths, West Midlands force area" in svg and "baseline (base)" in svg and "option" in svg
    assert "persons per year" in svg  # the axis says what and per what (quarter or year)
    assert "e+" not in svg and "2,000,000" in svg


def test_money_reads_as_money_with_the_sign_first():
    """Map labels write money as the cards do (-£3.4m, +£450k), and axes and legends the same way in Vega."""
    from drugsim.parameters import AREAS

    changes = (-3_400_000.0, 450_000.0, 80.0, 0.0, -9_000.0, 2_000_000.0, 10.0)
    rows = [
        {"scenario": s, "area": a, "value": 0.0, "diff_mean": d, "diff_low": d - 1, "diff_high": d + 1}
        for s in ("baseline", "option")
        for a, d in zip(AREAS, changes, strict=True)
    ]
    spec = charts.area_map(pd.DataFrame(rows), "spend_total_gbp", ("2026-01-01", "2030-12-31"), "option").to_dict()
    labels = {
        v["text"].split("\n")[1] for layer in layers(spec) if mark(layer) == "text" for v in layer["data"]["values"]
    }
    assert {"-£3.4m", "+£450k", "+£80", "£0", "-£9,000"} <= labels
    svg = charts.to_bytes(charts.area_map(pd.DataFrame(rows), "spend_total_gbp", ("2026", "2030"), "option"), "svg")
    assert "-£3.4m" in svg.decode() and "£-" not in svg.decode()  # the legend writes money with the sign first


def test_bars_side_by_side_follow_the_legend_s_order_and_axes_are_titled():
    rows = [
        {"scenario": s, "area": a, "value": 1.0, "diff_mean": 1.0, "diff_low": 0.0, "diff_high": 2.0}
        for s in ("baseline", "zeta_option", "alpha_option")
        for a in ("birmingham", "coventry")
    ]
    spec = charts.area_differences(pd.DataFrame(rows), "drug_deaths", ("2026-01-01", "2030-12-31")).to_dict()
    bars = next(layer for layer in layers(spec) if mark(layer) == "bar")
    assert bars["encoding"]["yOffset"]["sort"] == ["zeta_option", "alpha_option"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["zeta_option", "alpha_option"]
    assert bars["encoding"]["x"]["axis"]["title"] == "change from baseline (persons)"
    assert bars["encoding"]["y"]["axis"]["labelLimit"] >= 400  # long names whole, not cut off


def test_the_calibration_chart_explains_its_colours_and_shapes():
    """Every layer that colours by use carries the same legend (one without it made Vega-Lite drop the legend)."""
    fit = pd.DataFrame(
        {
            "target": ["a", "b"],
            "use": ["fitting", "holdout"],
            "observed": [100.0, 50.0],
            "simulated_low": [90.0, 60.0],
            "simulated_high": [110.0, 80.0],
            "relative_error": [0.0, 0.4],
            "tolerance": [0.2, 0.3],
        }
    )
    spec = charts.calibration(fit).to_dict()
    coloured = [layer["encoding"]["color"] for layer in layers(spec) if "color" in layer.get("encoding", {})]
    assert len(coloured) == 2 and coloured[0] == coloured[1] and coloured[0]["legend"] is not None
    svg = charts.to_bytes(charts.calibration(fit), "svg").decode()
    assert "fitting target" in svg and "holdout target" in svg


def test_a_note_goes_under_the_title_and_none_changes_nothing():
    chart = charts.timeseries(series(0.0), "drug_deaths", ("2026-01-01", "2030-12-31"), 10)
    assert charts.noting(chart, "") is chart and charts.edited_note({}) == ""
    noted = charts.noting(chart, charts.edited_note({"overdose_rate_per_year": 0.05}))
    subtitle = noted.to_dict()["title"]["subtitle"]
    assert subtitle[-1] == "Edited for this session: overdose_rate_per_year = 0.05."
    assert len(chart.to_dict()["title"]["subtitle"]) == len(subtitle) - 1  # the original is left as it was
