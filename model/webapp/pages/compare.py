"""Compare scenarios: pick a base and others, a period and a number of runs; see each scenario's difference from the
base with its interval, over time, by area, by ethnicity, and in money."""

from __future__ import annotations

import hashlib
import time

import streamlit as st

from drugsim.appraisal import Settings
from drugsim.branching import cost_in_runs
from drugsim.compare import COSTS_AVOIDED, OUTCOMES, SPENDING
from drugsim.ensemble import RunFailed, WorkerDied
from drugsim.parameters import AREAS, FORCE_AREA
from drugsim.scenario import ScenarioError
from drugsim.webapp import charts, state
from drugsim.webapp.cards import cards
from drugsim.webapp.export import appraisal_table, economics_table, headline_table
from drugsim.webapp.labels import label
from drugsim.webapp.runs import prepare, run_comparison
from drugsim.webapp.widgets import chart, forget_charts, plain, problem, stop_control, table_downloads

st.title("Compare scenarios")
st.markdown(
    "Choose a **base** (usually `baseline`: the world as it happened and as currently funded) and the scenarios to "
    "compare with it. Each scenario runs with the same random numbers as the base (*paired runs*), so the "
    "differences show the policy, not chance."
)

names = state.scenario_names()
# An example question from the start page: its scenarios, run at once.
example = st.session_state.pop("example", None)
if example:
    st.session_state["cmp_base"], st.session_state["cmp_others"] = example["base"], example["others"]
c1, c2 = st.columns([1, 2])
base = c1.selectbox("Base scenario", names, index=names.index("baseline"), key="cmp_base", format_func=state.describe)
choices = [n for n in names if n != base]
default = [n for n in ("combined_package",) if n in choices]
others = c2.multiselect(
    "Scenarios to compare with it",
    choices,
    default=default,
    key="cmp_others",
    max_selections=6,
    # No "Select all" row: with up to six of more scenarios it would choose whichever six come first, and with it
    # shown, Enter after typing part of a name chooses every match rather than the first.
    select_all=False,
    format_func=state.describe,
    help="Up to six. Scenarios you build or upload on the Build page appear here too.",
)
c1, c2, c3 = st.columns([2, 1, 1])
years = c1.select_slider("Period compared", options=list(range(2019, 2031)), value=(2026, 2030), key="cmp_period")
n_runs = c2.number_input(
    "Runs per scenario",
    min_value=2,
    max_value=60,
    value=10,
    key="cmp_runs",
    help="More runs give steadier estimates: with parameter uncertainty on, each run is one draw of the parameters, "
    "and the prediction interval settles rather than narrows. Once a comparison has run, the page estimates the time "
    "from this machine's measured speed.",
)
use_draws = c3.toggle(
    "Parameter uncertainty",
    value=True,
    key="cmp_draws",
    help="Each run draws every uncertain parameter from its range in the parameter table (a probabilistic "
    "sensitivity analysis; the fitted parameters from the calibration's accepted draws), so intervals show what "
    "the evidence leaves open as well as chance. Off: the fitted values only, and intervals of the mean.",
)
overrides = state.overrides()
if overrides:
    st.info(
        f"{len(overrides)} assumption(s) edited for this session apply to these runs: "
        + ", ".join(f"`{k}` = {v:g}" for k, v in overrides.items())
        + ". Reset them on the Assumptions page."
    )

per_run = state.run_timing().get("seconds_per_run")
if per_run and others:
    try:  # each seed's options share the base's history up to their first different week
        cost = cost_in_runs([state.scenario(n) for n in (base, *others)])
    except ScenarioError:
        cost = 1 + len(others)  # the run will say what is wrong with the scenario
    st.caption(
        f"{int(n_runs) * (1 + len(others))} runs: about {per_run * int(n_runs) * cost:.0f} s at this machine's "
        f"measured {per_run:.1f} s a run alone (the options' runs share the base's history up to where they differ; "
        "runs already finished are reused and take no time)."
    )
period = (f"{years[0]}-01-01", f"{years[1]}-12-31")
settings = (base, tuple(others), period, int(n_runs), bool(use_draws), tuple(sorted(overrides.items())))
b1, b2, _ = st.columns([1.3, 0.8, 3])
go = b1.button("Run comparison", type="primary", key="cmp_run", disabled=not others, icon=":material/play_arrow:")
go = go or bool(example)
stop_control(b2, "cmp", "a comparison", "Run comparison", go)

