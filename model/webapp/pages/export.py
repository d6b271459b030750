"""Export: the briefing pack, every chart as PNG and SVG, every table as CSV and XLSX, and the scenario files."""

from __future__ import annotations

import streamlit as st

from drugsim.webapp import charts, state
from drugsim.webapp.export import all_tables, key_figures, pack_files, pack_stem, reproduce_command
from drugsim.webapp.pages import HERE
from drugsim.webapp.widgets import table_downloads

st.title("Export")
c = state.comparison()
if c is None:
    st.info("Run a comparison on the Compare page first: the briefing pack, charts and tables come from it.")
    st.page_link(str(HERE / "compare.py"), label="Go to Compare scenarios", icon=":material/compare_arrows:")
    st.stop()

names = ", ".join(s.name for s in c.others)
st.markdown(
    f"From the last comparison: **{names}** against **{c.base.name}**, {c.period[0]} to {c.period[1]}, "
    f"{c.n_runs} paired runs{f' with {c.draws} calibration draws' if c.draws else ''}."
)

st.subheader("Briefing pack")
st.markdown(
    "A PDF for a board or summit: key messages, the headline cards, the key charts, the economics, the assumptions "
    "behind the numbers with their sources and a key to evidence grades, and what reproduces them (model version, "
    "scenario hashes, seeds). The slides carry the same headlines and charts as an editable PowerPoint deck."
)
stem = pack_stem(c)
files = pack_files(c)  # the same files `drugsim brief` writes
st.download_button(
    "Download the briefing pack (PDF)",
    files[f"{stem}.pdf"],
    f"{stem}.pdf",
    "application/pdf",
    key="export_pdf",
    type="primary",
    on_click="ignore",
    icon=":material/picture_as_pdf:",
)

st.download_button(
    "Download the slides (PPTX)",
    files[f"{stem}.pptx"],
    f"{stem}.pptx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    key="export_pptx",
    on_click="ignore",
    icon=":material/slideshow:",
    help="An editable deck: key messages, one slide of headlines per option (a real table), one per key chart, "
    "and how to reproduce the numbers; speaker notes give the sources behind each slide.",
)

st.subheader("Charts")
figures = key_figures(c)
st.download_button(
    "All charts (ZIP of PNG and SVG)",
    files["drugsim_charts.zip"],
    "drugsim_charts.zip",
    "application/zip",
    key="export_zip",
    on_click="ignore",
    icon=":material/folder_zip:",
)
for stem_, make in figures.items():
    a, b, d = st.columns([3, 1, 1])
    a.markdown(f"`{stem_}`")

    b.download_button(
        "PNG",
        lambda m=make: charts.render(m, "png"),
        f"{stem_}.png",
        "image/png",
        key=f"export_png_{stem_}",
        on_click="ignore",
    )
    d.download_button(
        "SVG",
        lambda m=make: charts.render(m, "svg"),
        f"{stem_}.svg",
        "image/svg+xml",
        key=f"export_svg_{stem_}",
        on_click="ignore",
    )

st.subheader("Tables")
tables = all_tables(c)
st.download_button(
    "All tables (one XLSX workbook)",
    files["drugsim_tables.xlsx"],
    "drugsim_tables.xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    key="export_xlsx",
    on_click="ignore",
    icon=":material/table:",
)
for name, table in tables.items():
    st.markdown(f"`{name}`: {len(table)} rows")
    table_downloads(table, f"drugsim_{name}", f"export_{name}")

built = {s.name: state.built()[s.name] for s in c.scenarios if s.name in state.built()}
st.subheader("Reproduce from the command line")
st.markdown(
    "This command makes the same numbers with `drugsim` installed (`pip install drugsim`), this session's edited "
    "assumptions included; its results folder can then be made into the same pack with `drugsim brief`."
    + (
        " A scenario built or loaded in this session is named here: download its file below and give the file's path "
        "instead of its name."
        if built
        else ""
    )
)
st.code(reproduce_command(c), language="bash", wrap_lines=True)

if built:
    st.subheader("Scenario files built in this session")
    for name, text in built.items():
        st.download_button(
            f"{name}.toml", text, f"{name}.toml", "application/toml", key=f"export_toml_{name}", on_click="ignore"
        )
