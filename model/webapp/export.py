"""Exports: tables as CSV and XLSX, and the briefing pack (a PDF for a board or summit) built from a comparison.

The pack holds the key messages, the headline cards, the key charts, the economics and the appraisal, the key to
evidence grades, the assumptions behind the numbers with their sources, and what reproduces them (model version,
scenario hashes, seeds, draws). Every page is checked to keep its text inside the page (`pack_pages`).
"""

from __future__ import annotations

import datetime as dt
import io
import textwrap
import zipfile
from collections.abc import Callable, Iterator

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from drugsim import __version__
from drugsim.compare import ECONOMICS
from drugsim.parameters import parameter_table
from drugsim.webapp import charts, trust
from drugsim.webapp.cards import OUTCOME_CARDS, cards
from drugsim.webapp.labels import depends_on, fmt, label, number
from drugsim.webapp.runs import Comparison

A4_LANDSCAPE = (11.69, 8.27)
KEY_CHARTS = ("drug_deaths", "acquisitive_crimes", "active_county_lines", "criminal_records")


def csv_bytes(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False).encode()


def xlsx_bytes(tables: dict[str, pd.DataFrame]) -> bytes:
    """One workbook, one sheet per table (sheet names cut to Excel's 31 characters)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        for name, table in tables.items():
            table.to_excel(xl, sheet_name=name[:31], index=False)
    return buf.getvalue()


def headline_table(c: Comparison, numeric: bool = False) -> pd.DataFrame:
    """The headline cards as a table: each scenario's difference from the base with its 90% interval, the chance
    it is better, and the card's explanation (drugsim.webapp.cards). As shown on the cards, or with `numeric` as
    numbers with their unit (for workbooks and CSV)."""
    rows = []
    for s in c.others:
        for card in cards(c, s.name):
            shown = {"difference": card.value, "90% interval": card.interval.removesuffix(" (90%)")}
            if numeric:
                shown = {
                    "unit": card.unit,
                    "difference": card.mean,
                    "low (90%)": card.low,
                    "high (90%)": card.high,
                    "p_better": card.p_better,
                }
            rows.append(
                {
                    "scenario": s.name,
                    "outcome": card.title,
                    **shown,
                    **({} if numeric else {"chance better": card.chance}),
                    "within noise": "yes" if card.noise else "no",
                    "note": card.note,
                    "against the reports": card.trust,
                }
            )
    return pd.DataFrame(rows)


def economics_table(c: Comparison, numeric: bool = False) -> pd.DataFrame:
    t = c.table[c.table.outcome.isin(ECONOMICS) & (c.table.scenario != c.base.name)]
    if numeric:
        return pd.DataFrame(
            {
                "scenario": t.scenario,
                "measure": t.outcome.map(label),
                "unit": t.outcome.map(lambda o: "ratio" if o == "return_per_gbp" else "GBP"),
                "estimate": t.diff_mean,
                "low (90%)": t.diff_low,
                "high (90%)": t.diff_high,
            }
        )
    return pd.DataFrame(
        {
            "scenario": t.scenario,
            "measure": t.outcome.map(label),
            "estimate": [fmt(o, v) for o, v in zip(t.outcome, t.diff_mean, strict=True)],
            "90% interval": [
                f"{fmt(o, lo)} to {fmt(o, hi)}" for o, lo, hi in zip(t.outcome, t.diff_low, t.diff_high, strict=True)
            ],
        }
    )


def appraisal_table(c: Comparison) -> pd.DataFrame:
    """The appraisal's headline (drugsim.appraisal.headline): each measure for each scenario, £m with intervals."""
    from drugsim.appraisal import headline

    return headline(c.appraisal).rename_axis("measure").reset_index()


def assumptions_table(c: Comparison, outcomes=(*OUTCOME_CARDS, "net_benefit_gbp")) -> pd.DataFrame:
    """The parameters behind the given outcomes: value used, plausible range, unit and source. Values that a
    scenario or this session changed from the table are marked."""
    table = parameter_table()
    groups = {g for o in outcomes for g in depends_on(o)}
    rows = []
    for p in table.values():
        used = {s.name: s.params[p.name] for s in c.scenarios}
        changed = p.name in c.overrides or any(v != p.value for v in used.values())
        if p.group not in groups and not changed:
            continue
        rows.append(
            {
                "parameter": p.name,
                "group": p.group,
                "value used": ", ".join(sorted({number(v) for v in used.values()})),
                "table value": number(p.value),
                "range": f"{number(p.low)} to {number(p.high)}",
                "unit": p.unit,
                "changed": "session" if p.name in c.overrides else ("scenario/calibration" if changed else ""),
                "source": p.source,
                "meaning": p.meaning,
            }
        )
    return pd.DataFrame(rows)


