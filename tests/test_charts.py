"""Charts that do not mislead: counts start at zero, and the base stays visible under the options."""

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


def test_a_small_change_is_drawn_on_an_axis_from_zero():
    fig = charts.timeseries(series(-10_000), "acquisitive_crimes", ("2026-01-01", "2030-12-31"), 10)
    ax = fig.axes[0]
    assert ax.get_ylim()[0] == 0  # a 0.4% change must not fill the chart
    charts.close(fig)


def test_the_base_is_drawn_on_top_dashed_and_named():
    fig = charts.timeseries(series(0.0), "drug_deaths", ("2026-01-01", "2030-12-31"), 10)
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    base, option = lines["baseline (base)"], lines["option"]
    assert base.get_zorder() > option.get_zorder() and base.get_linestyle() == "--"
    title = ax.get_title(loc="left")
    assert "against baseline" in title and "option" in title
    charts.close(fig)


def test_the_map_shows_every_area_hatches_noise_and_credits_the_boundaries():
    from drugsim.parameters import AREAS

    rows = [
        {"scenario": s, "area": a, "value": 100.0, "diff_mean": d, "diff_low": d - 4, "diff_high": d + 4}
        for s in ("baseline", "option")
        for a, d in zip(AREAS, (-30.0, 2.0, -12.0, -9.0, 1.0, 0.0, 6.0), strict=True)
    ]
    frame = pd.DataFrame(rows)
    frame.loc[frame.scenario == "baseline", ["diff_mean", "diff_low", "diff_high"]] = 0.0
    fig = charts.area_map(frame, "drug_deaths", ("2026-01-01", "2030-12-31"), "option")
    ax = fig.axes[0]
    shapes = list(ax.patches)
    assert len(shapes) == len(AREAS) == 7
    hatched = sum(bool(p.get_hatch()) for p in shapes)
    assert hatched == 3  # coventry (+2), solihull (+1), walsall (0): intervals of +-4 include zero
    labels = " ".join(t.get_text() for t in ax.texts)
    assert "Birmingham\n-30" in labels and "Wolverhampton\n+6" in labels
    assert "Martin Chorley, UK-GeoJSON (CC BY 4.0)" in " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    charts.close(fig)
