"""Page pieces used on several pages: a chart with its downloads and its assumptions, table downloads."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st

from drugsim.parameters import parameter_table
from drugsim.webapp import charts
from drugsim.webapp.export import csv_bytes, xlsx_bytes
from drugsim.webapp.labels import depends_on, label
from drugsim.webapp.pages import HERE

_CHARTS = "_charts"
_FRAME = 150  # pixels: a chart's title and note, axis labels and a legend under it
#: Markdown's special characters: user text (scenario names, descriptions, file names, values in messages) is
#: escaped so that it shows as typed and can never become a link, an image fetched from elsewhere, or markup.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=])")


def plain(text: object) -> str:
    """`text` escaped for st.markdown and the other Markdown-rendering elements."""
    return _MARKDOWN.sub(r"\\\1", str(text))


def problem(title: str, detail: object, warning: bool = False) -> None:
    """A refusal on the page: a plain title, and the detail (which quotes the user's own input) as plain text."""
    (st.warning if warning else st.error)(title)
    st.code(str(detail), language=None, wrap_lines=True)


def chart(make: Callable, key: str, stem: str, alt: str, outcomes: tuple[str, ...] = (), note: str = "") -> None:
    """Show a chart (made once, then kept for this session), interactive, with PNG and SVG downloads of the same
    chart, and a link to the assumptions it depends on. `make` returns an Altair chart; `alt` describes it for
    screen readers (the chart's description) and is shown under it; `note` is added under the chart's title (the
    edited assumptions behind it, say)."""
    cache = st.session_state.setdefault(_CHARTS, {})
    if key not in cache:
        made = charts.noting(make(), note).properties(description=alt)
        # Fitted to the column, a chart would keep its total height and squeeze the plot under its title and
        # legend: give the plot the height it has in exports, plus room for those (worked out once, not each rerun).
        # Unvalidated: st.altair_chart validates the chart when it is shown, and validating it twice took about a
        # tenth of the Compare page's time after its runs.
        plot = made.to_dict(validate=False).get("height")
        cache[key] = made, plot + _FRAME if isinstance(plot, int) else "content"
    shown, height = cache[key]
    st.altair_chart(shown, width="stretch", height=height)
    st.caption(alt)
    a, b, c = st.columns([1, 1, 4])
    for col, fmt, mime in ((a, "png", "image/png"), (b, "svg", "image/svg+xml")):
        col.download_button(
            fmt.upper(),
            lambda f=fmt: charts.to_bytes(shown, f),
            f"{stem}.{fmt}",
            mime,
            key=f"{fmt}_{key}",
            on_click="ignore",
            icon=":material/image:",
        )
    if outcomes:
        with c:
            assumptions_link(outcomes, key)


def forget_charts() -> None:
    """Drop rendered charts (when the comparison they draw changes)."""
    st.session_state[_CHARTS] = {}


def assumptions_link(outcomes: tuple[str, ...], key: str) -> None:
    """An expander naming the parameter groups behind `outcomes`, with a button that opens them on the
    Assumptions page."""
    groups = sorted({g for o in outcomes for g in depends_on(o)})
    if not groups:
        return
    with st.expander("Assumptions behind this chart"):
        table = parameter_table()
        n = sum(p.group in groups for p in table.values())
        st.markdown(
            f"{', '.join(label(o) for o in outcomes)} depend on {n} parameters in these groups: "
            + ", ".join(f"`{g}`" for g in groups)
            + ". Each has a value, a plausible range and a source."
        )
        if st.button("Open them in Assumptions", key=f"assume_{key}", icon=":material/menu_book:"):
            st.session_state["assumption_groups"] = groups
            st.switch_page(str(HERE / "assumptions.py"))


def table_downloads(table: pd.DataFrame, stem: str, key: str) -> None:
    """CSV and XLSX downloads of one table."""
    a, b, _ = st.columns([1, 1, 4])
    a.download_button(
        "CSV", csv_bytes(table), f"{stem}.csv", "text/csv", key=f"csv_{key}", on_click="ignore", icon=":material/table:"
    )
    b.download_button(
        "XLSX",
        lambda: xlsx_bytes({stem: table}),
        f"{stem}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"xlsx_{key}",
        on_click="ignore",
        icon=":material/table:",
    )


def stop_control(col, prefix: str, what: str, again: str, go: bool) -> None:
    """A Stop button in `col`, and after a stop how many runs were kept. Pressing it reruns the page, which
    interrupts the running script at its next progress report (queued runs are cancelled, finished ones kept); the
    page sets `{prefix}_running` while it runs and `{prefix}_done` as runs finish."""
    col.button(
        "Stop",
        key=f"{prefix}_stop",
        icon=":material/stop:",
        help=f"Stop {what} that is running; finished runs are kept.",
    )
    if st.session_state.get(f"{prefix}_running") and not go:
        done = st.session_state.get(f"{prefix}_done", 0)
        st.warning(
            f"Stopped: {done} run(s) finished and are kept. Press **{again}** to do only the rest."
            if done
            else f"Stopped before any run finished. Press **{again}** to start again."
        )
        st.session_state[f"{prefix}_running"] = False
