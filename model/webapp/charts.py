"""The app's charts, drawn with matplotlib so that what is shown, downloaded (PNG, SVG) and put in the briefing
pack is one figure. Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies;
every band and bar says what its interval is."""

from __future__ import annotations

import functools
import io
import json
import textwrap

import matplotlib

matplotlib.use("Agg")  # no display: figures are rendered to bytes

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from drugsim.webapp.labels import label, unit  # noqa: E402

#: Okabe & Ito (2008): the base in near-black, then blue, vermillion, bluish green, reddish purple, orange, sky blue.
PALETTE = ("#333333", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
SIZE = (8.0, 4.2)  # inches: fits a laptop screen and a slide


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _axis_format(ax, u: str) -> None:
    if u == "GBP":
        ax.yaxis.set_major_formatter(
            matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v / 1e6:,.1f}m" if abs(v) >= 1e6 else f"£{v:,.0f}")
        )
    else:
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)


def _footnote(fig: Figure, text: str) -> None:
    """A note under the chart saying what its lines, bands and bars are (kept in every export), wrapped to the
    chart's width."""
    lines = textwrap.wrap(text, int(fig.get_figwidth() * 19))  # about 19 characters of 7-point text an inch
    low = 0.03 + 0.03 * len(lines)
    fig.get_layout_engine().set(rect=(0, low, 1, 1 - low))  # leave the bottom strip to the note
    fig.text(0.01, 0.01, "\n".join(lines), fontsize=7, color="#555555", ha="left", va="bottom")


def timeseries(
    series: pd.DataFrame, metric: str, period: tuple[str, str], runs: int, freq: str = "QS", area: str | None = None
) -> Figure:
    """Mean of runs with the 5th-95th percentile band, one line per scenario; the compared period is shaded. The
    base (the first scenario) is drawn last, dashed, so a scenario that matches it does not hide it; counts and money
    start at zero, so a small change does not look large."""
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    groups = list(series.groupby("scenario", sort=False))
    for i, (name, s) in reversed(list(enumerate(groups))):
        base = i == 0
        ax.plot(
            s.date,
            s["mean"],
            color="#333333" if base else colour(i),
            linewidth=1.6 if base else 1.8,
            linestyle="--" if base else "-",
            label=f"{name} (base)" if base else name,
            zorder=3 if base else 2,
        )
        ax.fill_between(s.date, s.low, s.high, color="#333333" if base else colour(i), alpha=0.12, linewidth=0)
    ax.axvspan(pd.Timestamp(period[0]), pd.Timestamp(period[1]), color="#f2f2f2", zorder=0, label="compared period")
    if (series["low"].dropna() >= 0).all():
        ax.set_ylim(bottom=0)
    per = {"QS": "quarter", "YS": "year", "MS": "month"}.get(freq, freq)
    where = area.title() if area else "West Midlands force area"
    base = groups[0][0] if groups else ""
    ax.set_title(
        f"{label(metric)}, {where}: {', '.join(n for n, _ in groups[1:]) or base} against {base}",
        loc="left",
        fontsize=11,
    )
    ax.set_ylabel(f"{unit(metric)} per {per}")
    _axis_format(ax, unit(metric))
    handles, names = ax.get_legend_handles_labels()
    order = sorted(range(len(names)), key=lambda k: (not names[k].endswith("(base)"), names[k] == "compared period"))
    ax.legend(
        [handles[k] for k in order],
        [names[k] for k in order],
        frameon=False,
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    _footnote(
        fig,
        f"Lines: mean of {runs} paired runs. Bands: 5th-95th percentile of runs. Shaded: the compared period, "
        f"{period[0][:4]}-{period[1][:4]}.",
    )
    return fig


def area_differences(areas: pd.DataFrame, metric: str, period: tuple[str, str]) -> Figure:
    """Difference from the base in each local authority, with 90% intervals, one bar per scenario."""
    others = [s for s in areas.scenario.unique()[1:]]
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    names = list(areas.area.unique())
    y = np.arange(len(names))
    h = 0.8 / max(len(others), 1)
    for j, name in enumerate(others):
        a = areas[areas.scenario == name].set_index("area").loc[names]
        err = np.vstack([a.diff_mean - a.diff_low, a.diff_high - a.diff_mean])
        ax.barh(y + j * h, a.diff_mean, height=h, color=colour(j + 1), label=name, xerr=np.nan_to_num(err), capsize=2)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y + h * (len(others) - 1) / 2, [n.title() for n in names])
    ax.invert_yaxis()
    ax.set_title(f"{label(metric)}: change from {areas.scenario.iloc[0]}, {period[0][:4]}-{period[1][:4]}", loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    if unit(metric) == "GBP":
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"£{v / 1e3:,.0f}k"))
    ax.legend(frameon=False, fontsize=8)
    _footnote(fig, "Bars: mean paired difference. Lines: 90% interval. Local authorities of the West Midlands.")
    return fig


