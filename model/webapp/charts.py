"""The app's charts, each declared once as a Vega-Lite specification (Altair). The app shows the specification
interactive (tooltips with the numbers, legend entries that pick out a scenario, zoom and pan along time), and the
same specification is rendered to PNG and SVG by vl-convert for downloads, slides and the briefing pack, so what is
shown and what is exported are one chart. Colours are the Okabe-Ito palette, distinguishable with the common
colour-vision deficiencies; every band and bar says what its interval is, in the chart's subtitle (kept in every
export)."""

from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Mapping

import altair as alt
import numpy as np
import pandas as pd

from drugsim.webapp.labels import fmt, label, number, unit

#: Okabe & Ito (2008): blue, vermillion, bluish green, reddish purple, orange, sky blue. The base is a mid grey,
#: drawn dashed, which reads on the light and the dark theme alike.
PALETTE = ("#6b6b6b", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
BASE = PALETTE[0]
WIDTH, HEIGHT = 640, 300  # pixels of the plotting area in exports; on screen a chart fills its column
#: The attribution the boundary data's licence requires on every map (data/west_midlands_local_authorities.md).
MAP_ATTRIBUTION = (
    "Boundary data: Martin Chorley, UK-GeoJSON (CC BY 4.0). Contains Ordnance Survey data © Crown copyright and "
    "database right 2014. Contains National Statistics data © Crown copyright and database right 2014."
)


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _title(text: str, note: str) -> alt.TitleParams:
    """A title, and under it a note saying what the lines, bands and bars are; both wrapped to the chart's width."""
    return alt.TitleParams(
        textwrap.wrap(text, 80),
        subtitle=textwrap.wrap(note, 120),
        anchor="start",
        fontSize=14,
        subtitleFontSize=10,
        subtitleColor="#666666",
    )


def edited_note(overrides: Mapping[str, float]) -> str:
    """What a chart of results made with assumptions edited for the session says about them (nothing if none)."""
    if not overrides:
        return ""
    return "Edited for this session: " + ", ".join(f"{k} = {number(v)}" for k, v in overrides.items()) + "."


def noting(chart: alt.TopLevelMixin, note: str) -> alt.TopLevelMixin:
    """The chart with `note` added to the note under its title (so it is in every export too)."""
    if not note:
        return chart
    title = chart.title.copy(deep=True)
    title.subtitle = [*title.subtitle, *textwrap.wrap(note, 120)]
    return chart.properties(title=title)


def title_of(chart: alt.TopLevelMixin) -> str:
    """A chart's title as one line (slides use it as theirs)."""
    text = chart.title.text if isinstance(chart.title, alt.TitleParams) else chart.title
    return " ".join(text) if isinstance(text, list) else str(text)


def _money(field: str = "datum.value") -> str:
    """A Vega expression writing a sum of pounds for a reader, the sign first: £2.3m, -£450k, £80."""
    a = f"abs({field})"
    amount = (
        f"{a} >= 1e6 ? format({a} / 1e6, ',.1f') + 'm' : {a} >= 1e4 ? format({a} / 1e3, ',.0f') + 'k' : "
        f"format({a}, ',.0f')"
    )
    return f"({field} < 0 ? '-' : '') + '£' + ({amount})"


#: Counts: thousands separators and no more digits than the value has (2,300,000 and 0.5; never 2.3e+6).
COUNT = ",~r"


def _labels(u: str) -> dict:
    """How an axis or a legend writes values of unit `u`: pounds as money, counts with thousands separators."""
    return {"labelExpr": _money()} if u == "GBP" else {"format": COUNT}


def _axis(u: str, title: str | None = None) -> alt.Axis:
    """A value axis of unit `u`, with `title` if given (else the encoding's)."""
    return alt.Axis(**_labels(u), **({} if title is None else {"title": title}))


def _number(u: str) -> str:
    """The d3 format of a value in a tooltip (pounds whole; the tooltip's title says £)."""
    return ",.0f" if u == "GBP" else ",.2f" if u == "ratio" else ",.1f"


def _scenario_colours(names: list[str], first: int = 0) -> alt.Scale:
    return alt.Scale(domain=names, range=[colour(first + j) for j in range(len(names))])


def _zero_rule(axis: str) -> alt.Chart:
    return alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color="#888888").encode(**{axis: "zero:Q"})