def bibliography_table(c: Comparison) -> pd.DataFrame:
    """The works behind the pack's numbers: those its assumptions cite, the published figures the model was fitted
    to and checked against (the trust lines), and the area data, price deflators and map boundaries."""
    from drugsim.references import bibliography, cited_sources

    behind = set(assumptions_table(c).parameter)
    return bibliography({k: v for k, v in cited_sources().items() if k in behind or k not in parameter_table()})


def all_tables(c: Comparison) -> dict[str, pd.DataFrame]:
    """Every table of a comparison, by sheet name, with numbers as numbers (units in their own column)."""
    return {
        "headlines": headline_table(c, numeric=True),
        "comparison": c.table,
        "economics": economics_table(c, numeric=True),
        "appraisal": c.appraisal,
        "by_area_deaths": c.areas("drug_deaths"),
        "by_ethnicity": c.ethnicity,
        "assumptions": assumptions_table(c),
        "bibliography": bibliography_table(c),
        "reproducibility": c.reproducibility(),
    }


#: Evidence grades as the parameter table's sources use them (EVIDENCE.md's key), for the pack's reader.
GRADES = (
    "Evidence grades in the sources: A = official statistic or peer-reviewed primary source; B = official figure "
    "reported by a reputable secondary source; C = secondary, unofficial or derived; U = unverified or an "
    "assumption (given a wide range, which the probabilistic sensitivity analysis carries into the answers). A "
    "source naming a report (for example 2023-02_spcb_preventing-and-reducing-crime §9) is the PCC's or West "
    "Midlands Police's own published "
    "figure, cited by file and paragraph."
)
_LINE = 0.028  # height of one line of 10-point text, as a share of an A4 landscape page


def _text_pages(title: str, lines: list[str], size: int = 10) -> Iterator[Figure]:
    """Wrapped lines of text under a title, continued on further pages as needed (none runs off the page)."""
    parts = [part for line in lines for part in (textwrap.wrap(line, int(135 * 10 / size)) or [""])]
    step = _LINE * size / 10
    per_page = int((0.85 - 0.05) / step)
    for first in range(0, max(len(parts), 1), per_page):
        fig = plt.figure(figsize=A4_LANDSCAPE)
        fig.text(0.05, 0.93, title + (" (continued)" if first else ""), fontsize=18, weight="bold", va="top")
        for i, part in enumerate(parts[first : first + per_page]):
            fig.text(0.05, 0.85 - i * step, part, fontsize=size, va="top", family="DejaVu Sans")
        yield fig


def _cell(value) -> str:
    """A table cell as text."""
    return number(value) if isinstance(value, float) else str(value)


def _table_pages(title: str, table: pd.DataFrame, widths: dict[str, int], lines_per_page: int = 44):
    """A table over as many pages as it needs. Each cell wraps at its column's width (in characters at 7 points,
    so nothing is cut off), and each row is as tall as its longest cell."""
    cols = list(widths)
    rows = [[textwrap.wrap(_cell(v), widths[col]) or [""] for col, v in r.items()] for _, r in table[cols].iterrows()]
    pages, page, used = [], [], 0
    for row in rows:
        height = max(len(cell) for cell in row)
        if page and used + height > lines_per_page:
            pages.append(page)
            page, used = [], 0
        page.append(row)
        used += height
    pages.append(page)
    total = sum(widths.values())
    line_h = 0.86 / (lines_per_page + 2)  # axes height over the lines a page holds (and the header)
    for k, chunk in enumerate(pages):
        fig = plt.figure(figsize=A4_LANDSCAPE)
        fig.text(0.05, 0.95, title + (" (continued)" if k else ""), fontsize=16, weight="bold", va="top")
        ax = fig.add_axes((0.03, 0.04, 0.94, 0.86))
        ax.axis("off")
        t = ax.table(
            cellText=[["\n".join(cell) for cell in row] for row in chunk] or [[""] * len(cols)],
            colLabels=cols,
            colWidths=[widths[col] / total for col in cols],
            loc="upper left",
            cellLoc="left",
        )
        t.auto_set_font_size(False)
        t.set_fontsize(7)
        for (r, _), cell in t.get_celld().items():
            lines = 1 if r == 0 or not chunk else max(len(c) for c in chunk[r - 1])
            cell.set_height(line_h * lines + line_h * 0.4)
            cell.get_text().set_verticalalignment("center")
            if r == 0:
                cell.set_text_props(weight="bold")
                cell.set_facecolor("#eeeeee")
        yield fig


