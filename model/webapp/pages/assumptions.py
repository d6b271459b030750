"""Assumptions: the full parameter table (value, plausible range, unit, source, meaning), searchable; edit a value
for this session and every comparison started afterwards uses it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from drugsim.parameters import check_overrides, parameter_table
from drugsim.webapp import state
from drugsim.webapp.widgets import problem

st.title("Assumptions")
st.markdown(
    "Every number the model uses is a row of this table: its value, the range the evidence allows, its unit, "
    "where it comes from (a report and paragraph such as `2023-02_spcb_preventing-and-reducing-crime §22`, or a "
    "named public source with a grade in EVIDENCE.md) and what it means. *Used in baseline* is the value after "
    "calibration (free parameters fitted to the reports' figures)."
)

table = parameter_table()
baseline = state.scenario("baseline")
overrides = state.overrides()
groups = sorted({p.group for p in table.values()})

linked = st.session_state.pop("assumption_groups", None)
if linked is not None:
    st.session_state["assume_groups"] = [g for g in linked if g in groups]
    st.info("Showing the assumptions behind the chart you came from. Clear the groups filter to see all.")

c1, c2, c3 = st.columns([2, 2, 1])
query = c1.text_input("Search (name, meaning or source)", key="assume_search", placeholder="e.g. naloxone, §22, HAT")
chosen = c2.multiselect("Groups", groups, key="assume_groups")
only = c3.radio("Show", ["all", "calibrated", "edited"], key="assume_only", horizontal=False)

rows = []
for p in table.values():
    rows.append(
        {
            "name": p.name,
            "group": p.group,
            "table value": p.value,
            "used in baseline": baseline.params[p.name],
            "this session": overrides.get(p.name),
            "low": p.low,
            "high": p.high,
            "unit": p.unit,
            "calibrated": bool(p.calibrate),
            "source": p.source,
            "meaning": p.meaning,
        }
    )
frame = pd.DataFrame(rows)
if query:
    q = query.lower()
    frame = frame[frame[["name", "meaning", "source", "group"]].apply(lambda r: q in " ".join(r).lower(), axis=1)]
if chosen:
    frame = frame[frame.group.isin(chosen)]
if only == "calibrated":
    frame = frame[frame.calibrated]
elif only == "edited":
    frame = frame[frame["this session"].notna()]
st.caption(f"{len(frame)} of {len(table)} parameters")
st.dataframe(
    frame,
    hide_index=True,
    key="assume_table",
    column_config={
        "source": st.column_config.TextColumn("source", width="large"),
        "meaning": st.column_config.TextColumn("meaning", width="large"),
    },
)
st.download_button(
    "Download the full table (CSV)",
    pd.DataFrame(rows).to_csv(index=False).encode(),
    "drugsim_parameters.csv",
    "text/csv",
    key="assume_download",
    on_click="ignore",
)

st.subheader("Try a different value")
st.markdown(
    "A value set here is used by every comparison you start in this session (the Compare page says so), and is "
    "recorded in exports and the briefing pack. It does not change the files. A scenario that sets the same "
    "assumption itself keeps its own value."
)
names = list(frame.name) or list(table)
c1, c2, c3 = st.columns([2, 1, 1])
name = c1.selectbox("Parameter", names, key="assume_edit_name")
p = table[name]
now = overrides.get(name, baseline.params[name])
value = c2.number_input(
    f"Value ({p.unit})",
    value=float(now),
    min_value=float(p.limit.low),  # the possible range (drugsim.limits); outside the plausible one is a warning
    max_value=float(p.limit.high),
    format="%g",
    key=f"assume_value_{name}",
)
c2.caption(f"Plausible range {p.low:g}-{p.high:g}; baseline {baseline.params[name]:g}")
c1.caption(f"{p.meaning}. Source: {p.source}")
if c3.button("Use for this session", type="primary", key="assume_apply"):
    errors, warnings = check_overrides({name: value}, "this session")
    if errors:
        problem("This value cannot be used:", "\n".join(errors))
    else:
        overrides[name] = float(value)
        for w in warnings:
            st.warning(w)
        st.success(f"`{name}` = {value:g} for this session. Run a comparison to see its effect.")
if overrides:
    st.markdown("**Edited for this session:** " + ", ".join(f"`{k}` = {v:g}" for k, v in overrides.items()))
    if st.button("Reset all to the table", key="assume_reset"):
        overrides.clear()
        st.rerun()