def timeseries(
    series: pd.DataFrame, metric: str, period: tuple[str, str], runs: int, freq: str = "QS", area: str | None = None
) -> alt.LayerChart:
    """Mean of runs with the 5th-95th percentile band, one line per scenario; the compared period is shaded. The
    base (the first scenario) is drawn last, dashed, so a scenario that matches it does not hide it; counts and money
    start at zero, so a small change does not look large. Pointing at a date shows every scenario's numbers there;
    clicking a legend entry picks one scenario out."""
    names = list(dict.fromkeys(series.scenario))
    base = names[0] if names else ""
    shown = [f"{base} (base)", *names[1:]]
    data = series.assign(
        line=np.where(series.scenario == base, f"{base} (base)", series.scenario), date=pd.to_datetime(series.date)
    )[["line", "date", "mean", "low", "high"]]
    per = {"QS": "quarter", "YS": "year", "MS": "month"}.get(freq, freq)
    u = unit(metric)
    from_zero = bool((series["low"].dropna() >= 0).all())
    pick = alt.selection_point(fields=["line"], bind="legend")
    point = alt.selection_point(fields=["date"], nearest=True, on="pointerover", empty=False, clear="pointerout")
    scale = alt.Scale(domain=shown, range=[BASE, *[colour(i) for i in range(1, len(names))]])
    x = alt.X("date:T", title=None, axis=alt.Axis(format="%Y", tickCount="year"))
    y = alt.Y("mean:Q", title=f"{u} per {per}", axis=_axis(u), scale=alt.Scale(zero=from_zero))
    # Every layer carries the same colour encoding, legend included (a layer without it hides the legend).
    legend = alt.Legend(
        title=None,
        orient="bottom",
        direction="horizontal",
        labelLimit=300,
        symbolType="stroke",
        symbolStrokeWidth=3,
        symbolOpacity=1,
    )
    colours = alt.Color("line:N", scale=scale, legend=legend)
    # The base dashed, in the legend as on the chart (the legend merges this with the colours).
    dashes = alt.StrokeDash(
        "line:N", scale=alt.Scale(domain=shown, range=[[7, 4], *[[1, 0]] * (len(shown) - 1)]), legend=legend
    )
    seen = alt.condition(pick, alt.value(1.0), alt.value(0.15))
    chart = alt.Chart(data)
    period_band = (
        alt.Chart(pd.DataFrame({"start": [pd.Timestamp(period[0])], "end": [pd.Timestamp(period[1])]}))
        .mark_rect(color="#9a9a9a", opacity=0.12)
        .encode(x="start:T", x2="end:T")
    )
    bands = chart.mark_area(opacity=0.12).encode(x, alt.Y("low:Q"), alt.Y2("high:Q"), color=colours)
    options = (
        chart.mark_line(strokeWidth=2)
        .encode(x, y, color=colours, strokeDash=dashes, opacity=seen)
        .transform_filter(alt.datum.line != shown[0])
        .add_params(pick)
    )
    base_line = (
        chart.mark_line(strokeWidth=2.2)
        .encode(x, y, color=colours, strokeDash=dashes, opacity=seen)
        .transform_filter(alt.datum.line == shown[0])
    )
    digits = _number(u)
    hover = (
        chart.mark_circle(size=50)
        .encode(
            x,
            y,
            color=colours,
            opacity=alt.condition(point, alt.value(1.0), alt.value(0.0)),
            tooltip=[
                alt.Tooltip("line:N", title="scenario"),
                alt.Tooltip("date:T", title=f"{per} from", format="%Y" if freq == "YS" else "%b %Y"),
                alt.Tooltip("mean:Q", title=_unit_title("mean of runs", u), format=digits),
                alt.Tooltip("low:Q", title="5th percentile", format=digits),
                alt.Tooltip("high:Q", title="95th percentile", format=digits),
            ],
        )
        .add_params(point)
    )
    rule = chart.mark_rule(color="#9a9a9a").encode(x).transform_filter(point)
    where = area.title() if area else "West Midlands force area"
    return (
        alt.layer(period_band, bands, options, base_line, rule, hover)
        .properties(
            width=WIDTH,
            height=HEIGHT,
            title=_title(
                f"{label(metric)}, {where}: {', '.join(names[1:]) or base} against {base}",
                f"Lines: mean of {runs} paired runs (the base dashed). Bands: 5th-95th percentile of runs. Shaded: "
                f"the compared period, {period[0][:4]}-{period[1][:4]}.",
            ),
        )
        .interactive(bind_y=False)
    )