def key_messages(c: Comparison) -> list[str]:
    """What a reader should take away: for each option, the headlines clear of noise and what explains them."""
    out = []
    for s in c.others:
        clear = [card for card in cards(c, s.name) if not card.noise]
        out.append(f"{s.name} against {c.base.name}, {c.period[0][:4]}-{c.period[1][:4]}:")
        if not clear:
            out.append("  - no headline differs from the base beyond its 90% interval.")
        for card in clear:
            out.append(f"  - {card.title}: {card.value} ({card.interval}). {card.note}".rstrip())
        out.append("")
    return out


def pack_pages(c: Comparison) -> Iterator[Figure]:
    """The briefing pack, page by page (each a matplotlib figure the size of an A4 landscape page)."""
    today = dt.date.today().isoformat()
    start, end = c.period
    yield from _text_pages(
        "drugsim briefing pack",
        [
            f"Scenarios compared: {', '.join(s.name for s in c.others)}, each against {c.base.name}.",
            f"Period: {start} to {end}. {c.n_runs} paired runs per scenario"
            + (
                f", each drawing every uncertain parameter from its range (a probabilistic sensitivity "
                f"analysis of {c.draws} draws): intervals are 90% prediction intervals."
                if c.psa
                else ", parameters fixed at their fitted values: intervals are of the mean (chance only)."
            ),
            f"Made {today} with drugsim {__version__}: an agent-based model of drug harm, supply and county lines "
            "in the West Midlands Police area, calibrated to the PCC's and West Midlands Police's published "
            "figures.",
            "",
            *[f"{s.name}: {s.description}" for s in c.scenarios],
            "",
            "How to read it: each headline is the difference from the base scenario over the period, the mean of "
            "paired runs (same random numbers in each scenario), with a 90% interval. 'Within noise' means the "
            "interval includes zero: the runs cannot tell the difference from no change.",
            trust.overall(),
            "Every number the model uses is in the assumptions pages with its source; the last page gives what "
            "reproduces these results exactly.",
        ],
    )
    yield from _text_pages("Key messages", key_messages(c))
    yield from _table_pages(
        "Headlines",
        headline_table(c),
        {"scenario": 16, "outcome": 26, "difference": 10, "90% interval": 20, "chance better": 20, "note": 50},
    )
    for make in key_figures(c).values():
        yield _chart_page(make())
    yield from _table_pages(
        "Economics at unit costs (not the appraisal)",
        economics_table(c),
        {"scenario": 20, "measure": 50, "estimate": 16, "90% interval": 30},
    )
    appraisal = appraisal_table(c)
    yield from _table_pages(
        "Appraisal (Green Book): £m, present values, with 90% intervals and P(positive)",
        appraisal,
        {col: (30 if col == "measure" else 36) for col in appraisal.columns},
    )
    for view in ("public", "societal"):
        yield _chart_page(charts.noting(charts.appraisal_lines(c.appraisal, view), charts.edited_note(c.overrides)))
    yield from _text_pages("Evidence grades", [GRADES])
    yield from _table_pages(
        "Assumptions behind the headlines, with sources",
        assumptions_table(c),
        {"parameter": 28, "value used": 12, "range": 16, "unit": 12, "changed": 10, "source": 60},
    )
    yield from _table_pages(
        "Bibliography: the works cited",
        bibliography_table(c),
        {"reference": 110, "kind": 18, "cited for": 46},
        lines_per_page=40,
    )
    repro = c.reproducibility()
    yield from _text_pages(
        "Reproducibility",
        [
            f"Model: drugsim {__version__}. Seeds {c.seeds[0]}-{c.seeds[-1]}; "
            f"PSA draws: {str(c.draws) + ' (Sobol design, seed 0)' if c.psa else 'none (fitted values)'}.",
            f"Session changes to assumptions: {repro.session_overrides.iloc[0]}.",
            "",
            *[
                f"{r.scenario}: resolved_sha256 {r.resolved_sha256} (everything that determines results); "
                f"files content_sha256 {r.content_sha256}"
                for r in repro.itertuples()
            ],
            "",
            "To reproduce from the command line: " + reproduce_command(c),
            "(a scenario built or uploaded in the app is in the Export page's TOML download: give its file instead "
            "of its name).",
        ],
        size=9,
    )