#: The attribution the boundary data's licence requires on every map (data/west_midlands_local_authorities.md).
MAP_ATTRIBUTION = (
    "Boundary data: Martin Chorley, UK-GeoJSON (CC BY 4.0). Contains Ordnance Survey data © Crown copyright and "
    "database right 2014. Contains National Statistics data © Crown copyright and database right 2014."
)


@functools.cache
def _boundaries() -> dict[str, np.ndarray]:
    """Each local authority's outline (longitude, latitude), by the model's area name."""
    from drugsim.parameters import DATA_DIR

    data = json.loads((DATA_DIR / "west_midlands_local_authorities.geojson").read_text())
    return {f["properties"]["name"].lower(): np.asarray(f["geometry"]["coordinates"][0]) for f in data["features"]}


def area_map(areas: pd.DataFrame, metric: str, period: tuple[str, str], option: str) -> Figure:
    """A map of `option`'s change from the base in each local authority: coloured red (more) to blue (less) on a
    scale symmetric about zero, labelled with the change, and hatched where its 90% interval includes zero."""
    from matplotlib.colors import TwoSlopeNorm

    base, shapes = areas.scenario.iloc[0], _boundaries()
    a = areas[areas.scenario == option].set_index("area")
    reach = float(np.nanmax(np.abs(a.diff_mean.to_numpy()))) or 1.0
    norm, cmap = TwoSlopeNorm(0.0, -reach, reach), plt.get_cmap("RdBu_r")
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    for area, outline in shapes.items():
        row = a.loc[area]
        noise = not (row.diff_low > 0 or row.diff_high < 0)
        ax.fill(
            *outline.T,
            facecolor=cmap(norm(row.diff_mean)),
            edgecolor="white",
            linewidth=1.2,
            hatch="///" if noise else None,
        )
        x, y = outline.mean(axis=0)
        value = f"£{row.diff_mean / 1e3:+,.0f}k" if unit(metric) == "GBP" else f"{row.diff_mean:+,.0f}"
        ax.text(
            x,
            y,
            f"{area.title()}\n{value}",
            ha="center",
            va="center",
            fontsize=7.5,
            bbox=dict(facecolor="white", alpha=0.75, linewidth=0, pad=1.5),
        )
    ax.set_aspect(1 / np.cos(np.radians(52.5)))  # a degree of longitude is shorter than one of latitude here
    ax.axis("off")
    fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7, label=f"change ({unit(metric)})")
    ax.set_title(f"{label(metric)}: {option} against {base}, {period[0][:4]}-{period[1][:4]}", loc="left", fontsize=11)
    _footnote(fig, "Mean paired difference; hatched where the 90% interval includes zero. " + MAP_ATTRIBUTION)
    return fig