def _bars(
    data: pd.DataFrame,
    *,
    across: bool,
    category: str,
    order: list[str],
    offset: str | None,
    mean: str,
    low: str,
    high: str,
    axis: alt.Axis,
    color: alt.Color,
    tooltip: list,
    offsets: list[str] | None = None,
) -> alt.LayerChart:
    """Bars of a mean with a rule over its interval, one per category (and `offset`, side by side, in the order
    `offsets`, the legend's); the bars run `across` (horizontal) or up."""
    value, cat = ("x", "y") if across else ("y", "x")
    names = alt.Axis(labelLimit=400, labelAngle=alt.Undefined if across else 0)  # whole names, level under bars
    enc = {cat: (alt.Y if across else alt.X)(f"{category}:N", sort=order, title=None, axis=names)}
    if offset:
        # In the legend's order (left unsorted, Vega-Lite would sort them alphabetically).
        enc[f"{cat}Offset"] = (alt.YOffset if across else alt.XOffset)(f"{offset}:N", sort=offsets)
    chart = alt.Chart(data)
    bars = chart.mark_bar().encode(
        **enc,
        **{value: (alt.X if across else alt.Y)(f"{mean}:Q", axis=axis)},
        color=color,
        tooltip=tooltip,
    )
    rules = chart.mark_rule(color="#333333", strokeWidth=1.2).encode(
        **enc, **{value: f"{low}:Q", f"{value}2": f"{high}:Q"}, tooltip=tooltip
    )
    return alt.layer(bars, rules, _zero_rule(value))


def _unit_title(title: str, u: str) -> str:
    return f"{title} (£)" if u == "GBP" else title


def _interval_tooltip(u: str, mean: str, low: str, high: str, *first: alt.Tooltip) -> list[alt.Tooltip]:
    digits = _number(u)
    return [
        *first,
        alt.Tooltip(f"{mean}:Q", title=_unit_title("mean", u), format=digits),
        alt.Tooltip(f"{low}:Q", title="90% interval from", format=digits),
        alt.Tooltip(f"{high}:Q", title="to", format=digits),
    ]


def area_differences(areas: pd.DataFrame, metric: str, period: tuple[str, str]) -> alt.LayerChart:
    """Difference from the base in each local authority, with 90% intervals, one bar per scenario."""
    names = list(dict.fromkeys(areas.scenario))
    base, others = names[0], names[1:]
    data = areas[areas.scenario != base].assign(place=lambda d: d.area.str.title())
    u = unit(metric)
    return _bars(
        data,
        across=True,
        category="place",
        order=list(dict.fromkeys(data.place)),
        offset="scenario",
        offsets=others,
        mean="diff_mean",
        low="diff_low",
        high="diff_high",
        axis=_axis(u, f"change from {base} ({u})"),
        color=alt.Color(
            "scenario:N", scale=_scenario_colours(others, 1), legend=alt.Legend(title=None, orient="bottom")
        ),
        tooltip=_interval_tooltip(
            u, "diff_mean", "diff_low", "diff_high", alt.Tooltip("place:N", title="area"), alt.Tooltip("scenario:N")
        ),
    ).properties(
        width=WIDTH,
        height=HEIGHT,
        title=_title(
            f"{label(metric)}: change from {base}, {period[0][:4]}-{period[1][:4]}",
            "Bars: mean paired difference. Lines: 90% interval. Local authorities of the West Midlands.",
        ),
    )