if go:
    try:
        scenarios = [state.scenario(n) for n in (base, *others)]
        prepare(scenarios, overrides)  # this session's assumptions, each possible, must be possible together too
    except ScenarioError as e:
        problem("A scenario cannot be run:", e)
        st.stop()
    bar = st.progress(0.0, text="Starting the runs...")
    t0 = time.perf_counter()

    cached_at_start: list[int] = []

    def progress(done: int, total: int) -> None:
        cached_at_start[:1] = cached_at_start[:1] or [done]
        st.session_state["cmp_done"] = done
        bar.progress(done / total, text=f"{done} of {total} runs finished ({time.perf_counter() - t0:.0f} s)")

    st.session_state["cmp_running"] = True
    try:
        comparison = run_comparison(scenarios, int(n_runs), period, state.run_cache(), use_draws, overrides, progress)
    except (WorkerDied, RunFailed) as e:
        st.session_state["cmp_running"] = False
        problem("The comparison could not finish:", e)
        st.stop()
    st.session_state["cmp_running"] = False
    bar.empty()
    st.session_state["comparison"] = comparison
    st.session_state["cmp_settings"] = settings
    st.session_state["cmp_seconds"] = time.perf_counter() - t0
    ran = comparison.n_runs * len(comparison.scenarios) - (cached_at_start[0] if cached_at_start else 0)
    if ran >= 2:  # one run alone says little about a pool of workers
        # Per run alone: what the runs cost together (cost_in_runs a seed) spread over them.
        alone = ran * cost_in_runs(scenarios) / len(scenarios)
        state.run_timing()["seconds_per_run"] = st.session_state["cmp_seconds"] / alone
    forget_charts()

c = state.comparison()
if c is None:
    st.info("Choose scenarios and press **Run comparison**." if others else "Choose at least one scenario to compare.")
    st.stop()
if st.session_state.get("cmp_settings") != settings:
    st.caption(":material/info: The results below are from earlier settings; press **Run comparison** to update them.")

cid = hashlib.sha256("".join(r.key for r in c.runs).encode() + repr(c.period).encode()).hexdigest()[:10]
start, end = c.period
st.subheader(f"Against {c.base.name}, {start[:4]}-{end[:4]}")
st.caption(
    f"Each number is the difference from `{c.base.name}` over {start} to {end}: the mean of {c.n_runs} paired runs, "
    + (
        "with its 90% prediction interval from a probabilistic sensitivity analysis (every uncertain parameter "
        "drawn from its range, and chance). Grey means the interval includes zero: given what we do not know, "
        "the change could be no change. "
        if c.psa
        else "with the 90% interval of the mean, parameters fixed at their fitted values (chance only, not what "
        "we do not know). Grey means the interval includes zero. "
    )
    + f"({st.session_state.get('cmp_seconds', 0):.0f} s; finished runs are kept, so rerunning is quick.)"
)

if c.overrides:
    st.caption(
        ":material/edit_note: These results use assumptions edited for this session: "
        + plain(", ".join(f"{k} = {v:g}" for k, v in c.overrides.items()))
        + ". The exports carry them, and their reproduce command sets them (`--set`)."
    )
for s in c.others:
    st.markdown(f"**{plain(s.name)}**: {plain(s.description)}")
    for row in (slice(0, 4), slice(4, 8)):
        for col, card in zip(st.columns(4), cards(c, s.name)[row], strict=False):
            col.metric(
                card.title,
                card.value,
                delta=card.interval.removesuffix(" (90%)"),  # the page says the intervals are 90%; it fits
                delta_color=card.colour,
                delta_arrow="off" if card.noise else "auto",
                help=f"{card.what} {s.name} against {c.base.name}, {start} to {end}; below it, the 90% interval.",
                border=True,
            )
            col.caption(plain(" ".join(x for x in (card.chance, card.note, card.trust) if x)))

edited = charts.edited_note(c.overrides)  # said on every chart, and in its downloads
over_time, areas, ethnicity, economics, everything = st.tabs(
    ["Over time", "By local authority", "By ethnicity", "Economics", "All outcomes"]
)
with over_time:
    a, b, d = st.columns([2, 1, 1])
    ts_metric = a.selectbox("Outcome", OUTCOMES, index=0, key="ts_metric", format_func=label)
    freq = b.radio(
        "Totals per", ["QS", "YS"], horizontal=True, key="ts_freq", format_func={"QS": "quarter", "YS": "year"}.get
    )
    area = d.selectbox(
        "Area", [FORCE_AREA, *AREAS], key="ts_area", format_func=lambda x: x.title() if x != FORCE_AREA else x
    )
    where = None if area == FORCE_AREA else area
    chart(
        # Default arguments bind today's choices: the SVG download is drawn later, on click.
        lambda m=ts_metric, f=freq, w=where: charts.timeseries(c.series(m, f, w), m, c.period, c.n_runs, f, w),
        f"ts_{cid}_{ts_metric}_{freq}_{area}",
        f"{ts_metric}_{area}_over_time".replace(" ", "_").lower(),
        f"{label(ts_metric)}, {area}, 2019-2030: each scenario's mean with a band from the 5th to 95th percentile of "
        "runs.",
        (ts_metric,),
        edited,
    )
