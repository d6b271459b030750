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