@functools.cache
def _boundaries() -> tuple[dict, ...]:
    """Each local authority's boundary as a GeoJSON feature (Mercator is drawn by Vega-Lite)."""
    from drugsim.parameters import DATA_DIR

    data = json.loads((DATA_DIR / "west_midlands_local_authorities.geojson").read_text())
    return tuple(data["features"])


def area_map(areas: pd.DataFrame, metric: str, period: tuple[str, str], option: str) -> alt.LayerChart:
    """A map of `option`'s change from the base in each local authority: coloured red (more) to blue (less) on a
    scale symmetric about zero, labelled with the change, and faded with a dashed outline where its 90% interval
    includes zero."""
    base = areas.scenario.iloc[0]
    a = areas[areas.scenario == option].set_index("area")
    reach = float(np.nanmax(np.abs(a.diff_mean.to_numpy()))) or 1.0
    u = unit(metric)
    shapes, labels = [], []
    for feature in _boundaries():
        name = feature["properties"]["name"]
        row = a.loc[name.lower()]
        noise = not (row.diff_low > 0 or row.diff_high < 0)
        props = {
            "area": name,
            "change": float(row.diff_mean),
            "low": float(row.diff_low),
            "high": float(row.diff_high),
            "noise": bool(noise),
        }
        shapes.append({**feature, "properties": props})
        lon, lat = np.asarray(feature["geometry"]["coordinates"][0]).mean(axis=0)
        labels.append({"lon": float(lon), "lat": float(lat), "text": f"{name}\n{fmt(metric, row.diff_mean, True)}"})
    fill = alt.Color(
        "properties.change:Q",
        scale=alt.Scale(scheme="redblue", reverse=True, domain=[-reach, reach], domainMid=0),
        legend=alt.Legend(title=f"change ({u})", orient="right", **_labels(u)),
    )
    land = (
        alt.Chart(alt.Data(values=shapes))
        .mark_geoshape(strokeWidth=1.2)
        .encode(
            color=fill,
            stroke=alt.condition("datum.properties.noise", alt.value("#555555"), alt.value("#ffffff")),
            fillOpacity=alt.condition("datum.properties.noise", alt.value(0.35), alt.value(1.0)),
            strokeDash=alt.condition("datum.properties.noise", alt.value([4, 3]), alt.value([1, 0])),
            tooltip=_interval_tooltip(
                u,
                "properties.change",
                "properties.low",
                "properties.high",
                alt.Tooltip("properties.area:N", title="area"),
            ),
        )
    )
    names = alt.Chart(alt.Data(values=labels)).encode(longitude="lon:Q", latitude="lat:Q", text="text:N")
    halo = names.mark_text(fontSize=10, lineBreak="\n", stroke="#ffffff", strokeWidth=3, strokeOpacity=0.8)
    text = names.mark_text(fontSize=10, lineBreak="\n", color="#111111")
    return (
        alt.layer(land, halo, text)
        .project(type="mercator")
        .properties(
            width=WIDTH,
            height=int(HEIGHT * 1.4),
            title=_title(
                f"{label(metric)}: {option} against {base}, {period[0][:4]}-{period[1][:4]}",
                "Mean paired difference; faded, with a dashed outline, where the 90% interval includes zero. "
                + MAP_ATTRIBUTION,
            ),
        )
    )


def ethnicity(eth: pd.DataFrame, period: tuple[str, str]) -> alt.FacetChart:
    """Charges and cautions per 100 possession detections by ethnic group, one bar per scenario."""
    names = list(dict.fromkeys(eth.scenario))
    groups = [g.title() for g in dict.fromkeys(eth.group)]
    long = pd.concat(
        eth.assign(outcome=f"Possession {what} per 100 detections", value=eth[f"{what}_per_100_detections"])
        for what in ("charges", "cautions")
    ).assign(group=lambda d: d.group.str.title())[["scenario", "group", "outcome", "value"]]
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("group:N", sort=groups, title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("scenario:N", sort=names),
            y=alt.Y("value:Q", title="per 100 detections"),
            color=alt.Color(
                "scenario:N", scale=_scenario_colours(names), legend=alt.Legend(title=None, orient="bottom")
            ),
            tooltip=["scenario:N", "group:N", alt.Tooltip("value:Q", format=",.1f")],
        )
        .properties(width=WIDTH // 2 - 20, height=HEIGHT - 40)
        .facet(column=alt.Column("outcome:N", title=None, sort="descending"))
        .resolve_scale(y="independent")
        .properties(
            title=_title(
                "Possession outcomes per 100 detections, by ethnic group",
                f"Mean of runs, {period[0]} to {period[1]}. Ethnic groups as recorded by police (four groups).",
            )
        )
    )