def ethnicity(eth: pd.DataFrame, period: tuple[str, str]) -> Figure:
    """Charges and cautions per 100 possession detections by ethnic group, one bar per scenario."""
    fig, axes = plt.subplots(1, 2, figsize=SIZE, layout="constrained", sharey=False)
    groups = list(eth.group.unique())
    x = np.arange(len(groups))
    names = list(eth.scenario.unique())
    w = 0.8 / len(names)
    for ax, what in zip(axes, ("charges", "cautions"), strict=True):
        for j, name in enumerate(names):
            e = eth[eth.scenario == name].set_index("group").loc[groups]
            ax.bar(x + j * w, e[f"{what}_per_100_detections"], width=w, color=colour(j), label=name)
        ax.set_xticks(x + w * (len(names) - 1) / 2, [g.title() for g in groups])
        ax.set_title(f"Possession {what} per 100 detections", loc="left", fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
    axes[0].legend(frameon=False, fontsize=8)
    _footnote(fig, f"Mean of runs, {period[0]} to {period[1]}. Ethnic groups as recorded by police (four groups).")
    return fig


def economics(table: pd.DataFrame, outcomes: tuple[str, ...]) -> Figure:
    """Economic measures of each scenario against the base, with 90% intervals."""
    others = [s for s in table.scenario.unique()[1:]]
    fig, axes = plt.subplots(1, len(outcomes), figsize=SIZE, layout="constrained")
    for ax, outcome in zip(np.atleast_1d(axes), outcomes, strict=True):
        t = table[table.outcome == outcome].set_index("scenario").loc[others]
        err = np.vstack([t.diff_mean - t.diff_low, t.diff_high - t.diff_mean])
        ax.bar(
            range(len(others)),
            t.diff_mean,
            color=[colour(j + 1) for j in range(len(others))],
            yerr=np.nan_to_num(err),
            capsize=3,
        )
        ax.set_xticks(range(len(others)), others, rotation=20, ha="right", fontsize=8)
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.set_title(label(outcome), fontsize=9, loc="left")
        _axis_format(ax, unit(outcome))
    _footnote(fig, "Against the base scenario; lines: 90% interval over paired runs.")
    return fig


def appraisal_lines(table: pd.DataFrame, perspective: str) -> Figure:
    """Each appraisal line's present value for each scenario (one perspective), with its 90% interval: what
    makes up the net present value, so that no effect is hidden in the total."""
    from drugsim.appraisal import LINES

    lines = [line for line in LINES if line.name in set(table.measure)]
    t = table[(table.perspective == perspective) & (table.kind == "line")]
    others = list(t.scenario.unique())
    fig, ax = plt.subplots(figsize=SIZE, layout="constrained")
    height = 0.8 / max(1, len(others))
    for j, name in enumerate(others):
        rows = t[t.scenario == name].set_index("measure").reindex([line.name for line in lines])
        y = np.arange(len(lines)) + j * height
        err = np.vstack([rows["mean"] - rows.low, rows.high - rows["mean"]]) / 1e6
        ax.barh(
            y, rows["mean"] / 1e6, height=height, color=colour(j + 1), xerr=np.nan_to_num(err), capsize=2, label=name
        )
    ax.set_yticks(np.arange(len(lines)) + 0.4 - height / 2, [line.label for line in lines], fontsize=7)
    ax.invert_yaxis()
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_xlabel("£m, present value (positive: better than the base)", fontsize=8)
    ax.set_title(f"What makes up the net present value: {perspective} perspective", loc="left", fontsize=10)
    ax.legend(frameon=False, fontsize=8)
    _footnote(
        fig, "Green Book appraisal against the base scenario; bars: mean, lines: 90% interval (docs/appraisal.md)."
    )
    return fig


def calibration(fit: pd.DataFrame) -> Figure:
    """Each target's relative error (simulated mean vs reported), with its tolerance, fitting and holdout."""
    fit = fit.sort_values(["use", "relative_error"])
    fig, ax = plt.subplots(figsize=(8.0, max(4.0, 0.17 * len(fit))), layout="constrained")
    y = np.arange(len(fit))
    ax.barh(y, 2 * fit.tolerance, left=-fit.tolerance, color="#e6e6e6", height=0.8, label="tolerance")
    for use, marker, c in (("fitting", "o", PALETTE[1]), ("holdout", "D", PALETTE[2])):
        sel = fit.use.to_numpy() == use
        rel_lo = fit.simulated_low / fit.observed - 1
        rel_hi = fit.simulated_high / fit.observed - 1
        ax.errorbar(
            fit.relative_error[sel],
            y[sel],
            xerr=np.vstack([(fit.relative_error - rel_lo)[sel], (rel_hi - fit.relative_error)[sel]]).clip(0),
            fmt=marker,
            color=c,
            markersize=4,
            elinewidth=0.8,
            label=f"{use} target (90% interval of runs)",
        )
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.set_yticks(y, fit.target, fontsize=6)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlim(-1.0, 2.0)
    ax.set_xlabel("simulated mean relative to the reported figure")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def to_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes (then closed: figures are not kept between reruns)."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150 if fmt == "png" else None, bbox_inches="tight")
    return buf.getvalue()


def close(fig: Figure) -> None:
    plt.close(fig)


def render(make, fmt: str) -> bytes:
    """Draw a figure with `make()` and return it as PNG or SVG bytes (the figure is closed)."""
    fig = make()
    try:
        return to_bytes(fig, fmt)
    finally:
        close(fig)


def tornado(ranked: pd.DataFrame, centre: float, outcome_text: str, top: int = 15) -> Figure:
    """One-at-a-time sensitivity: for each parameter, the outcome at the low and the high end of its range."""
    r = ranked.head(top).iloc[::-1]
    fig, ax = plt.subplots(figsize=(8.0, max(3.0, 0.32 * len(r) + 1.2)), layout="constrained")
    y = np.arange(len(r))
    lo, hi = r["at_low"].to_numpy(), r["at_high"].to_numpy()
    ax.barh(y, lo - centre, left=centre, color=PALETTE[1], label="parameter at its low value")
    ax.barh(y, hi - centre, left=centre, color=PALETTE[2], label="parameter at its high value")
    ax.axvline(centre, color="#333333", linewidth=0.8)
    ax.set_yticks(y, [f"{p}\n{rng}" for p, rng in zip(r.parameter, r["range"], strict=True)], fontsize=7)
    ax.set_title(f"One at a time: {outcome_text}", loc="left", fontsize=10, wrap=True)
    ax.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    _footnote(
        fig,
        "Others held at the scenario's values. The vertical line is the outcome with every value as in the scenario.",
    )
    return fig


def morris(ranked: pd.DataFrame, outcome_text: str, top: int = 15) -> Figure:
    """Morris screening: mu* (influence) with its interval, and mu* against sigma (interaction, non-linearity)."""
    r = ranked.head(top)
    fig, (bars, scatter) = plt.subplots(1, 2, figsize=(10.0, max(3.5, 0.3 * len(r) + 1.5)), layout="constrained")
    y = np.arange(len(r))[::-1]
    err = np.vstack([r["value"] - r["low"], r["high"] - r["value"]]).clip(0)
    bars.barh(y, r["value"], xerr=err, color=PALETTE[1], capsize=2)
    bars.set_yticks(y, r.parameter, fontsize=7)
    bars.set_xlabel("mu* (mean absolute elementary effect)")
    bars.set_title(f"Morris: {outcome_text}", loc="left", fontsize=10, wrap=True)
    bars.spines[["top", "right"]].set_visible(False)
    scatter.scatter(r["value"], r["sigma"], color=PALETTE[2], s=18)
    for row in r.head(8).itertuples():
        scatter.annotate(row.parameter, (row.value, row.sigma), fontsize=6, xytext=(3, 3), textcoords="offset points")
    lim = max(float(r["value"].max()), float(r["sigma"].max()), 1e-9) * 1.05
    scatter.plot([0, lim], [0, lim], color="#999999", linewidth=0.7, linestyle="--", label="sigma = mu*")
    scatter.set_xlabel("mu*")
    scatter.set_ylabel("sigma")
    scatter.legend(frameon=False, fontsize=7)
    scatter.spines[["top", "right"]].set_visible(False)
    _footnote(
        fig, "Bars: 90% bootstrap interval. Above the dashed line, a parameter's effect depends strongly on the others."
    )
    return fig


def sobol(ranked: pd.DataFrame, table: pd.DataFrame, outcome_text: str, top: int = 15) -> Figure:
    """Sobol indices: first-order (S1) and total (ST), with intervals."""
    names = list(ranked.head(top).parameter)
    fig, ax = plt.subplots(figsize=(8.0, max(3.0, 0.32 * len(names) + 1.2)), layout="constrained")
    y = np.arange(len(names))[::-1]
    for k, (index, c) in enumerate((("S1", PALETTE[1]), ("ST", PALETTE[2]))):
        t = table[table["index"] == index].set_index("parameter").loc[names]
        err = np.vstack([t["value"] - t["low"], t["high"] - t["value"]]).clip(0)
        ax.barh(y + (0.2 if k == 0 else -0.2), t["value"], height=0.4, xerr=err, color=c, label=index, capsize=2)
    ax.set_yticks(y, names, fontsize=7)
    ax.set_title(f"Sobol: {outcome_text}", loc="left", fontsize=10, wrap=True)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, fontsize=8)
    _footnote(fig, "S1: share of variance from the parameter alone; ST: alone and with others. Lines: 90% intervals.")
    return fig


def sensitivity(method: str, table: pd.DataFrame, ranked: pd.DataFrame, outcome_text: str) -> Figure:
    """The chart of a sensitivity analysis: tornado (oat), Morris (mu*, sigma) or Sobol bars."""
    if method == "oat":
        wide = table.pivot_table(index="parameter", columns="index", values="value")
        r = ranked.assign(at_low=ranked.parameter.map(wide["at_low"]), at_high=ranked.parameter.map(wide["at_high"]))
        centre = float(table.loc[table["index"] == "centre", "value"].iloc[0])
        return tornado(r, centre, outcome_text)
    if method == "morris":
        sigma = table[table["index"] == "sigma"].set_index("parameter")["value"]
        return morris(ranked.assign(sigma=ranked.parameter.map(sigma)), outcome_text)
    return sobol(ranked, table, outcome_text)