def reproduce_command(c: Comparison, out: str = "results/briefing") -> str:
    """The `drugsim compare` command that reproduces the comparison's numbers, this session's edited assumptions
    included (as --set)."""
    start, end = c.period
    return (
        "drugsim compare "
        + " ".join(s.name for s in c.scenarios)
        + "".join(f" --set {k}={float(v)!r}" for k, v in c.overrides.items())
        + f" --seeds {c.n_runs}"
        + (f" --psa {c.draws} --sampler {c.design['sampler']}" if c.psa else " --fixed")
        + (f" --psa-seed {c.design['seed']}" if c.psa and c.design["seed"] else "")
        + (f" --widen {c.design['widen']:g}" if c.psa and c.design["widen"] != 1 else "")
        + (f" --price-year {c.price_year}" if c.price_year != 2024 else "")
        + (f" --life-value {c.life_value}" if c.life_value != "qaly" else "")
        + f" --period {start}:{end} --out {out}"
    )


def _chart_page(chart) -> Figure:
    """A page holding one chart: the PNG that the app's downloads and the slides use (vl-convert, from the chart's
    one specification), placed inside the page's margins at its own proportions and embedded at its full
    resolution (no resampling)."""
    # Three times the pixels: about 200 per inch across the page, sharp in print.
    image = plt.imread(io.BytesIO(charts.to_bytes(chart, "png", scale=3)), format="png")
    fig = plt.figure(figsize=A4_LANDSCAPE)
    ax = fig.add_axes((0.04, 0.04, 0.92, 0.92))
    ax.imshow(image, interpolation="none")
    ax.axis("off")
    return fig


def briefing_pdf(c: Comparison) -> bytes:
    """The briefing pack as PDF bytes."""
    buf = io.BytesIO()
    with PdfPages(buf) as pdf:
        info = pdf.infodict()
        info["Title"] = f"drugsim briefing: {', '.join(s.name for s in c.others)} against {c.base.name}"
        info["Subject"] = "West Midlands drug policy simulation"
        for fig in pack_pages(c):
            pdf.savefig(fig)
            plt.close(fig)
    return buf.getvalue()


def key_figures(c: Comparison) -> dict[str, object]:
    """The charts of a comparison worth exporting (and in the pack), by file stem: chart factories (called when
    needed)."""
    out = {f"{m}_over_time": (lambda m=m: charts.timeseries(c.series(m), m, c.period, c.n_runs)) for m in KEY_CHARTS}
    out["drug_deaths_by_local_authority"] = lambda: charts.area_differences(
        c.areas("drug_deaths"), "drug_deaths", c.period
    )
    for s in c.others:
        out[f"drug_deaths_map_{s.name}"] = lambda o=s.name: charts.area_map(
            c.areas("drug_deaths"), "drug_deaths", c.period, o
        )
    out["possession_outcomes_by_ethnicity"] = lambda: charts.ethnicity(c.ethnicity, c.period)
    out["economics"] = lambda: charts.economics(
        c.table, ("intervention_spend_gbp", "costs_avoided_gbp", "net_benefit_gbp")
    )
    note = charts.edited_note(c.overrides)  # results made with edited assumptions say so on every chart
    return {stem: (lambda make=make: charts.noting(make(), note)) for stem, make in out.items()}


def charts_zip(figures: dict[str, object]) -> bytes:
    """Every chart as PNG and SVG in one ZIP file."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for stem, make in figures.items():
            chart = make()
            for fmt_ in ("png", "svg"):
                z.writestr(f"{stem}.{fmt_}", charts.to_bytes(chart, fmt_))
    return buf.getvalue()


def pack_stem(c: Comparison) -> str:
    """The briefing pack's file name without its extension: the options compared."""
    return f"drugsim_briefing_{'_'.join(s.name for s in c.others)}"[:80]


def pack_files(c: Comparison) -> dict[str, Callable[[], bytes]]:
    """The pack's files by name, each made when called: what the app's Export page offers and what `drugsim brief`
    writes, declared once."""
    from drugsim.webapp.slides import slides_pptx  # the slides use this module's tables

    stem = pack_stem(c)
    return {
        f"{stem}.pdf": lambda: briefing_pdf(c),
        f"{stem}.pptx": lambda: slides_pptx(c),
        "drugsim_charts.zip": lambda: charts_zip(key_figures(c)),
        "drugsim_tables.xlsx": lambda: xlsx_bytes(all_tables(c)),
    }