def economics(table: pd.DataFrame, outcomes: tuple[str, ...]) -> alt.HConcatChart:
    """Economic measures of each scenario against the base, with 90% intervals."""
    others = list(dict.fromkeys(table.scenario))[1:]
    panels = []
    for outcome in outcomes:
        t = table[(table.outcome == outcome) & table.scenario.isin(others)]
        panels.append(
            _bars(
                t,
                across=False,
                category="scenario",
                order=others,
                offset=None,
                mean="diff_mean",
                low="diff_low",
                high="diff_high",
                axis=_axis(unit(outcome), "change from the base"),
                color=alt.Color("scenario:N", scale=_scenario_colours(others, 1), legend=None),
                tooltip=_interval_tooltip(
                    unit(outcome), "diff_mean", "diff_low", "diff_high", alt.Tooltip("scenario:N")
                ),
            ).properties(width=WIDTH // len(outcomes) - 30, height=HEIGHT - 40, title=label(outcome))
        )
    return alt.hconcat(*panels).properties(
        title=_title("Economics at unit costs, against the base", "Lines: 90% interval over paired runs.")
    )


def appraisal_lines(table: pd.DataFrame, perspective: str) -> alt.LayerChart:
    """Each appraisal line's present value for each scenario (one perspective), with its 90% interval: what
    makes up the net present value, so that no effect is hidden in the total."""
    from drugsim.appraisal import LINES

    names = {line.name: line.label for line in LINES if line.name in set(table.measure)}
    t = table[(table.perspective == perspective) & (table.kind == "line") & table.measure.isin(names)]
    others = list(dict.fromkeys(t.scenario))
    data = t.assign(line=t.measure.map(names), mean_m=t["mean"] / 1e6, low_m=t["low"] / 1e6, high_m=t["high"] / 1e6)[
        ["scenario", "line", "mean_m", "low_m", "high_m"]
    ]
    return _bars(
        data,
        across=True,
        category="line",
        order=list(names.values()),
        offset="scenario",
        offsets=others,
        mean="mean_m",
        low="low_m",
        high="high_m",
        axis=alt.Axis(title="£m, present value (positive: better than the base)", format=",.1~f"),
        color=alt.Color(
            "scenario:N", scale=_scenario_colours(others, 1), legend=alt.Legend(title=None, orient="bottom")
        ),
        tooltip=[
            "scenario:N",
            "line:N",
            alt.Tooltip("mean_m:Q", title="£m, mean", format=",.2f"),
            alt.Tooltip("low_m:Q", title="90% interval from", format=",.2f"),
            alt.Tooltip("high_m:Q", title="to", format=",.2f"),
        ],
    ).properties(
        width=WIDTH,
        height=max(HEIGHT, 22 * len(names) * max(1, len(others))),
        title=_title(
            f"What makes up the net present value: {perspective} perspective",
            "Green Book appraisal against the base scenario; bars: mean, lines: 90% interval (docs/appraisal.md).",
        ),
    )


def calibration(fit: pd.DataFrame) -> alt.LayerChart:
    """Each target's relative error (simulated mean vs reported), with its tolerance, fitting and holdout."""
    fit = fit.sort_values(["use", "relative_error"])
    data = fit.assign(
        rel_low=(fit.simulated_low / fit.observed - 1).clip(-1, 2),
        rel_high=(fit.simulated_high / fit.observed - 1).clip(-1, 2),
        shown=fit.relative_error.clip(-1, 2),
        tol_low=-fit.tolerance,
    )[["target", "use", "relative_error", "shown", "rel_low", "rel_high", "tolerance", "tol_low", "observed"]]
    data["use"] = data.use + " target"
    y = alt.Y("target:N", sort=list(data.target), title=None, axis=alt.Axis(labelFontSize=8, labelLimit=260))
    chart = alt.Chart(data)
    # One legend for colour and shape: both layers carry the same encoding (a layer without one hides it).
    legend = alt.Legend(title=None, orient="bottom")
    uses = alt.Color("use:N", scale=alt.Scale(domain=USES, range=[PALETTE[1], PALETTE[2]]), legend=legend)
    x_scale = alt.Scale(domain=[-1.0, 2.0], clamp=True)
    tolerance = chart.mark_bar(color="#bbbbbb", opacity=0.45, height=8).encode(
        y, x=alt.X("tol_low:Q", scale=x_scale), x2="tolerance:Q"
    )
    interval = chart.mark_rule(strokeWidth=1).encode(y, x="rel_low:Q", x2="rel_high:Q", color=uses)
    points = chart.mark_point(filled=True, size=30).encode(
        y,
        x=alt.X(
            "shown:Q",
            scale=x_scale,
            title="simulated mean relative to the reported figure",
            axis=alt.Axis(format="+.0%"),
        ),
        color=uses,
        shape=alt.Shape("use:N", title=None, scale=alt.Scale(domain=USES, range=["circle", "diamond"]), legend=legend),
        tooltip=[
            "target:N",
            "use:N",
            alt.Tooltip("observed:Q", title="reported", format=",.0f"),
            alt.Tooltip("relative_error:Q", title="simulated relative to reported", format="+.0%"),
            alt.Tooltip("tolerance:Q", title="tolerance (±)", format=".0%"),
        ],
    )
    return alt.layer(tolerance, interval, _zero_rule("x"), points).properties(
        width=WIDTH,
        height=max(HEIGHT, 16 * len(data)),  # room for every target's name
        title=_title(
            "How far each simulated figure is from the reported one",
            "Grey: the target's tolerance. Lines: 90% interval of runs. Shown between -100% and +200%.",
        ),
    )


USES = ["fitting target", "holdout target"]


def to_bytes(chart: alt.TopLevelMixin, fmt: str, scale: float = 2) -> bytes:
    """The chart as PNG (`scale` times the pixels: twice for slides and downloads) or SVG bytes, rendered by
    vl-convert from the same specification the app shows."""
    import vl_convert

    spec = chart.to_dict()
    spec.setdefault("background", "white")
    if fmt == "png":
        return vl_convert.vegalite_to_png(spec, scale=scale)
    if fmt == "svg":
        return vl_convert.vegalite_to_svg(spec).encode()
    raise ValueError(f"chart format {fmt!r}: png or svg")


def render(make, fmt: str) -> bytes:
    """Make a chart with `make()` and return it as PNG or SVG bytes."""
    return to_bytes(make(), fmt)


def tornado(ranked: pd.DataFrame, centre: float, outcome_text: str, top: int = 15) -> alt.LayerChart:
    """One-at-a-time sensitivity: for each parameter, the outcome at the low and the high end of its range."""
    r = ranked.head(top)
    names = [f"{p} {rng}" for p, rng in zip(r.parameter, r["range"], strict=True)]
    ends = pd.concat(
        pd.DataFrame({"parameter": names, "end": f"parameter at its {end} value", "value": r[f"at_{end}"].to_numpy()})
        for end in ("low", "high")
    ).assign(centre=centre)
    bars = (
        alt.Chart(ends)
        .mark_bar()
        .encode(
            y=alt.Y("parameter:N", sort=names, title=None, axis=alt.Axis(labelFontSize=9, labelLimit=320)),
            x=alt.X("centre:Q", title=None, axis=alt.Axis(format=",.0f"), scale=alt.Scale(zero=False)),
            x2="value:Q",
            color=alt.Color(
                "end:N",
                title=None,
                scale=alt.Scale(
                    domain=["parameter at its low value", "parameter at its high value"], range=[PALETTE[1], PALETTE[2]]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["parameter:N", "end:N", alt.Tooltip("value:Q", title="outcome", format=",.1f")],
        )
    )
    line = alt.Chart(pd.DataFrame({"centre": [centre]})).mark_rule(color="#333333").encode(x="centre:Q")
    return alt.layer(bars, line).properties(
        width=WIDTH - 120,
        height=max(180, 22 * len(names)),
        title=_title(
            f"One at a time: {outcome_text}",
            "Others held at the scenario's values. The vertical line is the outcome with every value as in the "
            "scenario.",
        ),
    )


def morris(ranked: pd.DataFrame, outcome_text: str, top: int = 15) -> alt.HConcatChart:
    """Morris screening: mu* (influence) with its interval, and mu* against sigma (interaction, non-linearity)."""
    r = ranked.head(top)[["parameter", "value", "low", "high", "sigma"]]
    order = list(r.parameter)
    bars = _bars(
        r,
        across=True,
        category="parameter",
        order=order,
        offset=None,
        mean="value",
        low="low",
        high="high",
        axis=alt.Axis(title="mu* (mean absolute elementary effect)", format=",.3~g"),
        color=alt.value(PALETTE[1]),
        tooltip=["parameter:N", alt.Tooltip("value:Q", title="mu*", format=",.3~g")],
    ).properties(width=300, height=max(180, 20 * len(r)))
    lim = max(float(r["value"].max()), float(r["sigma"].max()), 1e-9) * 1.05
    scatter = alt.Chart(r).encode(x=alt.X("value:Q", title="mu*"), y=alt.Y("sigma:Q", title="sigma"))
    diagonal = (
        alt.Chart(pd.DataFrame({"value": [0.0, lim], "sigma": [0.0, lim]}))
        .mark_line(color="#999999", strokeDash=[4, 3])
        .encode(x="value:Q", y="sigma:Q")
    )
    dots = scatter.mark_circle(size=40, color=PALETTE[2]).encode(tooltip=["parameter:N", "value:Q", "sigma:Q"])
    names = scatter.transform_window(rank="row_number()").transform_filter(alt.datum.rank <= 8)
    names = names.mark_text(align="left", dx=4, dy=-4, fontSize=8).encode(text="parameter:N")
    return alt.hconcat(
        bars, alt.layer(diagonal, dots, names).properties(width=300, height=max(180, 20 * len(r)))
    ).properties(
        title=_title(
            f"Morris: {outcome_text}",
            "Bars: 90% bootstrap interval. Above the dashed line (sigma = mu*), a parameter's effect depends strongly "
            "on the others.",
        )
    )


def sobol(ranked: pd.DataFrame, table: pd.DataFrame, outcome_text: str, top: int = 15) -> alt.LayerChart:
    """Sobol indices: first-order (S1) and total (ST), with intervals."""
    names = list(ranked.head(top).parameter)
    data = table[table["index"].isin(["S1", "ST"]) & table.parameter.isin(names)]
    data = data[["parameter", "index", "value", "low", "high"]]
    return _bars(
        data,
        across=True,
        category="parameter",
        order=names,
        offset="index",
        offsets=["S1", "ST"],
        mean="value",
        low="low",
        high="high",
        axis=alt.Axis(title="share of the outcome's variance", format=".0%"),
        color=alt.Color(
            "index:N",
            title=None,
            scale=alt.Scale(domain=["S1", "ST"], range=[PALETTE[1], PALETTE[2]]),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=["parameter:N", "index:N", alt.Tooltip("value:Q", format=".2f")],
    ).properties(
        width=WIDTH - 120,
        height=max(180, 24 * len(names)),
        title=_title(
            f"Sobol: {outcome_text}",
            "S1: share of variance from the parameter alone; ST: alone and with others. Lines: 90% intervals.",
        ),
    )


def sensitivity(method: str, table: pd.DataFrame, ranked: pd.DataFrame, outcome_text: str) -> alt.TopLevelMixin:
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
