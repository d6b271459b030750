"""drugsim's Streamlit front end (first page): run a scenario from the library and look at its outcomes.

Start it with `streamlit run app.py`. The simulation runs only when asked, and finished runs are cached by
the scenario's content hash and seeds, so the page stays fast on reruns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from model.ensemble import make_executor, plan, run_ensemble
from model.metrics import METRICS
from model.parameters import FORCE_AREA, parameter_table
from model.results import SUMMARY_METRICS, annual_summary
from model.runner import tidy
from model.scenario import ScenarioError, load_scenario

SCENARIO_DIR = Path(__file__).parent / "scenarios"


@st.cache_resource
def finished_runs() -> dict:
    """Finished results by (scenario content hash, seeds), kept across reruns and sessions."""
    return {}


def simulate(scenario, seeds: int) -> pd.DataFrame:
    """Weekly results for every area and metric, run on all cores with a progress bar, cached by content hash."""
    key = (scenario.resolved_sha256, seeds)
    cache = finished_runs()
    if key not in cache:
        bar = st.progress(0.0, text="Starting...")

        def progress(done: int, total: int) -> None:
            bar.progress(done / total, text=f"{done} of {total} runs finished")

        runs = plan([scenario], seeds)
        if seeds > 1:
            with make_executor() as pool:
                results = run_ensemble(runs, pool, progress=progress)
        else:
            results = run_ensemble(runs, progress=progress)
        bar.empty()
        df = pd.concat([tidy(scenario, r.seed, results[r.key]) for r in runs], ignore_index=True)
        for col in ("scenario", "week", "area", "metric"):
            df[col] = df[col].astype(str)
        cache[key] = df
    return cache[key]


def headline(df: pd.DataFrame, metric: str, start: str, end: str) -> float:
    sel = df[(df.metric == metric) & (df.area == FORCE_AREA) & (df.week >= start) & (df.week <= end)]
    per_seed = sel.groupby("seed")["value"]
    return float((per_seed.mean() if METRICS[metric].kind == "stock" else per_seed.sum()).mean())


st.set_page_config(page_title="drugsim: West Midlands drug policy simulator", layout="wide")
st.title("drugsim: drug harm, supply and county lines in the West Midlands")
st.caption(
    "An agent-based simulation of every person who uses opiates or crack, and the cannabis and cocaine users "
    "the police meet, in the seven local authorities of the West Midlands Police area, week by week from "
    "2019 to 2030. Every number comes from the parameter table below, with its source."
)

files = sorted(SCENARIO_DIR.glob("*.toml"))
with st.sidebar:
    st.header("Scenario")
    names = [f.stem for f in files]
    choice = st.selectbox("Scenario file", names, index=names.index("baseline"), key="scenario")
    seeds = st.number_input(
        "Runs (seeds)",
        min_value=1,
        max_value=20,
        value=1,
        key="seeds",
        help="More runs give a steadier average; each full run takes a few seconds.",
    )
    go = st.button("Run simulation", key="run", type="primary")

path = SCENARIO_DIR / f"{choice}.toml"
try:
    scenario = load_scenario(path)
except ScenarioError as e:
    st.error(f"This scenario file cannot be run:\n\n{e}")
    st.stop()

st.subheader(scenario.name)
st.write(scenario.description)
if scenario.funding:
    st.caption(f"Funding assumed: {scenario.funding}")

key = (scenario.resolved_sha256, int(seeds))
if go:
    st.session_state["results"] = (key, simulate(scenario, int(seeds)))

stored = st.session_state.get("results")
if stored is None or stored[0] != key:
    st.info("Choose a scenario and press **Run simulation**.")
else:
    df = stored[1]
    period = ("2025-01-01", "2030-12-31")
    st.markdown(f"**Projection {period[0][:4]}-{period[1][:4]}**, mean of {seeds} run(s)")
    cols = st.columns(4)
    for col, (metric, label) in zip(
        cols,
        [
            ("drug_deaths", "Drug deaths"),
            ("acquisitive_crimes", "Acquisitive crimes by OCUs"),
            ("active_county_lines", "Active county lines (average)"),
            ("spend_total_gbp", "Intervention spend (GBP)"),
        ],
        strict=True,
    ):
        col.metric(label, f"{headline(df, metric, *period):,.0f}", help=METRICS[metric].meaning)

    st.markdown("#### Annual totals, West Midlands")
    table = annual_summary(df.astype({"week": str}), SUMMARY_METRICS)
    st.dataframe(table.style.format("{:,.0f}"), key="summary")
    st.download_button(
        "Download annual totals (CSV)",
        table.to_csv().encode(),
        f"{scenario.name}_annual.csv",
        "text/csv",
        key="download_summary",
    )

    st.markdown("#### Week by week, by local authority")
    metric = st.selectbox(
        "Outcome",
        list(METRICS),
        index=list(METRICS).index("drug_deaths"),
        key="metric",
        format_func=lambda m: f"{m}: {METRICS[m].meaning}",
    )
    weekly = (
        df[(df.metric == metric) & (df.area != FORCE_AREA)].groupby(["week", "area"])["value"].mean().unstack("area")
    )
    weekly.index = pd.to_datetime(weekly.index)
    if METRICS[metric].kind == "flow":
        weekly = weekly.resample("QS").sum()
        st.caption(f"{METRICS[metric].unit}, summed by quarter, mean of runs")
    else:
        st.caption(f"{METRICS[metric].unit} at the end of each week, mean of runs")
    st.line_chart(weekly)

with st.expander("Assumptions: the parameter table (value, plausible range, unit, source)"):
    query = st.text_input("Search parameters", key="param_search")
    params = pd.DataFrame(
        [{**p.__dict__, "scenario value": scenario.params[p.name]} for p in parameter_table().values()]
    )
    if query:
        mask = params.apply(lambda r: query.lower() in " ".join(map(str, r.values)).lower(), axis=1)
        params = params[mask]
    st.dataframe(
        params[["name", "scenario value", "value", "low", "high", "unit", "source", "meaning"]],
        hide_index=True,
        key="params",
    )
