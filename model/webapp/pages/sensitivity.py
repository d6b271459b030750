"""Assumptions that matter: which parameters drive the current comparison's answer (one at a time or Morris
screening over their plausible ranges), with the chart, the ranked table and a plain summary."""

from __future__ import annotations

import os
import time

import streamlit as st

from drugsim.compare import OUTCOMES
from drugsim.ensemble import make_executor
from drugsim.parameters import parameter_table
from drugsim.sensitivity import Outcome, default_n, n_runs, run, summary
from drugsim.webapp import charts, state
from drugsim.webapp.labels import depends_on, label
from drugsim.webapp.runs import RunCache
from drugsim.webapp.widgets import chart, stop_control, table_downloads

#: Seconds per full-scale run on one core, for the estimate before this machine has measured any (on the 2-core
#: development machine in 0.5.0: 35 runs a minute in one process, benchmarks/bench_ensemble.py). Once a
#: comparison or an earlier analysis has run, the estimate uses this machine's measured wall time a run.
SECONDS_PER_RUN = 1.7

st.title("Assumptions that matter")
st.markdown(
    "Which assumptions drive this answer? Each chosen parameter is moved across its plausible range (from the "
    "Assumptions table) and the outcome measured again, with the same random numbers every time, so only the "
    "assumption changes. **One at a time** moves each parameter alone to its low and high values (a tornado "
    "chart). **Morris** moves them along random paths through all the ranges together and also shows which "
    "effects depend on other parameters. For Sobol indices or every parameter at once, use `drugsim sensitivity` "
    "(on a cluster with `--dask`); the worked example is in docs/sensitivity.md."
)
c = state.comparison()
if c is None:
    st.info("Run a comparison on the Compare page first: this page explains its answer.")
    st.stop()

table = parameter_table()
c1, c2, c3 = st.columns([2, 2, 1])
outcome = c1.selectbox("Outcome", OUTCOMES, key="sens_outcome", format_func=label)
target = c2.selectbox(
    "Answer to explain",
    [s.name for s in c.others] + [c.base.name],
    key="sens_target",
    format_func=lambda n: n if n == c.base.name else f"{n} minus {c.base.name}",
    help="A scenario's difference from the base (what the policy changes), or the base's own level.",
)
method = c3.radio(
    "Method", ["oat", "morris"], key="sens_method", format_func={"oat": "One at a time", "morris": "Morris"}.get
)
groups = sorted({p.group for p in table.values()})
default = [g for g in depends_on(outcome)[:2] if g in groups]
chosen = st.multiselect(
    "Parameter groups to vary",
    groups,
    default=default,
    key=f"sens_groups_{outcome}",
    help="Defaults to the first groups this outcome depends on. More groups take longer.",
)
names = [n for n, p in table.items() if p.group in chosen]
trajectories = 6
paired = target != c.base.name
total = n_runs(method, len(names), default_n(method, trajectories if method == "morris" else None), 1, paired)
timing = state.run_timing()
per_run = timing.get("sensitivity_seconds_per_run") or timing.get("seconds_per_run")
measured = per_run is not None
per_run = per_run or SECONDS_PER_RUN / (os.cpu_count() or 1)
st.caption(
    f"{len(names)} parameters, {total} runs: about {total * per_run / 60:.1f} minutes at "
    + (f"this machine's measured {per_run:.1f} s a run" if measured else f"about {per_run:.1f} s a run")
    + f" (runs already finished are reused); outcome totals over {c.period[0]} to {c.period[1]}."
)
b1, b2, _ = st.columns([2, 0.8, 2.5])
go = b1.button("Find the assumptions that matter", type="primary", key="sens_run", disabled=not names)
stop_control(b2, "sens", "an analysis", "Find the assumptions that matter", go)

key = (outcome, target, method, tuple(names), c.period, tuple(s.resolved_sha256 for s in c.scenarios))
if go:
    scenario = next(s for s in c.scenarios if s.name == target)
    against = c.base if paired else None
    caches = state.sensitivity_caches()
    cache = caches.setdefault((outcome, *c.period), RunCache(max_runs=100_000))  # one number a run
    bar = st.progress(0.0, text="Starting...")
    t0 = time.perf_counter()

    started: list[int] = []

    def progress(done: int, all_: int) -> None:
        started[:1] = started[:1] or [done]  # runs already in the cache when it started
        st.session_state["sens_done"] = done
        bar.progress(done / all_, text=f"{done} of {all_} runs ({time.perf_counter() - t0:.0f} s)")

    # Stop reruns the page, which interrupts this one at its next progress report: queued runs are cancelled
    # (make_executor), finished ones stay in the cache.
    st.session_state["sens_running"] = True
    with make_executor() as pool:
        result = run(
            scenario,
            Outcome(outcome, *c.period, against),
            method,
            names,
            trajectories if method == "morris" else None,
            pool=pool,
            store=cache,
            progress=progress,
        )
    st.session_state["sens_running"] = False
    bar.empty()
    st.session_state["sensitivity"] = (key, result)
    ran = result.runs - (started[0] if started else 0)
    if ran >= 2:
        timing["sensitivity_seconds_per_run"] = (time.perf_counter() - t0) / ran

stored = st.session_state.get("sensitivity")
if stored is None or stored[0] != key:
    st.info("Choose what to explain and press **Find the assumptions that matter**.")
    st.stop()
result = stored[1]
chart(
    lambda: charts.sensitivity(result.method, result.table, result.ranked, result.outcome_text),
    f"sens_{hash(key)}",
    f"sensitivity_{outcome}_{result.method}",
    f"Which parameters move {result.outcome_text} most, across their plausible ranges.",
    note=charts.edited_note(c.overrides),
)
st.markdown(summary(result.table, result.method, result.outcome_text, result.runs).split("\n", 2)[2])
st.dataframe(result.ranked, hide_index=True, key="sens_table")
table_downloads(result.ranked, f"sensitivity_{outcome}_{result.method}", f"sens_{hash(key)}")