with areas:
    area_metric = st.selectbox("Outcome", OUTCOMES, index=0, key="area_metric", format_func=label)
    by_area = c.areas(area_metric)
    chart(
        lambda m=area_metric, t=by_area: charts.area_differences(t, m, c.period),
        f"area_{cid}_{area_metric}",
        f"{area_metric}_by_local_authority",
        f"{label(area_metric)}: change from {c.base.name} in each local authority with 90% intervals.",
        (area_metric,),
        edited,
    )
    for s in c.others:
        chart(
            lambda m=area_metric, t=by_area, o=s.name: charts.area_map(t, m, c.period, o),
            f"map_{cid}_{area_metric}_{s.name}",
            f"{area_metric}_map_{s.name}",
            f"Map: {label(area_metric)}, change from {c.base.name} under {s.name} in each local authority.",
            (area_metric,),
            edited,
        )
    st.dataframe(by_area, hide_index=True, key="area_table")
    table_downloads(by_area, f"{area_metric}_by_local_authority", f"area_{cid}_{area_metric}")
with ethnicity:
    st.markdown(
        "Possession outcomes by ethnic group as police record it. The reports found Black and Asian residents were "
        "more likely to be detected and charged than White residents before Divert; Divert's effect on these "
        "disparities is what this tab shows."
    )
    chart(
        lambda: charts.ethnicity(c.ethnicity, c.period),
        f"eth_{cid}",
        "possession_outcomes_by_ethnicity",
        "Possession charges and cautions per 100 detections by ethnic group, each scenario.",
        ("criminal_records",),
        edited,
    )
    st.dataframe(c.ethnicity, hide_index=True, key="eth_table")
    table_downloads(c.ethnicity, "possession_outcomes_by_ethnicity", f"eth_{cid}")
with economics:
    st.markdown(
        "**Appraisal** in the manner of HM Treasury's Green Book: present values in "
        f"{Settings().price_year}-{(Settings().price_year + 1) % 100:02d} prices, discounted from {start[:4]} (3.5%; "
        "1.5% for lives and health), from two perspectives. "
        "The *public sector* counts cash (cashable: intervention and treatment spending) and capacity released "
        "(non-cashable: police, courts, prisons, NHS). *Society* adds victims' costs, lives (QALYs at £70,000), "
        "quality of life in treatment and the lost earnings of criminal records. Each effect is its own line: "
        "crime committed by people alive because of an option is shown apart. Method and a worked example: "
        "docs/appraisal.md."
    )
    appraisal = appraisal_table(c)
    st.dataframe(appraisal, hide_index=True, key="appraisal_table")
    table_downloads(c.appraisal, "appraisal", f"appraisal_{cid}")
    view = st.radio("Perspective", ["public", "societal"], horizontal=True, key="appraisal_view")
    chart(
        lambda v=view: charts.appraisal_lines(c.appraisal, v),
        f"appraisal_{cid}_{view}",
        f"appraisal_lines_{view}",
        f"Each line of the {view} perspective's net present value, each scenario against the base, with 90% intervals.",
        ("net_benefit_gbp",),
        edited,
    )
    st.markdown(
        "**At unit costs, undiscounted** (the simpler accounting of earlier versions; it counts a death at "
        "£2.16m and mixes cash with the value of lives):"
    )
    econ = economics_table(c)
    st.dataframe(econ, hide_index=True, key="econ_table")
    table_downloads(econ, "economics", f"econ_{cid}")
    chart(
        lambda: charts.economics(c.table, ("intervention_spend_gbp", "costs_avoided_gbp", "net_benefit_gbp")),
        f"econ_{cid}",
        "economics",
        "Extra spending, costs avoided and net benefit of each scenario against the base, with 90% intervals.",
        ("net_benefit_gbp",),
        edited,
    )
    with st.expander("What is counted"):
        st.markdown(
            f"**Extra public spending** is the change in {' and '.join(f'`{x}`' for x in SPENDING)}: each "
            "intervention's own spending and the cost of treatment places it fills. **Costs avoided** is the fall in "
            f"{', '.join(f'`{x}`' for x in COSTS_AVOIDED)}: crime, health and social care, criminal justice, and "
            "the social cost of deaths, each priced by unit costs in the parameter table (group `costs`). Net "
            "benefit is costs avoided minus extra spending. Ratios (per death, per crime, per £1) use a bootstrap "
            "over runs and are blank where the denominator is not positive. Costs are undiscounted, in the prices "
            "of the sources."
        )
with everything:
    st.markdown(
        "Every outcome and economic measure, with the base's and each scenario's mean and the paired difference."
    )
    st.dataframe(c.table, hide_index=True, key="full_table")
    table_downloads(c.table, "comparison", f"full_{cid}")
    st.markdown("The headline cards as a table:")
    st.dataframe(headline_table(c), hide_index=True, key="headline_table")
